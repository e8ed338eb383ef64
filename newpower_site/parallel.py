"""Spread a large batch of independent work over the machine's cores.

Work is handed to forked processes by index: a child inherits the parent's
memory (the items, the plan) when it is forked, so only indices go down the
pipe and only results come back. Batches amortise the hand-over. Below
MIN_ITEMS, or with one core, or where fork is unsafe (serve, whose threads are
running), the work runs in this process: a small site is never slower for it.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

MIN_ITEMS = 400  # below this, starting processes costs more than it saves
BATCH = 32

_JOB: Callable[[Any], Any] | None = None
_forbidden = False


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def forbid_fork() -> None:
    """Called once threads start (serve): forking a threaded process can deadlock a child."""
    global _forbidden
    _forbidden = True


def use_pool(count: int, enabled: bool = True) -> bool:
    return enabled and not _forbidden and count >= MIN_ITEMS and cores() > 1 and "fork" in multiprocessing.get_all_start_methods()


def _run_batch(batch: Sequence[Any]) -> list[Any]:
    assert _JOB is not None
    return [_JOB(argument) for argument in batch]


def imap_in_pool(job: Callable[[Any], T], arguments: Sequence[Any], enabled: bool = True, batch: int = BATCH) -> Iterator[T]:
    """job(argument) for each argument, in order, as results arrive; `job` must be a module-level function."""
    global _JOB
    if not use_pool(len(arguments), enabled):
        for argument in arguments:
            yield job(argument)
        return
    _JOB = job
    batches = [arguments[start : start + batch] for start in range(0, len(arguments), batch)]
    try:
        with multiprocessing.get_context("fork").Pool(cores()) as pool:
            for results in pool.imap(_run_batch, batches):
                yield from results
    finally:
        _JOB = None


def map_in_pool(job: Callable[[Any], T], arguments: Sequence[Any], enabled: bool = True, batch: int = BATCH) -> list[T]:
    return list(imap_in_pool(job, arguments, enabled, batch))
