"""Searches of a whole body at the C library's speed, for the Markdown stage.

CPython's bytes.find looks for a string of several bytes one position at a
time (two to three instructions a byte for `<h` in HTML, under valgrind), and
its regexes step through every byte; glibc's strstr compares sixteen
positions at once. Through cffi (cmarkgfm's own dependency), ABI mode:
nothing is compiled. Each call costs about a thousand instructions, so these
are for scans of a whole text with few hits.

strstr stops at a NUL, so the texts searched here must hold none: cmark's
HTML never does (it reads a NUL as U+FFFD), and the stage has replaced any
in a body before parsing it. Where there is no C library to open (Windows)
bytes.find does the same work.
"""

from __future__ import annotations

import cffi

_ffi = cffi.FFI()
_ffi.cdef("char *strstr(const char *, const char *); size_t strcspn(const char *, const char *);")
try:
    _libc = _ffi.dlopen(None)
    _strstr, strcspn = _libc.strstr, _libc.strcspn
except (OSError, AttributeError):
    _strstr = strcspn = None  # type: ignore[assignment]
_NULL = _ffi.NULL


def has(text: bytes, literal: bytes) -> bool:
    """Whether `literal` is in `text` (which holds no NUL)."""
    if _strstr is None:
        return text.find(literal) >= 0
    return _strstr(text, literal) != _NULL  # type: ignore[no-any-return]


def first(text: bytes, literal: bytes) -> int:
    """bytes.find(literal) for a `text` that holds no NUL."""
    if _strstr is None:
        return text.find(literal)
    base = _ffi.from_buffer(text)
    hit = _strstr(base, literal)
    return -1 if hit == _NULL else hit - base  # type: ignore[no-any-return]


def offsets(text: bytes, literal: bytes) -> list[int]:
    """Where `literal` starts in `text` (which holds no NUL), each time, not overlapping."""
    found: list[int] = []
    if _strstr is None:
        at = text.find(literal)
        while at >= 0:
            found.append(at)
            at = text.find(literal, at + len(literal))
        return found
    base = _ffi.from_buffer(text)
    hit = _strstr(base, literal)
    while hit != _NULL:
        found.append(hit - base)
        hit = _strstr(hit + len(literal), literal)
    return found
