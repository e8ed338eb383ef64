"""The head path (cache/heads.py) after edits to what listings show of an item (its title, date,
topics): each build after each edit of a sequence writes, file by file, what a cold build of the
same content writes, whichever path it took; and it takes the quickest path it can: a title,
name or quote alone moves the item in no listing, so the quick path re-renders what names it
(cache/quick.py `shown_only_edit`); a date, topic or movement takes the head path.

Builds leave out the Pagefind index, as benchmarks/engine_build.py and `serve` do (with the index,
a changed page sends a build down the full path, which remakes the index from every page).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import copy_site, tree_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newpower_site.cache.heads import is_collection
from newpower_site.cache.state import BuildCache
from newpower_site.engine.engine import Engine, plan
from newpower_site.core.options import BuildOptions
from newpower_site.plan.outputs import plan_collections, site_planner
from newpower_site.write.folder import MANIFEST
from newpower_site.write.writers import Staged

NOW = datetime(2026, 6, 1, tzinfo=UTC)  # fixed, so that both builds of a step publish the same items
EXTRA = 9  # articles added to the realistic site: with per_page 2, listings of several pages


def article(number: int, day: int, topics: str = "workplace") -> str:
    return (f"---\ntitle: Extra article {number}\ndate: 2025-05-{day:02d}\nauthors: [Nia Evans]\n"
            f"topics: [{topics}]\n---\n\nThe body of extra article {number}, with [the bakery](bakery-buyout.md).\n")


def incremental(site: Path) -> tuple[str, dict[str, bytes]]:
    """A cached build without the search index: which path it took, and the output."""
    builder = Engine(BuildOptions(site, now=NOW), Staged(site / "output", search_index=False), BuildCache(site))
    result = builder.build()
    assert result.ok, [d.format() for d in result.diagnostics]
    return builder.stats.path, {p: data for p, data in tree_bytes(site / "output").items() if p != MANIFEST}


def cold(site: Path, out: Path) -> dict[str, bytes]:
    """What `--no-cache` writes, without the search index, into a fresh folder."""
    if out.exists():
        for path in sorted(out.rglob("*"), reverse=True):
            path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()
        out.rmdir()
    result = Engine(BuildOptions(site, out_dir=out, now=NOW), Staged(out, search_index=False), None).build()
    assert result.ok, [d.format() for d in result.diagnostics]
    return {p: data for p, data in tree_bytes(out).items() if p != MANIFEST}


def assert_same(after: dict[str, bytes], expected: dict[str, bytes]) -> None:
    assert sorted(after) == sorted(expected)
    different = [path for path in expected if after[path] != expected[path]]
    assert not different, different


def replace_line(path: Path, start: str, line: str | None) -> None:
    """The front matter line beginning `start` replaced by `line` (None: removed)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    index = next(n for n, text in enumerate(lines) if text.startswith(start))
    if line is None:
        del lines[index]
    else:
        lines[index] = line
    path.write_text("\n".join(lines), encoding="utf-8")


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def insert_line(path: Path, after: str, line: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    index = next(n for n, text in enumerate(lines) if text.startswith(after))
    lines.insert(index + 1, line)
    path.write_text("\n".join(lines), encoding="utf-8")


def make_site(tmp_path: Path) -> Path:
    site = copy_site("realistic", tmp_path)
    for number in range(EXTRA):
        (site / f"content/articles/extra-{number}.md").write_text(article(number, number + 1), encoding="utf-8")
    return site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = make_site(tmp_path_factory.mktemp("heads"))
    assert incremental(site)[0] == "cold"
    return site


def test_is_collection_names_exactly_the_outputs_plan_collections_plans(site: Path) -> None:
    found, urls, outputs, _problems = plan(BuildOptions(site, now=NOW))
    assert found is not None and urls is not None and outputs
    page = next(o for o in outputs if o.path == "404.html")
    common = {key: page.context[key] for key in ("images", "sharing", "site", "urls", "pages", "subscribe_link", "menu", "signup")}
    collections = plan_collections(site_planner(found, urls, common))
    assert [o.path for o in outputs if is_collection(o)] == sorted((o.path for o in collections), key=[o.path for o in outputs].index)
    assert len(collections) > 10


ARTICLES = "content/articles"
# (what the step does, the path the build must take (None: either), the edit)
STEPS = [
    ("a title (the quick path: it moves the item in no listing)", "quick", lambda s: replace_line(s / f"{ARTICLES}/extra-3.md", "title:", "title: A new title for three")),
    ("a date that moves an article across listing pages", "head",
     lambda s: replace_line(s / f"{ARTICLES}/extra-0.md", "date:", "date: 2026-04-30")),
    ("a voice's date (the articles' listing pages, moved by the last edit, are left unplanned)", "head",
     lambda s: replace_line(s / "content/voices/sam-hughes.md", "date:", "date: 2026-03-02")),
    ("a date that moves it back", "head", lambda s: replace_line(s / f"{ARTICLES}/extra-0.md", "date:", "date: 2025-05-01")),
    ("a topic added", None, lambda s: replace_line(s / f"{ARTICLES}/extra-4.md", "topics:", "topics: [workplace, public-services]")),
    ("a topic removed", None, lambda s: replace_line(s / f"{ARTICLES}/extra-5.md", "topics:", "topics: [community]")),
    ("a featured article's title (its newsletter, emails and feeds show it)", "quick",
     lambda s: replace_line(s / f"{ARTICLES}/council-listens.md", "title:", 'title: "The council listened, at last"')),
    ("a voice's name", "quick", lambda s: replace_line(s / "content/voices/sam-hughes.md", "name:", "name: Sam Hughes-Ward")),
    ("two titles at once", "quick", lambda s: (replace_line(s / f"{ARTICLES}/extra-6.md", "title:", "title: Six again"),
                                              replace_line(s / f"{ARTICLES}/extra-7.md", "title:", "title: Seven again"))),
    ("a date after those titles (the head path counts them by their new heads)", "head",
     lambda s: replace_line(s / f"{ARTICLES}/extra-3.md", "date:", "date: 2025-06-02")),
    ("a body only (the quick path)", "quick", lambda s: append(s / f"{ARTICLES}/extra-6.md", "\nOne more line.\n")),
    ("a title after the quick path", "quick", lambda s: replace_line(s / f"{ARTICLES}/extra-6.md", "title:", "title: Six, thrice")),
    ("a body beside it on its listing page", "quick", lambda s: append(s / f"{ARTICLES}/extra-7.md", "\nA line for seven.\n")),
    ("its title, then (the page shows both)", "quick", lambda s: replace_line(s / f"{ARTICLES}/extra-6.md", "title:", "title: Six, four")),
    ("the neighbour's body again", "quick", lambda s: append(s / f"{ARTICLES}/extra-7.md", "\nAnother line for seven.\n")),
    ("a draft flag", None, lambda s: insert_line(s / f"{ARTICLES}/extra-2.md", "title:", "draft: true")),
    ("the draft flag removed", None, lambda s: replace_line(s / f"{ARTICLES}/extra-2.md", "draft:", None)),
    ("an item deleted", None, lambda s: (s / f"{ARTICLES}/extra-8.md").unlink()),
    ("a new item", None, lambda s: (s / f"{ARTICLES}/extra-9.md").write_text(article(9, 20, "community"), encoding="utf-8")),
    ("a title after the full path", "quick", lambda s: replace_line(s / f"{ARTICLES}/extra-9.md", "title:", "title: Nine, renamed")),
    ("a date into the future (held back)", None,
     lambda s: replace_line(s / f"{ARTICLES}/extra-1.md", "date:", "date: 2027-01-01")),
]


@pytest.mark.parametrize("step", range(len(STEPS)), ids=[name for name, _, _ in STEPS])
def test_each_edit_of_a_sequence_builds_what_a_cold_build_does(site: Path, tmp_path: Path, step: int) -> None:
    _, expected_path, change = STEPS[step]
    change(site)
    path, after = incremental(site)
    assert_same(after, cold(site, tmp_path / "cold"))
    if expected_path is not None:
        assert path == expected_path


def test_a_title_edit_shows_the_new_title_in_listings_and_the_edited_page(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    incremental(site)
    replace_line(site / f"{ARTICLES}/extra-3.md", "title:", "title: Quite another title")
    path, after = incremental(site)
    assert path == "quick"
    assert b"<title>Quite another title" in after["articles/extra-3/index.html"], "the page's own head is planned again"
    assert b"Quite another title" in after["articles/extra-3/index.html"]
    assert any(b"Quite another title" in data for p, data in after.items() if p.startswith("articles/page/") or p == "articles/index.html")
    assert b"Quite another title" in after["topics/workplace/index.html"] or any(
        b"Quite another title" in data for p, data in after.items() if p.startswith("topics/workplace/"))


EDITS = st.lists(st.tuples(st.sampled_from(["title", "date", "topics", "body"]), st.integers(0, EXTRA - 1), st.integers(1, 28)),
                 min_size=1, max_size=4)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=EDITS)
def test_random_head_edits_build_what_a_cold_build_does(tmp_path_factory: pytest.TempPathFactory, edits: list) -> None:
    folder = tmp_path_factory.mktemp("random")
    site = make_site(folder)
    incremental(site)
    for what, number, day in edits:
        path = site / f"{ARTICLES}/extra-{number}.md"
        if what == "title":
            replace_line(path, "title:", f"title: Retitled {number} {day}")
        elif what == "date":
            replace_line(path, "date:", f"date: 2025-{1 + day % 12:02d}-{day:02d}")
        elif what == "topics":
            replace_line(path, "topics:", "topics: [" + ["workplace", "community", "public-services", "workplace, community"][day % 4] + "]")
        else:
            append(path, f"\nAnother line {day}.\n")
        _, after = incremental(site)
        assert_same(after, cold(site, folder / "cold"))
