"""RSS 2.0 and Atom 1.0 with feedgen: full content, absolute URLs, stable ids.

Feed readers show content away from the site, so every link and image in it
is made absolute. An entry's id is its canonical URL, which depends on the
file name and not on the title, so fixing a typo in a headline does not make
the item appear twice. Dates come from the content, never from the clock, so
two builds of the same input give the same bytes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from newpower_site import __version__
from newpower_site.core.model import Article, Item, Newsletter, Voice
from newpower_site.core.absolute import absolutize_html
from newpower_site.core.urls import Urls

if TYPE_CHECKING:  # feedgen (and lxml under it) load with the first feed: an edit that renders none starts quicker
    from feedgen.feed import FeedGenerator

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Characters XML 1.0 forbids: C0 controls but tab, LF, CR; surrogates; U+FFFE/U+FFFF.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Drop the characters XML 1.0 cannot carry, so a stray control character cannot break a feed."""
    return _XML_FORBIDDEN.sub("", text)


def entry_title(item: Item) -> str:
    if isinstance(item, Voice):
        return f"{item.name}, {item.role}"
    return item.title


def entry_html(item: Item, urls: Urls) -> str:
    """The full content of an item as feed readers will show it."""
    page_url = urls.absolute_item(item)
    parts = []
    picture = item.image if isinstance(item, Article) else item.portrait if isinstance(item, Voice) else None
    if picture is not None:
        parts.append(f'<p><img src="{html.escape(urls.image(picture), quote=True)}" alt="{html.escape(picture.alt, quote=True)}"></p>')
    if isinstance(item, Voice):
        parts.append(f"<blockquote><p>{html.escape(item.quote)}</p></blockquote>")
    parts.append(item.html)
    if isinstance(item, Newsletter) and item.featured:
        parts.append("<h2>In this issue</h2><ul>")
        for featured in item.featured:
            link = html.escape(urls.absolute_item(featured), quote=True)
            summary = f" — {html.escape(featured.summary)}" if featured.summary else ""
            parts.append(f'<li><a href="{link}">{html.escape(entry_title(featured))}</a>{summary}</li>')
        parts.append("</ul>")
    return absolutize_html("\n".join(parts), page_url, urls)


class FeedEntries:
    """Each item's feed content, made once for all the feeds of one render loop that carry it.

    The newest items are in the site's RSS feed, its Atom twin and their
    section's feed (plan/outputs.py puts the three together), and an item's
    content is the same in each: made absolute once, not three times. It
    lives as long as one render loop, in which the items cannot change.
    """

    def __init__(self) -> None:
        self.made: dict[str, str] = {}

    def html(self, item: Item, urls: Urls) -> str:
        found = self.made.get(item.source)
        if found is None:
            found = self.made[item.source] = xml_text(entry_html(item, urls))
        return found


def _generator(context: Mapping[str, Any], urls: Urls, rss: bool, entries: FeedEntries | None = None) -> FeedGenerator:
    """`rss`: RSS readers show <description> as HTML, where Atom's subtitle and summary are text: escape it there."""
    site = context["site"]
    items: tuple[Item, ...] = context["items"]
    from feedgen.feed import FeedGenerator

    entries = entries or FeedEntries()
    feed = FeedGenerator()
    if rss:  # RSS's own <author> must be an email address; readers take names from dc:creator
        feed.load_extension("dc", atom=False, rss=True)
    feed.id(context["home_url"])
    feed.title(xml_text(context["title"]).strip() or context["home_url"])  # a title of forbidden characters only
    description = xml_text(site.description)
    feed.subtitle(html.escape(description, quote=False) if rss else description)  # feedgen: also the RSS <description>
    feed.link(href=context["self_url"], rel="self")
    feed.link(href=context["home_url"], rel="alternate")  # RSS keeps the last link as <link>
    feed.language(site.language)
    if not rss:  # RFC 4287 wants an author for every entry, or one for the feed: the site speaks for entries without one
        feed.author({"name": xml_text(site.title).strip() or context["home_url"]})
    feed.generator("newpower-site", __version__)
    feed.updated(max((_updated(i) for i in items), default=EPOCH))
    for item in items:
        entry = feed.add_entry(order="append")
        url = urls.absolute_item(item)
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(xml_text(entry_title(item)).strip() or url)  # a title of control characters only
        entry.link(href=url, rel="alternate")
        entry.published(item.date)
        entry.updated(_updated(item))
        summary = xml_text(item.description).strip()  # a summary of forbidden characters only is none
        if summary:
            entry.summary(summary)  # Atom: text, as it is
            entry.description(html.escape(summary, quote=False))  # RSS readers show <description> as HTML
        entry.content(entries.html(item, urls), type="html")
        authors = [xml_text(author) for author in getattr(item, "authors", ())]
        for author in authors:
            entry.author({"name": author})
        if rss and authors:
            entry.dc.dc_creator(authors)
        for topic in item.topics:
            entry.category(term=topic.key, label=xml_text(topic.label))
    return feed


def _updated(item: Item) -> datetime:
    return getattr(item, "updated", None) or item.date or EPOCH


def render_rss(context: Mapping[str, Any], urls: Urls, entries: FeedEntries | None = None) -> bytes:
    return _generator(context, urls, True, entries).rss_str(pretty=True)


def render_atom(context: Mapping[str, Any], urls: Urls, entries: FeedEntries | None = None) -> bytes:
    return _generator(context, urls, False, entries).atom_str(pretty=True)
