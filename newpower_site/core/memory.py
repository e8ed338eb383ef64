"""Handing freed memory back to the system, so that a process which let go of a large structure is small again.

Python's allocator keeps freed memory for its next objects, and glibc keeps
freed blocks in its heap; neither shows as free to the system (nor to a peak
of the whole process tree) until collected and trimmed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def give_back_memory() -> None:
    """Collect unreachable cycles, then ask glibc to return its free heap pages (a no-op elsewhere)."""
    import ctypes  # here: not on the path of a build that changed nothing

    gc.collect()
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc: its allocator returns memory its own way
        return
    trim(0)


@contextmanager
def collection_paused() -> Iterator[None]:
    """No garbage collection while a large graph of objects that all stay alive is made (unpickled): the
    collector runs every 700 new objects and walks them all, freeing nothing (a third of the time it
    takes to load the 35,000 objects of a 10,000-item head snapshot)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()  # not frozen and unfrozen into the oldest generation: the collector would not count it
        # there, and a long-lived caller (serve) would keep every rebuild's cycles (tests/test_serve_stress.py)
