"""What every reader of another tool's archive hands the writer.

Each source (Pelican, Hugo, Jekyll, WordPress, a feed) becomes an `Archive`:
the site's own title, address and description, and its items as
`ImportedItem`s, already in this generator's terms (Markdown body, old URL
paths, topic labels). What a reader cannot use is a `Skip` with its reason,
so the summary can say why an item is missing rather than lose it silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ItemKind = Literal["article", "newsletter", "page"]


class SourceError(Exception):
    """The whole source cannot be read (a missing folder, XML that is not well formed): the message says why."""


@dataclass(frozen=True, slots=True)
class ImportedItem:
    """An item read from another tool's archive, as the import will write it."""

    origin: str  # where it came from, for messages: a path in the source, or the item's old link
    title: str
    slug: str
    kind: ItemKind
    body: str  # Markdown
    date: str | None = None  # ISO 8601 as the source meant it: its offset kept, none when the source gave none
    updated: str | None = None
    summary: str | None = None
    authors: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()  # category and tag labels as the source wrote them
    draft: bool = False
    old_paths: tuple[str, ...] = ()  # old URL paths on the old site: `/blog/2019/05/old-name/`
    folder: Path | None = None  # the source file's folder, where relative images are found
    image: str | None = None  # a lead image reference, as the source wrote it
    image_alt: str | None = None


@dataclass(frozen=True, slots=True)
class Skip:
    """Something in an archive the import leaves out, and why (the report lists it)."""

    origin: str
    reason: str


@dataclass(frozen=True, slots=True)
class Archive:
    """A source read whole: its site's settings, its items, and what was left out and why."""

    title: str
    base_url: str  # the old site's address, "" when unknown
    description: str
    items: tuple[ImportedItem, ...]
    skipped: tuple[Skip, ...] = ()
    timezone: str | None = None  # IANA name, when the source says
    image_roots: tuple[Path, ...] = ()  # where a site-root image path (`/images/x.png`) is found
    link_aliases: dict[str, str] = field(default_factory=dict)  # other spellings of an item's old address -> its origin


# -- dates --------------------------------------------------------------------------------------

_LOOSE_DATETIME = re.compile(
    r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def iso_date(text: object, zone: tzinfo | None = None) -> str | None:
    """A source's date as ISO 8601, keeping what it says about the zone.

    `2020-11-11 12:00:00 +0600` (Jekyll) -> `2020-11-11T12:00:00+06:00`;
    `2010-10-20 10:14` (Pelican) -> `2010-10-20T10:14:00`, or with `zone`'s
    offset of that day when the source names its zone; a date alone stays a
    date. None when `text` is not a date.
    """
    if isinstance(text, datetime):
        moment = text
    else:
        match = _LOOSE_DATETIME.match(str(text).strip())
        if not match:
            return None
        year, month, day, hour, minute, second, offset = match.groups()
        try:
            moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
        except ValueError:
            return None
        if hour is None and offset is None:
            return moment.date().isoformat()
        if offset:
            moment = moment.replace(tzinfo=_offset(offset))
    if moment.tzinfo is None and zone is not None:
        moment = moment.replace(tzinfo=zone)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone(moment.utcoffset() or timedelta(0)))  # a fixed offset, as written
    return moment.isoformat()


def rfc822_date(text: str | None) -> str | None:
    """An RSS `pubDate` (`Sat, 04 Feb 2012 02:03:06 +0000`) as ISO 8601 with its offset."""
    if not text:
        return None
    try:
        moment = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return iso_date(text)
    if moment is None:
        return None
    return iso_date(moment)


def zone_of(name: object) -> ZoneInfo | None:
    """The source's own time zone setting (Pelican's TIMEZONE, Jekyll's and Hugo's timezone), when it names a real one."""
    try:
        return ZoneInfo(name) if isinstance(name, str) and name.strip() else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _offset(text: str) -> timezone:
    if text == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def url_path(url: str, base_url: str = "") -> str | None:
    """The path of `url` on the old site, or None when it is another site's (or has a query only a server answers)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme and parts.scheme not in ("http", "https"):
        return None
    if parts.netloc:
        base = urlsplit(base_url) if base_url else None
        if base is None or base.netloc.lower() != parts.netloc.lower():
            return None
        prefix = base.path.rstrip("/")
        path = parts.path
        if prefix and not (path == prefix or path.startswith(prefix + "/")):
            return None
        path = path[len(prefix):] or "/"
    else:
        path = parts.path
    if parts.query or not path.startswith("/"):
        return None  # `/?p=173` is answered by WordPress's PHP, not by a file
    return path
