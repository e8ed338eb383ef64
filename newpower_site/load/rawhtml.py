"""What a browser will find in a piece of HTML: unsafe URLs and <img> without alt.

Trusted raw HTML is kept as written, so it is checked, with the same
tokenizer rules a browser uses (Python's html.parser), rather than rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

from newpower_site.load.links import unsafe_scheme

# Attributes a browser follows or loads as a URL, checked in trusted raw HTML.
_HTML_URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "poster", "xlink:href", "data"})
# Elements whose content a browser reads as text, not markup (in HTML; inside <svg> or <math> it does not).
_RAW_TEXT_ELEMENTS = ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext")
_OPEN_MARKUP = re.compile(r"<[A-Za-z!/?]")
class _TagScanner(HTMLParser):
    """Collects start tags as a browser's tokenizer finds them, with their positions."""

    def __init__(self, raw_text_elements: tuple[str, ...]) -> None:
        super().__init__(convert_charrefs=True)
        self.CDATA_CONTENT_ELEMENTS = raw_text_elements
        self.tags: list[tuple[tuple[int, int], str, str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((self.getpos(), self.get_starttag_text() or "", tag, attrs))

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        """`<![` is a bogus comment up to the next `>` in HTML; Python 3.11 raises on `<![A`."""
        return self.parse_bogus_comment(i, report=0)


def _scan_tags(markup: str, raw_text_elements: tuple[str, ...]) -> _TagScanner:
    """Tokenize `markup`; what is left in `rawdata` is markup still open at its end."""
    scanner = _TagScanner(raw_text_elements)
    scanner.feed(markup)
    return scanner


def html_problems(markup: str) -> list[tuple[tuple[int, int], str, str]]:
    """(line and column, start tag, message) for each unsafe URL or <img> without alt in `markup`.

    URLs are looked for twice: with <script>, <title> and the like read as
    text (as in HTML) and as markup (as inside <svg>), so neither can hide one.
    """
    found = dict.fromkeys(_tag_problems(_scan_tags(markup, _RAW_TEXT_ELEMENTS), check_alt=True))
    found.update(dict.fromkeys(_tag_problems(_scan_tags(markup, ()), check_alt=False)))
    return list(found)


def _tag_problems(scanner: _TagScanner, check_alt: bool) -> Iterator[tuple[tuple[int, int], str, str]]:
    """Every URL attribute is checked, not only the first of a name: the parser keeps duplicates."""
    for position, text, name, attrs in scanner.tags:
        for attribute, value in attrs:
            scheme = unsafe_scheme(value or "") if attribute in _HTML_URL_ATTRIBUTES else None
            if scheme:
                yield position, text, f"raw HTML uses a {scheme}: URL, which is never allowed"
        if check_alt and name == "img" and not any(attribute == "alt" for attribute, _ in attrs):
            yield position, text, 'raw HTML <img> needs an alt attribute (alt="" only for decoration)'


def markup_left_open(markup: str) -> str:
    """The markup still open at the end of `markup` (an unclosed tag, quote or comment), or ''."""
    rest = _scan_tags(markup, _RAW_TEXT_ELEMENTS).rawdata
    return rest if _OPEN_MARKUP.match(rest) else ""
