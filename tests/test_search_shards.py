"""The search index in shards, in a real browser: it finds what one index finds, ranked the same.

A generated site of 60 items is built with shards of 8 items, and again with
every item page in one index; the search page (templates/static/search.js)
runs the same queries against both in headless Chromium (tests/browser.py).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest
from browser import MISSING_TOOLS, Browser, SiteServer, chromium_path

from newpower_site.engine.engine import Engine
from newpower_site.core.options import BuildOptions
from newpower_site.write import search
from newpower_site.write.writers import Staged

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from gen_corpus import generate

SHARD_SIZE = 8
QUERIES = ["power", "workplace budget", "morning history future", "rota"]


def build(site: Path, out: Path, shard_size: int) -> None:
    result = Engine(BuildOptions(site_dir=site, out_dir=out), Staged(out, True, shard_size), None).build()
    assert result.ok, [d.format() for d in result.diagnostics]


def single_index_copy(out: Path, target: Path) -> Path:
    """The same output with every item page in one index: what the site searched before shards."""
    shutil.copytree(out, target)
    root = target / search.INDEX_FOLDER
    pages = tuple(sorted(p for name in json.loads((root / search.SHARDS_FILE).read_text())["shards"]
                         for p in (root / name / search.PAGES_FILE).read_text().splitlines()))
    shutil.rmtree(root)
    whole = search.Shard("all", pages)
    search.index_shards([whole], lambda path: (target / path).read_bytes(), root)
    search.write_shard_list(root, [whole])
    return target


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    if chromium_path() is None:
        pytest.fail(MISSING_TOOLS)
    folder = tmp_path_factory.mktemp("shards")
    generate(60, folder / "site")
    build(folder / "site", folder / "sharded", SHARD_SIZE)
    shards = json.loads((folder / "sharded" / "pagefind" / "shards.json").read_text())["shards"]
    assert len(shards) >= 5, shards
    servers = SiteServer(folder / "sharded"), SiteServer(single_index_copy(folder / "sharded", folder / "single"))
    chromium = Browser()
    yield servers, chromium
    chromium.close()
    for server in servers:
        server.close()


FIND_ALL = """(async (query) => {
  const root = document.querySelector('.search-form').getAttribute('data-index');
  const shards = (await (await fetch(root + 'shards.json')).json()).shards;
  const pagefind = await import(root + shards[0] + '/pagefind.js');
  for (const name of shards.slice(1)) await pagefind.mergeIndex(root + name + '/');
  const found = await pagefind.search(query);
  return found.results.map(r => r.id);
})"""


def shown(page, server: SiteServer, query: str) -> tuple[str, list[dict]]:
    """What the search page shows for `query`: its status line, and each result's link, type and date, and excerpt."""
    page.goto(server.url("search/"))
    page.evaluate("document.querySelector('#search-input').focus()")
    page.type(query)
    page.wait_until("/result|Nothing/.test(document.querySelector('#search-status').textContent)")
    status = page.evaluate("document.querySelector('#search-status').textContent")
    return status, page.evaluate("[...document.querySelectorAll('#search-results li')].map(li => ({url: li.querySelector('a').getAttribute('href'),"
                                 " meta: li.querySelector('.search-result__meta')?.textContent, excerpt: li.querySelector('.search-result__excerpt').innerHTML}))")


def every_result(page, server: SiteServer, query: str) -> list[str]:
    """Every page the index finds for `query`, not only the twenty the search page shows."""
    page.goto(server.url("search/"))
    return page.evaluate(f"{FIND_ALL}({json.dumps(query)})")


def test_the_shards_find_what_one_index_finds(sites):
    (sharded, single), chromium = sites
    page = chromium.new_page()
    try:
        for query in QUERIES:
            one, many = every_result(page, single, query), every_result(page, sharded, query)
            assert one, f"{query!r} finds something"
            assert sorted(many) == sorted(one), query
            assert shown(page, sharded, query)[0] == shown(page, single, query)[0], "the same count of results"
    finally:
        page.close()


def test_each_result_shows_its_type_and_date_and_no_furniture(sites):
    (sharded, _), chromium = sites
    page = chromium.new_page()
    try:
        _, found = shown(page, sharded, "issue")
        kinds = {r["meta"].split(" · ")[0] for r in found}
        assert "Newsletter issue" in kinds and kinds <= {"Article", "Member voice", "Newsletter issue", "Page"}, kinds
        issue = next(r for r in found if r["meta"].startswith("Newsletter issue"))
        assert re.fullmatch(r"Newsletter issue · \d{1,2} \w+ \d{4}", issue["meta"]), issue["meta"]
        for query in ("Get the next issue by email", "In this issue", "Previous issue"):
            _, hits = shown(page, sharded, query)
            assert all(query.lower() not in re.sub("<[^>]+>", "", r["excerpt"]).lower() for r in hits), query
    finally:
        page.close()


OLD_WORD, NEW_WORD = "zebrafinchly", "quokkalicious"


def test_a_body_edit_is_found_at_its_item_and_its_stale_copy_is_dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The edit goes to the edits shard alone; the search page finds the new word, not the removed one, and counts as one index."""
    from newpower_site.cache.state import BuildCache

    if chromium_path() is None:
        pytest.fail(MISSING_TOOLS)
    site, out = tmp_path / "site", tmp_path / "out"
    generate(60, site)
    article = sorted((site / "content" / "articles").glob("*.md"))[3]
    article.write_text(article.read_text(encoding="utf-8") + f"\nThe {OLD_WORD} power line.\n", encoding="utf-8")

    def build_cached() -> Engine:
        engine = Engine(BuildOptions(site_dir=site, out_dir=out), Staged(out, True, SHARD_SIZE, quick_search=True), BuildCache(site))
        result = engine.build()
        assert result.ok, [d.format() for d in result.diagnostics]
        return engine

    build_cached()
    root = out / search.INDEX_FOLDER
    names = json.loads((root / search.SHARDS_FILE).read_text())["shards"]
    years = {name: {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (root / name).rglob("*")} for name in names}
    article.write_text(article.read_text(encoding="utf-8").replace(OLD_WORD, NEW_WORD), encoding="utf-8")
    assert build_cached().stats.path in ("quick", "incremental"), "not a whole build"  # reading time may change: the few-changes path
    assert {name: {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (root / name).rglob("*")} for name in names} == years, \
        "only the edits shard is made again"
    edited = [p for p in search.read_edits(root) if NEW_WORD.encode() in (out / p).read_bytes()]
    assert len(edited) == 1, "the edited page is in the edits shard"
    sharded, single = SiteServer(out), SiteServer(single_index_copy(out, tmp_path / "single"))
    chromium = Browser()
    page = chromium.new_page()
    try:
        status, found = shown(page, sharded, NEW_WORD)
        assert status.startswith("1 result"), status
        assert found[0]["url"].endswith(search._page_url(edited[0])), (found, edited)
        status, found = shown(page, sharded, OLD_WORD)
        assert status.startswith("Nothing found"), (status, found)
        assert shown(page, sharded, "power")[0] == shown(page, single, "power")[0], "the same count as one index"
    finally:
        page.close()
        chromium.close()
        sharded.close()
        single.close()
