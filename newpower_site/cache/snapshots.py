"""The last build's plan, kept so that an edit to one item's text is rebuilt without replanning.

Replanning and fingerprinting 10,000 items takes seconds; an edit that
changes only an item's body (its head, everything a listing or another page
shows of it, unchanged) changes only the outputs that show that item. This
store keeps every planned output as a pickle in which each item, and each
value all pages share (the config, the URLs, the image catalog), is a
reference rather than a copy. Loading an output with the edited item put in
place of the old one gives exactly the Output a full replan would
(quickedit.py). Items are kept one row each, so loading the few an output
needs does not load the site.

SQLite (standard library) gives rows read and written one by one and a
transaction around every save. It does not notice a flipped bit inside a
page, so every blob is sealed with a checksum too (buildcache.seal): a
damaged store is never used, only rebuilt.
"""

from __future__ import annotations

import copyreg
import os
import stat
import functools
import io
import pickle
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newpower_site.cache.store import seal, unseal
from newpower_site.core.diagnostics import Diagnostic
from newpower_site.cache.fingerprint import Fingerprinter
from newpower_site.plan.images import body_images
from newpower_site.core.model import Item
from newpower_site.plan.outputs import Output

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (source TEXT PRIMARY KEY, fingerprint TEXT, blob BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS outputs (path TEXT PRIMARY KEY, blob BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS dependents (source TEXT PRIMARY KEY, paths TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, blob BLOB NOT NULL);
"""
# Left out of an item's head: its body, shown only where the item is shown whole (its page, feeds, emails),
# and a newsletter's resolved featured items, which the head counts by their references (featured_refs).
HEAD_EXCLUDES = frozenset({"body", "markdown", "featured"})


class SnapshotMissing(Exception):
    """The store cannot give what was asked: take the full path."""


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """One source file as the last build had it."""

    item: Item  # rendered and assembled when published; as parsed when not
    published: bool
    fingerprint: str | None  # itemcache's value fingerprint; None: walk the item's fields
    problems: tuple[Diagnostic, ...]  # what reading and rendering it reported


def head_digest(item: Item, walker: Fingerprinter | None = None) -> str:
    """Everything of an item except its rendered body and Markdown source.

    The first paragraph, the headings and the summary are part of the head:
    listings, cards and emails show them. So are the body's ids and its
    #fragment links, which other items' links are checked against. So are the images the body shows,
    which every page's image catalog measures and resizes. A newsletter's
    featured items are counted by their references (their own edits are
    their own).
    """
    walker = walker or Fingerprinter()
    fields = [(name, getattr(item, name)) for name in item.__dataclass_fields__ if name not in HEAD_EXCLUDES]
    shown = (item.body.first_paragraph, item.body.headings, item.body.anchors, item.body.fragment_links, body_images(item.html))
    return walker.hex((type(item).__qualname__, tuple(fields), shown))


# What of an article's or voice's head only the outputs naming it among their inputs show (its page,
# listings and topic pages holding it, feeds, featuring issues): no collection is chosen or ordered by
# these (plan/outputs.py orders by date, kind and slug), no other item is checked against them.
SHOWN_ONLY = frozenset({"title", "summary", "authors", "name", "role", "quote", "location"})


def placement_digest(item: Item, walker: Fingerprinter | None = None) -> str:
    """head_digest without what only the outputs showing the item read (SHOWN_ONLY, its first paragraph
    and headings): equal before and after an edit, the edit moves the item in no collection, so the
    outputs that name it (snapshots' dependents) are all it can change."""
    walker = walker or Fingerprinter()
    fields = [(name, getattr(item, name)) for name in item.__dataclass_fields__ if name not in HEAD_EXCLUDES | SHOWN_ONLY]
    placed = (item.body.anchors, item.body.fragment_links, body_images(item.html))
    return walker.hex((type(item).__qualname__, tuple(fields), placed))


@functools.cache
def _item_types() -> tuple[type, ...]:
    found: list[type] = []
    pending: list[type] = [Item]
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending += kind.__subclasses__()
    return tuple(found)


def _sealed(value: Any, shared: Mapping[int, tuple[type, str]], root: Any = None) -> bytes:
    """`value` pickled with items (but `root`) and the shared values as references.

    The references are made by the pickler's dispatch table, so only items
    and the shared values' own types reach Python code: a persistent_id
    hook would be called for every object pickled, ten times slower.
    """
    protocol = pickle.HIGHEST_PROTOCOL

    def item_reference(obj: Any) -> Any:
        return obj.__reduce_ex__(protocol) if obj is root else (_resolve, ("item", obj.source))

    def shared_reference(obj: Any) -> Any:
        known = shared.get(id(obj))
        return (_resolve, ("shared", known[1])) if known is not None and obj is not root else obj.__reduce_ex__(protocol)

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=protocol)
    table = dict(copyreg.dispatch_table)
    table.update({kind: shared_reference for kind, _ in shared.values()})
    table.update({kind: item_reference for kind in _item_types()})
    pickler.dispatch_table = table
    pickler.dump(value)
    return seal(buffer.getvalue())


def _shared_ids(shared: Mapping[str, Any]) -> dict[int, tuple[type, str]]:
    """The shared values worth a reference: not strings or numbers, and not tuples (their items are referenced)."""
    return {id(value): (type(value), name) for name, value in shared.items() if not isinstance(value, (str, int, tuple, type(None)))}


_LOADING: list[SnapshotReader] = []  # the reader whose rows are being unpickled


def _resolve(kind: str, key: str) -> Any:
    """Called by unpickling for each reference _sealed made."""
    reader = _LOADING[-1]
    return reader.item(key) if kind == "item" else reader.shared[key]


def _plain(value: Any) -> bytes:
    return seal(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def _own_regular_file(path: Path) -> bool:
    """A plain file of the current user, reached through no final symbolic link."""
    try:
        found = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(found.st_mode) and found.st_uid == os.getuid()


class Snapshots:
    """One output folder's store: `.newpower-cache/build/snapshots-KEY.sqlite`."""

    def __init__(self, path: Path):
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.is_symlink():
                self.path.unlink()  # never write through a link planted at the store's name
        except OSError as exc:
            raise sqlite3.OperationalError(str(exc)) from exc
        connection = sqlite3.connect(self.path, isolation_level=None)
        connection.executescript(SCHEMA)
        return connection

    def discard(self) -> None:
        for suffix in ("", "-journal", "-wal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    # -- writing (after a full build) ------------------------------------------------------------------

    def save_build(self, build_id: str, in_step_with: str | None, shared: Mapping[str, Any],
                   items: Iterable[tuple[Item, bool, str | None, tuple[Diagnostic, ...]]],
                   outputs: Iterable[Output], changed_outputs: set[str], meta: Mapping[str, Any]) -> bool:
        """Record a full build: `items` as (item, published, fingerprint, problems).

        `in_step_with` is the build id whose rows the store holds; those still
        true (an item of the same fingerprint, an output not in
        `changed_outputs`) are kept rather than written again. False: no store.
        """
        shared_ids = _shared_ids(shared)
        try:
            connection = self._connect()
            keep = in_step_with is not None and self._build_id(connection) == in_step_with
            if not keep:  # a new store: quicker than deleting every row of the old one
                connection.close()
                self.discard()
                connection = self._connect()
        except (sqlite3.Error, pickle.UnpicklingError, EOFError):
            self.discard()
            return False
        try:
            connection.execute("BEGIN")
            known = dict(connection.execute("SELECT source, fingerprint FROM items")) if keep else {}
            seen_sources: set[str] = set()

            def item_rows() -> Iterator[tuple[str, str | None, bytes]]:  # one at a time: 10,000 items of HTML
                for item, published, fingerprint, problems in items:
                    seen_sources.add(item.source)
                    if fingerprint is None or known.get(item.source) != fingerprint:
                        record = ItemRecord(item, published, fingerprint, problems)
                        yield item.source, fingerprint, _sealed(record, shared_ids, root=item)

            connection.executemany("INSERT OR REPLACE INTO items VALUES (?, ?, ?)", item_rows())
            connection.executemany("DELETE FROM items WHERE source = ?", [(gone,) for gone in set(known) - seen_sources])

            planned: set[str] = set()
            to_write: list[Output] = []
            dependents: dict[str, list[str]] = {}
            for output in outputs:
                planned.add(output.path)
                if not keep or output.path in changed_outputs:
                    to_write.append(output)
                for source in output.inputs:
                    if source in seen_sources:
                        dependents.setdefault(source, []).append(output.path)
            connection.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?)", ((o.path, _sealed(o, shared_ids)) for o in to_write))
            if keep:
                stored = {path for (path,) in connection.execute("SELECT path FROM outputs")}
                connection.executemany("DELETE FROM outputs WHERE path = ?", [(p,) for p in stored - planned])
            connection.execute("DELETE FROM dependents")
            connection.executemany("INSERT INTO dependents VALUES (?, ?)", [(s, "\n".join(p)) for s, p in dependents.items()])
            rows = [("shared", _sealed(dict(shared), {}))] + [(key, _plain(value)) for key, value in meta.items()]
            rows.append(("build-id", build_id.encode()))  # plain text: compared before any pickle of the store is loaded
            connection.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", rows)
            connection.execute("COMMIT")
        except (sqlite3.Error, pickle.PicklingError, TypeError, AttributeError):
            try:
                connection.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            connection.close()
            self.discard()  # a store we could not write in full is no store
            return False
        connection.close()
        return True

    def save_items(self, build_id: str, records: Iterable[ItemRecord], shared_names: Mapping[str, Any],
                   outputs: Iterable[Output] = (), dependents: Mapping[str, list[str]] | None = None,
                   meta: Mapping[str, Any] | None = None) -> bool:
        """Replace the rows of edited items (after a quick rebuild), and those of replanned `outputs` and the
        `dependents` of sources whose list changed (after a head edit); False if the store moved on."""
        shared_ids = _shared_ids(shared_names)
        try:
            connection = self._connect()
            try:
                connection.execute("BEGIN")
                if self._build_id(connection) != build_id:
                    connection.execute("ROLLBACK")
                    return False
                connection.executemany("INSERT OR REPLACE INTO items VALUES (?, ?, ?)", [
                    (r.item.source, r.fingerprint, _sealed(r, shared_ids, root=r.item)) for r in records
                ])
                connection.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?)", [(o.path, _sealed(o, shared_ids)) for o in outputs])
                connection.executemany("INSERT OR REPLACE INTO dependents VALUES (?, ?)",
                                       [(source, "\n".join(paths)) for source, paths in (dependents or {}).items()])
                connection.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [(k, _plain(v)) for k, v in (meta or {}).items()])
                connection.execute("COMMIT")
                return True
            finally:
                connection.close()
        except (sqlite3.Error, pickle.PicklingError, TypeError, AttributeError):
            self.discard()
            return False

    @staticmethod
    def _build_id(connection: sqlite3.Connection) -> str | None:
        """Which build the store holds: the output state (a file sealed to itself) names the one it trusts,
        so a store planted or copied in is never unpickled."""
        row = connection.execute("SELECT blob FROM meta WHERE key = 'build-id'").fetchone()
        return bytes(row[0]).decode("ascii", "replace") if row else None

    @staticmethod
    def _meta(connection: sqlite3.Connection, key: str) -> Any:
        row = connection.execute("SELECT blob FROM meta WHERE key = ?", (key,)).fetchone()
        payload = unseal(row[0]) if row else None
        return pickle.loads(payload) if payload is not None else None

    # -- reading (a quick rebuild) ---------------------------------------------------------------------

    def reader(self, build_id: str) -> SnapshotReader:
        if not _own_regular_file(self.path):
            raise SnapshotMissing("no store of ours")
        try:
            connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            if self._build_id(connection) != build_id:
                connection.close()
                raise SnapshotMissing("the store holds another build")
        except (sqlite3.Error, pickle.UnpicklingError, EOFError) as exc:
            raise SnapshotMissing(str(exc)) from exc
        return SnapshotReader(connection)


class SnapshotReader:
    """Rows loaded on demand; every reference to an item resolves to one object (the edited one if replaced)."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection
        self.records: dict[str, ItemRecord] = {}
        self.replaced: dict[str, Item] = {}
        self._shared: dict[str, Any] | None = None

    def close(self) -> None:
        self.connection.close()

    def _load(self, table: str, column: str, key: str) -> Any:
        try:
            row = self.connection.execute(f"SELECT blob FROM {table} WHERE {column} = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            raise SnapshotMissing(str(exc)) from exc
        payload = unseal(row[0]) if row else None
        if payload is None:
            raise SnapshotMissing(f"{table} {key}")
        _LOADING.append(self)
        try:
            return pickle.loads(payload)
        except SnapshotMissing:
            raise
        except Exception as exc:  # a pickle of classes that have since changed
            raise SnapshotMissing(f"{table} {key}: {exc}") from exc
        finally:
            _LOADING.pop()

    def meta(self, key: str) -> Any:
        return self._load("meta", "key", key)

    @property
    def shared(self) -> dict[str, Any]:
        if self._shared is None:
            self._shared = self.meta("shared")
        return self._shared

    def record(self, source: str) -> ItemRecord:
        found = self.records.get(source)
        if found is None:
            found = self._load("items", "source", source)
            if not isinstance(found, ItemRecord):
                raise SnapshotMissing(f"item {source}")
            self.records[source] = found
        return found

    def item(self, source: str) -> Item:
        return self.replaced.get(source) or self.record(source).item

    def replace(self, source: str, item: Item) -> None:
        """From now on, every reference to `source` loads `item` (the edited version)."""
        self.replaced[source] = item

    def resolve(self, output: Output) -> Output:
        """`output` with every item in it taken from this store (the edited ones as replaced): an output
        planned from head-only items (cache/heads.py) becomes the one a full build plans."""
        payload = unseal(_sealed(output, _shared_ids(self.shared)))
        assert payload is not None
        _LOADING.append(self)
        try:
            found = pickle.loads(payload)
        except SnapshotMissing:
            raise
        except Exception as exc:
            raise SnapshotMissing(f"output {output.path}: {exc}") from exc
        finally:
            _LOADING.pop()
        if not isinstance(found, Output):
            raise SnapshotMissing(f"output {output.path}")
        return found

    def output(self, path: str) -> Output:
        found = self._load("outputs", "path", path)
        if not isinstance(found, Output):
            raise SnapshotMissing(f"output {path}")
        return found

    def dependents(self, source: str) -> list[str]:
        try:
            row = self.connection.execute("SELECT paths FROM dependents WHERE source = ?", (source,)).fetchone()
        except sqlite3.Error as exc:
            raise SnapshotMissing(str(exc)) from exc
        return row[0].split("\n") if row and row[0] else []
