"""What the last build into one output folder left, and what this build can therefore skip.

A cached build asks three questions, in this order:

1. Nothing changed? One walk over the stat signatures of content/, the theme
   and site.yaml, plus the writer's own check that the output is as it was
   left, proves that the last build's output is still this build's output.
2. Only item bodies changed? The quick path (quick.py, which reads this
   state) says which outputs to render, from the last build's plan (snapshots.py).
3. Otherwise: items come from the item cache (items.py), every planned output
   gets a fingerprint (fingerprint.py), and only outputs whose fingerprint
   changed are rendered (`changes`).

The answers are data for the engine, which renders and writes them the same
way for every command; `prepare_record` and, once the output is committed, `finish_record` keep what the next build needs.
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newpower_site.cache.keys import (
    assets_digest,
    config_digest,
    digest_text,
    generator_fingerprint,
    output_fingerprint,
    state_name,
    theme_digest,
)
from newpower_site.cache.store import FileHashes, Signature, TreeLook, look_at_tree, read_checked, write_checked
from newpower_site.core.diagnostics import Diagnostic
from newpower_site.core.sealed import read_sealed, write_sealed
from newpower_site.core.layout import CACHE_BUILD, CACHE_TEMPLATES, CONFIG_FILE, CONTENT_ROOT, cache_folder
from newpower_site.core.theme import theme_dirs
from newpower_site.write.writers import Changes, OutputMarks, Previous

if TYPE_CHECKING:  # the stages load when there is something to build: a build with nothing to do starts quicker
    from newpower_site.cache.fingerprint import Fingerprinter
    from newpower_site.cache.items import ItemCache
    from newpower_site.cache.snapshots import Snapshots
    from newpower_site.core.counts import Counts
    from newpower_site.core.model import Site
    from newpower_site.core.options import BuildOptions
    from newpower_site.plan.outputs import Output


@dataclass(slots=True)
class OutputState:
    """What the last successful build wrote into one output folder."""

    generator: str  # the generator that wrote it (cache/keys.py generator_fingerprint)
    fast_key: str  # selection, writer, output folder, --strict and the search index
    selection: str  # generator and what selects and shapes the items (--drafts, --future, --base-url, provider)
    tree: str  # stat signature of every source file
    racy: bool  # a source was modified too recently for `tree` to prove anything
    valid_until: datetime | None  # the first held-back item's date: then the published set changes
    marks: OutputMarks  # what the writer noted of the output it left
    outputs: dict[str, str]  # output path -> fingerprint
    pages_key: str  # fingerprint of every HTML output, for the search index made from them
    counts: Counts
    files: int
    frame: str = ""  # stat signature of the theme and site.yaml
    sources: dict[str, tuple[Signature, str]] = field(default_factory=dict)  # content file -> (signature, content hash)
    snapshot: str = ""  # the id of this build's rows in the snapshot store (snapshots.py)
    problems: tuple[Diagnostic, ...] = ()  # what the build reported (warnings: it succeeded)
    theme: str = ""  # the theme's digest (keys.py theme_digest), good while `frame` holds: the theme's files are in it
    # `outputs` and `sources`, pickled; or, read from the cache, the key of the file that holds them
    _deferred: bytes | str | None = field(default=None, init=False, repr=False, compare=False)
    _beside: Path | None = field(default=None, init=False, repr=False, compare=False)  # the state file read, when `_deferred` is a key
    _lost: bool = field(default=False, init=False, repr=False, compare=False)  # that file was missing or not ours

    # A build with nothing to do reads none of `outputs` and `sources` (34,000 entries at 10,000 items,
    # which took longer to unpickle than the rest of the state): they are pickled apart and unpickled on
    # first use. In the cache they are a file of their own, under a key the state names (`BuildCache.write_state`),
    # so that such a build neither reads nor checksums them: they were half the state file's bytes.

    def __getstate__(self) -> tuple[Any, ...]:
        return self.eager() + (self.packed_tables(),)

    def eager(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _EAGER)

    def packed_tables(self) -> bytes:
        """`outputs` and `sources`, pickled (as they were read, if they were never unpickled)."""
        deferred = self._deferred
        if isinstance(deferred, bytes):
            return deferred
        return pickle.dumps((self.outputs, self.sources), protocol=pickle.HIGHEST_PROTOCOL)

    @property
    def tables_lost(self) -> bool:
        """`outputs` and `sources` could not be read back (their file missing, torn or planted): both read as empty."""
        if self._deferred is not None:
            self.outputs  # noqa: B018 (read them now)
        return self._lost

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        *values, self._deferred = state
        self._beside, self._lost = None, False
        for name, value in zip(_EAGER, values, strict=True):
            setattr(self, name, value)

    def __getattr__(self, name: str) -> Any:
        """`outputs` or `sources` of a state read from the cache, first asked for (slots unset until then)."""
        deferred = object.__getattribute__(self, "_deferred")
        if name not in _DEFERRED or deferred is None:
            raise AttributeError(name)
        if isinstance(deferred, str):
            beside = object.__getattribute__(self, "_beside")
            deferred = read_sealed(tables_file(beside, deferred)) if beside is not None else None
        try:
            self.outputs, self.sources = pickle.loads(deferred) if deferred is not None else ({}, {})
        except Exception:  # not ours after all: as missing
            deferred = None
            self.outputs, self.sources = {}, {}
        self._lost = deferred is None
        self._deferred = None
        return getattr(self, name)


_DEFERRED = ("outputs", "sources")
_EAGER = tuple(name for name in OutputState.__dataclass_fields__ if name not in (*_DEFERRED, "_deferred", "_beside", "_lost"))


class _Stored:
    """An OutputState as its cache file holds it: `outputs` and `sources` left to the file `key` names."""

    __slots__ = ("values",)

    def __init__(self, state: OutputState, key: str):
        self.values = (*state.eager(), key)

    def __reduce__(self) -> tuple[Any, ...]:
        return _stored_state, (self.values,)


def _stored_state(values: tuple[Any, ...]) -> OutputState:
    state = OutputState.__new__(OutputState)
    state.__setstate__(values)
    return state


def read_state(state_file: Path) -> OutputState | None:
    """The state `BuildCache.write_state` left in `state_file` (its tables read when first asked for), or None."""
    loaded = read_checked(state_file)
    if not isinstance(loaded, OutputState):
        return None
    if isinstance(loaded._deferred, str):
        loaded._beside = state_file
    return loaded


def tables_file(state_file: Path, key: str) -> Path:
    """Where the state file `state_file` keeps its `outputs` and `sources`, under the key it names."""
    return state_file.with_name(f"{state_file.stem}.tables-{key}.pickle")


@dataclass(frozen=True, slots=True)
class Look:
    """One walk over the site's sources: the theme and site.yaml (the frame), and content/."""

    frame: TreeLook
    sources: TreeLook

    @property
    def tree(self) -> str:
        return digest_text(self.frame.digest, self.sources.digest)

    @property
    def racy(self) -> bool:
        return self.frame.racy or self.sources.racy


class BuildCache:
    """`.newpower-cache/build/` for one output folder: the memory a build is given, or not.

    Kept by a long-lived caller (serve) between builds, so that the item
    cache and the file hashes stay in memory.
    """

    def __init__(self, site_dir: Path, parallel: bool = True, read_only: bool = False):
        self.site_dir = site_dir
        self.read_only = read_only  # `check` reads what builds cached and writes nothing
        self.folder = cache_folder(site_dir, CACHE_BUILD)
        self.code_cache = None if read_only else cache_folder(site_dir, CACHE_TEMPLATES)  # Jinja writes it as it reads
        self.parallel = parallel
        self._hashes: FileHashes | None = None  # read on first use (`hashes`)
        self.items: ItemCache | None = None
        self.state: OutputState | None = None
        self.generator = ""
        self._state_file: Path | None = None
        self._fingerprints: dict[str, str] = {}  # this run's, from `changes` to `prepare_record`
        self._theme = ""  # this run's theme digest, from `changes` to `prepare_record`
        self._look: Look | None = None  # this run's (`look`)

    # -- opening and the two shortcuts -----------------------------------------------------------------

    def open(self, out: Path, writer_kind: str) -> None:
        """Load what the last build into `out` by this kind of writer left (once per process)."""
        state_file = self.folder / f"output-{state_name(out, writer_kind)}.pickle"
        if not self.generator:
            self.generator = generator_fingerprint()
        if self.state is None or state_file != self._state_file:
            loaded = read_state(state_file)
            ours = loaded is not None and getattr(loaded, "generator", None) == self.generator
            self.state = loaded if ours else None  # another generator's state may lack fields this one reads
        self._state_file = state_file

    @property
    def hashes(self) -> FileHashes:
        """The content hashes earlier builds took, read when first asked for: a build with nothing to do
        compares stat signatures only, and need not unpickle 10,000 of them."""
        if self._hashes is None:
            self._hashes = FileHashes()
            loaded = read_checked(self.folder / "hashes.pickle")
            if isinstance(loaded, dict):
                self._hashes.known = loaded
        return self._hashes

    def state_missing(self) -> bool:
        """No build into this output folder is on record (serve then clears files of an unknown preview)."""
        return self.state is None

    def look(self) -> Look:
        site_dir = self.site_dir
        self._look = Look(look_at_tree(theme_dirs(site_dir), [site_dir / CONFIG_FILE]), look_at_tree([site_dir / CONTENT_ROOT]))
        return self._look

    def selection(self, options: BuildOptions) -> str:
        o = options
        return digest_text(self.generator, str(o.drafts), str(o.future), o.base_url or "", o.email_provider or "")

    def fast_key(self, options: BuildOptions, writer_kind: str, search_index: bool) -> str:
        return digest_text(self.selection(options), writer_kind, str(options.output.resolve()), str(options.strict), str(search_index))

    def unchanged_for(self, options: BuildOptions, look: Look) -> bool:
        """The last build read exactly these sources with these options (its problems are this run's too)."""
        state = self.state
        return state is not None and state.selection == self.selection(options) and self.in_time(options.now) and self.unchanged(look)

    def in_time(self, now: datetime) -> bool:
        state = self.state
        return state is not None and (state.valid_until is None or now < state.valid_until)

    def unchanged(self, look: Look) -> bool:
        """Nothing was added, removed or touched since the last build (which the caller trusts)."""
        state = self.state
        return state is not None and state.tree == look.tree and not look.racy and not state.racy

    def previous(self) -> Previous | None:
        state = self.state
        if state is None or state.tables_lost:  # without the fingerprints, nothing of the output can be reused
            return None
        return Previous(state.outputs, state.files, state.marks, state.pages_key)

    # -- the full path -----------------------------------------------------------------------------------

    def memo(self, base_url: str | None) -> ItemCache:
        """The item cache, started for this run (content.load_library's `memo`)."""
        from newpower_site.cache.items import ItemCache

        digest = self.config_digest(base_url)
        if self.items is None:
            self.items = ItemCache(self.folder, self.generator, digest, self.hashes, parallel=self.parallel)
        else:
            self.items.start(digest)
        self.hashes.seen = {}
        return self.items

    def changes(self, outputs: list[Output], site: Site, previous: Previous | None) -> Changes:
        """The outputs whose fingerprint differs from the last build's (all of them without a trusted one)."""
        from newpower_site.cache.fingerprint import Fingerprinter

        assert self.items is not None
        walker = Fingerprinter(self.items.fingerprints)
        theme, assets = self.theme_digest(), self.assets_digest(site)
        self._theme = theme
        fingerprints = self.fingerprints(outputs, walker, theme, assets)
        known = previous.fingerprints if previous is not None else {}
        changed = [o for o in outputs if fingerprints.get(o.path) is None or known.get(o.path) != fingerprints[o.path]]
        removed = sorted(set(known) - {o.path for o in outputs})
        pages_key = digest_text(*(f"{p}={f}" for p, f in sorted(fingerprints.items()) if p.endswith(".html")))
        if len(fingerprints) < len(outputs):
            pages_key = digest_text("unfingerprintable", str(time.time_ns()))
        self._fingerprints = fingerprints
        return Changes(outputs, changed, removed, pages_key, previous)

    def fingerprints(self, outputs: list[Output], walker: Fingerprinter, theme: str, assets: str) -> dict[str, str]:
        """Output path -> fingerprint; an output that cannot be fingerprinted is left out (rendered every time)."""
        from newpower_site.cache.fingerprint import Unfingerprintable

        result: dict[str, str] = {}
        for output in outputs:
            try:
                result[output.path] = output_fingerprint(self.generator, output, walker, theme, assets, self.hash_of)
            except (Unfingerprintable, OSError):
                continue
        return result

    def prepare_record(self, options: BuildOptions, writer_kind: str, search_index: bool, look: Look, site: Site,
                       changes: Changes, problems: list[Diagnostic]) -> OutputState:
        """Keep what the next build needs (the item cache, the hashes, the plan: snapshots), before the commit; the state it returns
        is written by `finish_record` once the output is committed, with the writer's marks of it.

        So the process that loaded the site can end before the commit (the
        search index: a Pagefind process, engine.py `_full`). What is kept here is good whether the commit succeeds or not: the item
        cache and the hashes are saved after a failed build too, and a plan
        store of another build than the state names is never read
        (snapshots.py: the quick and head paths then take the full path).
        """
        assert self.items is not None
        held_back = [i for i in self.items.all_items if i.date is not None and i.date > options.now and not options.future]
        snapshot = self._save_snapshots(site, changes, problems)
        pending = OutputState(
            generator=self.generator, fast_key=self.fast_key(options, writer_kind, search_index), selection=self.selection(options),
            tree=look.tree, racy=look.racy,
            valid_until=min((i.date for i in held_back), default=None),
            marks=OutputMarks(), outputs=self._fingerprints, pages_key=changes.pages_key,
            counts=site.library.counts(), files=len(changes.outputs),
            frame="" if look.frame.racy else look.frame.digest,  # a racy frame proves nothing: the next build takes the full path
            sources=self._hashed_sources(look.sources), snapshot=snapshot, problems=tuple(problems),
            theme="" if look.frame.racy else self._theme,
        )
        self.save()
        return pending

    def finish_record(self, pending: OutputState, marks: OutputMarks) -> None:
        """Write the state of a committed output (`prepare_record`'s), with what the writer noted of it."""
        pending.marks = marks
        self.state = pending
        self.write_state()

    def save(self) -> None:
        """Keep the item cache and the file hashes (also after a failed build: the work done is still good)."""
        if self.read_only:
            return
        try:
            if self.items is not None:
                self.items.save()
            if self._hashes is not None:  # a quick or head edit hashes its few files without them (quick.py edited_sources)
                write_checked(self.folder / "hashes.pickle", {**self._hashes.known, **self._hashes.to_save(time.time_ns())})
        except OSError:
            pass  # a read-only site folder still builds, only without a memory

    # -- digests -----------------------------------------------------------------------------------------

    def hash_of(self, path: Path) -> str:
        try:
            return self.hashes.of(path)
        except OSError:
            return "missing"

    def config_digest(self, base_url: str | None) -> str:
        """site.yaml and --base-url: every item's rendered body depends on both (absolute links)."""
        try:
            data = (self.site_dir / CONFIG_FILE).read_bytes()
        except OSError:
            data = b""
        return config_digest(data, base_url)

    def frame_as_recorded(self, look: Look) -> bool:
        """`look` finds the theme and site.yaml as the last build recorded them (neither saved just now)."""
        state = self.state
        return state is not None and bool(state.frame) and not look.frame.racy and look.frame.digest == state.frame

    def theme_digest(self) -> str:
        """The last build's when this run's look finds the theme and site.yaml as it did (the quick and head
        paths run only then): else every theme file hashed, and 10,000 files' hashes loaded to skip reading them."""
        state, look = self.state, self._look
        if state is not None and state.theme and look is not None and self.frame_as_recorded(look):
            return state.theme
        return theme_digest(theme_dirs(self.site_dir), self.hash_of)

    def assets_digest(self, site: Site) -> str:
        return assets_digest([a.source for a in site.library.assets], self.site_dir, self.hash_of)

    # -- storage -----------------------------------------------------------------------------------------

    def snapshots(self) -> Snapshots:
        from newpower_site.cache.snapshots import Snapshots

        assert self._state_file is not None
        return Snapshots(self._state_file.with_name(self._state_file.stem.replace("output-", "snapshots-") + ".sqlite"))

    def write_state(self) -> None:
        """The state file, and beside it the file of its `outputs` and `sources`, written first: a state
        file is never without its tables, and the tables of states replaced are removed after."""
        state_file, state = self._state_file, self.state
        assert state_file is not None and state is not None
        try:
            key = os.urandom(8).hex()  # a new file for each state: the one replaced keeps its own until then
            write_sealed(tables_file(state_file, key), state.packed_tables())
            write_checked(state_file, _Stored(state, key))
        except OSError:
            return
        kept = tables_file(state_file, key).name
        for old in state_file.parent.glob(f"{state_file.stem}.tables-*.pickle"):
            if old.name != kept:
                try:
                    old.unlink()
                except OSError:
                    pass

    def _hashed_sources(self, look: TreeLook) -> dict[str, tuple[Signature, str]]:
        result = {}
        for path, sig in look.files.items():
            read = self.hashes.seen.get(path)  # the hash taken when this build read it, not a later save's
            try:
                result[path] = (sig, read[1] if read is not None else self.hashes.of(Path(path)))
            except OSError:
                result[path] = (sig, "missing")
        return result

    def _save_snapshots(self, site: Site, changes: Changes, problems: list[Diagnostic]) -> str:
        """Keep this build's plan for quick rebuilds (snapshots.py); returns the id of its rows."""
        from newpower_site.plan.outputs import SHARED_CONTEXT

        assert self.items is not None
        store = self.snapshots()
        outputs = changes.outputs
        page = next((o for o in outputs if o.path == "404.html" and o.producer == "template"), None)
        if page is None or self.items.targets is None:
            store.discard()
            from newpower_site.cache.heads import save_heads

            save_heads(self, None)
            return ""
        published = {item.source: item for item in site.library.all_items()}
        items = []
        for parsed in self.items.all_items:
            item = published.get(parsed.source, parsed)
            known = self.items.fingerprints.get(id(item))
            items.append((item, parsed.source in published, known[1] if known else None, self.items.problems_of(parsed)))
        build_id = os.urandom(8).hex()
        state = self.state
        in_step = state.snapshot if changes.previous is not None and state is not None else None
        from newpower_site.cache.heads import make_heads, save_heads
        from newpower_site.cache.overlay import OVERLAY, Overlay

        meta: Mapping[str, Any] = {"targets": self.items.targets, "assets": self.assets_digest(site), "problems": tuple(problems),
                                   OVERLAY: Overlay()}  # the head snapshot saved below, as it is: no head edit yet
        snapshots = [o for o in outputs if o.producer not in ("copy", "image", "sitemap")]
        changed = {o.path for o in changes.changed}
        saved = store.save_build(build_id, in_step, {key: page.context[key] for key in SHARED_CONTEXT}, items, snapshots, changed, meta)
        save_heads(self, make_heads(build_id, site.library, self.items.fingerprints, outputs) if saved else None)
        return build_id if saved else ""

