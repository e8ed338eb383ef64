"""The summary line's figures, apart from the model: a build with nothing to do reads them from
the cache's record and prints them without loading the item classes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Counts:
    """How many items of each kind a build published, and how many it held back: the summary line's figures."""

    articles: int = 0
    voices: int = 0
    newsletters: int = 0
    pages: int = 0
    held_back: int = 0
