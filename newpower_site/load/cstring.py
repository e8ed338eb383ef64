"""Searches of a whole body at the C library's speed, for the Markdown stage.

glibc's strstr looks for a needle's first two bytes many positions at a
time, where CPython's bytes.find steps through the text a byte or a few at
a time: for a needle whose first bytes are rare in the text (`www.` in
Markdown), strstr is faster by the clock (1.5 to 2.5 × here). For one
that starts with a byte met everywhere (`<h` in HTML) it is not, and a
regex that finds `<` with a tight loop beats both (the read-back uses one).
Through cffi (cmarkgfm's own dependency), out-of-line ABI mode: nothing is
compiled, and the declarations come parsed (c_declarations.py).
Each call costs a few hundred nanoseconds, so these are for scans of a
whole text with few hits.

strstr stops at a NUL, so the texts searched here must hold none (the
caller checks). Where there is no C library to open (Windows) bytes.find
does the same work.
"""

from __future__ import annotations

from newpower_site.load._c_types import ffi as _ffi

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
