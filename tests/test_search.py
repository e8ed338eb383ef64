"""The search index in shards: which pages each shard holds, and a build that makes only the stale ones again.

(tests/test_search_shards.py searches the shards in a browser.)
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import copy_site, newpower, tree_bytes

from newpower_site.cache.state import BuildCache
from newpower_site.engine.engine import Engine
from newpower_site.core.options import BuildOptions
from newpower_site.plan.outputs import Output, PageMeta
from newpower_site.write import search
from newpower_site.write.folder import MANIFEST, read_manifest
from newpower_site.write.writers import Staged

NEW_WORD = "quokkalicious"


class Item:
    def __init__(self, when: datetime | None):
        self.date = when


def page(path: str, kind: str, when: datetime | None) -> Output:
    meta = PageMeta("t", "d", "https://x/", kind)
    return Output(path, "template", f"{kind}.html", {"meta": meta, {"newsletter": "issue"}.get(kind, kind): Item(when)})


def day(year: int, month: int = 1, day_of_month: int = 1) -> datetime:
    return datetime(year, month, day_of_month, tzinfo=UTC)


def test_shards_are_fixed_spans_of_years_about_size_pages_each_and_undated_pages_join_the_oldest() -> None:
    outputs = [page(f"articles/a{y}-{m}/index.html", "article", day(y, m)) for y in range(2010, 2022) for m in (3, 1)]
    outputs += [page("about/index.html", "page", None), page("articles/index.html", "listing", None),
                page("feed.xml", "template", day(2024)), page("old/index.html", "redirect", day(2024))]
    shards = search.plan_shards(outputs, size=6)  # 25 pages over 12 years: a span of 6 x 12 // 25 = 2 years
    assert [s.name for s in shards] == ["2010-2011", "2012-2013", "2014-2015", "2016-2017", "2018-2019", "2020-2021"]
    assert shards[0].pages == ("about/index.html", "articles/a2010-1/index.html", "articles/a2010-3/index.html",
                               "articles/a2011-1/index.html", "articles/a2011-3/index.html"), "oldest first, undated pages first"
    assert sum(len(s.pages) for s in shards) == 25, "listings, feeds and redirects carry no body to index"
    again = search.plan_shards([*outputs, page("articles/new/index.html", "article", day(2021, 6))], size=6)
    assert [s for s in again if s.name != "2020-2021"] == [s for s in shards if s.name != "2020-2021"], "a new item changes its span alone"


def test_a_busy_span_is_cut_in_even_runs_in_date_order() -> None:
    outputs = [page(f"articles/a{m}/index.html", "article", day(2024, m)) for m in range(12, 0, -1)]
    outputs.append(page("voices/v/index.html", "voice", day(2023, 5)))
    shards = search.plan_shards(outputs, size=3)  # a span of 1 year; more than 4 pages in one is cut
    assert [s.name for s in shards] == ["2023", "2024-1", "2024-2", "2024-3"]
    assert [len(s.pages) for s in shards[1:]] == [4, 4, 4], "a year's runs are as even as they can be"
    assert shards[1].pages == tuple(f"articles/a{m}/index.html" for m in (1, 2, 3, 4)), "oldest first"
    assert search.plan_shards([page("about/index.html", "page", None)]) == [search.Shard("pages", ("about/index.html",))]


def build(site: Path, shard_size: int = 2, quick: bool = False) -> Engine:
    builder = Engine(BuildOptions(site), Staged(site / "output", True, shard_size, quick_search=quick), BuildCache(site))
    result = builder.build()
    assert result.ok, [d.format() for d in result.diagnostics]
    return builder


def shard_stats(out: Path) -> dict[str, dict[str, tuple[int, int]]]:
    """Each shard's files with their inode and mtime: a shard made again has new ones."""
    root = out / search.INDEX_FOLDER
    names = json.loads((root / search.SHARDS_FILE).read_text(encoding="utf-8"))["shards"]
    return {name: {p.relative_to(root / name).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
                   for p in sorted((root / name).rglob("*")) if p.is_file()} for name in names}


def shard_text(out: Path, name: str) -> bytes:
    return b"".join(gzip.decompress(p.read_bytes()) for p in (out / search.INDEX_FOLDER / name / "fragment").glob("*.pf_fragment"))


def indexed_text(out: Path, page_path: str) -> bytes:
    """What the index holds of a page's shard: its year shard's fragments, and the edits shard's."""
    return shard_text(out, shard_of(out, page_path)) + shard_text(out, search.EDITS)


def edits_stats(out: Path) -> dict[str, tuple[int, int]]:
    root = out / search.INDEX_FOLDER / search.EDITS
    return {p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()}


def drop_list(out: Path) -> dict:
    return json.loads((out / search.INDEX_FOLDER / search.EDITS / search.DROP_FILE).read_text(encoding="utf-8"))


def shard_of(out: Path, page_path: str) -> str:
    records = search.read_shard_records(out / search.INDEX_FOLDER)
    return next(name for name, pages in records.items() if page_path in pages)


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    site = copy_site("realistic", tmp_path)
    build(site)
    return site


def test_every_item_page_is_in_one_shard_and_every_index_file_in_the_manifest(site: Path) -> None:
    out = site / "output"
    records = search.read_shard_records(out / search.INDEX_FOLDER)
    assert len(records) >= 3
    indexed = [p for pages in records.values() for p in pages]
    marked = sorted(p.relative_to(out).as_posix() for p in out.rglob("index.html") if search.BODY_MARK in p.read_bytes())
    assert sorted(indexed) == marked, "each page with a body to index is in exactly one shard"
    on_disk = {f"{search.INDEX_FOLDER}/{name}/{f}" for name, files in shard_stats(out).items() for f in files}
    assert on_disk <= read_manifest(out)


@pytest.mark.parametrize("source, page_path", [
    ("content/articles/bakery-buyout.md", "articles/bakery-buyout/index.html"),
    ("content/voices/sam-hughes.md", "voices/sam-hughes/index.html"),
])
def test_a_body_edit_makes_only_the_edits_shard_again_and_drops_the_stale_copy(site: Path, source: str, page_path: str,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    out = site / "output"
    before = shard_stats(out)
    year = shard_of(out, page_path)
    assert drop_list(out) == {"pages": 0, "drop": []}, "a whole build leaves the edits shard empty"
    stale_id = search.read_ids(out / search.INDEX_FOLDER / year)[page_path]
    assert (out / search.INDEX_FOLDER / year / "fragment" / f"{stale_id}.pf_fragment").exists()
    with (site / source).open("a", encoding="utf-8") as handle:
        handle.write(f"\nThe {NEW_WORD} line.\n")
    assert build(site, quick=True).stats.path == "quick", "a body edit takes the quick path, index included"
    after = shard_stats(out)
    assert after == before, "every year shard is left as it was (same inodes, same mtimes)"
    assert NEW_WORD.encode() not in shard_text(out, year)
    assert NEW_WORD.encode() in shard_text(out, search.EDITS)
    edited = search.read_edits(out / search.INDEX_FOLDER)
    assert page_path in edited, "the page (and any page showing it, re-rendered with it) is in the edits shard"
    assert drop_list(out)["pages"] == len(edited) and stale_id in drop_list(out)["drop"], "the year shard's copy is named to drop"
    assert set(read_manifest(out)) == set(tree_bytes(out)) - {MANIFEST}, "the manifest names the new shard's files, not the old"
    edits = edits_stats(out)
    build(site, quick=True)  # and the next build trusts the output it left
    assert shard_stats(out) == after and edits_stats(out) == edits


def test_edits_accumulate_then_fold_back_into_their_year_shards(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = site / "output"
    before = shard_stats(out)
    pages = {"content/articles/bakery-buyout.md": "articles/bakery-buyout/index.html", "content/voices/sam-hughes.md": "voices/sam-hughes/index.html"}
    first, second = pages
    with (site / first).open("a", encoding="utf-8") as handle:
        handle.write(f"\nThe {NEW_WORD} line.\n")
    build(site, quick=True)
    with (site / second).open("a", encoding="utf-8") as handle:
        handle.write("\nThe wombatish line.\n")
    build(site, quick=True)
    assert set(pages.values()) <= set(search.read_edits(out / search.INDEX_FOLDER)), "the edits shard holds both, made whole"
    assert NEW_WORD.encode() in shard_text(out, search.EDITS) and b"wombatish" in shard_text(out, search.EDITS)
    assert len(drop_list(out)["drop"]) >= 2
    assert shard_stats(out) == before
    monkeypatch.setattr(search, "EDITS_MAX", 2)
    with (site / first).open("a", encoding="utf-8") as handle:
        handle.write("\nThe numbatty line.\n")
    build(site, quick=True)
    assert search.read_edits(out / search.INDEX_FOLDER) == (), "past EDITS_MAX the edits are folded back"
    assert drop_list(out) == {"pages": 0, "drop": []}
    after = shard_stats(out)
    folded = {shard_of(out, p) for p in pages.values()}
    for name in before:
        assert (after[name] != before[name]) == (name in folded), name
    assert b"numbatty" in shard_text(out, shard_of(out, pages[first])) and b"wombatish" in shard_text(out, shard_of(out, pages[second]))
    assert set(read_manifest(out)) == set(tree_bytes(out)) - {MANIFEST}


@pytest.mark.parametrize("then_edit", [False, True])
def test_a_build_without_quick_search_folds_the_edits_back_to_a_cold_builds_bytes(site: Path, tmp_path: Path, then_edit: bool) -> None:
    """--quick-search trades byte-identity for speed; the next plain build, edited since or not, gives it back."""
    out = site / "output"
    with (site / "content/articles/bakery-buyout.md").open("a", encoding="utf-8") as handle:
        handle.write(f"\nThe {NEW_WORD} line.\n")
    build(site, quick=True)
    assert "articles/bakery-buyout/index.html" in search.read_edits(out / search.INDEX_FOLDER)
    if then_edit:
        with (site / "content/voices/sam-hughes.md").open("a", encoding="utf-8") as handle:
            handle.write("\nThe wombatish line.\n")
    plain = build(site)
    assert plain.stats.path == "incremental", "an output --quick-search left is folded back by the full path"
    assert search.read_edits(out / search.INDEX_FOLDER) == ()
    cold = tmp_path / "cold"
    result = Engine(BuildOptions(site, out_dir=cold), Staged(cold, True, 2), None).build()
    assert result.ok, [d.format() for d in result.diagnostics]
    assert tree_bytes(out) == tree_bytes(cold)


def test_build_quick_search_on_the_command_line(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    out = site / "output"
    assert newpower("build", "--site", site).code == 0
    with (site / "content/articles/bakery-buyout.md").open("a", encoding="utf-8") as handle:
        handle.write(f"\nThe {NEW_WORD} line.\n")
    time.sleep(2.1)  # out of the racy window, which takes the full path (and folds)
    quick = newpower("build", "--quick-search", "--site", site)
    assert quick.code == 0, quick.stderr
    assert "articles/bakery-buyout/index.html" in search.read_edits(out / search.INDEX_FOLDER)
    assert NEW_WORD.encode() in shard_text(out, search.EDITS)
    plain = newpower("build", "--site", site)
    assert plain.code == 0, plain.stderr
    assert search.read_edits(out / search.INDEX_FOLDER) == ()
    assert NEW_WORD.encode() in indexed_text(out, "articles/bakery-buyout/index.html")


def test_an_index_that_fails_after_a_body_edit_leaves_the_output_as_it_was(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = site / "output"
    before = tree_bytes(out)
    with (site / "content/articles/bakery-buyout.md").open("a", encoding="utf-8") as handle:
        handle.write(f"\nThe {NEW_WORD} line.\n")

    def fail(*args: object, **kwargs: object) -> None:
        raise search.SearchIndexError(search.error("(search)", 0, "pagefind failed: out of luck"))

    monkeypatch.setattr(search, "index_shards", fail)
    builder = Engine(BuildOptions(site), Staged(out, True, 2), BuildCache(site))
    result = builder.build()
    assert not result.ok and any("out of luck" in d.format() for d in result.diagnostics)
    assert tree_bytes(out) == before
    assert not [p for p in site.iterdir() if p.name.startswith(".output.")], "no staging folder is left behind"
    monkeypatch.undo()
    build(site)
    assert NEW_WORD.encode() in indexed_text(out, "articles/bakery-buyout/index.html")


def test_a_page_rewritten_without_the_index_is_indexed_again(site: Path) -> None:
    """A build without the index (or a hand edit) leaves a shard older than its pages: the next build sees it."""
    out = site / "output"
    with (site / "content/articles/bakery-buyout.md").open("a", encoding="utf-8") as handle:
        handle.write(f"\nThe {NEW_WORD} line.\n")
    Engine(BuildOptions(site), Staged(out, False), BuildCache(site)).build()
    build(site)
    assert NEW_WORD.encode() in indexed_text(out, "articles/bakery-buyout/index.html")


def test_two_builds_make_the_same_index(site: Path, tmp_path: Path) -> None:
    other = copy_site("realistic", tmp_path / "again")
    build(other)
    index = {p: d for p, d in tree_bytes(site / "output").items() if p.startswith(search.INDEX_FOLDER)}
    assert index == {p: d for p, d in tree_bytes(other / "output").items() if p.startswith(search.INDEX_FOLDER)}


def cold_copy(site: Path, where: Path) -> dict[str, bytes]:
    """The output a cold build of `site`'s content makes: what any incremental build must equal."""
    other = where / "cold"
    other.mkdir()
    for name in ("site.yaml", "content"):
        source = site / name
        if source.is_dir():
            shutil.copytree(source, other / name)
        else:
            shutil.copy2(source, other / name)
    build(other)
    return tree_bytes(other / "output")


@pytest.mark.parametrize("source, old, new, page_path, expected", [
    ("content/voices/sam-hughes.md", "name: Sam Hughes", f"name: Sam {NEW_WORD.title()}", "voices/sam-hughes/index.html", "quick"),
    ("content/articles/bakery-buyout.md", "topics: [workplace, community]", "topics: [workplace, public-services]",
     "articles/bakery-buyout/index.html", "head"),
])
def test_a_head_edit_remakes_only_its_shard(site: Path, tmp_path: Path, source: str, old: str, new: str, page_path: str,
                                            expected: str) -> None:
    """A name alone takes the quick path, a topic the head path: either way, index included, only the page's shard is made again."""
    out = site / "output"
    path = site / source
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    before = shard_stats(out)
    edited = shard_of(out, page_path)
    builder = build(site)
    assert builder.stats.path == expected, "a head edit replans only what shows the item, index included"
    if expected == "quick":  # the name is indexed; a topic chip is page furniture (data-pagefind-ignore)
        assert NEW_WORD.title().encode() in shard_text(out, edited)
    after = shard_stats(out)
    assert {name for name in before if after[name] != before[name]} == {edited}, "every other shard is kept"
    assert set(read_manifest(out)) == set(tree_bytes(out)) - {MANIFEST}
    assert tree_bytes(out) == cold_copy(site, tmp_path), "the same output, search index included, as a cold build"


@pytest.mark.parametrize("quick", [False, True], ids=["plain", "quick-search"])
def test_a_date_edit_within_its_shard_takes_the_head_path(site: Path, tmp_path: Path, quick: bool) -> None:
    """A new date that keeps the page in its shard but moves it in the shard's date order: the head path plans
    the shards again from every page's date. A plain build makes that shard again, in the new order (a cold
    build's bytes); --quick-search keeps it and indexes the page in the edits shard, and the next plain build
    folds it back."""
    out, page_path = site / "output", "voices/sam-hughes/index.html"
    path = site / "content/voices/sam-hughes.md"
    path.write_text(path.read_text(encoding="utf-8").replace("date: 2026-02-20", "date: 2026-02-05"), encoding="utf-8")
    edited = shard_of(out, page_path)
    recorded = search.read_shard_records(out / search.INDEX_FOLDER)[edited]
    assert recorded[0] != page_path  # the page was not first in its shard; with its new date it is
    before = shard_stats(out)
    builder = build(site, quick=quick)
    assert builder.stats.path == "head", "a date edit replans only what shows the item, index included"
    after = shard_stats(out)
    now = search.read_shard_records(out / search.INDEX_FOLDER)[edited]
    if quick:
        assert after == before, "every span shard kept"
        assert now == recorded and search.read_edits(out / search.INDEX_FOLDER) == (page_path,)
        (tmp_path / "first").mkdir()
        assert tree_bytes(out) != cold_copy(site, tmp_path / "first")
        build(site)
        now = search.read_shard_records(out / search.INDEX_FOLDER)[edited]
    else:
        assert {name for name in before if after[name] != before[name]} == {edited}, "every other shard is kept"
    assert now[0] == page_path and set(now) == set(recorded)
    assert search.read_edits(out / search.INDEX_FOLDER) == ()
    assert set(read_manifest(out)) == set(tree_bytes(out)) - {MANIFEST}
    assert tree_bytes(out) == cold_copy(site, tmp_path), "the same output, search index included, as a cold build"


def test_a_date_edit_that_moves_a_page_between_shards_remakes_both(site: Path, tmp_path: Path) -> None:
    """The shards keep their names but two trade pages: both are made again on the head path, the third kept."""
    out, page_path = site / "output", "voices/sam-hughes/index.html"
    path = site / "content/voices/sam-hughes.md"
    path.write_text(path.read_text(encoding="utf-8").replace("date: 2026-02-20", "date: 2026-01-02"), encoding="utf-8")
    before_shard = shard_of(out, page_path)
    before = shard_stats(out)
    builder = build(site)
    assert builder.stats.path == "head"
    assert shard_of(out, page_path) != before_shard
    after = shard_stats(out)
    assert sorted(name for name in before if after[name] != before[name]) == sorted({before_shard, shard_of(out, page_path)})
    assert tree_bytes(out) == cold_copy(site, tmp_path)


def test_a_date_edit_that_moves_a_page_to_another_shard_takes_the_full_path(site: Path, tmp_path: Path) -> None:
    out = site / "output"
    path = site / "content/voices/sam-hughes.md"
    path.write_text(path.read_text(encoding="utf-8").replace("date: 2026-02-20", "date: 2019-02-20"), encoding="utf-8")
    before = shard_of(out, "voices/sam-hughes/index.html")
    builder = build(site)
    assert builder.stats.path == "incremental"
    assert shard_of(out, "voices/sam-hughes/index.html") != before
    assert tree_bytes(out) == cold_copy(site, tmp_path)


def test_a_shard_swap_that_fails_after_the_pages_are_committed_falls_back_to_a_whole_build(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick path's pages are in place but its shard is not: the full path sees the output changed and remakes it."""
    from newpower_site.write import writers

    def fail(new: Path, target: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writers, "replace_folder", fail)
    with (site / "content/articles/bakery-buyout.md").open("a", encoding="utf-8") as handle:
        handle.write(f"\nThe {NEW_WORD} line.\n")
    builder = build(site)
    assert builder.stats.path == "cold", "the output no longer matches what the cache noted"
    out = site / "output"
    assert NEW_WORD.encode() in indexed_text(out, "articles/bakery-buyout/index.html")
    assert set(read_manifest(out)) == set(tree_bytes(out)) - {MANIFEST}
    assert not [p for p in site.iterdir() if p.name.startswith(".output.")]


def test_pagefind_runs_beside_a_process_that_never_loaded_the_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The site is loaded, planned and rendered in a forked child; the parent makes the index (docs/performance.md),
    and its output is the one a build all in one process makes."""
    from newpower_site.engine import engine

    site = copy_site("realistic", tmp_path)
    log = tmp_path / "pids.txt"
    load, index = engine.load_site, search.index_shards

    def noted(stage: str, call):  # the child cannot hand back a list: each call appends its pid to a file
        def wrapper(*args, **kwargs):
            with log.open("a", encoding="utf-8") as handle:
                handle.write(f"{stage} {os.getpid()}\n")
            return call(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(engine, "load_site", noted("load", load))
    monkeypatch.setattr(search, "index_shards", noted("index", index))
    forked = Engine(BuildOptions(site, out_dir=tmp_path / "forked"), Staged(tmp_path / "forked", True, 2), BuildCache(site))
    result = forked.build()
    assert result.ok and result.stats.path == "cold" and result.stats.outputs_rendered == result.files > 0
    stages = dict(line.split() for line in log.read_text(encoding="utf-8").splitlines())
    assert stages["index"] == str(os.getpid()) != stages["load"]
    assert forked.writer.linked == 0 and forked.writer.stale, "the writer carries on from the child's state"

    log.unlink()
    alone = Engine(BuildOptions(site, out_dir=tmp_path / "alone"), Staged(tmp_path / "alone", True, 2), BuildCache(site), parallel=False)
    assert alone.build().ok
    assert {line.split()[1] for line in log.read_text(encoding="utf-8").splitlines()} == {str(os.getpid())}
    assert tree_bytes(tmp_path / "forked") == tree_bytes(tmp_path / "alone")
    again = Engine(BuildOptions(site, out_dir=tmp_path / "forked"), Staged(tmp_path / "forked", True, 2), BuildCache(site)).build()
    assert again.stats.path == "unchanged", "the parent wrote the record the child prepared"


def shard_of_the_output(site: Path) -> tuple[search.Shard, Path]:
    out = site / "output"
    pages = tuple(sorted(str(p.relative_to(out)) for p in out.glob("*/*/index.html") if search.BODY_MARK in p.read_bytes()))
    assert len(pages) > search.IN_FLIGHT  # more pages than requests in flight, so the window fills and drains
    return search.Shard("all", pages), out


def test_requests_sent_ahead_make_the_index_that_one_at_a_time_makes(site: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    shard, out = shard_of_the_output(site)
    search.index_shards([shard], lambda path: (out / path).read_bytes(), tmp_path / "ahead")
    monkeypatch.setattr(search, "IN_FLIGHT", 1)
    search.index_shards([shard], lambda path: (out / path).read_bytes(), tmp_path / "one")
    ahead, one = tree_bytes(tmp_path / "ahead"), tree_bytes(tmp_path / "one")
    assert ahead == one and any(name.startswith("all/fragment/") for name in ahead)


def test_a_page_that_cannot_be_read_is_named_while_requests_are_in_flight(site: Path, tmp_path: Path) -> None:
    shard, out = shard_of_the_output(site)
    missing = shard.pages[search.IN_FLIGHT + 1]

    def read(path: str) -> bytes:
        if path == missing:
            raise OSError("gone")
        return (out / path).read_bytes()

    with pytest.raises(search.SearchIndexError) as caught:
        search.index_shards([shard], read, tmp_path / "index")
    assert caught.value.diagnostic.path == missing and "cannot read the page" in caught.value.diagnostic.message
