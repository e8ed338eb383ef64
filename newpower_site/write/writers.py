"""How a build's files reach disk: not at all (`check`), staged and swapped in whole (`build`), or in place (`serve`).

The engine renders the same way for every command and hands each file to a
writer; only the writer differs. Each writer also says what it left behind
(`OutputMarks`), so that the next cached build can tell whether anyone
touched the output since.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newpower_site.core.diagnostics import Diagnostic, error
from newpower_site.core.layout import SEARCH_EDITS, SEARCH_INDEX, SEARCH_PAGES
from newpower_site.write.folder import (
    MANIFEST,
    commit_files,
    list_files,
    read_manifest,
    recover_interrupted_commit,
    recover_interrupted_swap,
    refuse_output_dir,
    remove_stale_staging,
    replace_folder,
    staging_dir,
    start_staging,
    swap_and_discard,
    write_manifest,
)
from newpower_site.write.marks import OutputMarks, as_noted, check_beside

if TYPE_CHECKING:  # a build with nothing to do loads no stage
    from newpower_site.plan.outputs import Output
    from newpower_site.write.search import Shard

FEW_CHANGES = 200  # changed outputs up to this many are committed in place rather than swapped in a new folder
FEW_SHARDS = 2  # search index shards up to this many are made again in place, beside the output

Signature = tuple[int, int, int]  # size, mtime_ns, inode


@dataclass(frozen=True, slots=True)
class Previous:
    """The last build's output, when it is trusted to be as that build left it."""

    fingerprints: Mapping[str, str]  # output path -> fingerprint
    files: int  # planned outputs it wrote
    marks: OutputMarks
    pages_key: str  # fingerprint of every HTML output it wrote (the search index is made from them)


@dataclass(frozen=True, slots=True)
class Changes:
    """What a build does to the output: every planned output, those to render, the files to remove."""

    outputs: list[Output]
    changed: list[Output]
    removed: list[str]
    pages_key: str
    previous: Previous | None = None
    kept_paths: tuple[str, ...] | None = None  # the planned paths, once the plan itself is let go (`without_plan`)

    @property
    def paths(self) -> list[str]:
        if self.kept_paths is not None:
            return list(self.kept_paths)
        return [o.path for o in self.outputs]

    def without_plan(self) -> Changes:
        """What a commit and the writer's marks read (paths, removals, the previous output), without the outputs:
        their contexts hold the whole site, which a build lets go before a commit that needs the memory."""
        return Changes([], [], self.removed, self.pages_key, self.previous, tuple(self.paths))


class PendingFiles(Mapping[str, bytes]):
    """An output folder as it will be: files rendered and not yet written, over the files on disk."""

    def __init__(self, root: Path | None, paths: Iterable[str], rendered: Mapping[str, bytes]):
        self.root, self.paths, self.rendered = root, set(paths) | set(rendered), rendered

    def __getitem__(self, path: str) -> bytes:
        if path in self.rendered:
            return self.rendered[path]
        if path not in self.paths or self.root is None:
            raise KeyError(path)
        try:
            return (self.root / path).read_bytes()
        except OSError:
            raise KeyError(path) from None

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.paths))

    def __len__(self) -> int:
        return len(self.paths)


class Writer:
    """What every writer does; the defaults are a writer's that keeps nothing between builds."""

    kind = "none"  # part of the cache's key: each kind of writer keeps its own state of an output folder
    search_index = False  # whether a commit makes the search index
    commit_needs_memory = False  # whether the commit may run a large process (Pagefind): the engine renders in a child first
    linked = 0  # unchanged files carried over from the previous output by the last build
    records = True  # a cached build keeps the state of the output this writer leaves

    @property
    def cache_kind(self) -> str:
        """Whose state of the output folder a cached build reads: its own kind's."""
        return self.kind

    def recover(self) -> list[Diagnostic]:
        """Before anything else: finish or clear what a killed build of this output left."""
        return []

    def refusals(self, site_dir: Path) -> list[Diagnostic]:
        """Reasons not to write where asked (checked whenever the previous output is not trusted)."""
        return []

    def untouched(self, marks: OutputMarks) -> bool:
        """Nobody changed the output since the build that noted `marks`."""
        return False

    def start_untouched(self, marks: OutputMarks) -> Callable[[], bool]:
        """`untouched(marks)`, started: the caller does other work (the look) before it asks for the answer."""
        return lambda: self.untouched(marks)

    def settled(self) -> bool:
        """An untouched output with unchanged sources needs nothing from this writer."""
        return True

    def tidy(self) -> None:
        """A build with nothing to do: remove leftovers of killed builds."""

    def wants(self, output: Output) -> bool:
        return True

    def begin(self, changes: Changes) -> None:
        raise NotImplementedError

    def put(self, output: Output, data: bytes) -> None:
        raise NotImplementedError

    def sink(self) -> FileSink | None:
        """Where render workers may write each file themselves (None: the bytes come back to `put`).

        Sending every page back through a pipe for this process to write made
        it the bottleneck of a cold build; a worker writing into the staging
        folder sends back nothing.
        """
        return None

    def link_unchanged(self, changes: Changes) -> None:
        """Carry over the previous output's unchanged files (once every changed one is rendered)."""

    def view(self) -> Mapping[str, bytes]:
        """The output as it will be once committed (the email checks read it)."""
        raise NotImplementedError

    def commit(self, changes: Changes) -> list[Diagnostic]:
        raise NotImplementedError

    def abort(self) -> None:
        """A failed build: nothing of it may reach the output."""

    def marks(self, changes: Changes) -> OutputMarks:
        return OutputMarks()

    def handover(self) -> dict[str, Any]:
        """What this writer noted from `begin` to the last `put`, for the same writer in the process that commits."""
        return dict(vars(self))

    def take_over(self, state: Mapping[str, Any]) -> None:
        """Carry on from another process's `handover`: as if its `begin` and `put`s had run here."""
        vars(self).update(state)

    def commit_quick(self, rendered: Mapping[str, bytes], index_dates: Mapping[str, Any] | None = None) -> bool:
        """Write a quick rebuild's few files; False when that failed (the full path then runs).

        `index_dates` (a head edit that changed a date): every item page the
        search index holds -> its date now, which may reorder or move pages
        between the index's shards."""
        return False

    def remark(self, marks: OutputMarks, written: Iterable[str]) -> None:
        """Update `marks` for the files a quick rebuild committed."""


class NoWrite(Writer):
    """`check`, `email` and `send-test`: render into memory, write nothing (not even resized images)."""

    records = False  # it leaves no output; with a cache it answers from what `newpower build` recorded
    cache_kind = "swap"  # Staged.kind: the record of the last `newpower build` into the same folder

    def __init__(self, wanted: Callable[[Output], bool] | None = None):
        self.wanted = wanted  # render only these outputs (the email commands' one issue)
        self.files: dict[str, bytes] = {}
        self.outputs: dict[str, Output] = {}

    def wants(self, output: Output) -> bool:
        if self.wanted is not None:
            return self.wanted(output)
        return output.producer != "image"  # planning read every image already; resizing would write the cache

    def begin(self, changes: Changes) -> None:
        self.files, self.outputs = {}, {}

    def put(self, output: Output, data: bytes) -> None:
        self.files[output.path] = data
        self.outputs[output.path] = output

    def view(self) -> Mapping[str, bytes]:
        return self.files

    def commit(self, changes: Changes) -> list[Diagnostic]:
        return []


class InPlace(Writer):
    """`serve`'s private folder: every rendered file replaces the old one in place, once all rendered well.

    A preview need not be atomic; a browser reading a file meanwhile gets the old one or the new, whole.
    """

    kind = "in-place"

    def __init__(self, out: Path):
        self.out = out
        self.rendered: dict[str, bytes] = {}
        self.paths: list[str] = []

    def untouched(self, marks: OutputMarks) -> bool:
        return self.out.is_dir()

    def begin(self, changes: Changes) -> None:
        self.rendered, self.paths = {}, changes.paths

    def put(self, output: Output, data: bytes) -> None:
        self.rendered[output.path] = data

    def view(self) -> Mapping[str, bytes]:
        return PendingFiles(self.out, self.paths, self.rendered)

    def commit(self, changes: Changes) -> list[Diagnostic]:
        made: set[Path] = set()
        for path, data in self.rendered.items():
            _replace_file(_target(self.out, path, made), data)
        for path in changes.removed:
            target = self.out / path
            try:
                target.unlink()
            except OSError:
                continue
            _prune_empty(target.parent, self.out)
        return []

    def abort(self) -> None:
        self.rendered = {}

    def commit_quick(self, rendered: Mapping[str, bytes], index_dates: Mapping[str, Any] | None = None) -> bool:
        try:
            for path, data in rendered.items():
                _replace_file(self.out / path, data)
        except OSError:
            return False
        return True


class Staged(Writer):
    """`newpower build`: a new output is assembled beside the old one and swapped in whole.

    Unchanged files are hard links to the previous output's (nothing is
    copied), the search index is made in the staging folder (only its shards
    with a changed page: write/search.py), and a large previous output is
    deleted by a background process after the swap. When the same files are
    planned and only a few changed, they are committed in place through a
    journal instead (write/folder.py `commit_files`), and the shards of their
    pages are made again beside the output and swapped in after them:
    swapping 14,000 hard links for them would cost more than the rebuild.
    """

    kind = "swap"

    def __init__(self, out: Path, search_index: bool = True, shard_size: int | None = None, quick_search: bool = False):
        self.out = out
        self.search_index = search_index
        self.quick_search = quick_search  # `build --quick-search`: edited pages go to the edits shard (write/search.py)
        self.shard_size = shard_size  # None: search.SHARD_SIZE (tests make small shards)
        self.shards: list[Shard] = []
        self.stale: list[Shard] = []  # the shards this build makes again
        self.edits: tuple[str, ...] | None = None  # the pages the edits shard will hold, when this build makes it again
        self.edit_candidates: set[str] = set()  # edited pages of otherwise unchanged shards, the edits shard's included
        self._edits_touched = False  # whether a page of the edits shard (or a new one for it) changed in this build
        self._previous_edits: tuple[str, ...] = ()
        self.index_swapped: list[str] = []  # files of the index an in-place commit added
        self.index_dropped: list[str] = []  # and those it removed
        self.paths: list[str] = []
        self.few = False
        self.stage: Path | None = None
        self.made: set[Path] = set()
        self.rendered: dict[str, bytes] = {}
        self.linked = 0
        self._committed: dict[str, tuple[int, int]] | None = None
        self.owner = os.getpid()  # the process that commits: a forked child stages under its name, which lives on after it

    @property
    def commit_needs_memory(self) -> bool:  # type: ignore[override]
        return self.search_index

    def recover(self) -> list[Diagnostic]:
        """Put back an output set aside, finish a killed commit, remove killed builds' staging folders:
        each only when provably ours (folder.py); a warning names each folder left alone."""
        return recover_interrupted_swap(self.out) + recover_interrupted_commit(self.out) + remove_stale_staging(self.out)

    def refusals(self, site_dir: Path) -> list[Diagnostic]:
        return refuse_output_dir(self.out, site_dir)

    def tidy(self) -> None:
        remove_stale_staging(self.out)

    def untouched(self, marks: OutputMarks) -> bool:
        """No file was added to, removed from or edited in the output folder since we wrote it."""
        root = os.fspath(self.out) + os.sep  # strings, not Paths: 37,000 of them at 10,000 items
        return _manifest_as_noted(root, marks) and as_noted(root, marks)

    def start_untouched(self, marks: OutputMarks) -> Callable[[], bool]:
        """As `untouched`, with the output files stat'ed in a forked child meanwhile (marks.py `check_beside`)."""
        root = os.fspath(self.out) + os.sep
        if not _manifest_as_noted(root, marks):
            return lambda: False
        return check_beside(root, marks).result

    def begin(self, changes: Changes) -> None:
        self.rendered, self.made, self.linked, self._committed = {}, set(), 0, None
        self.paths = changes.paths
        self.few = self._few_changes(changes)
        if self.search_index and not self.few:
            self._choose_edits(self._previous_edits, fold=True)  # a whole build folds the edits back into their year shards
        if not self.few:
            remove_stale_staging(self.out)
            self.stage = staging_dir(self.out, self.owner)
            self.stage.mkdir(parents=True)
            write_manifest(self.stage, [])  # from its first moment provably ours, so a killed build's is removed (folder.py)

    def settled(self) -> bool:
        """Without --quick-search, an edits shard a quick build left is folded back, even with nothing else to do."""
        if not self.search_index or self.quick_search:
            return True
        try:
            return os.stat(self.out / SEARCH_INDEX / SEARCH_EDITS / SEARCH_PAGES).st_size == 0
        except OSError:
            return True  # no edits shard: an output from before there was one (it has none to fold)

    def _few_changes(self, changes: Changes) -> bool:
        previous = changes.previous
        self.shards, self.stale, self.index_swapped, self.index_dropped = [], [], [], []
        if self.search_index:
            self._plan_index(changes)
        if previous is None or len(changes.changed) > FEW_CHANGES or len(previous.fingerprints) != previous.files:
            return False
        if set(changes.paths) != previous.fingerprints.keys():
            return False
        if not self.search_index:
            extras = set(previous.marks.file_stats) - previous.fingerprints.keys() - {MANIFEST}  # a search index's files
            return not extras
        from newpower_site.write.search import INDEX_FOLDER, read_shard_records

        recorded = read_shard_records(self.out / INDEX_FOLDER)
        if [s.name for s in self.shards] != list(recorded):
            return False  # a shard comes or goes: the list the search page reads changes, so swap the whole output
        if not _has_edits_shard(self.out):
            return False  # an output from before the edits shard: its shards.json does not name one
        self._choose_edits(previous_edits=self._previous_edits)
        return len(self.stale) <= FEW_SHARDS

    def _choose_edits(self, previous_edits: tuple[str, ...], fold: bool = False) -> None:
        """Edited pages go to the edits shard (under --quick-search), or, past EDITS_MAX or when `fold`, their shards are made again.

        Without --quick-search every edit is folded back at once, so the
        output is byte for byte a cold build's (SPEC.md).
        """
        from newpower_site.write.search import EDITS_MAX

        pages = self.edit_candidates
        if fold or not self.quick_search or len(pages) > EDITS_MAX:
            names = {s.name for s in self.stale}
            self.stale += [s for s in self.shards if s.name not in names and pages.intersection(s.pages)]
            self.edits = () if (previous_edits or pages) else None
        elif set(previous_edits) != pages or self._edits_touched:
            self.edits = tuple(sorted(pages))
        else:
            self.edits = None

    def _plan_index(self, changes: Changes) -> None:
        """Which shards the output will hold, and which of them must be made again (the others are reused)."""
        from newpower_site.write.search import INDEX_FOLDER, SHARD_SIZE, plan_shards, read_edits, read_shard_records, touched_pages

        self.shards = plan_shards(changes.outputs, self.shard_size or SHARD_SIZE)
        self.edits, self.edit_candidates, self._edits_touched, self._previous_edits = None, set(), False, ()
        previous = changes.previous
        if previous is None:
            self.stale = list(self.shards)
            return
        recorded = read_shard_records(self.out / INDEX_FOLDER)
        self._previous_edits = read_edits(self.out / INDEX_FOLDER)
        changed = {o.path for o in changes.changed}
        stats = previous.marks.file_stats
        self.stale = []
        for shard in self.shards:
            touched = touched_pages(shard, stats, changed, self._previous_edits) if recorded.get(shard.name) == shard.pages else None
            if touched is None:
                self.stale.append(shard)  # its pages are not those it was made from: made again whole
                continue
            self._edits_touched |= bool(touched)
            self.edit_candidates.update(touched)
            held = set(shard.pages)
            self.edit_candidates.update(p for p in self._previous_edits if p in held)

    def put(self, output: Output, data: bytes) -> None:
        if self.few:
            self.rendered[output.path] = data
        else:
            assert self.stage is not None
            _target(self.stage, output.path, self.made).write_bytes(data)

    def sink(self) -> FileSink | None:
        if self.few or self.stage is None:
            return None  # a few files are kept in memory and committed in place through the journal
        return FileSink(os.fspath(self.stage))

    def view(self) -> Mapping[str, bytes]:
        if self.few:
            return PendingFiles(self.out, self.paths, self.rendered)
        return PendingFiles(self.stage, self.paths, {})

    def link_unchanged(self, changes: Changes) -> None:
        """Unchanged files of the previous output join the staging folder as hard links."""
        if self.few or self.stage is None:
            return
        changed = {o.path for o in changes.changed}
        for output in changes.outputs:
            if output.path not in changed:
                _link_or_copy(self.out / output.path, _target(self.stage, output.path, self.made))
                self.linked += 1

    def commit(self, changes: Changes) -> list[Diagnostic]:
        from newpower_site.write.search import SearchIndexError  # only a build that makes an index loads it

        if self.few:
            try:
                self._commit_in_place(self.rendered)
            except SearchIndexError as exc:
                return [exc.diagnostic]
            except OSError as exc:  # the state is not saved: the next build sees the changed files and rebuilds whole
                return [error(str(self.out), 0, f"cannot write the output: {exc.strerror or exc}")]
            assert changes.previous is not None
            self._committed = dict(changes.previous.marks.file_stats)
            self._restat_in_place(self._committed, list(self.rendered))
            return []
        stage = self.stage
        assert stage is not None
        if self.search_index:
            try:
                self._index_staged(stage)
            except SearchIndexError as exc:
                return [exc.diagnostic]
        write_manifest(stage, [name for name in list_files(stage) if name != MANIFEST])
        swap_and_discard(stage, self.out)
        self.stage = None  # it is the output now (or, swapped, the previous output on its way out)
        return []

    def _index_staged(self, stage: Path) -> None:
        """The shards of the search index in the staging folder: the stale ones made, the others linked from the output."""
        from newpower_site.write.search import (
            EDITS,
            INDEX_FOLDER,
            index_shards,
            shard_files,
            write_edits,
            write_page_record,
            write_shard_list,
        )

        root, previous_root = stage / INDEX_FOLDER, self.out / INDEX_FOLDER
        stale = {s.name for s in self.stale}
        for shard in self.shards:
            if shard.name not in stale:
                for name in shard_files(previous_root / shard.name):
                    _link_or_copy(previous_root / shard.name / name, _target(root / shard.name, name, self.made))
        index_shards(self.stale, lambda path: (stage / path).read_bytes(), root)
        for shard in self.stale:
            write_page_record(shard, root / shard.name)
        write_edits((), lambda path: b"", root / EDITS, {})  # folded: every year shard holding an edited page was made again
        write_shard_list(root, self.shards)

    def _commit_in_place(self, rendered: Mapping[str, bytes]) -> None:
        """Commit a few files in place, and make the shards of their pages again.

        The shards are made first, from the new pages, in a staging folder
        beside the output: an index that fails leaves the output as it was.
        Then the pages are committed (journaled), and each new shard folder
        takes its old one's place in one rename; the manifest names the new
        files before they arrive and forgets the old ones after they leave,
        so a build killed in between leaves no file the next one would
        refuse as not ours (at worst a stale shard, which it makes again).
        """
        from newpower_site.write.search import EDITS, INDEX_FOLDER, index_shards, read_ids, shard_files, write_edits, write_page_record

        if not self.stale and self.edits is None:
            commit_files(self.out, rendered)
            return
        remove_stale_staging(self.out)
        temporary = staging_dir(self.out)
        start_staging(temporary)
        try:
            made = temporary / INDEX_FOLDER
            root = self.out / INDEX_FOLDER
            read_page = lambda path: rendered[path] if path in rendered else (self.out / path).read_bytes()
            index_shards(self.stale, read_page, made)
            for shard in self.stale:
                write_page_record(shard, made / shard.name)
            names = [s.name for s in self.stale]
            if self.edits is not None:
                remade = {s.name for s in self.stale}
                stale_ids: dict[str, str] = {}
                for shard in self.shards_recorded():
                    if shard.name not in remade and set(self.edits).intersection(shard.pages):
                        stale_ids.update(read_ids(root / shard.name))
                write_edits(self.edits, read_page, made / EDITS, stale_ids)
                names.append(EDITS)
            commit_files(self.out, rendered)
            listed = read_manifest(self.out)
            old = {f"{INDEX_FOLDER}/{name}/{file}" for name in names for file in shard_files(root / name)}
            new = {f"{INDEX_FOLDER}/{name}/{file}" for name in names for file in shard_files(made / name)}
            write_manifest(self.out, listed | new)
            for name in names:
                replace_folder(made / name, root / name)
            write_manifest(self.out, (listed - old) | new)
            self.index_swapped = sorted(new)
            self.index_dropped = sorted(old - new)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)

    def shards_recorded(self) -> list[Shard]:
        """The year shards of the output (as planned, or as the previous build recorded them on the quick path)."""
        if self.shards:
            return self.shards
        from newpower_site.write.search import INDEX_FOLDER, Shard, read_shard_records

        return [Shard(name, pages) for name, pages in read_shard_records(self.out / INDEX_FOLDER).items()]

    def _restat_in_place(self, stats: dict[str, tuple[int, int]], written: list[str]) -> None:
        """After an in-place commit: the stats of the files written, and of the index files swapped in."""
        for gone in self.index_dropped:
            stats.pop(gone, None)
        extra = [*self.index_swapped, MANIFEST] if self.index_swapped else []
        _restat(self.out, [*written, *extra], stats, missing_ok=bool(extra))

    def abort(self) -> None:
        self.rendered = {}
        if self.stage is not None and self.stage.exists():
            shutil.rmtree(self.stage, ignore_errors=True)
        self.stage = None

    def marks(self, changes: Changes) -> OutputMarks:
        """After a commit: the manifest, every output folder's mtime and every file's size and mtime."""
        out = self.out
        try:
            manifest: Signature | None = _signature(os.stat(out / MANIFEST))
        except OSError:
            manifest = None
        folders = {""}
        for path in changes.paths:
            parent = path.rpartition("/")[0]
            while parent and parent not in folders:
                folders.add(parent)
                parent = parent.rpartition("/")[0]
        folder_marks = {}
        for folder in sorted(folders):
            try:
                folder_marks[folder] = os.stat(out / folder).st_mtime_ns
            except OSError:
                folder_marks[folder] = -1
        if self._committed is not None:
            stats = self._committed
        else:
            stats = {}
            _restat(out, list_files(out), stats, missing_ok=True)
        return OutputMarks(manifest, folder_marks, stats)

    def commit_quick(self, rendered: Mapping[str, bytes], index_dates: Mapping[str, Any] | None = None) -> bool:
        """A quick rebuild's files, and the shards their pages are in made again.

        A body edit moves no page between shards. A new date (`index_dates`)
        may: the shards are planned again from every page's date, and a shard
        whose pages changed is made again whole; one whose pages are the same
        in a new order is too, unless --quick-search puts the edited page in
        the edits shard (a plain build then folds it back in cold order).
        """
        from newpower_site.write.search import INDEX_FOLDER, SHARD_SIZE, SearchIndexError, Shard, read_edits, read_shard_records, shards_by_date

        self.stale, self.index_swapped, self.index_dropped, self.shards, self.edits = [], [], [], [], None
        if self.search_index and (index_dates is not None or any(path.endswith(".html") for path in rendered)):
            root = self.out / INDEX_FOLDER
            recorded = read_shard_records(root)
            previous_edits = read_edits(root)
            planned = [Shard(name, pages) for name, pages in recorded.items()]
            if index_dates is not None:
                planned = shards_by_date(index_dates, self.shard_size or SHARD_SIZE)
                if [s.name for s in planned] != list(recorded):
                    return False  # a shard comes or goes: the list the search page reads changes (the full path)
                self.stale = [s for s in planned if s.pages != recorded[s.name]
                              and (not self.quick_search or set(s.pages) != set(recorded[s.name]))]
            remade = {s.name for s in self.stale}
            kept = {p for s in planned if s.name not in remade for p in s.pages}
            touched = {p for p in rendered if p in kept}
            if (touched or self.stale) and not _has_edits_shard(self.out):
                return False  # an output from before the edits shard: its shards.json does not name one
            if touched or self.stale:
                self.shards = planned
                self.edit_candidates = touched | {p for p in previous_edits if p in kept}
                self._edits_touched = bool(touched)
                self._choose_edits(previous_edits)
                if len(self.stale) > FEW_SHARDS:
                    return False
        try:
            self._commit_in_place(rendered)
        except (OSError, SearchIndexError):
            return False  # the full path runs, and reports what fails
        return True

    def remark(self, marks: OutputMarks, written: Iterable[str]) -> None:
        """Note the files a quick rebuild committed, so the output still counts as untouched."""
        written = list(written)
        self._restat_in_place(marks.file_stats, written)
        touched = {path.rpartition("/")[0] for path in written}
        if self.index_swapped:  # the manifest was rewritten, in the output's own folder
            marks.manifest = _signature(os.stat(self.out / MANIFEST))
            touched.add("")
        for folder in touched:
            marks.folders[folder] = os.stat(self.out / folder).st_mtime_ns


@dataclass(slots=True)
class FileSink:
    """Writes rendered files under a staging folder, in whichever process rendered them.

    It never creates the staging folder itself: a worker still writing after
    its build was killed and the folder removed must not bring it back.
    """

    root: str
    made: set[str] = field(default_factory=set)

    def __call__(self, relative: str, data: bytes) -> None:
        path = f"{self.root}/{relative}"
        folder = path.rpartition("/")[0]
        if folder not in self.made:
            _make_below(self.root, folder)
            self.made.add(folder)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view):]
        finally:
            os.close(descriptor)


def _make_below(root: str, folder: str) -> None:
    """mkdir -p of `folder`, which is `root` or inside it; `root` itself must exist."""
    if folder == root:
        return
    try:
        os.mkdir(folder)
    except FileExistsError:
        return
    except FileNotFoundError:
        _make_below(root, folder.rpartition("/")[0])
        try:
            os.mkdir(folder)
        except FileExistsError:  # another worker made it meanwhile
            pass


# -- helpers -------------------------------------------------------------------------------------------


def _has_edits_shard(out: Path) -> bool:
    return (out / SEARCH_INDEX / SEARCH_EDITS / SEARCH_PAGES).exists()


def _manifest_as_noted(root: str, marks: OutputMarks) -> bool:
    """The output's manifest is the very file the build that noted `marks` wrote (a folder put in its place has another)."""
    try:
        return marks.manifest == _signature(os.stat(root + MANIFEST))
    except OSError:
        return False


def _signature(stat: os.stat_result) -> Signature:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino)


def _target(root: Path, relative: str, made: set[Path]) -> Path:
    target = root / relative
    parent = target.parent
    if parent not in made:
        parent.mkdir(parents=True, exist_ok=True)
        made.add(parent)
    return target


def _restat(out: Path, paths: Iterable[str], stats: dict[str, tuple[int, int]], missing_ok: bool = False) -> None:
    """Record each output file's (size, mtime): what `untouched` compares next time."""
    root = os.fspath(out) + os.sep  # strings, not Paths: thousands of files
    for path in paths:
        try:
            found = os.stat(root + path)
        except OSError:
            if missing_ok:
                continue
            raise
        stats[path] = (found.st_size, found.st_mtime_ns)


def _replace_file(target: Path, data: bytes) -> None:
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, target)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _prune_empty(folder: Path, root: Path) -> None:
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
