"""Markdown to HTML with cmark-gfm, the same way for web, feed and email.

cmark-gfm (the C parser GitHub renders with, see cmark.py) parses and
renders; this module then reads the HTML it wrote once, left to right, to
resolve every link and image through links.py, give headings GitHub's ids
and lay out a voice's questions. With the source positions cmark writes on
every block, each link's file line is its block's line plus the line breaks
before it. Raw HTML is taken out of the tree before rendering (a numbered
placeholder keeps its place and its line breaks), so what is read back is
only markup cmark wrote, and each kind decides what its raw HTML becomes:

- articles and pages keep it as written, checked by rawhtml.py;
- newsletters pass the page through an allowlist fit for email (nh3), and
  each tag or attribute it drops is a warning at its line;
- voices show it as text, with a warning at its line.

HTML comments are the editors' notes: they are cut from the text before
anything parses it (comments.py), so nothing in them reaches any output.
"""

from __future__ import annotations

import bisect
import html
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote

import nh3

from newpower_site.core.diagnostics import Diagnostic, error, warning
from newpower_site.core.model import Body, Heading
from newpower_site.core.urls import Urls
from newpower_site.load import cmark, cstring
from newpower_site.load.comments import strip_comments
from newpower_site.load.links import LinkProblem, LinkTargets, TargetFailed, TypoScheme, plainly_web, resolve_image, where_in
from newpower_site.load.rawhtml import html_problems, markup_left_open

TRUSTED_KINDS = frozenset({"article", "page"})

# Raw HTML is taken out of the tree as \ue000N\ue001<its line breaks> while the rendered HTML is read back.
_OPEN, _CLOSE = "\ue000", "\ue001"
_OPEN_UTF8 = _OPEN.encode("utf-8")
_PRIVATE_USE_UTF8 = _OPEN_UTF8[:2]  # the first two bytes of U+E000 to U+E03F, the two markers among them
# Without a match cmark can find no raw HTML, and the walk over the tree is skipped (`<https://…>` is an autolink).
_MAYBE_RAW_HTML = re.compile(rb"<(?:[A-Za-z][A-Za-z0-9-]*(?:[\s/>]|$)|/[A-Za-z]|[!?])")
_NOT_IN_ASCII_IDS = re.compile(r"[^a-z0-9_\- ]")
# Control characters XML cannot carry (feeds would not parse), and the two private-use characters that
# mark raw HTML here: each becomes U+FFFD, as cmark already does with NUL.
_UNSHOWABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000\ue001]")
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
# A table that changes only those bytes and 0xEE (the markers' first): bytes.translate returns its argument
# itself when nothing changed, so one pass at C speed tells a clean body, which most are.
_SUSPECT = bytes(byte + 1 if byte in _CONTROL_BYTES or byte == 0xEE else byte for byte in range(256))
# The same test with the C library's strcspn, four times fewer instructions than translate: glibc looks for
# up to 16 bytes at once with SSE4.2, so the 30 (NUL stops strcspn early by itself) are looked for in two halves.
_SUSPECT_HALVES = (bytes([*_CONTROL_BYTES[1:], 0xEE])[:15], bytes([*_CONTROL_BYTES[1:], 0xEE])[15:])


_STRCSPN = cstring.strcspn


def _may_be_unshowable(data: bytes) -> bool:
    """False only if `data` holds no control byte and no 0xEE (the markers' first byte): most bodies."""
    if _STRCSPN is None:
        return data.translate(_SUSPECT) is not data
    end = len(data)
    return _STRCSPN(data, _SUSPECT_HALVES[0]) != end or _STRCSPN(data, _SUSPECT_HALVES[1]) != end
_PLACEHOLDER = re.compile(f"{_OPEN}(\\d+){_CLOSE}(\\n*)")  # the line breaks after it: the markup's own, then cmark's
_PLACEHOLDER_UTF8 = re.compile(_PLACEHOLDER.pattern.encode("utf-8"))

# What cmark writes, read back as the UTF-8 it is written in (the body is kept so, and bytes are read
# faster than text): text is escaped by cmark and raw HTML is out, so each '<' here starts cmark's markup.
_LINK = rb'<a href="([^"]*)"( title="[^"]*")?>'  # href, title
_IMAGE = rb'<img src="([^"]*)" alt="([^"]*)"( title="[^"]*")? />'  # src, alt, title
_LINK_OR_IMAGE = re.compile(rb"%s|%s" % (_LINK, _IMAGE))
# A wide table scrolls inside its own box; a scrolling box must take keyboard focus (WCAG 2.1.1).
_TABLE_OPEN_MARKUP = b'<div class="table-scroll" role="region" tabindex="0" aria-label="Table">\n<table>'
_TABLE_CLOSE_MARKUP = b"</table>\n</div>\n"
# What the stage changes in cmark's HTML: links and images (resolved), headings (they get ids), tables (a
# scrolling box) and strikethrough (<s>, as before: the text is no longer accurate); and the footnotes' ids.
# One pattern that starts with `<` finds them all, with what each needs in its groups: re looks for the `<`
# with a tight loop in C and tries the rest only there, which by the clock takes about half the time of a
# search for each literal (valgrind's instruction counts said the opposite: they do not show how slowly
# glibc's strstr and bytes.find step through HTML, where `<` abounds). Which group matched last tells them
# apart: 1-2 a link (href, title), 3 a footnote's mark (its id), 4-6 an image (src, alt, title), 7 a heading
# (its level), 8 a footnote (its id), none a table or strikethrough.
# The link and image alternatives are _LINK's and _IMAGE's, as _SourceLines counts them: the n-th of one is
# the n-th of the other.
_CHANGED = re.compile(
    rb'<(?:%s|a href="#fn-[^"]*" id="(fnref-[^"]*)"|%s|h([1-6])>|li id="(fn-[^"]*)"|table>\n|del>)' % (_LINK[1:], _IMAGE[1:])
)
# A voice's pass also counts the lists and block quotes open (9 opens one, 10 closes one), as _depth does:
# a question is a `##` outside them.
_CHANGED_IN_VOICE = re.compile(_CHANGED.pattern[:-1] + rb"|(blockquote|ul|ol)|/(?:blockquote|ul|ol)(>))")
# A table or strikethrough's start tag, its end tag (found from the start: cheaper than a pattern that
# tries each of the many end tags) and what each becomes.
_REWRITTEN = {
    b"<table>\n": (_TABLE_OPEN_MARKUP + b"\n", b"</table>\n", _TABLE_CLOSE_MARKUP), b"<del>": (b"<s>", b"</del>", b"</s>"),
}
_HEADING_END = {level: b"</h%d>" % level for level in range(1, 7)}
_SOURCEPOS_MARK = b' data-sourcepos="'
_NEEDS_ESCAPING = re.compile("[&<>\"']")
_FOOTNOTES = b'<section class="footnotes" data-footnotes>'
_TAGS = re.compile(rb'<sup class="footnote-ref">.*?</sup>|<[^>]*>')  # a footnote mark goes with its number
_RAW_IDS = re.compile(r"""\s(?:id|name)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]*<?([^\s>]+)", re.MULTILINE)

# -- newsletters: raw HTML through an allowlist fit for email ---------------------------------------

_EMAIL_TEXT_TAGS = frozenset(
    "a abbr b bdi bdo br cite code data del dfn em i ins kbd mark q s samp small span strong sub sup time u var wbr".split()
)
_EMAIL_BLOCK_TAGS = frozenset(
    "p div blockquote h1 h2 h3 h4 h5 h6 hr pre img ul ol li dl dt dd table caption colgroup col thead tbody tfoot tr th td "
    "center figure figcaption section".split()
)
EMAIL_TAGS = _EMAIL_TEXT_TAGS | _EMAIL_BLOCK_TAGS
EMAIL_ATTRIBUTES = {
    "*": {"title", "lang", "dir", "id", "class", "role", "aria-label", "aria-labelledby", "tabindex"},
    "a": {"href", "data-footnote-ref", "data-footnote-backref", "data-footnote-backref-idx"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "section": {"data-footnotes"},
    "time": {"datetime"},
    "data": {"value"},
    "q": {"cite"},
    "blockquote": {"cite"},
}
_DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "textarea", "select", "noscript", "iframe", "object"})
_URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
_SCHEMES_IN_OUTPUT = re.compile(r'(?:href|src)="([A-Za-z][A-Za-z0-9+.-]*):')


@dataclass(slots=True)
class RenderState:
    """What one render finds on the way: problems, ids, fragment links."""

    source: str
    body_line: int  # file line of the body's first line
    targets: LinkTargets
    urls: Urls
    data: bytes  # the body as parsed (comments cut), in UTF-8
    typographic: bool = True
    folder: str = ""  # of the source: relative links start there
    raw_html: bool = False  # whether raw HTML was taken out (its placeholders are in the HTML)
    lines: _SourceLines | None = None
    problems: list[Diagnostic] = field(default_factory=list)
    fragment_links: list[tuple[int, str, str, str]] = field(default_factory=list)  # (line, href, target source, fragment)

    def file_line(self, line: int) -> int:
        return self.body_line + line - 1

    def link_line(self, index: int) -> int:
        """The file line of the body's index-th link or image."""
        assert self.lines is not None
        return self.file_line(self.lines.link(index))

    def report(self, line: int, message: str, follows: bool = False) -> None:
        self.problems.append(error(self.source, line, message, follows=follows))


@dataclass(frozen=True, slots=True)
class MarkdownRenderer:
    """Built once per run (callers keep one); render() is a function of its arguments."""

    @classmethod
    def create(cls) -> MarkdownRenderer:
        return cls()

    def render(
        self, kind: str, markdown: str | bytes, source: str, body_line: int, targets: LinkTargets, urls: Urls,
        typographic: bool = True,
    ) -> tuple[Body, list[Diagnostic]]:
        """`markdown` as text, or as the UTF-8 an item keeps it in (then it is never decoded unless it must be)."""
        data = markdown if isinstance(markdown, bytes) else markdown.encode("utf-8")
        comment_problems: list[tuple[int, str]] = []
        # A single byte first (memchr), then the longer string. Never `needle in data` on bytes: it tries the
        # needle as an int first and raises and clears a TypeError, as many instructions as a search of 5 KB.
        if _holds_comment(data):
            text, comment_problems = strip_comments(data.decode("utf-8"))
            data = text.encode("utf-8")
        if _may_be_unshowable(data) and (data.find(_PRIVATE_USE_UTF8) >= 0 or len(data.translate(None, _CONTROL_BYTES)) != len(data)):
            data = _UNSHOWABLE.sub("\ufffd", data.decode("utf-8")).encode("utf-8")
        state = RenderState(source, body_line, targets, urls, data, typographic, _folder_of(source))
        if comment_problems:
            state.problems += [error(source, body_line + line - 1, message) for line, message in comment_problems]
        options = _TYPOGRAPHIC if typographic else _PLAIN
        with cmark.Document(data, options, arena=True) as document:
            raw = _take_raw_html(document) if _may_hold_raw_html(data) else []
            state.raw_html = bool(raw)
            state.lines = _SourceLines(document)
            body_html, headings, first_paragraph, footnote_ids = _read_back(document.render_utf8(), kind, state)
            raw_lines = state.lines.raw() if raw else {}
        anchors: tuple[str, ...] = ()
        if raw:
            restored, anchors = _put_raw_html_back(body_html.decode("utf-8"), kind, raw, raw_lines, state)
            body_html = restored.encode("utf-8")
        if headings:
            anchors = tuple([h.id for h in headings]) + anchors
        anchors += footnote_ids
        return Body(body_html, first_paragraph, headings, anchors, tuple(state.fragment_links)), state.problems


_PLAIN = cmark.UNSAFE | cmark.FOOTNOTES


def _folder_of(source: str) -> str:
    """posixpath.dirname() of a site path, without its os.fspath and separator lookups (once a body)."""
    head = source[: source.rfind("/") + 1]
    return head.rstrip("/") if head and head != "/" * len(head) else head


def _holds_comment(data: bytes) -> bool:
    """Whether `data` holds `<!--`: its first few `<` (memchr) are looked at, then the rest searched at once.

    A search for `<!--` steps through the text a byte or two at a time, while
    most bodies have no `<` or only a few (`<https://…>` links).
    """
    at = data.find(b"<")
    for _ in range(8):
        if at < 0:
            return False
        if data.startswith(b"!--", at + 1):
            return True
        at = data.find(b"<", at + 1)
    return at >= 0 and data.find(b"<!--", at) >= 0


def _may_hold_raw_html(data: bytes) -> bool:
    """Whether cmark could find raw HTML in `data`: the regex tried only at each `<` (found with memchr), not at every byte."""
    at = data.find(b"<")
    while at >= 0:
        if _MAYBE_RAW_HTML.match(data, at):
            return True
        at = data.find(b"<", at + 1)
    return False
_TYPOGRAPHIC = _PLAIN | cmark.SMART


def _reference_definitions(text: str) -> dict[str, int]:
    """Where each reference definition is, by destination: a typo in its URL is reported there."""
    if "]:" not in text:
        return {}
    found: dict[str, int] = {}
    for match in _REFERENCE_DEFINITION.finditer(text):
        found.setdefault(unquote(match.group(1)), text.count("\n", 0, match.start()) + 1)
    return found


def _take_raw_html(document: cmark.Document) -> list[cmark.RawHtml]:
    """Replace each piece of raw HTML by a numbered placeholder with as many line breaks."""
    pieces = list(document.raw_html())
    for index, piece in enumerate(pieces):
        document.set_literal(piece.node, f"{_OPEN}{index}{_CLOSE}{chr(10) * piece.markup.count(chr(10))}")
    return pieces


# -- reading back what cmark wrote ----------------------------------------------------------------------


class _SourceLines:
    """The body line of each link, image and inline raw HTML piece, from a second render with source positions.

    Made only when a line is asked for (a problem to report, a #fragment
    link to check later): cmark's source positions cost a tenth of the stage,
    and most bodies have neither. Both renders come from the same tree, so
    the n-th link of one is the n-th link of the other.
    """

    __slots__ = ("_document", "_links", "_raw")

    def __init__(self, document: cmark.Document) -> None:
        self._document = document
        self._links: list[int] | None = None
        self._raw: dict[int, int] = {}

    def _read(self) -> list[int]:
        if self._links is None:
            rendered = self._document.render_utf8(cmark.SOURCEPOS)
            self._links = [_line_at(rendered, m.start()) for m in _LINK_OR_IMAGE.finditer(rendered)]
            self._raw = {int(m[1]): _line_at(rendered, m.start()) for m in _PLACEHOLDER_UTF8.finditer(rendered)}
        return self._links

    def link(self, index: int) -> int:
        return self._read()[index]

    def raw(self) -> dict[int, int]:
        self._read()
        return self._raw


def _read_back(rendered: bytes, kind: str, state: RenderState) -> tuple[bytes, tuple[Heading, ...], str, tuple[str, ...]]:
    """(HTML, headings, first paragraph, footnote ids) from cmark's HTML.

    Text is escaped by cmark and raw HTML is out, so each `<` here starts
    cmark's markup: one regex pass finds every tag the stage changes, in
    document order (links and images share one count, as _SourceLines
    reads them), and the changes are put together as they come. The
    footnotes' ids are met on the way: each mark's `fnref-…` on its link,
    each note's `fn-…` on its list item, in the order they come.
    """
    edits, found, taken, index, notes_ids, closed = [], [], {}, 0, [], {}
    voice, depth, questions = kind == "voice", 0, []  # a voice's top-level `##` are its questions (_interview_sections)
    for match in (_CHANGED_IN_VOICE if voice else _CHANGED).finditer(rendered):
        group = match.lastindex
        if group is None:  # a table or strikethrough, each of which only its extension writes
            at, end = match.span()
            opening = match[0]
            start_tag, end_tag, end_tag_now = _REWRITTEN[opening]
            end_at = rendered.index(end_tag, max(end, closed.get(opening, 0)))  # the first not taken (<del> may nest)
            closed[opening] = end_at + len(end_tag)
            edits += ((at, end, start_tag), (end_at, end_at + len(end_tag), end_tag_now))
        elif group <= 2:  # a link
            href = match[1]
            if not _written_as_it_is(href):  # else what _resolve_link would write back, byte for byte
                resolved = _resolve_link(_unescape(href.decode("utf-8")), index, state)
                edits.append((*match.span(), b'<a href="%s"%s>' % (_escape(resolved).encode("utf-8"), match[2] or b"")))
            index += 1
        elif group == 3 or group == 8:  # a footnote's mark, or the footnote
            notes_ids.append(match[group].decode("utf-8"))
        elif group == 7:  # a heading: its text is read up to its end tag, and the links inside it come next
            level = int(match[7])
            start = match.end()
            text = _plain_text(rendered[start : rendered.index(_HEADING_END[level], start)], state.raw_html)
            anchor = _unique(github_slug(_as_typed(text) if state.typographic else text), taken)
            found.append(Heading(level, anchor, text))
            tag_with_id = b'<h%d id="%s">' % (level, anchor.encode("utf-8"))  # github_slug keeps nothing to escape
            edits.append((start - 4, start, tag_with_id))
            if voice and level == 2 and depth == 0:
                questions.append(tag_with_id)
        elif group <= 6:  # an image
            src = _unescape(match[4].decode("utf-8"))
            edits.append((*match.span(), _resolve_image(src, match[5], match[6] or b"", index, state)))
            index += 1
        elif group == 9:
            depth += 1
        else:
            depth -= 1
    html_out = rendered
    if edits:
        if closed:
            edits.sort()  # the end tags went in with their start tags: by offset, where no two start
        parts, cursor = [], 0
        for start, end, replacement in edits:
            parts += (rendered[cursor:start], replacement)
            cursor = end
        parts.append(rendered[cursor:])
        html_out = b"".join(parts)
    notes = _footnotes_at(html_out)
    if questions:
        html_out = _interview_sections(html_out, notes, questions)
        notes = _footnotes_at(html_out)
    return html_out, tuple(found), _first_paragraph(html_out, notes, state.raw_html), tuple(dict.fromkeys(notes_ids))


def _written_as_it_is(href: bytes) -> bool:
    """A plainly external web URL (links.plainly_web) as cmark wrote it, holding nothing to unescape or escape:
    most links of a link newsletter, left where they are without decoding them."""
    return (href.startswith((b"https://", b"http://")) and href.isascii() and href.find(b"&") < 0 and href.find(b"'") < 0
            and href.find(b"[") < 0 and href.find(b"]") < 0)


def _footnotes_at(markup: bytes) -> int:
    """Where cmark's footnotes start, or -1: they come last, so a body without `</section>` at its end has none."""
    return markup.rfind(_FOOTNOTES) if markup.endswith(b"</section>\n") else -1


def _line_at(rendered: bytes, offset: int) -> int:
    """The body line of `offset` in HTML cmark wrote with source positions: its block's first line, plus the line breaks before it."""
    mark = rendered.rfind(_SOURCEPOS_MARK, 0, offset)
    if mark < 0:
        return 1
    start = mark + len(_SOURCEPOS_MARK)
    return int(rendered[start : rendered.index(b":", start)]) + rendered.count(b"\n", mark, offset)


def _unescape(text: str) -> str:
    return html.unescape(text) if "&" in text else text


def _escape(text: str) -> str:
    return html.escape(text) if _NEEDS_ESCAPING.search(text) else text


def _depth(markup: bytes, offset: int, start: int = 0, depth: int = 0) -> int:
    """How many block quotes and lists are open at `offset` of cmark's HTML, given `depth` of them at `start`
    (a tag before it): counting on from the last offset keeps a walk through the HTML one pass, not one a tag."""
    if offset == start:
        return depth
    count = markup.count
    opened = count(b"<blockquote", start, offset) + count(b"<ul", start, offset) + count(b"<ol", start, offset)
    closed = count(b"</blockquote>", start, offset) + count(b"</ul>", start, offset) + count(b"</ol>", start, offset)
    return depth + opened - closed


def _first_paragraph(markup: bytes, notes: int, raw_html: bool) -> str:
    """The text of the first top-level paragraph that has any, before the footnotes (at `notes`, or -1)."""
    end = len(markup) if notes < 0 else notes
    start = markup.find(b"<p>", 0, end)
    depth, at = 0, 0
    while start >= 0:
        close = markup.find(b"</p>", start, end)
        if close < 0:
            break
        depth, at = _depth(markup, start, at, depth), start
        if depth == 0:
            text = _plain_text(markup[start + 3 : close], raw_html)
            if text:
                return text
        start = markup.find(b"<p>", close, end)
    return ""


def _interview_sections(markup: bytes, notes: int, questions: list[bytes]) -> bytes:
    """Wrap each top-level `##` question (`questions`: their tags as written, in order) and the answer under it
    in its own section.

    The question is a real heading (so it is in the outline and has an id to
    link to) and the section is labelled by it, which is how screen readers
    announce a question-and-answer structure. Footnotes stay after the last
    answer; a heading inside a list or quote is not a question (its section
    could not close outside it).
    """
    end = len(markup) if notes < 0 else notes
    starts, at = [], 0
    for tag in questions:  # each id is the body's only one: its tag is found from the last
        at = markup.index(tag, at)
        starts.append(at)
    out = [markup[: starts[0]]]
    for n, start in enumerate(starts):
        stop = starts[n + 1] if n + 1 < len(starts) else end
        close = markup.index(b"</h2>\n", start) + len(b"</h2>\n")
        out.append(b'<section class="qa" aria-labelledby="%s">\n%s' % (questions[n][8:-2], markup[start:close]))
        out.append(b'<div class="answer">\n%s</div>\n</section>\n' % markup[close:stop])
    out.append(markup[end:])
    return b"".join(out)


_ASCII_SPACES_BUT_SPACE = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"  # what str.split() splits ASCII text on, less ' '


def _plain_text(markup: bytes, raw_html: bool) -> str:
    """The text of rendered inline HTML, as a reader sees it (no footnote marks, no raw HTML: `raw_html`, if the body has any)."""
    if markup.find(b"<") >= 0:
        markup = _TAGS.sub(b"", markup)
    if raw_html and markup.find(_OPEN_UTF8) >= 0:
        markup = _PLACEHOLDER_UTF8.sub(b"", markup)
    # Nothing to tidy where the only space str.split() splits on is ' ', single, inside. cmark writes entities
    # only for & < > " and no NUL, so ASCII is asked in its bytes, with strcspn (16 bytes at once); other text
    # with isprintable(), as every other space is unprintable.
    if _STRCSPN is not None and markup.isascii():
        tidy = (_STRCSPN(markup, _ASCII_SPACES_BUT_SPACE) != len(markup) or markup.find(b"  ") >= 0
                or markup[:1] == b" " or markup[-1:] == b" ")
        text = _unescape(markup.decode("ascii"))
        return " ".join(text.split()) if tidy else text
    text = _unescape(markup.decode("utf-8"))
    if "  " not in text and text[:1] != " " and text[-1:] != " " and text.isprintable():
        return text
    return " ".join(text.split())


def _as_typed(text: str) -> str:
    """A heading's dashes as the editor typed them: GitHub makes its ids from `--`, which it keeps as hyphens."""
    return text.replace("\u2014", "---").replace("\u2013", "--") if "\u2013" in text or "\u2014" in text else text


def github_slug(text: str) -> str:
    """GitHub's heading id: lower case, only letters, marks, numbers, `_`, `-` and spaces kept, spaces to `-`.

    Letters of every script are kept (github-slugger's rule), so a Welsh,
    Greek or Urdu heading keeps its words. A heading with nothing left (an
    emoji alone) gets `section`, where GitHub would give an empty id.
    """
    lower = text.lower()
    if lower.isascii():
        kept = _NOT_IN_ASCII_IDS.sub("", lower)
    else:
        kept = "".join(ch for ch in lower if ch in " -_" or unicodedata.category(ch)[0] in "LMN" or unicodedata.category(ch) == "Pc")
    return kept.replace(" ", "-") or "section"


def _unique(slug: str, taken: dict[str, int]) -> str:
    """`-1`, `-2`, ... for repeats, as github-slugger counts them (a later `why-1` heading becomes `why-1-1`)."""
    result = slug
    while result in taken:
        taken[slug] += 1
        result = f"{slug}-{taken[slug]}"
    taken[result] = 0
    return result


def _resolve_link(href: str, index: int, state: RenderState) -> str:
    """The URL to write for `href`, the index-th link or image of the body (its line is worked out only when needed)."""
    stripped = href.strip()
    if plainly_web(stripped):  # most links of a link newsletter: what locate_in would say, at once
        return stripped
    try:
        kind, target, suffix, source = where_in(stripped, state.folder, state.targets)
    except TypoScheme as problem:
        defined = _reference_definitions(state.data.decode("utf-8")).get(unquote(href))
        state.report(state.file_line(defined) if defined else state.link_line(index), f"broken link: {problem}")
        return "#"
    except LinkProblem as problem:
        state.report(state.link_line(index), f"broken link: {problem}", follows=isinstance(problem, TargetFailed))
        return "#"
    if kind == "page":
        if not suffix:
            return target
        fragment = suffix.partition("#")[2]
        if fragment:
            state.fragment_links.append((state.link_line(index), href, source, unquote(fragment)))
    elif kind == "file":
        return state.urls.for_output(target) + suffix
    elif href.startswith("#") and len(href) > 1:  # on this page
        state.fragment_links.append((state.link_line(index), href, "", unquote(href[1:])))
    return target + suffix


def _resolve_image(src: str, alt: bytes, title: bytes, index: int, state: RenderState) -> bytes:
    if not html.unescape(alt.decode("utf-8")).strip():
        state.report(state.link_line(index), f"image {src!r} needs alt text: write ![what the image shows]({src})")
    try:
        path = resolve_image(src, state.source, state.targets)
        resolved = path if path.startswith(("http://", "https://", "data:")) else state.urls.for_output(path)
    except LinkProblem as problem:
        state.report(state.link_line(index), f"broken image: {problem}")
        resolved = ""
    return b'<img src="%s" alt="%s"%s />' % (html.escape(resolved).encode("utf-8"), alt, title)


# -- raw HTML, by kind ------------------------------------------------------------------------------------


def _put_raw_html_back(
    body_html: str, kind: str, raw: list[cmark.RawHtml], raw_lines: dict[int, int], state: RenderState
) -> tuple[str, tuple[str, ...]]:
    """Each kind's raw HTML in place of its placeholder; the ids raw HTML gives the page."""
    if not raw:
        return body_html, ()
    lines = [state.file_line(piece.line if not piece.inline else raw_lines.get(index, 1)) for index, piece in enumerate(raw)]
    if kind == "voice":
        warned: set[int] = set()
        for piece, line in zip(raw, lines):
            if piece.markup.strip() and line not in warned:
                warned.add(line)
                state.problems.append(warning(
                    state.source, line, f"raw HTML {_first_tag(piece.markup)!r} is shown as text: a member's voice carries no markup"))
        return _PLACEHOLDER.sub(lambda m: html.escape(_markup_in_place(m, raw), quote=False), body_html), ()
    restored = _PLACEHOLDER.sub(lambda m: _markup_in_place(m, raw), body_html)
    if kind == "newsletter":
        for piece, line in zip(raw, lines):
            state.problems += [warning(state.source, line + row, message) for row, message in _not_fit_for_email(piece.markup)]
        schemes = {s.lower() for s in _SCHEMES_IN_OUTPUT.findall(body_html)} - {"javascript", "vbscript", "file", "data"}
        cleaned = nh3.clean(
            restored, tags=set(EMAIL_TAGS), attributes={k: set(v) for k, v in EMAIL_ATTRIBUTES.items()},
            clean_content_tags=set(_DROPPED_WITH_CONTENT), link_rel=None,
            url_schemes={"http", "https", "mailto", "tel"} | schemes,
        )
        return cleaned, tuple(dict.fromkeys(_RAW_IDS.findall("".join(p.markup for p in raw))))
    _check_trusted_html(restored, raw, lines, state)
    return restored, tuple(dict.fromkeys(_RAW_IDS.findall("".join(p.markup for p in raw))))


def _markup_in_place(match: re.Match[str], raw: list[cmark.RawHtml]) -> str:
    """A placeholder's markup, and the line breaks cmark wrote after it (the placeholder carries the markup's own)."""
    markup = raw[int(match[1])].markup
    return markup + match[2][markup.count("\n") :]


def _first_tag(markup: str) -> str:
    match = re.search(r"<[^\s>]*>?", markup)
    return match.group(0) if match else markup.strip()[:20]


class _EmailTagScanner(HTMLParser):
    """Start tags and attributes the email allowlist does not keep, with their rows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        row = self.getpos()[0] - 1
        if tag not in EMAIL_TAGS:
            self.found.append((row, f"raw HTML <{tag}> is removed from a newsletter: email keeps text-level tags, images, tables, lists and <pre>"))
            return
        allowed = EMAIL_ATTRIBUTES["*"] | EMAIL_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name not in allowed:
                self.found.append((row, f"raw HTML <{tag} {name}=…>: the {name} attribute is removed from a newsletter"))
            elif name in _URL_ATTRIBUTES and value and re.match(r"\s*(javascript|vbscript|file|data):", value, re.IGNORECASE):
                self.found.append((row, f"raw HTML <{tag} {name}=…> uses a URL that can run code: removed from a newsletter"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def _not_fit_for_email(markup: str) -> list[tuple[int, str]]:
    """(row in `markup`, message) for each tag or attribute the newsletter allowlist drops."""
    scanner = _EmailTagScanner()
    scanner.feed(markup)
    scanner.close()
    return scanner.found


def _check_trusted_html(output: str, raw: list[cmark.RawHtml], lines: list[int], state: RenderState) -> None:
    """Trusted raw HTML is kept as written, so it is checked rather than rewritten: piece by piece, then as the browser reads the page.

    A quote left open in one piece swallows the text after it up to the next
    quote, so a tag can hold an href no single piece shows.
    """
    reported: Counter[tuple[str, str]] = Counter()
    for piece, line in zip(raw, lines):
        for (row, _), tag, message in html_problems(piece.markup):
            state.report(line + row - 1, message)
            reported[tag, message] += 1
        left_open = markup_left_open(piece.markup)
        if left_open:
            where = line + piece.markup.count("\n", 0, len(piece.markup) - len(left_open))
            state.report(where, f"raw HTML leaves {left_open[:30]!r} open (an unclosed tag, quote or comment), so the browser reads on into the text after it")
    # An image cmark wrote may be a data: image, which links.py allows in <img> (it runs no code); the raw HTML
    # check refuses every data: URL, so those are hidden from it here (raw HTML's own were checked piece by piece).
    output = output.replace('<img src="data:image/', '<img src="checked:image/')
    line_starts = [0] + [m.end() for m in re.finditer("\n", output)]
    spans = _raw_html_spans(output, raw, lines)
    for (row, column), tag, message in html_problems(output):
        if reported[tag, message]:
            reported[tag, message] -= 1
            continue
        state.report(_raw_html_line(output, spans, line_starts[row - 1] + column, state.body_line), message)


def _raw_html_spans(output: str, raw: list[cmark.RawHtml], lines: list[int]) -> list[tuple[int, int, str]]:
    """(offset in the output, file line, markup) of each raw HTML piece: it is copied verbatim and in order."""
    spans, cursor = [], 0
    for piece, line in zip(raw, lines):
        start = output.find(piece.markup, cursor)
        if start >= 0:
            spans.append((start, line, piece.markup))
            cursor = start + len(piece.markup)
    return spans


def _raw_html_line(output: str, spans: list[tuple[int, int, str]], offset: int, fallback: int) -> int:
    """The file line of `offset` in the output, within the raw HTML that starts before it."""
    index = bisect.bisect_right([start for start, _, _ in spans], offset) - 1
    if index < 0:
        return fallback
    start, line, markup = spans[index]
    return line + output.count("\n", start, min(offset, start + len(markup) - 1))
