"""Build tests/sites/realistic (base_url with a path prefix) with the default
theme and check the real output files: paths, links, escaping, feeds, sitemap."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import lxml.etree
import lxml.html
import pytest
from conftest import copy_site, newpower, tree_bytes

PREFIX = "/archive"
ORIGIN = "https://example.org"


def page(output: Path, path: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((output / path).read_bytes())


def html_pages(output: Path) -> list[Path]:
    """The web pages; the email under email/ has rules of its own (test_email.py)."""
    return sorted(p for p in output.rglob("*.html") if p.relative_to(output).parts[0] not in ("email", "pagefind"))


EXPECTED_FILES = [
    "index.html",
    "404.html",
    "articles/index.html",
    "articles/page/2/index.html",
    "articles/bakery-buyout/index.html",
    "articles/council-listens/index.html",
    "articles/old-news/index.html",
    "voices/index.html",
    "voices/dee-okafor/index.html",
    "voices/sam-hughes/index.html",
    "newsletter/index.html",
    "newsletter/march-2026/index.html",
    "topics/index.html",
    "topics/workplace/index.html",
    "topics/workplace/feed.xml",
    "topics/community/index.html",
    "topics/public-services/feed.xml",
    "about/index.html",
    "subscribe/index.html",
    "feed.xml",
    "atom.xml",
    "sitemap.xml",
    "robots.txt",
    "images/loaf.svg",
    "static/style.css",
    "email/march-2026.html",
    "email/march-2026.txt",
    "email/march-2026.eml",
]


@pytest.mark.parametrize("path", EXPECTED_FILES)
def test_spec_output_paths_exist(realistic_build: Path, path: str) -> None:
    assert (realistic_build / path).is_file()


def test_drafts_future_and_ignored_files_are_left_out_everywhere(realistic_build: Path) -> None:
    for path in realistic_build.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".txt"):
            text = path.read_text(encoding="utf-8")
            for absent in ("not-yet", "Not yet finished", "next-year", "From the future", "_notes"):
                assert absent not in text, f"{absent} in {path}"
    assert not (realistic_build / "articles" / "not-yet").exists()
    assert not (realistic_build / "pages").exists()


def test_every_internal_link_has_the_prefix_and_reaches_a_file(realistic_build: Path) -> None:
    checked = 0
    for html_file in html_pages(realistic_build):
        tree = lxml.html.fromstring(html_file.read_bytes())
        for element, attribute, link, _ in tree.iterlinks():
            if attribute not in ("href", "src") or link.startswith(("http://", "https://", "mailto:", "#")):
                continue
            assert link.startswith(PREFIX + "/"), f"{html_file}: {link}"
            path = urlsplit(link).path[len(PREFIX) + 1 :]
            target = realistic_build / path
            if path == "" or path.endswith("/"):
                target = target / "index.html"
            assert target.is_file(), f"{html_file.relative_to(realistic_build)} links to missing {link}"
            checked += 1
    assert checked > 100


def test_every_page_has_an_absolute_canonical_url_and_feed_links(realistic_build: Path) -> None:
    for html_file in html_pages(realistic_build):
        if html_file.name == "404.html":
            continue
        tree = lxml.html.fromstring(html_file.read_bytes())
        relative = html_file.relative_to(realistic_build).as_posix().removesuffix("index.html")
        assert tree.xpath("//link[@rel='canonical']/@href") == [f"{ORIGIN}{PREFIX}/{relative}"]
        alternates = tree.xpath("//link[@rel='alternate']/@href")
        assert f"{PREFIX}/feed.xml" in alternates and f"{PREFIX}/atom.xml" in alternates
        assert tree.xpath("/html/@lang") == ["en-GB"]
        assert len(tree.xpath("//h1")) == 1, html_file


def test_article_markdown_features_and_resolved_links(realistic_build: Path) -> None:
    tree = page(realistic_build, "articles/bakery-buyout/index.html")
    main = tree.xpath("//main")[0]
    assert main.xpath(".//h2[@id='how-the-vote-went']")
    assert [c.text_content() for c in main.xpath(".//table//th")] == ["Option", "Votes"]
    assert main.xpath(".//s[text()='Closed on Sundays']"), "strikethrough is <s>: no longer accurate"
    assert main.xpath(".//aside[@class='note']"), "raw HTML is kept in articles"
    assert "They “asked the bank” – and it said yes." in main.text_content()
    hrefs = main.xpath(".//a/@href")
    assert f"{PREFIX}/voices/dee-okafor/#why-did-you-vote-yes" in hrefs
    assert f"{PREFIX}/articles/council-listens/" in hrefs
    assert any(h.startswith("#fn") for h in hrefs), "footnote reference"
    image = main.xpath(".//img[contains(@src, 'loaf.svg')]")[0]
    assert image.get("src") == f"{PREFIX}/images/loaf.svg"
    assert image.get("alt") == "A drawing of a round loaf on a board"
    times = main.xpath(".//time/@datetime")
    assert "2026-03-02T00:00:00+00:00" in times and "2026-03-09T00:00:00+00:00" in times
    text = main.text_content()
    assert "Nia Evans" in text and "Tom Price" in text
    assert f"{PREFIX}/topics/workplace/" in hrefs + tree.xpath("//a/@href")


def test_front_matter_is_escaped_not_interpreted(realistic_build: Path) -> None:
    tree = page(realistic_build, "articles/council-listens/index.html")
    assert tree.xpath("//h1")[0].text_content().strip() == "A council that listens <for once>"
    assert not tree.xpath("//for")
    assert "listens &lt;for once&gt;" in (realistic_build / "articles/council-listens/index.html").read_text(encoding="utf-8")
    listing = (realistic_build / "articles/index.html").read_text(encoding="utf-8")
    assert "<for once>" not in listing


def test_voice_is_an_interview_and_shows_html_as_text(realistic_build: Path) -> None:
    tree = page(realistic_build, "voices/dee-okafor/index.html")
    sections = tree.xpath("//section[@class='qa']")
    assert [s.get("aria-labelledby") for s in sections] == ["why-did-you-vote-yes", "what-surprised-you"]
    for section in sections:
        assert section.xpath("./h2/@id") == [section.get("aria-labelledby")]
        assert section.xpath("./div[@class='answer']/p")
    assert not tree.xpath("//section[@class='qa']//b"), "raw HTML is text in voices"
    assert "<b>This is shown as text.</b>" in tree.text_content()
    assert "Nobody hands you a say." in tree.xpath("//blockquote")[0].text_content()
    portrait = tree.xpath("//img[contains(@src, 'dee.svg')]")[0]
    assert portrait.get("alt").startswith("A line drawing of Dee")


def test_newsletter_issue_lists_featured_items_in_order(realistic_build: Path) -> None:
    tree = page(realistic_build, "newsletter/march-2026/index.html")
    hrefs = [h for h in tree.xpath("//main//a/@href") if h.rstrip("/").rsplit("/", 1)[-1] in ("bakery-buyout", "dee-okafor", "council-listens")]
    order = list(dict.fromkeys(h.rstrip("/").rsplit("/", 1)[-1] for h in hrefs))
    assert order == ["bakery-buyout", "dee-okafor", "council-listens"]
    assert tree.xpath("//main//em/text()") == ["Editors’ HTML renders here."]  # a newsletter's raw HTML renders (email allowlist)


def test_pagination_follows_per_page(realistic_build: Path) -> None:
    first = page(realistic_build, "articles/index.html")
    second = page(realistic_build, "articles/page/2/index.html")
    links = lambda tree: [h for h in tree.xpath("//main//a/@href") if h.startswith(f"{PREFIX}/articles/") and h.count("/") == 4]
    assert {h.split("/")[3] for h in links(first)} == {"bakery-buyout", "council-listens"}
    assert {h.split("/")[3] for h in links(second)} == {"old-news"}
    assert f"{PREFIX}/articles/page/2/" in first.xpath("//a/@href")


def test_topic_pages_hold_their_items(realistic_build: Path) -> None:
    tree = page(realistic_build, "topics/workplace/index.html")
    hrefs = set(tree.xpath("//main//a/@href"))
    assert f"{PREFIX}/articles/bakery-buyout/" in hrefs and f"{PREFIX}/voices/dee-okafor/" in hrefs
    assert f"{PREFIX}/articles/old-news/" not in hrefs


def parse_feed(path: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_site_feeds(realistic_build: Path, name: str) -> None:
    parsed = parse_feed(realistic_build / name)
    entries = parsed.entries
    # feed_items: 3, newest first, across kinds
    assert [e.link for e in entries] == [
        f"{ORIGIN}{PREFIX}/newsletter/march-2026/",
        f"{ORIGIN}{PREFIX}/articles/bakery-buyout/",
        f"{ORIGIN}{PREFIX}/voices/dee-okafor/",
    ]
    assert [e.id for e in entries] == [e.link for e in entries]
    article = entries[1]
    assert article.published_parsed[:3] == (2026, 3, 2)
    assert [a.get("name") for a in article.authors] == ["Nia Evans", "Tom Price"], "RSS names them with dc:creator"
    content = article.content[0].value
    tree = lxml.html.fromstring(content)
    for _, attribute, link, _ in tree.iterlinks():
        assert link.startswith(f"{ORIGIN}{PREFIX}/"), link
    assert f"{ORIGIN}{PREFIX}/voices/dee-okafor/#why-did-you-vote-yes" in content
    assert f"{ORIGIN}{PREFIX}/images/loaf.svg" in content
    assert parsed.feed.title == "Riverside Commons"
    raw = (realistic_build / name).read_text(encoding="utf-8")
    assert "+00:00" in raw or "+0000" in raw


def test_newsletter_entry_escapes_title_and_lists_featured(realistic_build: Path) -> None:
    entry = parse_feed(realistic_build / "atom.xml").entries[0]
    assert entry.title == "March: the bakery, the budget & you"
    assert f"{ORIGIN}{PREFIX}/voices/dee-okafor/" in entry.content[0].value


def test_topic_feed(realistic_build: Path) -> None:
    parsed = parse_feed(realistic_build / "topics/public-services/feed.xml")
    assert [e.link for e in parsed.entries] == [f"{ORIGIN}{PREFIX}/articles/council-listens/"]
    assert parsed.entries[0].title == "A council that listens <for once>"


def test_sitemap_and_robots(realistic_build: Path) -> None:
    tree = lxml.etree.fromstring((realistic_build / "sitemap.xml").read_bytes())
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = tree.xpath("//s:loc/text()", namespaces=ns)
    assert all(loc.startswith(f"{ORIGIN}{PREFIX}/") for loc in locs)
    assert f"{ORIGIN}{PREFIX}/articles/bakery-buyout/" in locs
    assert f"{ORIGIN}{PREFIX}/about/" in locs
    assert not any("404" in loc or loc.endswith("/search/") for loc in locs), "not the 404 nor the search form"
    lastmod = tree.xpath("//s:url[s:loc='%s']/s:lastmod/text()" % f"{ORIGIN}{PREFIX}/articles/bakery-buyout/", namespaces=ns)
    assert lastmod == ["2026-03-09T00:00:00+00:00"]
    assert f"Sitemap: {ORIGIN}{PREFIX}/sitemap.xml" in (realistic_build / "robots.txt").read_text()


def test_robots_and_the_email_files_keep_crawlers_off_raw_merge_tags(realistic_build: Path) -> None:
    rules = [line for line in (realistic_build / "robots.txt").read_text().splitlines() if line.startswith("Disallow:")]
    assert rules == [f"Disallow: {PREFIX}/email/"]
    for page in (realistic_build / "email").glob("*.html"):
        assert lxml.html.fromstring(page.read_bytes()).xpath("//meta[@name='robots']/@content") == ["noindex"], page.name


def test_atom_has_a_feed_level_author_for_entries_without_one(realistic_build: Path) -> None:
    """RFC 4287 4.1.1: an entry without an author needs one on the feed (the W3C validator's 'Missing entry element: author')."""
    atom = {"a": "http://www.w3.org/2005/Atom"}
    tree = lxml.etree.fromstring((realistic_build / "atom.xml").read_bytes())
    assert tree.xpath("/a:feed/a:author/a:name/text()", namespaces=atom) == ["Riverside Commons"]
    assert any(not entry.xpath("a:author", namespaces=atom) for entry in tree.xpath("/a:feed/a:entry", namespaces=atom))


def test_drafts_and_future_flags_include_them(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    run = newpower("build", "--site", site, "--drafts", "--future")
    assert run.code == 0, run.stderr
    assert (site / "output/articles/not-yet/index.html").is_file()
    assert (site / "output/articles/next-year/index.html").is_file()
    assert "next-year" in (site / "output/feed.xml").read_text(encoding="utf-8")


def test_a_drafts_build_marks_drafts_and_keeps_them_out_of_the_sitemap_and_feeds(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    run = newpower("build", "--site", site, "--drafts")
    assert run.code == 0, run.stderr
    output = site / "output"
    draft = page(output, "articles/not-yet/index.html")
    assert draft.xpath("//meta[@name='robots']/@content") == ["noindex"]
    assert not draft.xpath("//link[@rel='canonical']")
    assert "Draft" in draft.xpath("string(//*[contains(@class, 'draft-banner')])")
    published = page(output, "articles/bakery-buyout/index.html")
    assert not published.xpath("//*[contains(@class, 'draft-banner')]") and not published.xpath("//meta[@name='robots']")
    for name in ("sitemap.xml", "feed.xml", "atom.xml", "topics/workplace/feed.xml", "topics/community/feed.xml", "newsletter/feed.xml"):
        if (output / name).exists():
            assert "not-yet" not in (output / name).read_text(encoding="utf-8"), name


def test_issue_pages_link_their_neighbours_and_the_archive_has_its_own_feed(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    issue = (site / "content/newsletters/march-2026.md").read_text(encoding="utf-8")
    april = issue.replace("date: 2026-03", "date: 2026-04").replace("March: the bakery", "April: the bakery")
    (site / "content/newsletters/april-2026.md").write_text(april, encoding="utf-8")
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    output = site / "output"
    march, april_page = page(output, "newsletter/march-2026/index.html"), page(output, "newsletter/april-2026/index.html")
    assert march.xpath("//nav[@aria-label='More issues']//a[@rel='next']/@href") == [f"{PREFIX}/newsletter/april-2026/"]
    assert not march.xpath("//nav[@aria-label='More issues']//a[@rel='prev']")
    assert april_page.xpath("//nav[@aria-label='More issues']//a[@rel='prev']/@href") == [f"{PREFIX}/newsletter/march-2026/"]
    feed = parse_feed(output / "newsletter/feed.xml")
    assert [e.link for e in feed.entries] == [f"{ORIGIN}{PREFIX}/newsletter/april-2026/", f"{ORIGIN}{PREFIX}/newsletter/march-2026/"]
    archive = page(output, "newsletter/index.html")
    assert f"{PREFIX}/newsletter/feed.xml" in archive.xpath("//link[@rel='alternate']/@href")
    assert f"{PREFIX}/newsletter/feed.xml" in archive.xpath("//main//a/@href")


def test_an_issue_describes_itself_by_its_preheader_everywhere(realistic_build: Path) -> None:
    """Its first paragraph is a greeting; sharing an issue showed "Dear friends," before."""
    source = (realistic_build.parent / "content/newsletters/march-2026.md").read_text(encoding="utf-8")
    preheader = next(line for line in source.splitlines() if line.startswith("preheader:")).split(":", 1)[1].strip().strip('"')
    issue = page(realistic_build, "newsletter/march-2026/index.html")
    assert issue.xpath("//meta[@name='description']/@content") == [preheader]
    assert issue.xpath("//meta[@property='og:description']/@content") == [preheader]
    for name in ("feed.xml", "atom.xml"):
        entry = next(e for e in parse_feed(realistic_build / name).entries if e.link.endswith("/newsletter/march-2026/"))
        assert entry.summary == preheader, name


def test_a_page_without_a_summary_shows_its_first_paragraph_once(realistic_build: Path) -> None:
    source = (realistic_build.parent / "content/pages/about.md").read_text(encoding="utf-8")
    assert "\nsummary:" not in source.split("---")[1], "the fixture page has no summary"
    about = page(realistic_build, "about/index.html")
    first = about.xpath("string((//div[contains(@class, 'prose')]//p)[1])").strip()
    assert first and about.xpath("string(//main)").count(first) == 1


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    assert newpower("build", "--site", site, "--out", tmp_path / "one").code == 0
    assert newpower("build", "--site", site, "--out", tmp_path / "two").code == 0
    one, two = tree_bytes(tmp_path / "one"), tree_bytes(tmp_path / "two")
    assert one.keys() == two.keys() and len(one) > 25
    assert [k for k in one if one[k] != two[k]] == []


def test_base_url_override(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    run = newpower("build", "--site", site, "--base-url", "https://preview.example.net/pr-7/")
    assert run.code == 0, run.stderr
    parsed = parse_feed(site / "output" / "feed.xml")
    assert parsed.entries[0].link == "https://preview.example.net/pr-7/newsletter/march-2026/"
    assert "/pr-7/static/style.css" in (site / "output/index.html").read_text(encoding="utf-8")


def test_every_page_has_landmarks_a_skip_link_and_alt_text(realistic_build: Path) -> None:
    for html_file in html_pages(realistic_build):
        tree = lxml.html.fromstring(html_file.read_bytes())
        where = html_file.relative_to(realistic_build).as_posix()
        skip = tree.xpath("//body//a")[0]
        assert skip.get("href") == "#main" and tree.xpath("//main[@id='main']"), where
        assert len(tree.xpath("//header[not(ancestor::main)]")) == 1 and len(tree.xpath("//footer[not(ancestor::main)]")) == 1, where
        assert tree.xpath("//nav[@aria-label='Main']"), where
        assert all(img.get("alt") is not None for img in tree.xpath("//img")), where
        assert tree.xpath("//head/title/text()")[0].strip(), where
        assert tree.xpath("//meta[@name='viewport']"), where
        levels = [int(h.tag[1]) for h in tree.xpath("//main//*[self::h1 or self::h2 or self::h3 or self::h4]")]
        assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:])), (where, levels)


def test_a_site_template_overrides_the_theme_file_by_file(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    (site / "templates/static").mkdir(parents=True)
    (site / "templates/page.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1 class="mine">{{ page.title }}</h1>{% endblock %}', encoding="utf-8")
    (site / "templates/static/style.css").write_text("body { color: rebeccapurple; }\n", encoding="utf-8")
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    out = site / "output"
    about = lxml.html.fromstring((out / "about/index.html").read_bytes())
    assert about.xpath("//h1[@class='mine']"), "the site's page.html wins"
    assert about.xpath("//a[@class='skip-link']"), "and still extends the theme's base.html"
    article = lxml.html.fromstring((out / "articles/bakery-buyout/index.html").read_bytes())
    assert article.xpath("//article//table"), "templates the site does not override come from the theme"
    assert (out / "static/style.css").read_text(encoding="utf-8") == "body { color: rebeccapurple; }\n"
    assert (out / "static/favicon.svg").is_file()


def test_a_bare_site_without_email_topics_or_movements(tmp_path: Path) -> None:
    """Only the three required settings: pages build; a newsletter then asks for `email:`."""
    site = tmp_path / "bare"
    (site / "content/articles").mkdir(parents=True)
    (site / "site.yaml").write_text("title: Bare & <Simple>\nbase_url: https://example.net/sub\ndescription: A test.\n", encoding="utf-8")
    (site / "content/articles/hello.md").write_text("---\ntitle: Hello\ndate: 2026-01-05\n---\n\nFirst words.\n", encoding="utf-8")
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    home = page(site / "output", "index.html")
    assert home.xpath("//title/text()")[0].startswith("Bare & <Simple>")
    assert not home.xpath("//*[contains(@class, 'site-footer__legal')]"), "no postal address to show"
    assert not (site / "output/email").exists()
    (site / "content/newsletters").mkdir()
    (site / "content/newsletters/one.md").write_text("---\ntitle: One\ndate: 2026-01-06\npreheader: Hi.\n---\n\nHello.\n", encoding="utf-8")
    run = newpower("build", "--site", site)
    assert run.code == 1
    assert run.stderr.startswith("site.yaml:1: error: newsletter issues (such as content/newsletters/one.md) are also sent as email"), run.stderr
