"""Turn the links an editor writes into the URLs a reader follows.

Editors link to other content by its file path (`../voices/asha-patel.md`),
so links work when the Markdown is read in git, and the build turns each one
into the target page's URL. A link that points nowhere is an error, found at
build time rather than by a reader. Schemes that run code (`javascript:`,
`vbscript:`, `data:` and the like) are refused everywhere.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

from newpower_site.core.urls import Urls
from newpower_site.core.layout import CONTENT_ROOT  # noqa: F401 (content.py and others import it from here)

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")  # as urlsplit finds a scheme
# What a browser shows in <img>; a local file with another extension (a PDF, a
# Markdown file) is a mistake. Remote URLs are not checked: they often have no extension.
IMAGE_EXTENSIONS = frozenset({".apng", ".avif", ".bmp", ".gif", ".ico", ".jpeg", ".jpg", ".png", ".svg", ".webp"})


@dataclass(frozen=True, slots=True)
class LinkTargets:
    """What a link may point at: published items and copied files."""

    pages: Mapping[str, str]  # source 'content/voices/x.md' -> URL of its page
    unpublished: frozenset[str]  # sources that exist but are drafts or future-dated
    assets: Mapping[str, str]  # source 'content/images/x.jpg' -> output path 'images/x.jpg'
    static_paths: frozenset[str]  # output paths of theme static files: 'static/logo.svg'


@dataclass(frozen=True, slots=True)
class Location:
    """Where a link leads: outside the site, a page, or a file in the output."""

    kind: Literal["external", "page", "file"]
    target: str  # the URL (external, page) or the output path (file)
    suffix: str = ""  # ?query#fragment to keep


class LinkProblem(ValueError):
    """The link cannot be resolved; the message says why, for the editor."""


def unsafe_scheme(url: str) -> str | None:
    """The scheme if `url` uses one we never emit, else None."""
    cleaned = "".join(ch for ch in url if ch > " " and ch != "\x7f")  # as browsers read it
    # A regex rather than urlsplit, which raises ValueError on 'http://[::1'.
    match = _SCHEME.match(cleaned)
    scheme = match.group(1).lower() if match else ""
    return scheme if scheme and scheme not in SAFE_SCHEMES else None


def locate(target: str, source: str, targets: LinkTargets) -> Location:
    """Find what `target`, written in the file at site path `source`, points at."""
    target = target.strip()
    if not target:
        raise LinkProblem("empty link target")
    scheme = unsafe_scheme(target)
    if scheme:
        raise LinkProblem(f"{scheme}: links are not allowed")
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. an unclosed [ in the host: 'https://[::1'
        raise LinkProblem(f"{target!r} is not a valid URL") from None
    if parts.scheme or target.startswith(("//", "#")):
        return Location("external", target)
    suffix = (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
    path = unquote(parts.path)
    if path.startswith("/"):
        output_path = path.lstrip("/")
        if _climbs_above_root(output_path):
            raise LinkProblem(f"{target!r} points above the site's root")
        if output_path.startswith("static/") and output_path not in targets.static_paths:
            raise LinkProblem(f"{target!r} links to a static file that does not exist")
        return Location("file", output_path, suffix)
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
    if not joined.startswith(CONTENT_ROOT + "/"):
        raise LinkProblem(f"{target!r} points outside the content folder")
    if joined in targets.pages:
        return Location("page", targets.pages[joined], suffix)
    if joined in targets.unpublished:
        raise LinkProblem(f"{target!r} links to {joined}, which is a draft or dated in the future")
    if joined in targets.assets:
        return Location("file", targets.assets[joined], suffix)
    raise LinkProblem(f"{target!r} links to {joined}, which does not exist")


def _climbs_above_root(path: str) -> bool:
    """'../x' or 'a/../../x': with a path prefix in base_url, the link would leave the site."""
    depth = 0
    for part in path.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def resolve_link(target: str, source: str, targets: LinkTargets, urls: Urls) -> str:
    """The URL to emit for a link; raises LinkProblem."""
    where = locate(target, source, targets)
    if where.kind == "file":
        return urls.for_output(where.target) + where.suffix
    return where.target + where.suffix


def resolve_image(target: str, source: str, targets: LinkTargets) -> str:
    """An image as an output path (local) or an absolute URL (remote); raises LinkProblem."""
    where = locate(target, source, targets)
    if where.kind == "external" and where.target.startswith(("http://", "https://")):
        return where.target
    is_image = posixpath.splitext(where.target)[1].lower() in IMAGE_EXTENSIONS
    if where.kind == "file" and is_image and (where.target in targets.assets.values() or where.target in targets.static_paths):
        return where.target
    raise LinkProblem(f"{target!r} is not an image file in content/ or templates/static/, nor an https URL")
