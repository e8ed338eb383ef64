"""What a browser will find in a piece of HTML: code it would run, and <img> without alt.

Trusted raw HTML is kept as written, so it is checked rather than rewritten,
and checked as a browser reads it: html5lib implements the WHATWG parsing
algorithm, tree construction included, so `<!-->`, `--!>`, `<noscript>`,
raw-text elements and `<svg>` end where a browser ends them. A hand-written
scanner (Python's html.parser) disagreed with browsers on comments, which let
markup it thought hidden run.

Every start tag the tokenizer produces is checked, including those the tree
then drops or merges (a second `<body onload=…>` adds its handler to the
page's body), because attributes only ever come from start tags. A second
pass tokenizes the same markup with every element read as markup (as inside
`<svg>`), so a raw-text element can never hide a tag from the check.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from newpower_site.load.links import unsafe_scheme

if TYPE_CHECKING:  # html_tokens.py (html5lib) loads with the first raw HTML to check
    from newpower_site.load.html_tokens import StartTag

# Attributes a browser follows, loads or submits to as a URL (HTML, SVG and MathML; `xlink:href` by its local name).
_URL_ATTRIBUTES = frozenset({
    "href", "src", "action", "formaction", "poster", "data", "cite", "background", "codebase", "classid",
    "longdesc", "lowsrc", "dynsrc", "manifest", "icon", "profile", "usemap", "itemtype",
})
# Attributes holding several URLs separated by white space or commas.
_URL_LIST_ATTRIBUTES = frozenset({"srcset", "imagesrcset", "ping", "archive"})
# SVG animation elements: `to`, `from`, `by` and `values` set another attribute, an `href` included.
_ANIMATION_ELEMENTS = frozenset({"set", "animate", "animatemotion", "animatetransform", "animatecolor"})
_ANIMATION_VALUES = frozenset({"to", "from", "by", "values"})
_EVENT_HANDLER = re.compile(r"on[a-z]", re.IGNORECASE)
_OPEN_MARKUP = re.compile(r"<[A-Za-z!/?]")
_STATE_CHANGING = re.compile(r"<\s*(script|style|textarea|title|xmp|iframe|noembed|noframes|noscript|plaintext|svg|math)", re.IGNORECASE)
_LIST_SEPARATORS = re.compile(r"[\s,;]+")
# CSS: comments go, escapes are decoded, then url(…) and @import "…" name URLs.
_CSS_COMMENT = re.compile(r"/\*.*?(\*/|$)", re.DOTALL)
_CSS_ESCAPE = re.compile(r"\\([0-9A-Fa-f]{1,6})\s?|\\(.)", re.DOTALL)
_CSS_URL = re.compile(r"""url\(\s*(["']?)(.*?)\1\s*\)|@import\s*(["'])(.*?)\3""", re.IGNORECASE | re.DOTALL)

Problem = tuple[tuple[int, int], str, str]  # (line and column, start tag as written, message)


def _line_starts(markup: str) -> list[int]:
    return [0] + [match.end() for match in re.finditer("\n", markup)]


def _normalised(markup: str) -> str:
    """Line breaks as the browser's input stream reads them, so offsets and lines agree."""
    return markup.replace("\r\n", "\n").replace("\r", "\n")


def html_problems(markup: str) -> list[Problem]:
    """(line and column, start tag, message) for each thing in `markup` that could run code, and each <img> without alt.

    Tags are looked for twice: with <script>, <title>, <noscript> and the like
    read as the browser reads them, and all read as markup (as inside <svg>),
    so neither reading can hide one.
    """
    from newpower_site.load.html_tokens import scan

    markup = _normalised(markup)
    line_starts = _line_starts(markup)
    found: dict[Problem, None] = {}
    # Only these elements make the browser's tokenizer leave its data state; without them both readings are one.
    readings = (True, False) if _STATE_CHANGING.search(markup) else (True,)
    for as_browser in readings:
        for tag in scan(markup, as_browser).tags:
            row = bisect.bisect_right(line_starts, tag.start)
            position = (row, tag.start - line_starts[row - 1])
            text = markup[tag.start:tag.end]
            for message in _tag_problems(tag, check_alt=as_browser):
                found.setdefault((position, text, message))
    return list(found)


def _tag_problems(tag: StartTag, check_alt: bool) -> Iterator[str]:
    """Every attribute is checked, not only the first of a name: a check must not depend on which one wins."""
    if tag.name == "script":
        yield "raw HTML has a <script> element, which is never allowed (it would run on the site's own origin)"
    if tag.name == "base":
        yield "raw HTML has a <base> element, which is never allowed (it changes where every link and script of the page points)"
    for attribute, value in tag.attributes:
        local = attribute.rpartition(":")[2]
        if _EVENT_HANDLER.match(attribute):
            yield f"raw HTML has an event handler attribute {attribute}=, which is never allowed"
        elif local in _URL_ATTRIBUTES:
            yield from _url_problems(tag.name, attribute, [value])
        elif local in _URL_LIST_ATTRIBUTES:
            yield from _url_problems(tag.name, attribute, _LIST_SEPARATORS.split(value))
        elif attribute == "style":
            yield from _url_problems(tag.name, attribute, _css_urls(value))
        elif attribute == "srcdoc":
            yield from (message for _, _, message in html_problems(value))
        elif tag.name == "param" and attribute == "value":
            yield from _url_problems(tag.name, attribute, [value])
        elif tag.name in _ANIMATION_ELEMENTS and attribute in _ANIMATION_VALUES:
            yield from _url_problems(tag.name, attribute, value.split(";"))
        elif tag.name in _ANIMATION_ELEMENTS and attribute == "attributename" and _EVENT_HANDLER.match(value.strip()):
            yield f"raw HTML animates the event handler attribute {value.strip()}=, which is never allowed"
        elif tag.name == "meta" and attribute == "http-equiv" and value.strip().lower() == "refresh":
            yield "raw HTML has <meta http-equiv=refresh>, which is never allowed (it sends the reader elsewhere)"
    if tag.css:
        yield from _url_problems(tag.name, "style", _css_urls(tag.css))
    if check_alt and tag.name == "img" and not any(attribute == "alt" for attribute, _ in tag.attributes):
        yield 'raw HTML <img> needs an alt attribute (alt="" only for decoration)'


def _url_problems(element: str, attribute: str, urls: list[str]) -> Iterator[str]:
    for url in urls:
        scheme = unsafe_scheme(url)
        if scheme == "data" and element == "img" and attribute in ("src", "srcset") and _is_data_image(url):
            continue  # an image shown by <img> runs nothing
        if scheme:
            yield f"raw HTML uses a {scheme}: URL, which is never allowed"


def _is_data_image(url: str) -> bool:
    return "".join(url.split()).lower().startswith("data:image/")


def _css_urls(css: str) -> list[str]:
    """The URLs in CSS (url(…) and @import), after comments and escapes, as the browser's CSS parser reads them."""
    css = _CSS_ESCAPE.sub(_css_unescape, _CSS_COMMENT.sub(" ", css))
    return [match.group(2) if match.group(2) is not None else match.group(4) for match in _CSS_URL.finditer(css)]


def _css_unescape(match: re.Match[str]) -> str:
    if match.group(1):
        code = int(match.group(1), 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    return "" if match.group(2) == "\n" else match.group(2)


def markup_left_open(markup: str) -> str:
    """The markup still open at the end of `markup` (an unclosed tag, quote or comment), or ''."""
    from newpower_site.load.html_tokens import scan

    markup = _normalised(markup)
    open_from = scan(markup, True).open_from
    rest = markup[open_from:] if open_from is not None else ""
    return rest if _OPEN_MARKUP.match(rest) else ""
