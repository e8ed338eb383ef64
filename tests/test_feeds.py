"""Feeds: escaping, characters XML forbids, absolute URLs, determinism."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import feedparser
import lxml.etree
from hypothesis import given, settings
from hypothesis import strategies as st

from newpower_site.core.siteconfig import SiteConfig
from newpower_site.core.absolute import absolutize_html
from newpower_site.render.feeds import render_atom, render_rss, xml_text
from newpower_site.core.model import Article, Body, Newsletter, Term, Voice
from newpower_site.core.urls import Urls

URLS = Urls("https://example.org/archive")
CONFIG = SiteConfig(title="T", base_url="https://example.org/archive", description="D")
WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def article(**changes) -> Article:
    base = Article(kind="article", slug="a", source="content/articles/a.md", title="A", date=WHEN,
                   body=Body(html="<p>Hi</p>"), summary="S")
    return replace(base, **changes)


def context(items, title="T"):
    return {"site": CONFIG, "title": title, "items": tuple(items),
            "home_url": "https://example.org/archive/", "self_url": "https://example.org/archive/feed.xml"}


def test_absolutize_rewrites_root_relative_and_fragment_links() -> None:
    markup = ('<a href="/archive/voices/x/">v</a> <img src="/archive/i.png" alt=""> <a href="#fn1">1</a> '
              '<a href="https://other.org/">o</a> <a href=\'/archive/y/\'>y</a> <a href="//cdn.example/z">z</a>')
    out = absolutize_html(markup, "https://example.org/archive/articles/a/", URLS)
    tree = lxml.etree.HTML(out)
    assert tree.xpath("//a/@href") == [
        "https://example.org/archive/voices/x/",
        "https://example.org/archive/articles/a/#fn1",
        "https://other.org/",
        "https://example.org/archive/y/",
        "//cdn.example/z",
    ]
    assert tree.xpath("//img/@src") == ["https://example.org/archive/i.png"]


def test_absolutize_resolves_relative_urls_and_srcset_against_the_page() -> None:
    markup = ('<a href="../b/">b</a> <a href="mailto:x@example.org">m</a> '
              '<img src="pic.png" srcset="/archive/media/p-480.webp 480w, p-960.webp 960w" alt="">')
    out = absolutize_html(markup, "https://example.org/archive/articles/a/", URLS)
    tree = lxml.etree.HTML(out)
    assert tree.xpath("//a/@href") == ["https://example.org/archive/articles/b/", "mailto:x@example.org"]
    assert tree.xpath("//img/@src") == ["https://example.org/archive/articles/a/pic.png"]
    assert tree.xpath("//img/@srcset") == [
        "https://example.org/archive/media/p-480.webp 480w, https://example.org/archive/articles/a/p-960.webp 960w"]


def test_xml_text_drops_only_forbidden_characters() -> None:
    assert xml_text("a\x00b\x0bc\x1fd\ttab\nline\ufffe") == "abcd\ttab\nline"
    assert xml_text("é — “quotes” 🙂") == "é — “quotes” 🙂"


def test_titles_with_markup_and_cdata_terminators_round_trip() -> None:
    nasty = 'A <b>bold</b> & "quoted" ]]> title'
    item = article(title=nasty, body=Body(html="<p>x ]]&gt; y</p><script>no</script>"))
    for render in (render_rss, render_atom):
        parsed = feedparser.parse(render(context([item]), URLS))
        assert not parsed.bozo
        assert parsed.entries[0].title == nasty


def test_entry_ids_do_not_depend_on_the_title() -> None:
    one = feedparser.parse(render_atom(context([article(title="First")]), URLS)).entries[0]
    two = feedparser.parse(render_atom(context([article(title="Second, retitled")]), URLS)).entries[0]
    assert one.id == two.id == "https://example.org/archive/articles/a/"


def test_feed_dates_come_from_content_not_the_clock() -> None:
    item = article(updated=datetime(2026, 3, 5, tzinfo=UTC))
    rss = render_rss(context([item]), URLS)
    atom = render_atom(context([item]), URLS)
    assert b"<lastBuildDate>Thu, 05 Mar 2026 00:00:00 +0000</lastBuildDate>" in rss
    assert b"<updated>2026-03-05T00:00:00+00:00</updated>" in atom
    assert render_rss(context([item]), URLS) == rss


def test_empty_feed_is_valid_and_deterministic() -> None:
    for render in (render_rss, render_atom):
        first = render(context([]), URLS)
        assert not feedparser.parse(first).bozo
        assert render(context([]), URLS) == first


def test_voice_and_newsletter_entries() -> None:
    voice = Voice(kind="voice", slug="v", source="content/voices/v.md", title="Ann", name="Ann", role="Steward, GMB",
                  movement=Term("trade-union", "Trade unions"), quote="Power <is> ours", date=WHEN)
    issue = Newsletter(kind="newsletter", slug="n", source="content/newsletters/n.md", title="Issue", preheader="p",
                       date=WHEN, featured=(voice,))
    parsed = feedparser.parse(render_atom(context([issue, voice]), URLS))
    assert parsed.entries[1].title == "Ann, Steward, GMB"
    assert "Power &lt;is&gt; ours" in parsed.entries[1].content[0].value
    assert 'href="https://example.org/archive/voices/v/"' in parsed.entries[0].content[0].value


@settings(max_examples=150, deadline=None)
@given(st.text(), st.text())
def test_any_text_in_title_and_summary_gives_a_well_formed_feed(title: str, summary: str) -> None:
    item = article(title=title or "x", summary=summary, body=Body(html=f"<p>{summary}</p>"))
    for render in (render_rss, render_atom):
        lxml.etree.fromstring(render(context([item]), URLS))  # raises if not well-formed XML


def test_feeds_sharing_their_entries_are_the_feeds_each_makes_alone(monkeypatch) -> None:
    """An item in three feeds is made absolute once (FeedEntries), and each feed's bytes are what they were."""
    from newpower_site.render import feeds

    items = [article(slug="a", source="content/articles/a.md", body=Body(html='<p><a href="/archive/b/">b</a></p>')),
             article(slug="b", source="content/articles/b.md", body=Body(html='<p><a href="../a/">a</a></p>'))]
    alone = [render_rss(context(items), URLS), render_atom(context(items), URLS), render_rss(context(items[:1], "N"), URLS)]
    made = []
    real = feeds.entry_html
    monkeypatch.setattr(feeds, "entry_html", lambda item, urls: made.append(item.source) or real(item, urls))
    shared = feeds.FeedEntries()
    together = [render_rss(context(items), URLS, shared), render_atom(context(items), URLS, shared),
                render_rss(context(items[:1], "N"), URLS, shared)]
    assert together == alone
    assert sorted(made) == ["content/articles/a.md", "content/articles/b.md"]
    assert b"https://example.org/archive/b/" in together[0] and b"https://example.org/archive/articles/a/" in together[1]
