"""Parsed and rendered items, reused across builds: content.load_library's `memo`.

An item's parse is a function of its bytes, its kind and path, site.yaml and
the generator; its rendered body also of the base URL and of what its links
point at. The last is recorded while rendering (which pages, files and
drafts each link looked up, and what it found) and checked again before a
cached body is reused, so adding, deleting or unpublishing an item re-renders
exactly the items that link to it. Cold builds of many items read and render
in a process pool (parallel.py).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newpower_site.load import content
from newpower_site.cache.keys import item_key, url_key, value_fingerprint
from newpower_site.cache.store import FileHashes, ShardedStore
from newpower_site.core.siteconfig import SiteConfig
from newpower_site.core.diagnostics import Diagnostic, error
from newpower_site.load.links import LinkTargets
from newpower_site.load.markdown import MarkdownRenderer
from newpower_site.core.model import Item
from newpower_site.core.pool import map_in_pool
from newpower_site.load.schema import Kind
from newpower_site.core.urls import Urls

Lookup = tuple[str, str, Any, Any]  # (field, operation, argument, result)
_MISSING = "\x00missing"


class _RecordingMap(Mapping):
    """A read-only view of a LinkTargets mapping that notes every question asked of it."""

    def __init__(self, name: str, real: Mapping[str, str], log: list[Lookup]):
        self.name, self.real, self.log = name, real, log

    def __contains__(self, key: object) -> bool:
        found = key in self.real
        self.log.append((self.name, "in", key, found))
        return found

    def __getitem__(self, key: str) -> str:
        value = self.real.get(key, _MISSING)
        self.log.append((self.name, "get", key, value))
        if value == _MISSING:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        self.log.append((self.name, "all", None, tuple(sorted(self.real.items()))))
        return iter(self.real)

    def __len__(self) -> int:
        self.log.append((self.name, "all", None, tuple(sorted(self.real.items()))))
        return len(self.real)

    def values(self) -> _RecordingValues:  # type: ignore[override]
        return _RecordingValues(self.name, self.real, self.log)


class _RecordingValues:
    def __init__(self, name: str, real: Mapping[str, str], log: list[Lookup]):
        self.name, self.real, self.log = name, real, log

    def __contains__(self, value: object) -> bool:
        found = value in self.real.values()
        self.log.append((self.name, "has-value", value, found))
        return found

    def __iter__(self) -> Iterator[str]:
        self.log.append((self.name, "all", None, tuple(sorted(self.real.items()))))
        return iter(self.real.values())


class _RecordingSet:
    def __init__(self, name: str, real: frozenset[str], log: list[Lookup]):
        self.name, self.real, self.log = name, real, log

    def __contains__(self, key: object) -> bool:
        found = key in self.real
        self.log.append((self.name, "in", key, found))
        return found

    def __iter__(self) -> Iterator[str]:
        self.log.append((self.name, "all", None, tuple(sorted(self.real))))
        return iter(self.real)

    def __len__(self) -> int:
        self.log.append((self.name, "all", None, tuple(sorted(self.real))))
        return len(self.real)


def recording(targets: LinkTargets, log: list[Lookup]) -> LinkTargets:
    return LinkTargets(
        pages=_RecordingMap("pages", targets.pages, log),
        unpublished=_RecordingSet("unpublished", targets.unpublished, log),  # type: ignore[arg-type]
        assets=_RecordingMap("assets", targets.assets, log),
        static_paths=_RecordingSet("static_paths", targets.static_paths, log),  # type: ignore[arg-type]
        failed=_RecordingSet("failed", targets.failed, log),  # type: ignore[arg-type]
    )


def still_true(lookups: tuple[Lookup, ...], targets: LinkTargets) -> bool:
    """Would every lookup find today what it found when the body was rendered?"""
    for name, operation, argument, result in lookups:
        real = getattr(targets, name)
        if operation == "in":
            now: Any = argument in real
        elif operation == "get":
            now = real.get(argument, _MISSING)
        elif operation == "has-value":
            now = argument in real.values()
        else:
            now = tuple(sorted(real.items())) if isinstance(real, Mapping) else tuple(sorted(real))
        if now != result:
            return False
    return True


@dataclass(slots=True)
class Entry:
    """One source file: its parse, and its rendered body for one base URL."""

    item: Item | None
    problems: tuple[Diagnostic, ...]
    url_key: str = ""
    rendered: Item | None = None
    render_problems: tuple[Diagnostic, ...] = ()
    lookups: tuple[Lookup, ...] = ()


@dataclass(frozen=True, slots=True)
class _ReadJob:
    """Read files[index]: handed to the pool, which forked workers inherit (core/pool.py)."""

    files: list[tuple[content.SourceFile, Kind]]
    config: SiteConfig

    def __call__(self, index: int) -> tuple[Item | None, list[Diagnostic]]:
        file, kind = self.files[index]
        return content.read_item(file, kind, self.config)


@dataclass(frozen=True, slots=True)
class _RenderJob:
    """Render items[index] and note what its links looked up."""

    items: list[Item]
    targets: LinkTargets
    urls: Urls

    def __call__(self, index: int) -> tuple[Item, list[Diagnostic], tuple[Lookup, ...]]:
        log: list[Lookup] = []
        rendered, problems = content._render_item(self.items[index], _renderer(), recording(self.targets, log), self.urls)
        return rendered, problems, tuple(log)


@functools.cache
def _renderer() -> MarkdownRenderer:
    """One Markdown renderer a process, made on first use (a forked worker inherits it)."""
    return MarkdownRenderer.create()


class ItemCache:
    """content.load_library's memo: read_items and render_items that reuse earlier work."""

    def __init__(self, folder: Path, generator: str, config_digest: str, hashes: FileHashes, parallel: bool = True):
        self.store = ShardedStore(folder, "items")
        self.generator = generator
        self.config_digest = config_digest
        self.hashes = hashes
        self.parallel = parallel
        self.keys: dict[int, str] = {}  # id(parsed item) -> its entry key
        self.fingerprints: dict[int, tuple[Item, str]] = {}  # id(rendered item) -> (item, value fingerprint)
        self.all_items: list[Item] = []  # every item read this run, published or not
        self.targets: LinkTargets | None = None  # what links could point at, this run
        self.reads = self.renders = 0  # work done, for tests and benchmarks

    def start(self, config_digest: str) -> None:
        """A new run on the same cache (serve)."""
        self.config_digest = config_digest
        self.keys.clear()
        self.fingerprints.clear()
        self.all_items = []
        self.targets = None
        self.reads = self.renders = 0
        self.store.forget_use()

    def read_items(self, files: list[tuple[content.SourceFile, Kind]], config: SiteConfig) -> list[tuple[Item | None, list[Diagnostic]]]:
        results: list[tuple[Item | None, list[Diagnostic]] | None] = []
        keys: list[str] = []
        missing: list[int] = []
        for index, (file, kind) in enumerate(files):
            try:
                source_hash = self.hashes.of(file.path)
            except OSError as exc:
                results.append((None, [error(file.source, 0, f"cannot read the file: {exc.strerror}")]))
                keys.append("")
                continue
            key = item_key(self.generator, self.config_digest, kind.name, file.source, source_hash)
            keys.append(key)
            entry = self.store.get(key)
            if isinstance(entry, Entry):
                results.append((entry.item, list(entry.problems)))
            else:
                results.append(None)
                missing.append(index)
        self.reads = len(missing)
        if missing:
            fresh = map_in_pool(_ReadJob(files, config), missing, enabled=self.parallel)
            for index, (item, problems) in zip(missing, fresh, strict=True):
                results[index] = (item, problems)
                self.store.put(keys[index], Entry(item, tuple(problems)))
        done: list[tuple[Item | None, list[Diagnostic]]] = []
        for key, result in zip(keys, results, strict=True):
            assert result is not None
            item = result[0]
            if item is not None and key:
                self.keys[id(item)] = key
                self.all_items.append(item)
            done.append(result)
        return done

    def render_items(self, items: list[Item], targets: LinkTargets, urls: Urls) -> list[tuple[Item, list[Diagnostic]]]:
        self.targets = targets
        urls_key = url_key(urls)
        results: list[tuple[Item, list[Diagnostic]] | None] = []
        missing: list[int] = []
        for index, item in enumerate(items):
            entry = self.store.get(self.keys.get(id(item), "-"))
            if isinstance(entry, Entry) and entry.rendered is not None and entry.url_key == urls_key and still_true(entry.lookups, targets):
                results.append((entry.rendered, list(entry.render_problems)))
            else:
                results.append(None)
                missing.append(index)
        self.renders = len(missing)
        if missing:
            fresh = map_in_pool(_RenderJob(items, targets, urls), missing, enabled=self.parallel)
            for index, (rendered, problems, lookups) in zip(missing, fresh, strict=True):
                results[index] = (rendered, problems)
                key = self.keys.get(id(items[index]))
                entry = self.store.get(key) if key else None
                if isinstance(entry, Entry):
                    self.store.put(key, Entry(entry.item, entry.problems, urls_key, rendered, tuple(problems), lookups))
        done: list[tuple[Item, list[Diagnostic]]] = []
        for item, result in zip(items, results, strict=True):
            assert result is not None
            key = self.keys.get(id(item))
            if key:
                self.fingerprints[id(result[0])] = (result[0], value_fingerprint(key, urls_key))
            done.append(result)
        return done

    def problems_of(self, parsed: Item) -> tuple[Diagnostic, ...]:
        """What reading `parsed` (an item of all_items) and rendering it this run reported."""
        entry = self.store.get(self.keys.get(id(parsed), "-"))
        if not isinstance(entry, Entry):
            return ()
        return entry.problems + (entry.render_problems if entry.rendered is not None else ())

    def save(self) -> None:
        self.store.save()
