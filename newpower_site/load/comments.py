"""HTML comments are the editors' private notes: cut from a body before anything reads it.

A comment is removed from `<!--` to the next `-->` (or `<!-->`, `<!--->`, as
browsers read them), wherever it is: between blocks, inside a paragraph, over
several paragraphs. Its line breaks stay, so every later line keeps its
number. Inside a fenced or indented code block or a code span `<!--` is
text, as CommonMark reads it, and is kept.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^[ \t>]*(?:[-*+]|\d{1,9}[.)])?[ \t]*(`{3,}|~{3,})(.*)$")
_LIST_ITEM = re.compile(r"^[ >]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_BACKTICKS_OR_COMMENT = re.compile(r"`+|<!--")
_COMMENT_END = re.compile(r"-->|--!>")


def strip_comments(text: str) -> tuple[str, list[tuple[int, str]]]:
    """(`text` without its comments, [(body line, message)] for a comment never closed)."""
    if "<!--" not in text:
        return text, []
    out: list[str] = []
    problems: list[tuple[int, str]] = []
    position = 0
    for start, end in _code_free_spans(text):
        if end <= position:
            continue  # inside a comment that ran on past a fence
        out.append(text[position : max(start, position)])  # a fenced block: kept as it is
        position = max(start, position)
        while position < end and (opened := _next_comment(text, position, end)) is not None:
            out.append(text[position:opened])
            close = _comment_close(text, opened)
            if close is None:
                line = text.count("\n", 0, opened) + 1
                problems.append((line, "HTML comment `<!--` is never closed with `-->`: close it, or the rest of the file is hidden from readers"))
                out.append(text[opened:])
                return "".join(out), problems
            out.append("\n" * text.count("\n", opened, close))
            position = close
    out.append(text[position:])
    return "".join(out), problems


def _comment_close(text: str, opened: int) -> int | None:
    """The offset just after the comment that starts at `opened`."""
    after = opened + 4
    if text.startswith(">", after):
        return after + 1
    if text.startswith("->", after):
        return after + 2
    match = _COMMENT_END.search(text, after)
    return match.end() if match else None


def _next_comment(text: str, start: int, end: int) -> int | None:
    """The first `<!--` in text[start:end] that is not inside a code span."""
    position = start
    while True:
        match = _BACKTICKS_OR_COMMENT.search(text, position, end)
        if match is None:
            return None
        if match.group() == "<!--":
            return match.start()
        run = match.group()
        closing = re.compile(f"(?<!`){run}(?!`)")
        paragraph_end = text.find("\n\n", match.end(), end)
        close = closing.search(text, match.end(), end if paragraph_end < 0 else paragraph_end)
        position = close.end() if close else match.end()


def _code_free_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the text outside fenced and indented code blocks, in order.

    An indented code block starts after a blank line, four spaces in, unless
    the block above is a list item (whose text continues indented).
    """
    spans: list[tuple[int, int]] = []
    offset = span_start = 0
    fence: str | None = None
    indented = False
    previous_blank = True
    last_outdented = ""  # the last non-blank line indented less than four spaces
    for line in text.splitlines(keepends=True):
        content = line.rstrip("\r\n")
        blank = not content.strip()
        indent = len(content) - len(content.lstrip(" ")) if not content.startswith("\t") else 4
        closed = False
        if fence is not None:
            match = _FENCE.match(content)
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence) and not match.group(2).strip():
                fence, closed = None, True
                span_start = offset
        elif indented and not blank and indent < 4:
            indented = False
            span_start = offset
        if fence is None and not indented and not closed:
            match = _FENCE.match(content)
            if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
                fence = match.group(1)
                spans.append((span_start, offset + len(line)))
            elif not blank and indent >= 4 and previous_blank and not _LIST_ITEM.match(last_outdented):
                indented = True
                spans.append((span_start, offset))
        if not blank and indent < 4:
            last_outdented = content
        previous_blank = blank
        offset += len(line)
    if fence is None and not indented:
        spans.append((span_start, len(text)))
    return spans
