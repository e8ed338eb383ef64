"""Turn the links an editor writes into the URLs a reader follows.

Editors link to other content by its file path (`../voices/asha-patel.md`),
so links work when the Markdown is read in git, and the build turns each one
into the target page's URL. A link that points nowhere is an error, found at
build time rather than by a reader. Only schemes that run code
(`javascript:`, `vbscript:`, `file:`, `data:` other than an image) are
refused; every other scheme (`mailto:`, `irc:`, `ftp:`, `geo:` ...) is kept,
and one that is a typo of `http(s)` is an error that proposes the fix.
"""

from __future__ import annotations

import difflib
import functools
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, urlsplit

from newpower_site.core.diagnostics import Diagnostic, error
from newpower_site.core.urls import Urls
from newpower_site.core.layout import CONTENT_ROOT  # noqa: F401 (content.py and others import it from here)

# Schemes a browser runs as code, or that reach into the reader's own files. `data:` is fine as an image.
REFUSED_SCHEMES = frozenset({"javascript", "vbscript", "file", "data"})
# Schemes in real use that are close to `http` in spelling and are not typos of it.
_NOT_TYPOS = frozenset({"ftp", "ftps", "sftp", "tftp", "ws", "wss", "sip", "sips", "nntp", "news", "imap", "pop", "ipp", "ipps", "dat", "ssh", "git"})
_IGNORED_BY_BROWSERS = re.compile(r"[\x00-\x20\x7f]+")  # control characters and spaces, dropped from a URL's scheme
_MISSING_COLON = re.compile(r"(?i)(https?)//")
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
    failed: frozenset[str] = frozenset()  # sources that exist but could not be read: their own errors say why


@dataclass(frozen=True, slots=True)
class Location:
    """Where a link leads: outside the site, a page, or a file in the output."""

    kind: Literal["external", "page", "file"]
    target: str  # the URL (external, page) or the output path (file)
    suffix: str = ""  # ?query#fragment to keep
    source: str = field(default="", compare=False)  # for a page: the content file it is made from


class LinkProblem(ValueError):
    """The link cannot be resolved; the message says why, for the editor."""


class TargetFailed(LinkProblem):
    """The link's target exists but has errors of its own: reported after them, as their consequence."""


class TypoScheme(LinkProblem):
    """The link's scheme is a misspelt http(s); reported where the URL is written."""


def url_scheme(url: str) -> str:
    """The lower-case scheme of `url` as a browser reads it (control characters and spaces dropped), or ''."""
    cleaned = _IGNORED_BY_BROWSERS.sub("", url)
    # A regex rather than urlsplit, which raises ValueError on 'http://[::1'.
    match = _SCHEME.match(cleaned)
    return match.group(1).lower() if match else ""


def unsafe_scheme(url: str, image: bool = False) -> str | None:
    """The scheme if `url` uses one that can run code (never emitted), else None; `image`: `data:` images are fine."""
    scheme = url_scheme(url)
    if scheme not in REFUSED_SCHEMES:
        return None
    if image and scheme == "data" and _IGNORED_BY_BROWSERS.sub("", url)[5:].lower().startswith("image/"):
        return None
    return scheme


def scheme_typo(url: str) -> str | None:
    """The URL as it was surely meant, if its scheme is a misspelt `http` or `https` (`hhttps:`, `htps:`, `http//`)."""
    missing_colon = _MISSING_COLON.match(url.strip())
    if missing_colon:
        return f"{missing_colon.group(1).lower()}://{url.strip()[missing_colon.end():]}"
    scheme = url_scheme(url)
    if not scheme or scheme in ("http", "https") or scheme in _NOT_TYPOS or scheme in REFUSED_SCHEMES:
        if scheme in ("http", "https"):
            rest = url.strip()[len(scheme) + 1 :]
            if not rest.startswith("//"):
                return f"{scheme}://{rest.lstrip('/')}"  # https:/example.org, https:example.org
        return None
    meant = min(("https", "http"), key=lambda s: (_edits(scheme, s), s != "https"))
    if _edits(scheme, meant) > 2 or len(scheme) < 3:
        return None
    return f"{meant}:{url.strip()[len(scheme) + 1 :]}"


def _edits(a: str, b: str) -> int:
    """Levenshtein distance, with a swap of two neighbours counted as one edit."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def locate(target: str, source: str, targets: LinkTargets, image: bool = False) -> Location:
    """Find what `target`, written in the file at site path `source`, points at (`image`: in an image's src)."""
    return locate_in(target, posixpath.dirname(source), targets, image)


def locate_in(target: str, folder: str, targets: LinkTargets, image: bool = False) -> Location:
    """locate() for a link written in `folder` (the Markdown stage works it out once a body, not once a link)."""
    target = target.strip()
    if plainly_web(target):
        return Location("external", target)
    return Location(*where_in(target, folder, targets, image))


def where_in(target: str, folder: str, targets: LinkTargets, image: bool = False) -> tuple[str, str, str, str]:
    """locate_in() for a stripped `target` that is not plainly_web(), as the fields of its Location: the
    Markdown stage resolves a few links in every body, and a frozen dataclass costs more to make than the
    lookup it reports."""
    kind, path, suffix = _read_target(target, folder, image)
    if kind == "external":
        return "external", target, "", ""
    if kind == "file":
        if path.startswith("static/") and path not in targets.static_paths:
            raise LinkProblem(f"{target!r} links to a static file that does not exist")
        return "file", path, suffix, ""
    if path in targets.pages:
        return "page", targets.pages[path], suffix, path
    if path in targets.unpublished:
        raise LinkProblem(f"{target!r} links to {path}, which is a draft or dated in the future")
    if path in targets.assets:
        return "file", targets.assets[path], suffix, ""
    if path in targets.failed:
        raise TargetFailed(f"{target!r} links to {path}, which has errors (see above)")
    raise LinkProblem(f"{target!r} links to {path}, which does not exist")


def plainly_web(target: str) -> bool:
    """A stripped `target` that _read_target would surely call a good external link, told in a few C-speed tests.

    A link newsletter's hundreds of links are almost all distinct web URLs,
    which the remembered _read_target never sees twice. One that starts
    `https://` or `http://` has no refused or misspelt scheme (those checks
    look at its start only), and urlsplit, the one test left, can fail only
    on brackets (an IPv6 host) or a non-ASCII host: a URL holding neither
    is external as written.
    """
    return target.startswith(("https://", "http://")) and target.isascii() and "[" not in target and "]" not in target


@functools.lru_cache(maxsize=4096)
def _read_target(target: str, folder: str, image: bool) -> tuple[str, str, str]:
    """("external" | "file" | "content", path, ?query#fragment) of a stripped `target` written in `folder`; raises LinkProblem.

    A function of the text alone, so it is remembered: a site links to the
    same few pages from many files. What the path finds among the site's
    items is looked up afresh each time (the build cache records those lookups).
    """
    if not target:
        raise LinkProblem("empty link target")
    scheme = unsafe_scheme(target, image=image)
    if scheme:
        raise LinkProblem(f"{scheme}: links are not allowed")
    meant = scheme_typo(target)
    if meant:
        raise TypoScheme(f"{target!r} has a misspelt scheme: did you mean {meant!r}?")
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. an unclosed [ in the host: 'https://[::1'
        raise LinkProblem(f"{target!r} is not a valid URL") from None
    if parts.scheme or target.startswith(("//", "#")):
        return "external", target, ""
    suffix = (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
    path = unquote(parts.path)
    if path.startswith("/"):
        output_path = path.lstrip("/")
        if _climbs_above_root(output_path):
            raise LinkProblem(f"{target!r} points above the site's root")
        return "file", output_path, suffix
    joined = posixpath.normpath(posixpath.join(folder, path))
    if not joined.startswith(CONTENT_ROOT + "/"):
        raise LinkProblem(f"{target!r} points outside the content folder")
    return "content", joined, suffix


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
    where = locate(target, source, targets, image=True)
    if where.kind == "external" and where.target.startswith(("http://", "https://", "data:")):
        return where.target
    is_image = posixpath.splitext(where.target)[1].lower() in IMAGE_EXTENSIONS
    if where.kind == "file" and is_image and (where.target in targets.assets.values() or where.target in targets.static_paths):
        return where.target
    raise LinkProblem(f"{target!r} is not an image file in content/ or templates/static/, nor an https URL")


def check_fragments(items: Iterable[object]) -> list[Diagnostic]:
    """Every `#fragment` link to a page (another item, or the same one) must name an id that page has.

    Run once every item is rendered, so each item's ids are known: a link's
    target may come later in the run than the link.
    """
    items = list(items)
    anchors = {item.source: item.body.anchors for item in items}  # type: ignore[attr-defined]
    problems: list[Diagnostic] = []
    for item in items:
        for line, href, target, fragment in item.body.fragment_links:  # type: ignore[attr-defined]
            known = anchors.get(target or item.source, ())  # type: ignore[attr-defined]
            if fragment in known:
                continue
            where = target or "this page"
            close = difflib.get_close_matches(fragment, known, n=1)
            hint = f": did you mean #{close[0]}?" if close else (f" (its ids: {', '.join(known[:8])})" if known else ": it has no headings")
            problems.append(error(item.source, line, f"broken link: {href!r}: {where} has no heading or anchor with the id {fragment!r}{hint}"))  # type: ignore[attr-defined]
    return problems
