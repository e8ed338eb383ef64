"""Relative URLs in HTML made absolute, for HTML read away from the site (feeds, email).

Only the URL attributes of real start tags are rewritten: the markup is
tokenized, and text that merely looks like an attribute (`href="/x"` inside a
code span, already escaped as `href=&quot;/x&quot;`, or inside a comment) is
left as written. A regex over the whole text could not tell the two apart.
The standard library's tokenizer is enough here: the HTML was made by the
renderer or passed the browser-grade raw-HTML check, and a tag it misreads can
at worst keep a relative URL; every value it writes is escaped again.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

from newpower_site.core.urls import Urls

_URL_ATTRIBUTES = frozenset({"href", "src", "poster"})
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


class _StartTags(HTMLParser):
    """Start tags with their exact spans in the markup, and their attributes as a browser decodes them."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.line_starts = [0] + [match.end() for match in re.finditer("\n", markup)]
        self.tags: list[tuple[int, int, str, list[tuple[str, str | None]], bool]] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._note(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._note(tag, attrs, closed=True)

    def _note(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        line, column = self.getpos()
        start = self.line_starts[line - 1] + column
        self.tags.append((start, start + len(self.get_starttag_text() or ""), tag, attrs, closed))

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        """`<![` is a bogus comment up to the next `>` in HTML; Python 3.11 raises on `<![A`."""
        return self.parse_bogus_comment(i, report=0)


def absolutize_html(markup: str, page_url: str, urls: Urls) -> str:
    """Make every link and image in `markup` absolute, for use off the site (feeds, email).

    Relative URLs resolve against the page's own URL, as a browser on the
    page would; srcset lists are rewritten URL by URL. A start tag whose URLs
    change is written again from its parsed attributes; everything else is
    kept byte for byte.
    """

    def absolute(raw: str) -> str:
        if not raw or _SCHEME.match(raw) or raw.startswith("//"):
            return raw
        if raw.startswith("#"):
            return page_url + raw
        if raw.startswith("/"):
            return urls.absolute(raw)
        return urljoin(page_url, raw)

    def fixed(name: str, value: str) -> str:
        raw = value.strip()
        if name == "srcset":
            candidates = (part.strip().split(maxsplit=1) for part in raw.split(",") if part.strip())
            return ", ".join(" ".join([absolute(words[0]), *words[1:]]) for words in candidates)
        return absolute(raw)

    if "=" not in markup:
        return markup
    pieces, cursor = [], 0
    for start, end, tag, attrs, closed in _StartTags(markup).tags:
        new = [(name, fixed(name, value) if value is not None and (name in _URL_ATTRIBUTES or name == "srcset") else value) for name, value in attrs]
        if new == attrs:
            continue
        written = "".join(f" {name}" if value is None else f' {name}="{html.escape(value, quote=True)}"' for name, value in new)
        pieces += [markup[cursor:start], f"<{tag}{written}{' /' if closed else ''}>"]
        cursor = end
    return "".join(pieces) + markup[cursor:]
