"""What head and body edits since the last full build changed of its head snapshot (heads.py).

Kept apart from heads.py so that the quick path (quick.py), which heads.py
builds on, can keep it up to date too: a body edit gives the item a new
value fingerprint, which a head edit after it must count the item by.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from newpower_site.cache.snapshots import ItemRecord, SnapshotMissing, SnapshotReader
from newpower_site.core.model import Body, Item, Term, Voice

if TYPE_CHECKING:
    from newpower_site.cache.heads import Heads

HEAD_KINDS = ("article", "voice")  # pages are in every page's menu, newsletters in their neighbours' pages and emails


class BodyLeftOut:
    """Where a head-only item's Markdown was: a value the fingerprinter refuses (a callable), so that a
    head-only item reached by anything but its value fingerprint makes its output unfingerprintable
    (rendered every time), never a fingerprint that misses an edit to the body."""

    def __call__(self) -> None:
        raise SnapshotMissing("a head-only item was asked for its body")


_NO_BODY = Body()
_LEFT_OUT = BodyLeftOut()
_NO_LINES: Mapping[str, int] = MappingProxyType({})
_TERMS: dict[Term, Term] = {}  # one object per topic or movement: a few dozen a site


def _shared(term: Term) -> Term:
    return _TERMS.setdefault(term, term)


def head_only(item: Item) -> Item:
    """`item` without its body or its front matter's line numbers (only the diagnostics of a whole item
    read them): what planning reads of it, a tenth of its size to keep and load.

    The empty body, its stand-in and each topic and movement are one object
    shared by every head, so a pickle of 10,000 heads holds each once: with
    the lines left out, half the objects a head edit's snapshot unpickles
    (heads.py).
    """
    shared: dict[str, Any] = {"body": _NO_BODY, "markdown": _LEFT_OUT, "key_lines": _NO_LINES,
                              "topics": tuple(map(_shared, item.topics))}
    if isinstance(item, Voice):
        shared["movement"] = _shared(item.movement)
    return replace(item, **shared)


OVERLAY = "head-overlay"  # its row in the plan store's meta table (snapshots.py)


@dataclass(frozen=True, slots=True)
class Overlay:
    """What head edits since the last full build changed of its Heads: kept in the plan store, in the
    same transaction as the rows of the items and outputs they changed, so the two never disagree."""

    items: dict[str, tuple[Item, str]] = dataclasses.field(default_factory=dict)  # source -> (head only, value fingerprint)
    collections: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # path -> inputs, where changed
    sitemap: dict[str, Any] = dataclasses.field(default_factory=dict)  # page path -> lastmod, where changed

    def over(self, heads: Heads) -> Heads:
        """`heads` with these changes (the library is left as it was: heads._plan puts the items in)."""
        return replace(heads, fingerprints={**heads.fingerprints, **{s: fp for s, (_, fp) in self.items.items()}},
                       collections={**heads.collections, **self.collections}, sitemap={**heads.sitemap, **self.sitemap})


def overlay_after_quick(reader: SnapshotReader, records: Iterable[ItemRecord]) -> dict[str, Any]:
    """The meta rows a quick rebuild must write: it gave edited articles and voices new value
    fingerprints, which the head snapshot must know or a head edit after it would count them by
    their old ones (an overlay that cannot be read is marked stale: no head edit until a full build)."""
    changed = [r for r in records if r.published and r.fingerprint and r.item.kind in HEAD_KINDS]
    if not changed:
        return {}
    try:
        overlay = reader.meta(OVERLAY)
    except SnapshotMissing:
        overlay = None
    if not isinstance(overlay, Overlay):
        return {OVERLAY: "stale"}
    items = {**overlay.items, **{r.item.source: (head_only(r.item), r.fingerprint) for r in changed}}
    return {OVERLAY: Overlay(items, overlay.collections, overlay.sitemap)}  # type: ignore[dict-item]
