"""An RSS 2.0 or Atom feed: the archive feeds of Substack, Ghost, Buttondown or Mailchimp.

A feed holds what its items looked like: the full HTML where the service
puts it (`content:encoded`, Atom `content`), else the summary. Each item's
`link` on the feed's own site is its old address. A feed names no drafts: it
only ever shows what was published.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path
from urllib.error import URLError
from xml.etree.ElementTree import Element

from newpower_site.core.slugs import slugify
from newpower_site.importers.htmlmd import html_to_markdown, plain_text
from newpower_site.importers.model import Archive, ImportedItem, Skip, SourceError, iso_date, rfc822_date, url_path
from newpower_site.importers.xmlsafe import parse_xml, text_of

ATOM = "http://www.w3.org/2005/Atom"
NS = {"atom": ATOM, "content": "http://purl.org/rss/1.0/modules/content/", "dc": "http://purl.org/dc/elements/1.1/"}
MAX_FEED_BYTES = 64 * 1024 * 1024  # a feed larger than this is not an archive feed but a mistake
FETCH_SECONDS = 30


def read_feed(source: str) -> Archive:
    data = _fetch(source)
    root = parse_xml(data, source)
    if root.tag == f"{{{ATOM}}}feed":
        return _atom(root, source)
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise SourceError(f"{source}: not an RSS 2.0 or Atom feed (its root element is <{root.tag}>)")
    return _rss(channel, source)


def _fetch(source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        request = urllib.request.Request(source, headers={"User-Agent": "newpower-import"})
        try:
            with urllib.request.urlopen(request, timeout=FETCH_SECONDS) as response:  # noqa: S310 (http(s) only, above)
                data = response.read(MAX_FEED_BYTES + 1)
        except (URLError, OSError, ValueError) as exc:
            raise SourceError(f"{source}: cannot fetch the feed: {getattr(exc, 'reason', exc)}") from None
    else:
        try:
            with open(source, "rb") as handle:
                data = handle.read(MAX_FEED_BYTES + 1)
        except FileNotFoundError:
            raise SourceError(f"{source}: no such file") from None
        except OSError as exc:
            raise SourceError(f"{source}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_FEED_BYTES:
        raise SourceError(f"{source}: larger than {MAX_FEED_BYTES // (1024 * 1024)} MB: not imported")
    return data


def _rss(channel: Element, source: str) -> Archive:
    base_url = text_of(channel, "link")
    items: list[ImportedItem] = []
    skipped: list[Skip] = []
    for number, element in enumerate(channel.findall("item"), start=1):
        link = text_of(element, "link") or text_of(element, "guid")
        origin = link or f"{source}: item {number}"
        title = text_of(element, "title")
        if not title:
            skipped.append(Skip(origin, "no title"))
            continue
        date = rfc822_date(text_of(element, "pubDate")) or iso_date(text_of(element, "dc:date", NS))
        if date is None:
            skipped.append(Skip(origin, "no date"))
            continue
        html = element.findtext("content:encoded", default="", namespaces=NS) or element.findtext("description", default="") or ""
        summary = element.findtext("description", default="") if element.find("content:encoded", NS) is not None else None
        authors = tuple(a for a in [text_of(element, "dc:creator", NS) or _rss_author(text_of(element, "author"))] if a)
        terms = tuple(dict.fromkeys((c.text or "").strip() for c in element.findall("category") if (c.text or "").strip()))
        items.append(_item(origin, title, link, base_url, date, html, summary, authors, terms))
    return Archive(title=text_of(channel, "title"), base_url=_site_root(base_url), description=text_of(channel, "description"),
                   items=tuple(items), skipped=tuple(skipped))


def _rss_author(text: str) -> str:
    """RSS's `author` is `email (Name)`; the name is what is kept."""
    if "(" in text and text.endswith(")"):
        return text[text.index("(") + 1 : -1].strip()
    return "" if "@" in text else text


def _atom(feed: Element, source: str) -> Archive:
    base_url = _alternate(feed)
    items: list[ImportedItem] = []
    skipped: list[Skip] = []
    for number, entry in enumerate(feed.findall("atom:entry", NS), start=1):
        link = _alternate(entry)
        origin = link or text_of(entry, "atom:id", NS) or f"{source}: entry {number}"
        title = _atom_text(entry.find("atom:title", NS))
        if not title:
            skipped.append(Skip(origin, "no title"))
            continue
        date = iso_date(text_of(entry, "atom:published", NS) or text_of(entry, "atom:updated", NS))
        if date is None:
            skipped.append(Skip(origin, "no date"))
            continue
        content = entry.find("atom:content", NS)
        summary_element = entry.find("atom:summary", NS)
        html = _atom_html(content) if content is not None else _atom_html(summary_element)
        summary = _atom_html(summary_element) if content is not None and summary_element is not None else None
        authors = tuple(n for n in (text_of(a, "atom:name", NS) for a in entry.findall("atom:author", NS)) if n)
        labels = (c.get("label") or c.get("term") or "" for c in entry.findall("atom:category", NS))
        terms = tuple(dict.fromkeys(label.strip() for label in labels if label.strip()))
        updated = iso_date(text_of(entry, "atom:updated", NS))
        item = _item(origin, title, link, base_url, date, html, summary, authors, terms)
        items.append(item if updated is None or updated <= date else _updated(item, updated))
    title = _atom_text(feed.find("atom:title", NS))
    return Archive(title=title, base_url=_site_root(base_url), description=_atom_text(feed.find("atom:subtitle", NS)),
                   items=tuple(items), skipped=tuple(skipped))


def _updated(item: ImportedItem, updated: str) -> ImportedItem:
    from dataclasses import replace

    return replace(item, updated=updated)


def _alternate(element: Element) -> str:
    for link in element.findall("atom:link", NS):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href", "")
    return ""


def _atom_text(element: Element | None) -> str:
    if element is None:
        return ""
    if element.get("type") in ("html", "xhtml"):
        return plain_text(_atom_html(element))
    return (element.text or "").strip()


def _atom_html(element: Element | None) -> str:
    """Atom text as HTML: `type="html"` is escaped HTML, `xhtml` a div of elements, `text` plain text."""
    if element is None:
        return ""
    kind = element.get("type", "text")
    if kind == "xhtml":
        from xml.etree.ElementTree import tostring

        div = next(iter(element), None)
        if div is None:
            return ""
        for node in div.iter():  # XHTML's namespace off every tag, so the HTML parser reads plain tags
            if isinstance(node.tag, str) and node.tag.startswith("{"):
                node.tag = node.tag.split("}", 1)[1]
        inner = (div.text or "") + "".join(tostring(child, encoding="unicode") for child in div)
        return inner
    text = element.text or ""
    if kind == "html":
        return text
    from html import escape

    return "<p>" + escape(text).replace("\n\n", "</p><p>") + "</p>"


def _site_root(link: str) -> str:
    """A feed's site link without its last slash: `https://x.substack.com/` -> `https://x.substack.com`."""
    return link.rstrip("/")


def _item(origin: str, title: str, link: str, base_url: str, date: str, html: str, summary: str | None,
          authors: tuple[str, ...], terms: tuple[str, ...]) -> ImportedItem:
    old = url_path(link, base_url) if link else None
    name = Path(old.rstrip("/")).name if old and old.rstrip("/") else ""
    stem = name.rsplit(".", 1)[0] if name.endswith((".html", ".htm", ".php")) else name
    return ImportedItem(
        origin=origin, title=title, slug=slugify(stem or title), kind="article",
        body=html_to_markdown(html), date=date, summary=summary.strip() if summary and summary.strip() else None,
        authors=authors, terms=terms, old_paths=(old,) if old and old != "/" else (),
    )
