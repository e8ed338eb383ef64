"""Safe YAML loading that remembers where every key and list item stands.

Front matter and site.yaml are small, hand-written mappings, so we refuse what
a hand-written mapping never needs and an attacker might: tags (no Python
objects), anchors and aliases (no alias-expansion bombs) and duplicate keys
(a silent "last one wins" hides typos). Dates are kept as text so that our own
date parser, which knows the site's time zone, decides what they mean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from newpower_site.core.diagnostics import Diagnostic, error


# libyaml's parser when PyYAML was built with it (several times faster on a
# large site); the pure-Python one otherwise. Both count marks in characters.
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TextDatesLoader(_SafeBase):  # type: ignore[misc, valid-type]
    """SafeLoader without the implicit timestamp type: dates stay strings."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


@dataclass(slots=True)
class LocatedMapping:
    """A top-level mapping with the 1-based file line of each key and item."""

    values: dict[str, Any] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)
    item_lines: dict[str, list[int]] = field(default_factory=dict)
    nested_key_lines: dict[str, dict[str, int]] = field(default_factory=dict)
    start_line: int = 1

    def line_of(self, key: str, index: int | None = None) -> int:
        if index is not None:
            lines = self.item_lines.get(key, [])
            if index < len(lines):
                return lines[index]
        return self.key_lines.get(key, self.start_line)


# Deeper than any hand-written front matter; PyYAML composes recursively, so
# `[[[[...` thousands deep would otherwise end in a RecursionError.
MAX_DEPTH = 32


def load_mapping(text: str, path: str, first_line: int = 1) -> tuple[LocatedMapping | None, list[Diagnostic]]:
    """Parse `text` (whose first line is file line `first_line`) as a mapping."""

    def at(mark: Any) -> int:
        # Count "\n" up to the mark's character index rather than trusting
        # mark.line: YAML also breaks lines at U+0085, U+2028 and U+2029, which
        # an editor (and frontmatter.py) does not, so mark.line can drift.
        if mark is None:
            return first_line
        return first_line + text.count("\n", 0, mark.index)

    try:
        depth = 0
        for event in yaml.parse(text, Loader=_TextDatesLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return None, [error(path, at(event.start_mark), "YAML anchors and aliases (& and *) are not allowed here")]
            tag = getattr(event, "tag", None)
            if tag and tag not in ("!", *_PLAIN_TAGS):
                return None, [error(path, at(event.start_mark), f"YAML tag {tag!r} is not allowed: write plain values")]
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return None, [error(path, at(event.start_mark), f"the YAML is nested more than {MAX_DEPTH} levels deep")]
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        root = yaml.compose(text, Loader=_TextDatesLoader)
    except yaml.MarkedYAMLError as exc:
        mark, problem = plain_words(exc, text)
        column = mark.index - text.rfind("\n", 0, mark.index) if mark is not None else 0  # 1-based
        return None, [error(path, at(mark), f"invalid YAML: {problem}", column=column)]
    except yaml.reader.ReaderError as exc:  # a control character; str(exc) spans lines
        line = first_line + text.count("\n", 0, exc.position)
        return None, [error(path, line, f"invalid YAML: the character U+{exc.character:04X} is not allowed in YAML; remove it")]
    except yaml.YAMLError as exc:
        return None, [error(path, first_line, "invalid YAML: " + " ".join(str(exc).split()))]
    except UnicodeEncodeError as exc:  # libyaml reads UTF-8: a lone surrogate cannot be encoded
        line = first_line + text.count("\n", 0, exc.start)
        return None, [error(path, line, f"invalid YAML: the character U+{ord(text[exc.start]):04X} is not allowed in YAML; remove it")]

    if root is None:
        return LocatedMapping(start_line=first_line), []
    if not isinstance(root, yaml.MappingNode):
        return None, [error(path, at(root.start_mark), "expected a mapping of `key: value` lines")]

    located = LocatedMapping(start_line=first_line)
    problems: list[Diagnostic] = []
    for key_node, value_node in root.value:
        line = at(key_node.start_mark)
        if not isinstance(key_node, yaml.ScalarNode):
            problems.append(error(path, line, "a key must be plain text"))
            continue
        key = str(key_node.value)
        if key in located.values:
            problems.append(error(path, line, f"duplicate key {key!r} (first on line {located.key_lines[key]})"))
            continue
        try:
            value = _construct(value_node)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            problems.append(error(path, at(value_node.start_mark), f"invalid value for {key!r}: {exc}"))
            continue
        located.values[key] = value
        located.key_lines[key] = line
        if isinstance(value_node, yaml.SequenceNode):
            located.item_lines[key] = [at(item.start_mark) for item in value_node.value]
        if isinstance(value_node, yaml.MappingNode):
            located.nested_key_lines[key] = {
                str(k.value): at(k.start_mark) for k, _ in value_node.value if isinstance(k, yaml.ScalarNode)
            }
    return located, problems


def plain_words(exc: yaml.MarkedYAMLError, text: str) -> tuple[Any, str]:
    """Where a YAML mistake starts, and what it is in an editor's words rather than the parser's.

    An unclosed quote is found by the parser only where the text ends (the
    closing `---`), so it is reported where the quote opens; a tab is named
    as a tab, wherever the parser noticed it.
    """
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "not valid YAML"
    context = exc.context or ""
    if "quoted scalar" in context and exc.context_mark is not None:
        quote = text[exc.context_mark.index] if exc.context_mark.index < len(text) else '"'
        return exc.context_mark, (f"the quote ({quote}) opened on this line is never closed: end the value with {quote} "
                                  "(a value with a quote inside it goes in the other kind of quotes)")
    tab = _tab_in_indent(text, mark) if "tab" in problem or "cannot start any token" in problem else None
    if tab is not None:
        return tab, "a tab is used to indent this line: YAML indents with spaces only; replace the tab with spaces"
    opened = _quote_left_open(text, mark)
    if opened is not None:  # the next line's quote closed it, and the parser stumbled on what followed
        quote = text[opened.index]
        return opened, (f"the quote ({quote}) opened on this line is never closed: end the value with {quote} "
                        "(a value with a quote inside it goes in the other kind of quotes)")
    if "mapping values are not allowed" in problem:
        return mark, "a ': ' inside a value (or a line indented by mistake): put the value in quotes, e.g. title: \"Power: who holds it\""
    return mark, problem


_OPENING_QUOTE = re.compile(r"""^\s*(?:-\s+)?(?:[^:#'"]+:\s+)?(["'])""")


def _quote_left_open(text: str, mark: Any) -> _Mark | None:
    """The first line before `mark` whose value opens a quote the same line does not close."""
    end = mark.index if mark is not None else len(text)
    start = 0
    for line in text[:end].split("\n")[:-1]:
        found = _OPENING_QUOTE.match(line)
        if found:
            quote, rest = found.group(1), line[found.end():]
            closed = re.search(r'(?<!\\)"', rest) if quote == '"' else re.search(r"'(?!')", rest.replace("''", ""))
            if not closed:
                return _Mark(start + found.start(1))
        start += len(line) + 1
    return None


class _Mark:
    """A position in the text, as PyYAML's marks give one (index only)."""

    def __init__(self, index: int):
        self.index = index


def _tab_in_indent(text: str, mark: Any) -> _Mark | None:
    """The first tab in the indentation of the lines up to `mark` (the parser notices it a line late, or not as a tab)."""
    end = mark.index if mark is not None else len(text)
    end = text.find("\n", end)
    end = len(text) if end < 0 else end
    start = 0
    for line in text[:end].split("\n"):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            return _Mark(start + indent.index("\t"))
        start += len(line) + 1
    return None


def _construct(node: yaml.Node) -> Any:
    loader = _TextDatesLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()
