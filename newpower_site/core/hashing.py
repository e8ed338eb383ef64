"""BLAKE2b, the one hash of the cache, the seals and the output manifest, without loading OpenSSL.

`hashlib` loads OpenSSL's libcrypto when imported (~8 ms here, a few per cent of
a build with nothing to do) although BLAKE2 is CPython's own code in `_blake2`,
which hashlib.blake2b is. Where that module is missing, hashlib's is used.
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # another Python: the same function through hashlib
    from hashlib import blake2b

__all__ = ["blake2b"]
