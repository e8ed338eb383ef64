"""Handing freed memory back to the system, so that a process which let go of a large structure is small again.

Python's allocator keeps freed memory for its next objects, and glibc keeps
freed blocks in its heap; neither shows as free to the system (nor to a peak
of the whole process tree) until collected and trimmed.
"""

from __future__ import annotations

import ctypes
import gc


def give_back_memory() -> None:
    """Collect unreachable cycles, then ask glibc to return its free heap pages (a no-op elsewhere)."""
    gc.collect()
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc: its allocator returns memory its own way
        return
    trim(0)
