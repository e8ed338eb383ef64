"""Split a content file into its front matter and its Markdown body.

Splitting is kept apart from parsing (see yamlsafe) so that line numbers are
counted once, from the top of the file, and every later error can point at the
line an editor sees in their editor.
"""

from __future__ import annotations

from dataclasses import dataclass

from newpower_site.core.diagnostics import Diagnostic, error
from newpower_site.load.yamlsafe import LocatedMapping, load_mapping

FENCE = "---"


@dataclass(frozen=True, slots=True)
class SplitFile:
    """A Markdown file split into its front matter (with lines) and its body."""

    front_matter: LocatedMapping
    body: str
    body_first_line: int  # file line of the body's first line


def decode_source(raw: bytes, path: str) -> tuple[str | None, list[Diagnostic]]:
    """Bytes to text with LF line endings; a BOM is dropped, NULs refused."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].replace(b"\r\n", b"\n").replace(b"\r", b"\n")  # lone CR ends a line too
        line = before.count(b"\n") + 1
        return None, [error(path, line, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8")]
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, [error(path, line, "the file contains a NUL byte")]
    return text, []


def split_front_matter(text: str, path: str) -> tuple[SplitFile | None, list[Diagnostic]]:
    lines = text.split("\n")
    if not text.strip():
        return None, [error(path, 1, "the file is empty; it needs front matter between --- lines")]
    if lines[0].rstrip() != FENCE:
        return None, [error(path, 1, "the file must start with front matter: a line '---', YAML, then '---'")]
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() in (FENCE, "...")), None)
    if closing is None:
        return None, [error(path, 1, "the front matter is not closed: add a '---' line after it")]
    yaml_text = "\n".join(lines[1:closing])
    mapping, problems = load_mapping(yaml_text, path, first_line=2)
    if mapping is None:
        if problems and "expected a mapping" in problems[0].message:
            problems = [error(path, 2, "the front matter must be a mapping of `key: value` lines")]
        return None, problems
    body = "\n".join(lines[closing + 1 :])
    return SplitFile(mapping, body, closing + 2), problems
