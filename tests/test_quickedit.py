"""The quick rebuild (quickedit.py) after an edit to item bodies: it must be taken when it
can, give byte for byte what a cold build gives, and step aside whenever it cannot.

Builds here leave out the Pagefind index, as `serve` and benchmarks/engine_build.py
do (tests/test_search.py covers the quick path with the index's shards).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from conftest import REPO, copy_site, newpower, tree_bytes

from newpower_site.cache.state import BuildCache
from newpower_site.engine.engine import Engine
from newpower_site.core.options import BuildOptions
from newpower_site.write import folder as folder_module
from newpower_site.write.folder import MANIFEST, recover_interrupted_commit
from newpower_site.write.writers import InPlace, Staged


def cached_engine(options: BuildOptions, writer: InPlace | Staged | None = None) -> Engine:
    """A cached build as `newpower build` makes it, but without the search index (or with `writer`)."""
    return Engine(options, writer or Staged(options.output, search_index=False), BuildCache(options.site_dir))


def engine(site: Path) -> tuple[str, dict[str, bytes]]:
    """A cached build without the search index; returns which path it took and the output."""
    builder = cached_engine(BuildOptions(site))
    result = builder.build()
    assert result.ok, [d.format() for d in result.diagnostics]
    return builder.stats.path, tree_bytes(site / "output")


def cold(site: Path, tmp_path: Path) -> dict[str, bytes]:
    out = tmp_path / "cold"
    run = newpower("build", "--site", site, "--out", out, "--no-cache")
    assert run.code == 0, run.stderr
    return {p: data for p, data in tree_bytes(out).items() if not p.startswith("pagefind/") and p != MANIFEST}


def pages(files: dict[str, bytes]) -> dict[str, bytes]:
    return {p: data for p, data in files.items() if p != MANIFEST}


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    site = copy_site("realistic", tmp_path)
    assert engine(site)[0] == "cold"
    return site


@pytest.mark.parametrize("source", [
    "content/articles/bakery-buyout.md",  # featured by the newsletter: its issue page and email show it
    "content/voices/dee-okafor.md",
    "content/newsletters/march-2026.md",
])
def test_a_body_edit_takes_the_quick_path_and_matches_a_cold_build(site: Path, tmp_path: Path, source: str) -> None:
    append(site / source, "\nA closing line added by the quick-path test.\n")
    path, after = engine(site)
    assert path == "quick"
    assert pages(after) == cold(site, tmp_path)
    assert any(b"A closing line added by the quick-path test." in data for data in after.values())


def test_edits_in_a_row_each_match_a_cold_build(site: Path, tmp_path: Path) -> None:
    article = site / "content/articles/council-listens.md"
    for round_ in range(3):
        append(article, f"\nRound {round_} of edits.\n")
        path, after = engine(site)
        assert path == "quick"
        assert pages(after) == cold(site, tmp_path)
    edit(article, "title:", "title: Retitled,")  # a title: the quick path still (it moves the item in no listing)
    path, after = engine(site)
    assert path == "quick"
    assert pages(after) == cold(site, tmp_path)
    edit(article, "date: 2026-", "date: 2025-")  # a date: the head path, from a store the quick path kept
    path, after = engine(site)
    assert path == "head"
    assert pages(after) == cold(site, tmp_path)
    append(article, "\nAnd after the retitle.\n")
    assert engine(site)[0] == "quick"
    assert pages(tree_bytes(site / "output")) == cold(site, tmp_path)


@pytest.mark.parametrize(("source", "old", "new", "expected"), [
    ("content/articles/bakery-buyout.md", "title:", "title: New title,", "quick"),  # listings show it, but order by date
    ("content/articles/council-listens.md", "date: 2026-", "date: 2025-", "head"),  # the order of every listing
    ("content/voices/dee-okafor.md", "quote:", "quote: Newly,", "quick"),
    ("content/articles/bakery-buyout.md", "topics: [workplace, community]", "topics: [workplace]", "head"),  # which topic pages hold it
])
def test_a_head_edit_takes_the_quick_path_unless_it_moves_the_item(site: Path, tmp_path: Path, source: str, old: str, new: str,
                                                                   expected: str) -> None:
    """cache/quick.py `shown_only_edit`, cache/heads.py; tests/test_incremental_heads.py has sequences of them."""
    edit(site / source, old, new)
    path, after = engine(site)
    assert path == expected
    assert pages(after) == cold(site, tmp_path)


def test_a_new_first_paragraph_takes_the_full_path(site: Path, tmp_path: Path) -> None:
    """Listing cards show an item's first paragraph when it has no summary."""
    page = site / "content/pages/about.md"
    text = page.read_text(encoding="utf-8")
    head, _, body = text.partition("\n---\n")
    page.write_text(f"{head}\n---\nA new opening paragraph.\n\n{body}", encoding="utf-8")
    path, after = engine(site)
    assert path == "incremental"
    assert pages(after) == cold(site, tmp_path)


@pytest.mark.parametrize("source", ["content/articles/bakery-buyout.md", "content/voices/dee-okafor.md"])
def test_a_body_edit_that_leaves_scaffold_text_in_is_warned_about(site: Path, source: str) -> None:
    """The warning for text `newpower new` wrote is the build's, not the last build's kept."""
    from newpower_site.load.placeholders import ARTICLE_BODY

    append(site / source, f"\n{ARTICLE_BODY}\n")
    result = cached_engine(BuildOptions(site)).build()
    assert [d.format() for d in result.diagnostics if "newpower new" in d.message] == \
        [f"{source}:{len((site / source).read_text(encoding='utf-8').splitlines())}: warning: still has the text `newpower new` wrote ({ARTICLE_BODY!r}): replace it with your own before publishing"]
    edit(site / source, f"\n{ARTICLE_BODY}\n", "\n")
    result = cached_engine(BuildOptions(site)).build()
    assert not [d for d in result.diagnostics if "newpower new" in d.message], "taken out, the warning goes too"


def test_an_added_file_takes_the_full_path(site: Path, tmp_path: Path) -> None:
    (site / "content/pages/contact.md").write_text("---\ntitle: Contact\n---\nWrite to us.\n", encoding="utf-8")
    path, after = engine(site)
    assert path == "incremental"
    assert "contact/index.html" in after
    assert pages(after) == cold(site, tmp_path)


def test_an_edit_that_breaks_the_item_fails_as_a_full_build_would(site: Path) -> None:
    before = tree_bytes(site / "output")
    article = site / "content/articles/bakery-buyout.md"
    append(article, "\nSee [the missing page](missing.md).\n")
    builder = cached_engine(BuildOptions(site))
    result = builder.build()
    assert not result.ok
    assert any("content/articles/bakery-buyout.md" in d.format() and "missing.md" in d.format() for d in result.diagnostics)
    assert tree_bytes(site / "output") == before


def test_an_edit_to_a_draft_changes_no_page(site: Path) -> None:
    before = tree_bytes(site / "output")
    draft = next(p for p in (site / "content/articles").glob("*.md") if "draft: true" in p.read_text(encoding="utf-8"))
    append(draft, "\nStill drafting.\n")
    path, after = engine(site)
    assert path == "quick"
    assert after == before


def test_a_damaged_store_is_not_used(site: Path, tmp_path: Path) -> None:
    store = next((site / ".newpower-cache/build").glob("snapshots-*.sqlite"))
    data = bytearray(store.read_bytes())
    for offset in range(len(data) // 3, len(data), 997):  # flip bits inside the rows
        data[offset] ^= 0x55
    store.write_bytes(bytes(data))
    append(site / "content/articles/bakery-buyout.md", "\nAfter the damage.\n")
    path, after = engine(site)
    assert path in ("quick", "incremental")
    assert pages(after) == cold(site, tmp_path)


@pytest.fixture()
def preview(tmp_path: Path) -> tuple[Path, Path, Engine]:
    """A site built as serve builds it: one Engine, kept, writing in place into a folder of its own."""
    site = copy_site("realistic", tmp_path)
    out = tmp_path / "preview"
    builder = cached_engine(BuildOptions(site, out_dir=out), InPlace(out))
    assert builder.build().ok
    return site, out, builder


def test_serve_style_builds_take_the_quick_path_too(preview: tuple[Path, Path, Engine]) -> None:
    site, out, builder = preview
    append(site / "content/voices/sam-hughes.md", "\nA line for the preview.\n")
    result = builder.build()
    assert result.ok
    assert builder.stats.path == "quick"
    assert result.changed and all(p in tree_bytes(out) for p in result.changed)
    assert b"A line for the preview." in (out / "voices/sam-hughes/index.html").read_bytes()


def killed_commit(out: Path, files: dict[str, bytes], renamed: int, monkeypatch: pytest.MonkeyPatch, pid: int | None = None) -> Path:
    """Run commit_files as a build SIGKILLed after `renamed` of its renames would; the folder it leaves.

    `renamed` = -1: killed before the journal was ready. `pid`: rename the folder as a dead build's
    (the seals are bound to the files, not to the folder's name)."""
    if renamed < 0:
        real_write = folder_module.write_sealed

        def write(path: Path, payload: bytes) -> None:
            if path.name == folder_module.JOURNAL:
                raise KeyboardInterrupt  # the kill
            real_write(path, payload)

        monkeypatch.setattr(folder_module, "write_sealed", write)
        monkeypatch.setattr(folder_module, "_remove_ours", lambda folder: None)  # a kill cleans nothing up
    else:
        def apply(folder: Path, out: Path, entries: list[tuple[str, str]]) -> None:
            for index, (relative, _) in enumerate(entries[:renamed]):
                os.replace(folder / str(index), out / relative)
            raise KeyboardInterrupt

        monkeypatch.setattr(folder_module, "_apply_journal", apply)
    with pytest.raises(KeyboardInterrupt):
        folder_module.commit_files(out, files)
    monkeypatch.undo()
    left = out.parent / f".{out.name}.commit-{os.getpid()}"
    if pid is not None:
        left = left.rename(out.parent / f".{out.name}.commit-{pid}")
    return left


def test_a_commit_killed_half_way_is_finished_by_the_next_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """commit_files' journal: what a kill among its renames leaves, and its recovery."""
    out = tmp_path / "output"
    (out / "a").mkdir(parents=True)
    (out / "a/index.html").write_bytes(b"old a")
    (out / "b.html").write_bytes(b"old b")
    folder_module.write_manifest(out, ["a/index.html", "b.html"])
    journal = killed_commit(out, {"a/index.html": b"new a", "b.html": b"new b"}, 1, monkeypatch)
    assert (out / "a/index.html").read_bytes() == b"new a" and (out / "b.html").read_bytes() == b"old b"
    assert recover_interrupted_commit(out) == []
    assert tree_bytes(out) == {"a/index.html": b"new a", "b.html": b"new b", MANIFEST: (out / MANIFEST).read_bytes()}
    assert not journal.exists()


def test_a_commit_killed_before_its_journal_was_ready_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "output"
    out.mkdir()
    (out / "b.html").write_bytes(b"old b")
    folder_module.write_manifest(out, ["b.html"])
    journal = killed_commit(out, {"b.html": b"new b"}, -1, monkeypatch)
    assert (journal / "0").read_bytes() == b"new b"
    assert recover_interrupted_commit(out) == []
    assert (out / "b.html").read_bytes() == b"old b"
    assert not journal.exists()
    assert os.listdir(tmp_path) == ["output"]


def test_a_pending_journal_is_settled_before_any_build_so_it_never_lands_later(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A --no-cache build after a killed commit: the journal is finished first, then replaced whole."""
    journal = killed_commit(site / "output", {"about/index.html": b"<p>from a killed commit</p>"}, 0, monkeypatch, pid=2**22 + 12347)
    run = newpower("build", "--site", site, "--no-cache")
    assert run.code == 0, run.stderr
    assert not journal.exists()
    assert b"from a killed commit" not in (site / "output/about/index.html").read_bytes()
    assert newpower("build", "--site", site).code == 0
    assert b"from a killed commit" not in (site / "output/about/index.html").read_bytes()


def test_a_head_edit_commits_its_few_changed_files_in_place(site: Path, tmp_path: Path) -> None:
    """The full path with a handful of changed files renames them into place rather than swapping
    in a new folder of hard links: untouched files keep their inode, and the result is still a cold build's."""
    untouched = site / "output/voices/sam-hughes/index.html"
    inode = untouched.stat().st_ino
    edit(site / "content/newsletters/march-2026.md", "title: \"", "title: \"Committed, ")  # an issue's head: not the head path's
    path, after = engine(site)
    assert path == "incremental"
    assert untouched.stat().st_ino == inode
    assert pages(after) == cold(site, tmp_path)
    assert not list(tmp_path.glob(".output.commit-*")) and not list(site.glob(".output.commit-*"))


def test_a_body_edit_that_shows_a_new_image_takes_the_full_path(tmp_path: Path) -> None:
    """Images a body shows are measured and resized for every page (the image catalog): a new one is a head change."""
    site = copy_site("realistic", tmp_path)
    shutil.copy(REPO / "content/images/share.png", site / "content/images/wide.png")
    assert engine(site)[0] == "cold"
    append(site / "content/articles/council-listens.md", "\n![A wide picture of the hall](../images/wide.png)\n")
    path, after = engine(site)
    assert path == "incremental"
    assert pages(after) == cold(site, tmp_path)
    assert b"srcset" in after["articles/council-listens/index.html"]


def test_a_page_body_edit_takes_the_full_path_as_a_theme_may_show_it_everywhere(site: Path, tmp_path: Path) -> None:
    """Every page's context holds the site's pages (the navigation); a theme's base.html may show their bodies."""
    base = (REPO / "templates/base.html").read_text(encoding="utf-8")
    assert "</footer>" in base
    (site / "templates").mkdir()
    shown = '{% for p in pages if p.slug == "about" %}{{ p.html|safe }}{% endfor %}</footer>'
    (site / "templates/base.html").write_text(base.replace("</footer>", shown, 1), encoding="utf-8")
    assert engine(site)[0] == "incremental"
    append(site / "content/pages/about.md", "\nA paragraph every page shows.\n")
    path, after = engine(site)
    assert path == "incremental"
    assert pages(after) == cold(site, tmp_path)
    assert b"A paragraph every page shows." in after["index.html"]


def same_tick_rewrite(path: Path, old: str, new: str) -> None:
    """Rewrite in place, same size, and put the modification time back: two saves within one
    tick of a coarse clock (FAT, HFS+, some network file systems) look just like this."""
    before = os.stat(path)
    text = path.read_text(encoding="utf-8")
    assert old in text and len(old) == len(new)
    with path.open("r+", encoding="utf-8") as handle:
        handle.write(text.replace(old, new, 1))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_second_save_of_site_yaml_in_the_same_tick_is_not_missed(site: Path, tmp_path: Path) -> None:
    config = site / "site.yaml"
    os.utime(config)  # just touched: racy for the next two seconds
    assert engine(site)[0] in ("quick", "incremental")
    text = config.read_text(encoding="utf-8")
    per_page = next(line for line in text.splitlines() if line.startswith("per_page:"))
    same_tick_rewrite(config, per_page, per_page[:-1] + ("2" if per_page[-1] != "2" else "3"))
    engine(site)
    time.sleep(2.2)  # no longer racy: a build trusting the stale look would now call it unchanged
    path, after = engine(site)
    assert pages(after) == cold(site, tmp_path)


def test_serve_sees_a_second_save_in_the_same_tick(preview: tuple[Path, Path, Engine]) -> None:
    site, out, builder = preview
    article = site / "content/articles/bakery-buyout.md"
    append(article, "\nFirst save AAA.\n")
    assert builder.build().ok
    same_tick_rewrite(article, "AAA", "BBB")
    assert builder.build().ok
    assert b"First save BBB." in (out / "articles/bakery-buyout/index.html").read_bytes()


def test_a_body_edit_loads_only_the_stages_it_runs(tmp_path):
    """The quick path's start-up is most of its time: an edit to an article's body (no raw HTML, in no
    newsletter) must not import the C declaration parser, html5lib or the email stage."""
    import subprocess
    import sys

    site = copy_site("realistic", tmp_path)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from newpower_site.cache.state import BuildCache\n"
        "from newpower_site.core.options import BuildOptions\n"
        "from newpower_site.engine.engine import Engine\n"
        "from newpower_site.write.writers import Staged\n"
        "site = Path(sys.argv[1])\n"
        "engine = Engine(BuildOptions(site), Staged(site / 'output', search_index=False), BuildCache(site))\n"
        "assert engine.build().ok\n"
        "heavy = ('pycparser', 'cffi', 'html5lib', 'feedgen', 'lxml', 'newpower_site.email.checks', 'newpower_site.email.issue')\n"
        "print(engine.stats.path, *[name for name in heavy if name in sys.modules])\n"
    )

    def build() -> str:
        run = subprocess.run([sys.executable, "-c", script, str(site)], capture_output=True, text=True, cwd=REPO)
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    first = build()
    assert first.startswith("cold") and "feedgen" in first and "lxml" in first  # a whole build runs every stage
    append(site / "content/articles/old-news.md", "\nOne more plain paragraph, for the quick path.\n")
    assert build() == "quick feedgen lxml"  # the feeds carry the article, so they are made again: nothing else heavy is
