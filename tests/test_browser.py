"""The built site in a real browser: axe-core finds no WCAG 2.2 A/AA violation
on any kind of page, in light and dark mode; the keyboard reaches the skip link
first and shows where focus is; search finds a page by a word in it.

One headless Chromium serves the whole module (tests/browser.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from browser import AXE, MISSING_TOOLS, Browser, SiteServer, chromium_path
from newpower_site.engine.engine import build_site
from newpower_site.core.options import BuildOptions

ROOT = Path(__file__).resolve().parent.parent
REALISTIC = ROOT / "tests" / "sites" / "realistic"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# One page of every kind this repository's site has.
PAGES = {
    "home": "",
    "article": "articles/participatory-budget-cwmderwen/",  # has a table
    "article with image": "articles/care-workers-rota-council/",
    "voice": "voices/grace-okafor/",
    "newsletter issue": "newsletter/2026-11/",
    "articles listing": "articles/",
    "voices listing": "voices/",
    "voices by movement": "voices/movement/trade-union/",
    "newsletter archive": "newsletter/",
    "topic": "topics/workplace/",
    "topics": "topics/",
    "page": "about/",
    "subscribe (the sign-up form)": "subscribe/",
    "404": "no-such-page/",
    "search": "search/?q=rota",
}


@pytest.fixture(scope="module")
def browser():
    if chromium_path() is None or not AXE.exists():
        pytest.fail(MISSING_TOOLS)
    chromium = Browser()
    yield chromium
    chromium.close()


def _serve(site: Path, out: Path, prefix: str = ""):
    result = build_site(BuildOptions(site_dir=site, out_dir=out), cached=False)
    assert result.ok, [d.format() for d in result.diagnostics]
    return SiteServer(out, prefix)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    server = _serve(ROOT, tmp_path_factory.mktemp("browser") / "output")
    yield server
    server.close()


@pytest.fixture(scope="module")
def realistic(tmp_path_factory):
    server = _serve(REALISTIC, tmp_path_factory.mktemp("browser-realistic") / "output", "/archive")
    yield server
    server.close()


@pytest.fixture
def page(browser):
    tab = browser.new_page()
    yield tab
    tab.close()


def axe_violations(tab) -> list[str]:
    tab.evaluate(AXE.read_text(encoding="utf-8"))
    options = json.dumps({"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    return tab.evaluate(
        f"axe.run(document, {options}).then(r => r.violations.flatMap(v => v.nodes.map(n =>"
        " `${v.id}: ${v.help} at ${n.target.join(' ')}: ${n.failureSummary}`)))"
    )


@pytest.mark.parametrize("kind", PAGES)
def test_axe_finds_no_wcag_violations_in_light_and_dark_mode(kind, site, page):
    for scheme in ("light", "dark"):
        page.color_scheme(scheme)
        page.goto(site.url(PAGES[kind]))
        assert page.evaluate("document.querySelector('h1') !== null"), f"{kind}: the page did not load"
        assert axe_violations(page) == [], f"{kind} ({scheme} mode)"


def test_keyboard_reaches_the_skip_link_first_and_sees_focus(site, page):
    page.goto(site.url(PAGES["article"]))
    page.press("Tab", "Tab", 9)
    focused = page.evaluate(
        "(() => { const e = document.activeElement, s = getComputedStyle(e);"
        " return {cls: e.className, href: e.getAttribute('href'), outline: s.outlineStyle, width: parseFloat(s.outlineWidth),"
        " visible: e.getBoundingClientRect().top >= 0}; })()"
    )
    assert focused["cls"] == "skip-link" and focused["href"] == "#main"
    assert focused["outline"] != "none" and focused["width"] >= 2, "focus must be visible"
    assert focused["visible"], "the focused skip link must be on screen"
    page.press("Enter", "Enter", 13)
    assert page.evaluate("location.hash") == "#main"
    page.press("Tab", "Tab", 9)
    # The next stop is inside the content, not back in the masthead.
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


def _search(page, url: str, query: str) -> list[str]:
    page.goto(url)
    page.evaluate("document.querySelector('#search-input').focus()")
    page.type(query)
    page.wait_until("document.querySelectorAll('#search-results a').length > 0 || /Nothing/.test(document.querySelector('#search-status').textContent)")
    return page.evaluate("[...document.querySelectorAll('#search-results a')].map(a => a.getAttribute('href'))")


def test_search_finds_the_page_with_the_word(site, page):
    found = _search(page, site.url("search/"), "Cwmderwen")
    assert found and found[0] == "/articles/participatory-budget-cwmderwen/"


def test_search_results_carry_the_path_prefix(realistic, page):
    found = _search(page, realistic.url("search/"), "bakery")
    assert found and all(href.startswith("/archive/") for href in found)
    assert "/archive/articles/bakery-buyout/" in found


def test_the_previews_search_page_says_where_search_works(tmp_path, page):
    """The preview makes no search index; its search page said "not available just now"."""
    import re
    import shutil
    import signal
    import subprocess
    import sys

    site = tmp_path / "site"
    shutil.copytree(REALISTIC, site)
    server = subprocess.Popen([sys.executable, "-m", "newpower_site", "serve", "--site", str(site), "--port", "0"],
                              stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        while not (found := re.search(r"serving .* at (http://\S+)", line := server.stderr.readline())):
            assert line, "serve stopped"
        page.goto(found.group(1) + "search/")
        page.evaluate("document.querySelector('#search-input').focus()")
        page.type("bakery")
        status = page.wait_until("document.querySelector('#search-status').textContent")
        assert status == "This preview has no search index: search works on the site that newpower build makes."
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=120) == 0
