"""A fingerprint of everything an output is made from, so unchanged outputs are not rendered again.

An output's bytes are a function of its producer, its template (and the
whole theme it may include), its context, and the generator. The context is
walked value by value, so a listing page notices a neighbour's new title, a
page count or a renamed topic, not only an edit of the files its `inputs`
name. Items already fingerprinted by itemcache.py (by their source hash) are
not walked again. A value that cannot be fingerprinted (a function, an open
file) makes its output be rendered every time, which is slow but never stale.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime, time
from enum import Enum
from pathlib import PurePath
from typing import Any
from zoneinfo import ZoneInfo

from newpower_site.core.hashing import blake2b


class Unfingerprintable(Exception):
    pass


_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELDS.get(kind)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(kind))
        _FIELDS[kind] = names
    return names


class Fingerprinter:
    """Digests of values, remembered by identity for one build (shared parts are walked once)."""

    def __init__(self, known: Mapping[int, tuple[Any, str]] | None = None):
        # id -> (the object, kept alive so its id stays its own; its digest)
        self.memo: dict[int, tuple[Any, bytes]] = {k: (v[0], v[1].encode()) for k, v in (known or {}).items()}

    def of(self, value: Any) -> bytes:
        kind = type(value)
        if kind is str:
            return b"s" + value.encode("utf-8", "surrogatepass") if len(value) < 64 else self._composite(value)
        if value is None or kind in (int, float, bool):
            return repr(value).encode()
        return self._composite(value)

    def _composite(self, value: Any) -> bytes:
        key = id(value)
        hit = self.memo.get(key)
        if hit is not None and hit[0] is value:
            return hit[1]
        hasher = blake2b(digest_size=16)
        self._feed(hasher, value)
        result = hasher.digest()
        self.memo[key] = (value, result)
        return result

    def _feed(self, hasher: Any, value: Any) -> None:
        update = hasher.update
        kind = type(value)
        if kind is str:
            update(b"S")
            update(value.encode("utf-8", "surrogatepass"))
        elif kind in (tuple, list):
            update(b"T" if kind is tuple else b"L")
            for element in value:
                part = self.of(element)
                update(len(part).to_bytes(4, "little"))
                update(part)
        elif isinstance(value, Mapping):
            update(b"M" + kind.__qualname__.encode())
            for element_key, element in value.items():
                for part in (self.of(element_key), self.of(element)):
                    update(len(part).to_bytes(4, "little"))
                    update(part)
        elif dataclasses.is_dataclass(value):
            update(b"D" + kind.__module__.encode() + b"." + kind.__qualname__.encode())
            for name in _field_names(kind):
                part = self.of(getattr(value, name))
                update(len(part).to_bytes(4, "little"))
                update(part)
        elif isinstance(value, (datetime, date, time)):
            update(b"t" + value.isoformat().encode() + repr(getattr(value, "tzinfo", None)).encode())
        elif isinstance(value, ZoneInfo):
            update(b"z" + str(value.key).encode())
        elif isinstance(value, (set, frozenset)):
            update(b"F")
            for part in sorted(self.of(element) for element in value):
                update(part)
        elif isinstance(value, Enum):
            update(b"E" + kind.__qualname__.encode() + repr(value.value).encode())
        elif isinstance(value, PurePath):
            update(b"P" + str(value).encode("utf-8", "surrogatepass"))
        elif isinstance(value, bytes):
            update(b"B" + value)
        elif kind in (int, float, bool) or value is None:
            update(repr(value).encode())
        elif hasattr(value, "__dict__") and not callable(value):
            update(b"O" + kind.__module__.encode() + b"." + kind.__qualname__.encode())
            for name, element in sorted(vars(value).items()):
                update(name.encode())
                part = self.of(element)
                update(len(part).to_bytes(4, "little"))
                update(part)
        else:
            raise Unfingerprintable(kind.__qualname__)

    def hex(self, value: Any) -> str:
        return self._composite(value).hex() if not isinstance(value, str) or len(value) >= 64 else blake2b(self.of(value), digest_size=16).hexdigest()
