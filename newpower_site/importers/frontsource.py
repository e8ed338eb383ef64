"""Front matter as Hugo and Jekyll write it: YAML between `---`, TOML between `+++`, or a JSON object.

The source's YAML is read with PyYAML's safe loader, dates kept as text so
that the zone they were written with survives (`2020-11-11 12:00:00 +0600`);
TOML with the standard library's `tomllib`, whose dates carry their offset.
"""

from __future__ import annotations

import json
import tomllib
from datetime import date, datetime
from typing import Any

import yaml

from newpower_site.importers.model import iso_date


class _TextDates(yaml.SafeLoader):
    """The safe loader without its implicit timestamps: a date stays the text it was."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class FrontMatterError(ValueError):
    """The front matter cannot be read; the message says why, with its line where known."""


def split_source(text: str) -> tuple[dict[str, Any], str]:
    """(front matter, body) of a Hugo or Jekyll content file; ({}, text) when it has none."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    first = lines[0].rstrip()
    if first in ("---", "+++"):
        closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == first), None)
        if closing is None:
            raise FrontMatterError(f"the front matter opened with {first} on line 1 is never closed")
        raw = "\n".join(lines[1:closing])
        body = "\n".join(lines[closing + 1 :])
        data = _yaml(raw) if first == "---" else _toml(raw)
    elif text.lstrip().startswith("{"):
        decoder = json.JSONDecoder()
        try:
            data, end = decoder.raw_decode(text.lstrip())
        except json.JSONDecodeError as exc:
            raise FrontMatterError(f"line {exc.lineno}: the JSON front matter is not valid: {exc.msg}") from None
        body = text.lstrip()[end:]
    else:
        return {}, text
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError("the front matter is not a mapping of keys to values")
    return {str(k).lower(): v for k, v in data.items()}, body.lstrip("\n")


def _yaml(raw: str) -> Any:
    try:
        return yaml.load(raw, Loader=_TextDates)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 2}: " if mark is not None else ""
        raise FrontMatterError(f"{where}the YAML front matter is not valid: {getattr(exc, 'problem', None) or exc}") from None


def _toml(raw: str) -> Any:
    try:
        return tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise FrontMatterError(f"the TOML front matter is not valid: {exc}") from None


def date_value(value: Any, zone=None) -> str | None:
    """A front matter date (text, or tomllib's date/datetime) as ISO 8601 with its zone kept."""
    if isinstance(value, datetime):
        return iso_date(value, zone)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return iso_date(value, zone)
    return None


def text_list(value: Any) -> tuple[str, ...]:
    """`[a, b]`, `a b` (Jekyll's space-separated string) or `a` -> a tuple of labels."""
    if isinstance(value, str):
        return tuple(dict.fromkeys(part for part in value.split() if part))
    if isinstance(value, list):
        return tuple(dict.fromkeys(str(part).strip() for part in value if part is not None and str(part).strip()))
    return ()


def text_value(value: Any) -> str | None:
    """A front matter value as one text (`summary: 42` too), or None when it is empty or not a scalar."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    return str(value).strip() or None


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes"))
