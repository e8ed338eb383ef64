"""`aliases:`: an item's old URL paths, each published as a small redirect page.

Built on tests/sites/aliases (two articles and a page that moved) with the
real command; the redirect pages are parsed as a browser would read them.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import pytest
from conftest import copy_site, newpower
from hypothesis import given
from hypothesis import strategies as st
from lxml import html

from newpower_site.core.urls import alias_output, alias_problem


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = copy_site("aliases", tmp_path_factory.mktemp("aliases"))
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    return site / "output"


def redirect_of(page: Path) -> tuple[str, str, str]:
    """(meta refresh target, canonical URL, visible link) of a redirect page."""
    tree = html.fromstring(page.read_bytes())
    refresh = tree.xpath("//meta[@http-equiv='refresh']/@content")[0]
    canonical = tree.xpath("//link[@rel='canonical']/@href")[0]
    link = tree.xpath("//main//a/@href")[0]
    return refresh, canonical, link


@pytest.mark.parametrize(("old_path", "new_url"), [
    ("blog/2024/05/01/rent-strike/index.html", "/archive/articles/rent-strike/"),
    ("2024/05/rent-strike.html", "/archive/articles/rent-strike/"),
    ("blog/2024/06/01/union-drive/index.html", "/archive/articles/union-drive/"),  # written without the final /
    ("about-us/index.html", "/archive/about/"),
])
def test_each_alias_is_a_redirect_page_to_the_item(built: Path, old_path: str, new_url: str) -> None:
    refresh, canonical, link = redirect_of(built / old_path)
    assert refresh == f"0; url={new_url}"
    assert canonical == f"https://example.org{new_url}"
    assert link == new_url
    assert (built / new_url.removeprefix("/archive/") / "index.html").is_file()  # it points at a real page
    page = (built / old_path).read_text()
    assert '<meta name="robots" content="noindex">' in page
    assert "data-pagefind-body" not in page  # so Pagefind leaves it out of the search index


def test_redirect_pages_are_in_no_sitemap_or_feed(built: Path) -> None:
    for name in ("sitemap.xml", "feed.xml", "atom.xml"):
        text = (built / name).read_text()
        assert "blog/2024" not in text and "about-us" not in text and "rent-strike.html" not in text, name
    assert "/archive/articles/rent-strike/" in (built / "sitemap.xml").read_text()


def test_removing_an_alias_removes_its_page(tmp_path: Path) -> None:
    site = copy_site("aliases", tmp_path)
    assert newpower("build", "--site", site).code == 0
    article = site / "content/articles/rent-strike.md"
    article.write_text(article.read_text().replace("  - /2024/05/rent-strike.html\n", ""))
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    assert not (site / "output/2024/05/rent-strike.html").exists()
    assert (site / "output/blog/2024/05/01/rent-strike/index.html").is_file()


@pytest.mark.parametrize(("alias", "expected"), [
    ("/articles/union-drive/", r"content/articles/rent-strike\.md:6: error: alias '/articles/union-drive/' is the address of content/articles/union-drive\.md"),
    # the second file read is the one reported, naming the first
    ("/blog/2024/06/01/union-drive/", r"content/articles/union-drive\.md:4: error: alias '/blog/2024/06/01/union-drive' is already an alias in content/articles/rent-strike\.md"),
    ("/articles/rent-strike/", r"content/articles/rent-strike\.md:6: error: alias '/articles/rent-strike/' is this item's own address"),
    ("https://old.example.org/x/", r"content/articles/rent-strike\.md:6: error: 'aliases': 'https://old\.example\.org/x/' must be a path on this site"),
    ("/blog/../../etc/", r"content/articles/rent-strike\.md:6: error: 'aliases': '/blog/\.\./\.\./etc/' must not contain '\.', '\.\.'"),
    ("/blog/%2e%2E/x/", r"content/articles/rent-strike\.md:6: error: 'aliases': '/blog/%2e%2E/x/' must not contain '\.', '\.\.'"),
    ("/feed.xml", r"content/articles/rent-strike\.md:6: error: 'aliases': '/feed\.xml' is a page the site itself makes"),
])
def test_a_clashing_or_bad_alias_is_an_error_naming_both_files(tmp_path: Path, alias: str, expected: str) -> None:
    site = copy_site("aliases", tmp_path)
    article = site / "content/articles/rent-strike.md"
    article.write_text(article.read_text().replace("/2024/05/rent-strike.html", alias))
    run = newpower("check", "--site", site)
    assert run.code == 1
    assert re.search(expected, run.stderr), run.stderr
    assert "Traceback" not in run.stderr


def test_a_clash_with_a_listing_page_is_reported_by_the_build(tmp_path: Path) -> None:
    site = copy_site("aliases", tmp_path)
    assert newpower("build", "--site", site).code == 0
    before = (site / "output/articles/index.html").read_bytes()
    article = site / "content/articles/rent-strike.md"
    article.write_text(article.read_text().replace("/2024/05/rent-strike.html", "/articles/page/2/"))
    # per_page is 10: there is no page 2 and the alias may have it
    assert newpower("build", "--site", site).code == 0
    page = site / "content/pages/about.md"
    page.write_text(page.read_text().replace("/about-us/", "/articles/"))
    run = newpower("build", "--site", site)
    assert run.code == 1
    assert "content/pages/about.md" in run.stderr and "articles/index.html" in run.stderr
    assert (site / "output/articles/index.html").read_bytes() == before  # a failed build leaves output alone


@pytest.mark.parametrize(("alias", "output"), [
    ("/", "index.html"),
    ("/a/b/", "a/b/index.html"),
    ("/a/b", "a/b/index.html"),
    ("/a/b.html", "a/b.html"),
    ("/a/b.HTM", "a/b.HTM"),
    ("/a/b.php", "a/b.php/index.html"),
    ("/2012/05/caf%C3%A9/", "2012/05/café/index.html"),  # where a server looks for it
])
def test_alias_output_paths(alias: str, output: str) -> None:
    assert alias_output(alias) == output


_ALIAS_PIECES = ["/", "a", "b", ".", "-", "%", ":", "?", "#", "\\", " ", "\t", "\n", "\u00e9", "%2E", "%2F", "%5C", "%20", "%0A"]


@given(st.lists(st.sampled_from(_ALIAS_PIECES), max_size=16).map("".join))
def test_an_accepted_alias_stays_inside_the_output_folder(text: str) -> None:
    if alias_problem(text) is not None:
        return
    output = alias_output(text)
    assert not output.startswith("/") and ".." not in output.split("/")
    assert posixpath.normpath(output) == output
    assert not any(ch in output for ch in "?#\\ \t\n")
    assert text.startswith("/") and not text.startswith("//")
