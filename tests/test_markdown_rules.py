"""tests/sites/markdown-rules built end to end: each Markdown rule of the README, read back from the output.

Comments private in every kind and every output, raw HTML by kind,
punctuation, bare URLs, GitHub heading ids, URL schemes, deep nesting and a
web-only newsletter issue. (The errors these rules give are in
tests/sites/bad-markdown/expected-errors.txt, run by test_bad_input.py.)
"""

from __future__ import annotations

import gzip
from pathlib import Path

import lxml.html
import pytest
from conftest import copy_site, newpower

EXPECTED_WARNINGS = [
    "content/newsletters/2026-01.md:11: warning: raw HTML <script> is removed from a newsletter: "
    "email keeps text-level tags, images, tables, lists and <pre>",
    "content/voices/asha.md:13: warning: raw HTML '<b>' is shown as text: a member's voice carries no markup",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    site = copy_site("markdown-rules", tmp_path_factory.mktemp("rules"))
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    return site / "output", run.stderr


def main(output: Path, page: str) -> lxml.html.HtmlElement:
    """The rendered body of an item's page (the theme's `prose` block)."""
    tree = lxml.html.fromstring((output / page).read_bytes())
    (found,) = tree.xpath("//main//div[contains(concat(' ', @class, ' '), ' prose ')]")
    return found


def test_the_build_warns_exactly_where_raw_html_is_not_kept(built: tuple[Path, str]) -> None:
    _, stderr = built
    assert [line for line in stderr.splitlines() if ": warning: " in line] == EXPECTED_WARNINGS


# -- 1. comments are private everywhere --------------------------------------------------------------


def test_no_comment_reaches_any_output(built: tuple[Path, str]) -> None:
    output, stderr = built
    assert "missing" not in stderr and "nowhere" not in stderr  # the broken links inside comments are not checked
    for path in output.rglob("*"):
        if path.is_file():
            data = gzip.decompress(path.read_bytes()) if path.suffix == ".pf_fragment" else path.read_bytes()
            assert b"PRIVATE" not in data, path  # pages, feeds, email HTML, text and .eml, sitemap, search index
    fragments = b"".join(gzip.decompress(p.read_bytes()) for p in (output / "pagefind").glob("*/fragment/*.pf_fragment"))
    assert b"The first paragraph is public." in fragments  # the search index was read, and holds the public text


def test_comments_leave_the_text_around_them_and_code_alone(built: tuple[Path, str]) -> None:
    output, _ = built
    body = main(output, "articles/comments/index.html")
    assert body.xpath(".//p/text()")[0] == "The first paragraph is public. And so is this."
    assert body.xpath(".//p/code/text()") == ["<!-- code span -->"]
    assert body.xpath(".//pre/code/text()") == ["<!-- fenced, kept -->\n"]
    assert body.xpath(".//abbr/@title") == ["Trades Union Congress"]  # an article's raw HTML as written


def test_the_summary_is_the_first_paragraph_without_the_comment(built: tuple[Path, str]) -> None:
    output, _ = built
    listing = lxml.html.fromstring((output / "articles/index.html").read_bytes())
    summaries = listing.xpath("//*[contains(@class, 'card__summary')]/text()")
    assert "The first paragraph is public. And so is this." in summaries


# -- 2. raw HTML by kind ------------------------------------------------------------------------------


def test_newsletter_raw_html_renders_through_the_email_allowlist(built: tuple[Path, str]) -> None:
    output, _ = built
    for page in ("newsletter/2026-01/index.html", "email/2026-01.html"):
        tree = lxml.html.fromstring((output / page).read_bytes())
        assert tree.xpath("//small/text()") == ["issue 1"], page
        assert tree.xpath("//sup/text()") == ["many"], page
        (cell,) = [td for td in tree.xpath("//td") if td.text == "Leeds"]
        assert cell.xpath("br"), page
        assert not [s for s in tree.xpath("//script") if "alert" in (s.text or "")], page
        assert "alert(1)" not in tree.text_content(), page


def test_voice_raw_html_is_text(built: tuple[Path, str]) -> None:
    output, _ = built
    body = main(output, "voices/asha/index.html")
    assert not body.xpath(".//b")
    assert "It took <b>months</b>." in body.text_content()


def test_page_raw_html_is_kept(built: tuple[Path, str]) -> None:
    output, _ = built
    assert main(output, "about/index.html").xpath(".//span[@class='org']/text()") == ["movement"]


# -- 3. punctuation ---------------------------------------------------------------------------------------


def test_typographic_punctuation_in_prose_only(built: tuple[Path, str]) -> None:
    output, _ = built
    paragraphs = main(output, "articles/punctuation/index.html").xpath("p")
    first, typed, code = paragraphs
    assert first.text_content() == "“Power” isn’t ‘given’ – it’s taken — always… and more."
    assert typed.text_content() == "Stay as typed: repr(C), 501(c)(3), (r), (tm), +-, derive(..), a1b2..c3d4, C++-like, what?? no!!!!"
    assert code.xpath("code/text()") == ['"x" -- y...']
    assert code.xpath("a/@href") == ["https://example.org/a--b...c", "https://example.org/%22q%22--x"]


def test_typographic_punctuation_can_be_turned_off(tmp_path: Path) -> None:
    site = copy_site("markdown-rules", tmp_path)
    with (site / "site.yaml").open("a", encoding="utf-8") as settings:
        settings.write("typographic_punctuation: false\n")
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    first = main(site / "output", "articles/punctuation/index.html").xpath("p")[0]
    assert first.text_content() == "\"Power\" isn't 'given' -- it's taken --- always... and more."


# -- 4. links as on GitHub ----------------------------------------------------------------------------------


def test_bare_urls_are_linked(built: tuple[Path, str]) -> None:
    output, _ = built
    links = main(output, "articles/links/index.html").xpath(".//a")
    assert [(a.get("href"), a.text) for a in links[:2]] == [
        ("https://example.org/bare?x=1", "https://example.org/bare?x=1"),
        ("http://www.example.org", "www.example.org"),
    ]


def test_heading_ids_follow_github(built: tuple[Path, str]) -> None:
    output, _ = built
    ids = main(output, "articles/headings/index.html").xpath(".//h2/@id")
    assert ids == [
        "why", "why-1", "why-1-1",  # a repeat, then `Why 1` meets the repeat's id
        "whats-next-ørsted--co",
        "ελληνικά-κείμενα", "привет-мир", "日本語の見出し",  # letters of every script are kept
        "c--code----em",  # `--` counts as typed, as GitHub reads it; `+` and `&` are dropped
    ]


def test_fragment_links_to_real_ids_resolve(built: tuple[Path, str]) -> None:
    output, _ = built
    hrefs = main(output, "articles/links/index.html").xpath(".//a/@href")
    assert "#why-1" in hrefs
    assert "/articles/headings/#%CE%B5%CE%BB%CE%BB%CE%B7%CE%BD%CE%B9%CE%BA%CE%AC-%CE%BA%CE%B5%CE%AF%CE%BC%CE%B5%CE%BD%CE%B1" in hrefs


# -- 5. URL schemes -----------------------------------------------------------------------------------------


def test_harmless_schemes_are_kept(built: tuple[Path, str]) -> None:
    output, _ = built
    body = main(output, "articles/links/index.html")
    schemes = [href.split(":")[0] for href in body.xpath(".//a/@href") if ":" in href and not href.startswith("http")]
    assert schemes == ["mailto", "tel", "irc", "ircs", "ftp", "sms", "geo", "matrix", "xmpp", "magnet"]
    assert body.xpath(".//img/@src") == ["data:image/png;base64,iVBORw0KGgo="]


# -- 7. a web-only issue; 8. deep nesting --------------------------------------------------------------------


def test_web_only_issue_is_on_the_web_and_not_an_email(built: tuple[Path, str]) -> None:
    output, _ = built
    assert main(output, "newsletter/2009-01/index.html").xpath(".//p/text()")[0] == "An old issue, kept on the web only."
    assert not list((output / "email").glob("2009-01.*"))
    assert sorted(p.name for p in (output / "email").iterdir()) == ["2026-01.eml", "2026-01.html", "2026-01.txt"]


def test_deep_nesting_is_kept_whole(built: tuple[Path, str]) -> None:
    output, _ = built
    body = main(output, "articles/nesting/index.html")
    assert body.xpath("count(.//li[not(.//li)]/ancestor::ul)") == 10
    (deepest,) = body.xpath(".//p[text()='twenty deep']")
    assert len(deepest.xpath("ancestor::blockquote")) == 20
    assert [p.text for p in body.xpath(".//p[starts-with(text(), 'AFTER')]")] == ["AFTER-THE-LIST", "AFTER-THE-QUOTE"]
