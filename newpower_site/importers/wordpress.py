"""A WordPress export (WXR: Tools > Export), an RSS file with WordPress's own elements.

Posts become articles and pages pages; attachments, menu items and custom
post types are skipped with their type named. WordPress keeps both the
local time of a post and the same moment in UTC (`post_date`,
`post_date_gmt`), so the offset the author wrote in is recovered from the
two. Drafts and pending posts stay drafts; a private or trashed post is
skipped. The body is WordPress's stored content made into the HTML WordPress
shows (paragraphs, captions), then Markdown.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote

from newpower_site.core.slugs import slugify
from newpower_site.importers.htmlmd import html_to_markdown, wordpress_html
from newpower_site.importers.model import Archive, ImportedItem, Skip, SourceError, iso_date, rfc822_date, url_path
from newpower_site.importers.xmlsafe import parse_xml, text_of

WP_NAMESPACES = ("http://wordpress.org/export/1.0/", "http://wordpress.org/export/1.1/", "http://wordpress.org/export/1.2/")
NS = {
    "content": "http://purl.org/rss/1.0/modules/content/",
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
KINDS = {"post": "article", "page": "page"}
DRAFT_STATUSES = ("draft", "pending", "future", "auto-draft")


def read_wordpress(path: Path) -> Archive:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file (export it from WordPress: Tools > Export > All content)") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror}") from None
    root = parse_xml(data, str(path))
    channel = root.find("channel")
    wp = next((ns for ns in WP_NAMESPACES if root.find(f".//{{{ns}}}wxr_version") is not None), None)
    if channel is None or wp is None:
        raise SourceError(f"{path}: not a WordPress export (WXR): no <channel> with <wp:wxr_version>")
    ns = {**NS, "wp": wp, "excerpt": wp + "excerpt/"}
    base_url = text_of(channel, "wp:base_blog_url", ns) or text_of(channel, "link")
    items: list[ImportedItem] = []
    skipped: list[Skip] = []
    for number, element in enumerate(channel.findall("item"), start=1):
        origin = text_of(element, "link") or f"item {number}"
        post_type = text_of(element, "wp:post_type", ns) or "post"
        status = text_of(element, "wp:status", ns) or "publish"
        if post_type not in KINDS:
            skipped.append(Skip(origin, f"WordPress {post_type} (not a post or page)"))
            continue
        if status in ("private", "trash", "inherit"):
            skipped.append(Skip(origin, f"status {status}"))
            continue
        title = text_of(element, "title")
        if not title:
            skipped.append(Skip(origin, "no title"))
            continue
        html = element.findtext("content:encoded", default="", namespaces=ns) or ""
        if post_type == "page" and not html.strip():
            skipped.append(Skip(origin, "no content"))
            continue
        draft = status in DRAFT_STATUSES
        date = _date(element, ns)
        if date is None and post_type == "post":
            skipped.append(Skip(origin, "no date"))
            continue
        post_id = text_of(element, "wp:post_id", ns) or str(number)
        slug = slugify(unquote(text_of(element, "wp:post_name", ns)) or title, fallback=f"post-{post_id}")
        terms = tuple(dict.fromkeys(
            (c.text or "").strip() for c in element.findall("category")
            if c.get("domain") in ("category", "post_tag") and (c.text or "").strip() and c.get("nicename") != "uncategorized"
        ))
        old = url_path(text_of(element, "link"), base_url)
        excerpt = element.findtext("excerpt:encoded", default="", namespaces=ns) or ""
        items.append(ImportedItem(
            origin=origin, title=title, slug=slug, kind=KINDS[post_type],
            body=html_to_markdown(wordpress_html(html)), date=date,
            summary=excerpt.strip() or None,
            authors=tuple(a for a in [_author(channel, text_of(element, "dc:creator", ns), ns)] if a),
            terms=terms, draft=draft, old_paths=(old,) if old and old != "/" else (),
        ))
    return Archive(
        title=text_of(channel, "title"), base_url=base_url.rstrip("/"), description=text_of(channel, "description"),
        items=tuple(items), skipped=tuple(skipped),
    )


def _date(element, ns) -> str | None:
    local = text_of(element, "wp:post_date", ns)
    utc = text_of(element, "wp:post_date_gmt", ns)
    try:
        moment = datetime.fromisoformat(local) if local and not local.startswith("0000") else None
    except ValueError:
        moment = None
    if moment is None:
        return rfc822_date(text_of(element, "pubDate")) if not text_of(element, "pubDate").startswith("Thu, 01 Jan 1970") else None
    try:
        universal = datetime.fromisoformat(utc) if utc and not utc.startswith("0000") else None
    except ValueError:
        universal = None
    if universal is None:
        return iso_date(moment)  # a draft never published has no UTC time: the site's zone reads it
    offset = moment - universal
    return iso_date(moment.replace(tzinfo=timezone(timedelta(minutes=round(offset.total_seconds() / 60)))))


def _author(channel, login: str, ns) -> str:
    """The display name of the author whose login `login` is (the export names posts' authors by login)."""
    for author in channel.findall("wp:author", ns):
        if text_of(author, "wp:author_login", ns).lower() == login.lower():
            return text_of(author, "wp:author_display_name", ns) or login
    return login
