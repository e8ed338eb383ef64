"""Email checks at build time: CSS that mail clients drop, and the size Gmail clips at.

`lint_template_css` reads an email template as written (Jinja markup and all)
and checks every CSS declaration in it, in `style="..."` attributes and in
`<style>` blocks, against a snapshot of caniemail.com's data
(data/caniemail-css.json, refreshed by scripts/refresh_caniemail.py) for four
clients: Gmail, Outlook on Windows, Apple Mail and Yahoo Mail. It reports at the
template's own line, so the warning points at what an editor of the theme
changes, not at a line of the rendered email.

How support is counted (the snapshot's `rule`): per platform the most recently
tested version counts, a client is the worst of its platforms, and only "not
supported" warns. caniemail's "partial" (padding only on table cells in
Outlook, say) counts as supported: warning on it would flag nearly every
property an email needs and hide the findings that matter; the snapshot keeps
the notes for a reader who wants them.

Who reads a declaration decides which clients count:
- inside `<!--[if mso]> ... <![endif]-->` only Outlook on Windows does;
- inside `<!--[if !mso]><!--> ... <!--<![endif]-->`, and on an element whose
  style has `mso-hide: all`, everyone but Outlook on Windows does;
- a `<style data-progressive>` block is progressive enhancement (a mobile media
  query, dark mode): some clients ignoring it is the point, so it warns only on
  what none of the clients supports;
- a Jinja comment `{# emaillint: allow max-width, overflow #}` silences the
  caniemail warnings for those properties on its own line and the next, for a
  deliberate use with a fallback the linter cannot see (say, a `max-width`
  column that an mso table holds in Outlook).

Layout CSS that the issue forbids (flex, grid, position, CSS variables) and
`@import` and `@font-face` are warned about everywhere, progressive or not.

`check_email_size` holds an issue's email HTML to its budget: a warning at
80 KB, an error at 102 KB, where Gmail clips the message. KB = 1024 bytes.
What is measured is the HTML part as the message carries it
(`html_part_size`: quoted-printable, as mime.py writes it), since that is
what Gmail counts: the `.html` file itself is smaller.
"""

from __future__ import annotations

import bisect
import email
import email.policy
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from newpower_site.core.diagnostics import Diagnostic, error, warning

SNAPSHOT = Path(__file__).resolve().parent / "data" / "caniemail-css.json"
CLIENTS = ("gmail", "outlook-windows", "apple-mail", "yahoo")

KB = 1024
SIZE_WARNING_BYTES = 80 * KB
SIZE_ERROR_BYTES = 102 * KB  # Gmail shows "[Message clipped]" past this

_ALL = frozenset(CLIENTS)
_OUTLOOK = frozenset({"outlook-windows"})
_NOT_OUTLOOK = _ALL - _OUTLOOK
_NOBODY: frozenset[str] = frozenset()

_JINJA_OPEN = re.compile(r"\{[{%#]")
_JINJA_CLOSE = {"{{": "}}", "{%": "%}", "{#": "#}"}
_ALLOW = re.compile(r"\{#-?\s*emaillint:\s*allow\b([^#]{0,300})#\}", re.IGNORECASE)
_COMMENT_OR_CONDITIONAL = re.compile(
    r"<!--\[if(?P<cond>[^\]>]{0,100})\]>(?P<revealed>\s*<!--\s*-->|\s*<!-->)?"  # conditional start; revealed if <!--> or <!-- --> follows
    r"|<!--<!\[endif\]-->|<!\[endif\]-->"  # conditional ends
    r"|<!--",  # a plain comment
    re.IGNORECASE,
)
_TAG_OPEN = re.compile(r"<([A-Za-z][^\s/>\"'<]*)")
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.DOTALL)
_DECLARATION = re.compile(r"\s*(-{0,2}[A-Za-z][\w-]*)\s*:(.*)", re.DOTALL)
_FUNCTION = re.compile(r"([a-z-]+)\(")
_MEDIA_FEATURE = re.compile(r"\(\s*([a-z-]+)")
_RAW_TEXT = ("script", "textarea", "title", "xmp", "noscript")
_RULE_GROUPS = ("media", "supports", "document", "-moz-document", "container", "layer", "keyframes", "-webkit-keyframes")
_MAX_NESTING = 16


@dataclass(frozen=True, slots=True)
class _Feature:
    """One caniemail feature and the mail clients that do not support it."""

    slug: str
    title: str
    url: str
    unsupported: frozenset[str]  # the clients caniemail marks "n"


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """The caniemail data, indexed by what the email's CSS and HTML use."""

    client_names: dict[str, str]
    properties: dict[str, tuple[_Feature, ...]]
    pairs: dict[tuple[str, str], tuple[_Feature, ...]]
    functions: dict[str, tuple[_Feature, ...]]
    at_rules: dict[str, tuple[_Feature, ...]]
    media_features: dict[str, tuple[_Feature, ...]]
    source: dict[str, str]


@lru_cache(maxsize=1)
def _snapshot() -> _Snapshot:
    """The caniemail snapshot, read and indexed once per process."""
    data = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    by_kind: dict[str, dict] = {kind: {} for kind in ("property", "pair", "function", "at-rule", "media-feature")}
    for slug, entry in sorted(data["features"].items()):
        feature = _Feature(
            slug,
            entry["title"],
            entry.get("url", ""),
            frozenset(client for client in CLIENTS if entry["support"].get(client) == "n"),
        )
        index = by_kind.get(entry["kind"])
        if index is None:
            continue
        for match in entry["match"]:
            key = tuple(match) if isinstance(match, list) else match
            index[key] = (*index.get(key, ()), feature)
    return _Snapshot(
        client_names={key: client["name"] for key, client in data["clients"].items()},
        properties=by_kind["property"],
        pairs=by_kind["pair"],
        functions=by_kind["function"],
        at_rules=by_kind["at-rule"],
        media_features=by_kind["media-feature"],
        source=data["source"],
    )


def caniemail_source() -> dict[str, str]:
    """Where the snapshot came from (package, version, data date), for docs and reports."""
    return dict(_snapshot().source)


# -- size budget ---------------------------------------------------------------


def html_part_size(eml: bytes) -> int:
    """Bytes of the text/html part of a MIME message, as encoded in it (its transfer encoding, not decoded).

    Parsed with compat32, which leaves headers as strings: the payload is the
    same text, and the modern policy's header objects, which nothing here
    reads, cost a cold build seconds over 500 issues.
    """
    message = email.message_from_bytes(eml, policy=email.policy.compat32)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=False)
            return len(payload.encode("ascii", "replace") if isinstance(payload, str) else payload)
    return 0


def check_email_size(source: str, line: int, size_bytes: int) -> list[Diagnostic]:
    """An issue's email HTML against its budget: warn at 80 KB, fail at 102 KB (KB = 1024 bytes).

    `source` is the issue's file (site-relative), which is what the editor
    shortens; `line` is where to point in it (1 for its front matter, 0 for the file).
    """
    shown = f"{math.floor(size_bytes * 10 / KB) / 10:.1f} KB ({size_bytes} bytes)"
    if size_bytes >= SIZE_ERROR_BYTES:
        return [
            error(
                source,
                line,
                f"email HTML is {shown}: Gmail clips an email at 102 KB, hiding its end and the unsubscribe link",
                hint="feature fewer items or shorten the introduction and summaries",
            )
        ]
    if size_bytes >= SIZE_WARNING_BYTES:
        return [
            warning(
                source,
                line,
                f"email HTML is {shown}, over the 80 KB budget (Gmail clips at 102 KB)",
                hint="feature fewer items or shorten the introduction and summaries",
            )
        ]
    return []


# -- CSS lint --------------------------------------------------------------------


def lint_template_css(path: Path, shown_path: str) -> list[Diagnostic]:
    """Every CSS declaration in the email template at `path`, checked; diagnostics name `shown_path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as failure:
        return [warning(shown_path, 0, f"cannot read the email template to check its CSS: {failure}")]
    return lint_css_text(text, shown_path)


def lint_css_text(text: str, shown_path: str) -> list[Diagnostic]:
    """`lint_template_css` on a template's text: pure, and never raises."""
    linter = _Linter(text, shown_path)
    linter.run()
    return sorted(set(linter.found), key=lambda d: (d.line, d.column, d.message))


class _Linter:
    def __init__(self, text: str, shown_path: str) -> None:
        self.shown_path = shown_path
        self.masked = _mask_jinja(text)
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.allowed = _allowed_properties(text, self.line_of)
        self.snapshot = _snapshot()
        self.found: list[Diagnostic] = []

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset)

    def report(self, offset: int, message: str, hint: str = "") -> None:
        line = self.line_of(offset)
        column = offset - self.line_starts[line - 1] + 1
        self.found.append(warning(self.shown_path, line, message, column=column, hint=hint))

    # Markup: which parts of the template which clients read.

    def run(self) -> None:
        for start, end, audience in _segments(self.masked):
            if audience:
                self.scan_markup(start, end, audience)

    def scan_markup(self, start: int, end: int, audience: frozenset[str]) -> None:
        text = self.masked
        position = start
        while True:
            tag = _next_tag(text, position, end)
            if tag is None:
                return
            name, attributes_start, attributes_end, position = tag
            name = name.lower()
            attributes = list(_attributes(text, attributes_start, attributes_end))
            if name in _RAW_TEXT or name == "style":
                close = re.compile(rf"</{name}\s*>", re.IGNORECASE).search(text, position, end)
                content_end = close.start() if close else end
                if name == "style":
                    progressive = any(attribute.lower() == "data-progressive" for attribute, _, _ in attributes)
                    self.scan_stylesheet(position, content_end, audience, progressive)
                position = close.end() if close else end
                continue
            for attribute, value, value_start in attributes:
                if attribute.lower() == "style" and value:
                    self.scan_style_attribute(value_start, value_start + len(value), audience)

    def scan_style_attribute(self, start: int, end: int, audience: frozenset[str]) -> None:
        declarations = list(_declarations(self.masked, start, end))
        # An element Outlook hides (the preheader) needs no Outlook support for the rest of its style.
        if any(prop == "mso-hide" and value.strip().lower().startswith("all") for prop, value, _ in declarations):
            audience = audience - _OUTLOOK
        for prop, value, offset in declarations:
            self.check_declaration(prop, value, offset, audience, progressive=False)

    def scan_stylesheet(self, start: int, end: int, audience: frozenset[str], progressive: bool) -> None:
        css = _CSS_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m[0]), self.masked[start:end])
        for item in _stylesheet_items(css, 0, len(css), 0):
            kind, name, detail, offset = item
            if kind == "at-rule":
                self.check_at_rule(name, detail, start + offset, audience, progressive)
            else:
                self.check_declaration(name, detail, start + offset, audience, progressive)

    # The checks.

    def check_declaration(self, prop: str, value: str, offset: int, audience: frozenset[str], progressive: bool) -> None:
        prop = prop.lower()
        value = value.strip().lower()
        value = re.sub(r"\s*!\s*important\s*$", "", value)
        if self.check_forbidden(prop, value, offset):
            return
        if prop.startswith("-") or prop in self.allowed.get(self.line_of(offset), ()):
            return  # vendor and mso- properties: caniemail does not test them
        keyword = value.split(" ", 1)[0].split(",", 1)[0]
        self.check_features(self.property_features(prop), f"CSS property '{prop}'", offset, audience, progressive)
        self.check_features(self.snapshot.pairs.get((prop, keyword), ()), f"CSS property '{prop}:{keyword}'", offset, audience, progressive)
        for function in sorted(set(_FUNCTION.findall(value))):
            self.check_features(self.snapshot.functions.get(function, ()), f"CSS function '{function}()'", offset, audience, progressive)

    def property_features(self, prop: str) -> tuple[_Feature, ...]:
        """The features testing `prop`: its own, else its shorthand's (padding-left is tested as padding)."""
        name = prop
        while name:
            features = self.snapshot.properties.get(name)
            if features:
                return features
            name = name.rpartition("-")[0]
        return ()

    def check_at_rule(self, name: str, prelude: str, offset: int, audience: frozenset[str], progressive: bool) -> None:
        name = name.lower()
        if self.check_forbidden_at_rule(name, offset):
            return
        self.check_features(self.snapshot.at_rules.get(name, ()), f"CSS at-rule '@{name}'", offset, audience, progressive)
        if name == "media":
            for feature_name in sorted(set(_MEDIA_FEATURE.findall(prelude.lower()))):
                self.check_features(
                    self.snapshot.media_features.get(feature_name, ()),
                    f"CSS media feature '{feature_name}'",
                    offset,
                    audience,
                    progressive,
                )

    def check_features(self, features: tuple[_Feature, ...], what: str, offset: int, audience: frozenset[str], progressive: bool) -> None:
        names = self.snapshot.client_names
        for feature in features:
            missing = [client for client in CLIENTS if client in audience and client in feature.unsupported]
            hint = f"see {feature.url}" if feature.url else ""
            if progressive:
                if missing and len(missing) == len(audience):
                    clients = [names[client] for client in missing]
                    listed = clients[0] if len(clients) == 1 else ", ".join(clients[:-1]) + " or " + clients[-1]
                    self.report(offset, f"{what} is not supported in {listed} (caniemail)", hint)
                continue
            for client in missing:
                self.report(offset, f"{what} is not supported in {names[client]} (caniemail)", hint)

    def check_forbidden(self, prop: str, value: str, offset: int) -> bool:
        """The layout CSS the issue rules out, wherever it is; True when something was reported."""
        reported = False
        if prop.startswith("--"):
            self.report(offset, f"CSS variable '{prop}' is not allowed in email: Gmail, Outlook and Yahoo drop CSS variables")
            reported = True
        if "var(" in value:
            self.report(offset, f"CSS 'var()' in '{prop}' is not allowed in email: Gmail, Outlook and Yahoo drop CSS variables")
            reported = True
        keyword = value.split(" ", 1)[0]
        if prop == "display" and keyword in ("flex", "inline-flex", "grid", "inline-grid"):
            self.report(
                offset, f"CSS 'display:{keyword}' is not allowed in email: Gmail and Outlook cannot lay out flex or grid; use tables"
            )
            reported = True
        if prop == "position" and keyword != "static":
            self.report(offset, f"CSS 'position:{keyword}' is not allowed in email: Gmail and Outlook ignore position; use tables")
            reported = True
        return reported

    def check_forbidden_at_rule(self, name: str, offset: int) -> bool:
        if name == "import":
            self.report(offset, "CSS '@import' is not allowed in email: Gmail and Yahoo drop external stylesheets; inline the styles")
            return True
        if name == "font-face":
            self.report(offset, "CSS '@font-face' is not allowed in email: Gmail and Yahoo drop web fonts; use a system font stack")
            return True
        return False


# -- reading markup and CSS ------------------------------------------------------------


def _mask_jinja(text: str) -> str:
    """`text` with every Jinja tag, comment and expression blanked to spaces, keeping its length and lines.

    Offsets in the masked text are then offsets in the file, and templated CSS
    keeps its shape: `padding: {{ pad }}px 10px` reads as `padding: px 10px`,
    `{{ base }} color: red` as `color: red`. An opening never closed is left as it is.
    """
    pieces: list[str] = []
    position, copied, unclosed = 0, 0, set()
    while (opening := _JINJA_OPEN.search(text, position)) is not None:
        close = -1 if opening[0] in unclosed else text.find(_JINJA_CLOSE[opening[0]], opening.end())
        if close == -1:
            unclosed.add(opening[0])  # then no later opening of this kind is closed either
            position = opening.start() + 1
            continue
        close += 2
        pieces += [text[copied : opening.start()], re.sub(r"[^\n]", " ", text[opening.start() : close])]
        position = copied = close
    pieces.append(text[copied:])
    return "".join(pieces)


def _allowed_properties(text: str, line_of) -> dict[int, frozenset[str]]:
    """Lines -> properties an `{# emaillint: allow ... #}` comment silences there (its line and the next)."""
    allowed: dict[int, set[str]] = {}
    for match in _ALLOW.finditer(text):
        names = {name.lower() for name in re.findall(r"-{0,2}[A-Za-z][\w-]*", match[1].split("—")[0].split(" - ")[0])}
        first, last = line_of(match.start()), line_of(match.end())
        for line in range(first, last + 2):
            allowed.setdefault(line, set()).update(names)
    return {line: frozenset(names) for line, names in allowed.items()}


def _audience_of(condition: str) -> frozenset[str]:
    """Who renders the inside of `<!--[if CONDITION]>`: only Outlook on Windows (mso/IE) evaluates one."""
    negated = condition.strip().lstrip("(").strip().startswith("!")
    return _NOT_OUTLOOK if negated else _OUTLOOK


def _segments(text: str) -> Iterator[tuple[int, int, frozenset[str]]]:
    """Spans of markup with the clients that read them; plain comments are left out."""
    position, audience = 0, _ALL
    while position < len(text):
        marker = _COMMENT_OR_CONDITIONAL.search(text, position)
        if marker is None:
            yield position, len(text), audience
            return
        yield position, marker.start(), audience
        token = marker[0]
        if marker["cond"] is not None and marker["revealed"]:
            # <!--[if !mso]><!--> (or <!-- -->): everyone else reads what follows, up to <!--<![endif]-->
            audience = _audience_of(marker["cond"])
            position = marker.end()
        elif marker["cond"] is not None:
            # <!--[if mso]> ... <![endif]-->: a comment to everyone but Outlook, which reads it as markup
            end = text.find("<![endif]-->", marker.end())
            end = len(text) if end == -1 else end
            inside = _audience_of(marker["cond"])
            yield marker.end(), end, _OUTLOOK if inside == _OUTLOOK else _NOBODY
            position = min(len(text), end + len("<![endif]-->"))
        elif token.endswith("[endif]-->"):
            audience = _ALL
            position = marker.end()
        else:
            end = text.find("-->", marker.end())
            position = len(text) if end == -1 else end + 3


def _next_tag(text: str, position: int, end: int) -> tuple[str, int, int, int] | None:
    """The next start tag in text[position:end] as (name, attributes' start, attributes' end, offset after `>`).

    Read as a browser does, in one pass: a `>` inside a quoted attribute value
    does not end the tag, and a tag (or quote) never closed runs to the end.
    """
    opening = _TAG_OPEN.search(text, position, end)
    if opening is None:
        return None
    quote, after_equals = "", False
    for index in range(opening.end(), end):
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
        elif char == ">":
            return opening[1], opening.end(), index, index + 1
        elif char in "\"'" and after_equals:
            quote, after_equals = char, False
        elif char == "=":
            after_equals = True
        elif not char.isspace():
            after_equals = False
    return None


def _attributes(text: str, start: int, end: int) -> Iterator[tuple[str, str | None, int]]:
    """(name, value, offset of the value) for each attribute in text[start:end]."""
    for attribute in _ATTRIBUTE.finditer(text, start, end):
        for index in (2, 3, 4):
            if attribute[index] is not None:
                yield attribute[1], attribute[index], attribute.start(index)
                break
        else:
            yield attribute[1], None, attribute.end()


def _declarations(text: str, start: int, end: int) -> Iterator[tuple[str, str, int]]:
    """(property, value, offset of the property) for `prop: value; ...` in text[start:end]."""
    css = _CSS_COMMENT.sub(lambda m: " " * len(m[0]), text[start:end])
    for chunk_start, chunk in _split_top_level(css, ";"):
        if "{" in chunk or "}" in chunk:
            continue  # a nested rule, not a declaration
        declaration = _DECLARATION.match(chunk)
        if declaration:
            yield declaration[1], declaration[2], start + chunk_start + declaration.start(1)


def _split_top_level(css: str, separator: str) -> Iterator[tuple[int, str]]:
    """Pieces of `css` between separators outside strings, parentheses and braces."""
    depth, quote, piece_start = 0, "", 0
    for index, char in enumerate(css):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "({[":
            depth += 1
        elif char in ")}]":
            depth = max(0, depth - 1)
        elif char == separator and depth == 0:
            yield piece_start, css[piece_start:index]
            piece_start = index + 1
    yield piece_start, css[piece_start:]


def _unquoted(css: str, start: int, end: int) -> Iterator[tuple[int, str]]:
    """(index, char) of css[start:end] outside quoted strings: a brace or `;` inside a string is text."""
    quote = ""
    for index in range(start, end):
        char = css[index]
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        else:
            yield index, char


def _find_top_level(css: str, start: int, end: int, stops: str) -> int:
    """The index of the first of `stops` in css[start:end] outside strings and parentheses, or `end`."""
    depth = 0
    for index, char in _unquoted(css, start, end):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and char in stops:
            return index
    return end


def _matching_brace(css: str, open_index: int, end: int) -> int:
    """The index of the `}` closing the `{` at `open_index`, or `end` when it is never closed."""
    depth = 0
    for index, char in _unquoted(css, open_index, end):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
    return end


def _stylesheet_items(css: str, start: int, end: int, nesting: int) -> Iterator[tuple[str, str, str, int]]:
    """("at-rule", name, prelude, offset) and ("declaration", property, value, offset) in a style sheet."""
    position = start
    while position < end:
        stop = _find_top_level(css, position, end, "{;}")
        prelude = css[position:stop]
        prelude_start = position + len(prelude) - len(prelude.lstrip())
        at_rule = re.match(r"@([\w-]+)", css[prelude_start:stop])
        opens_block = stop < end and css[stop] == "{"
        close = _matching_brace(css, stop, end) if opens_block else stop
        if at_rule:
            name = at_rule[1].lower()
            yield "at-rule", name, css[prelude_start + at_rule.end() : stop], prelude_start
            if opens_block:
                if name in _RULE_GROUPS and nesting < _MAX_NESTING:
                    yield from _stylesheet_items(css, stop + 1, close, nesting + 1)
                elif name not in _RULE_GROUPS:
                    yield from _block_declarations(css, stop + 1, close)
        elif opens_block:
            yield from _block_declarations(css, stop + 1, close)
        position = close + 1


def _block_declarations(css: str, start: int, end: int) -> Iterator[tuple[str, str, str, int]]:
    for prop, value, offset in _declarations(css, start, end):
        yield "declaration", prop, value, offset
