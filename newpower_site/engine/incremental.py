"""`newpower build` with a memory: render only what changed since the last build.

The flow is pipeline.build's (load -> plan -> render -> write), with three
savings:

1. Nothing changed: one walk over the stat signatures of content/, the theme
   and site.yaml, and of the output folder's own folders, proves that the last
   build's output is still this build's output. Nothing is read or written.
2. Something changed: items come from itemcache.py (re-read and re-rendered
   only when their bytes or what their links point at changed); every planned
   output gets a fingerprint of what it is made from (fingerprint.py); only
   outputs whose fingerprint changed are rendered. Many renders run in a
   process pool (parallel.py).
3. Writing: the new output is still assembled in a staging folder and swapped
   in whole, as output.py does, so a failed build leaves the previous output
   exactly as it was. Unchanged files are hard links to the previous output's
   files (nothing is copied), and a large previous output is deleted by a
   background process after the swap.

`serve` uses the same builder on a private folder it updates in place
(`InPlaceWriter`): a preview need not be atomic, and skipping the search
index keeps an edit's reload fast.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newpower_site.core import pool as parallel
from newpower_site.cache.store import (
    FileHashes,
    Signature,
    TreeLook,
    cache_dir,
    digest,
    digest_text,
    generator_fingerprint,
    read_checked,
    look_at_tree,
    signature,
    template_code_cache,
    write_checked,
)
from newpower_site.core.diagnostics import Diagnostic, error, has_errors
from newpower_site.cache.fingerprint import Fingerprinter, Unfingerprintable
from newpower_site.core.model import Library, Site
from newpower_site.write.folder import (
    MANIFEST,
    _exchange,
    commit_files,
    list_files,
    read_manifest,
    recover_interrupted_commit,
    refuse_output_dir,
    remove_stale_staging,
    staging_dir,
    swap_in,
    write_manifest,
)
from newpower_site.engine.options import BuildOptions, BuildResult, Progress
from newpower_site.core.layout import CONFIG_FILE, CONTENT_ROOT
from newpower_site.core.theme import theme_dirs

if TYPE_CHECKING:  # the stages load when there is something to build: a build with nothing to do starts quicker
    from newpower_site.cache.items import ItemCache
    from newpower_site.plan.outputs import Output
    from newpower_site.cache.snapshots import ItemRecord, Snapshots
    from newpower_site.core.urls import Urls

BACKGROUND_DELETE = 2000  # a previous output with more files than this is deleted after the command returns
FEW_CHANGES = 200  # changed outputs up to this many are committed in place rather than swapped in a new folder


@dataclass(slots=True)
class OutputState:
    """What the last successful build wrote into one output folder."""

    fast_key: str  # generator, options and output folder
    tree: str  # stat signature of every source file
    racy: bool  # a source was modified too recently for `tree` to prove anything
    valid_until: datetime | None  # the first held-back item's date: then the published set changes
    manifest: Signature | None
    folders: dict[str, int]  # output folder (relative) -> mtime_ns: a file added by hand changes one
    file_stats: dict[str, tuple[int, int]]  # output file -> (size, mtime_ns): a file edited by hand changes one
    outputs: dict[str, str]  # output path -> fingerprint
    pages_key: str  # fingerprint of every HTML output, for the search index made from them
    counts: tuple[int, int, int, int, int]  # articles, voices, newsletters, pages, held back
    files: int
    frame: str = ""  # stat signature of the theme and site.yaml
    sources: dict[str, tuple[Signature, str]] = field(default_factory=dict)  # content file -> (signature, content hash)
    snapshot: str = ""  # the id of this build's rows in the snapshot store (snapshots.py)


@dataclass(slots=True)
class Stats:
    """What one build did, for tests and benchmarks."""

    path: str = ""  # "unchanged", "quick", "incremental" or "cold"
    items_read: int = 0
    items_rendered: int = 0
    outputs_rendered: int = 0
    outputs_linked: int = 0
    outputs_removed: int = 0


@dataclass(slots=True)
class Builder:
    """Builds one site into one folder, again and again, reusing what it can."""

    options: BuildOptions
    writer: str = "swap"  # "swap" (newpower build) or "in-place" (serve's private folder)
    search_index: bool = True
    parallel: bool = True
    hashes: FileHashes = field(default_factory=FileHashes)
    items: ItemCache | None = None
    state: OutputState | None = None
    generator: str = ""
    stats: Stats = field(default_factory=Stats)
    changed_paths: list[str] = field(default_factory=list)  # outputs written or removed by the last build
    _trusted: bool = False  # the previous output is as the last build left it
    _quick_wrote: bool = False  # a quick rebuild began writing (and then failed)

    @property
    def folder(self) -> Path:
        return cache_dir(self.options.site_dir)

    def _state_file(self) -> Path:
        return self.folder / f"output-{digest_text(str(self.options.output.resolve()), self.writer)[:16]}.pickle"

    def snapshots(self) -> Snapshots:
        from newpower_site.cache.snapshots import Snapshots

        return Snapshots(self._state_file().with_name(self._state_file().stem.replace("output-", "snapshots-") + ".sqlite"))

    def build_state_missing(self) -> bool:
        return not isinstance(read_checked(self._state_file()), OutputState)

    def _fast_key(self) -> str:
        o = self.options
        return digest_text(self.generator, self.writer, str(o.output.resolve()), str(o.drafts), str(o.future), o.base_url or "",
                           str(o.strict), str(self.search_index))

    def build(self, progress: Progress | None = None) -> BuildResult:
        started = time.perf_counter()
        self.stats = Stats()
        self.changed_paths = []
        options = self.options
        out = options.output
        if not self.generator:
            self.generator = generator_fingerprint()
            loaded = read_checked(self.folder / "hashes.pickle")
            if isinstance(loaded, dict):
                self.hashes.known = loaded
        if self.state is None:
            loaded = read_checked(self._state_file())
            self.state = loaded if isinstance(loaded, OutputState) else None

        if self.writer == "swap":
            recover_interrupted_commit(out)
        frame, sources = self._look()
        tree, racy = digest_text(frame.digest, sources.digest), frame.racy or sources.racy
        state = self.state
        trusted = state is not None and state.fast_key == self._fast_key() and self._output_untouched(state)
        in_time = state is not None and (state.valid_until is None or options.now < state.valid_until)
        if trusted and in_time and state is not None and state.tree == tree and not racy and not state.racy:
            self.stats.path = "unchanged"
            if self.writer == "swap":
                remove_stale_staging(out)
            return BuildResult(_counted_site(state.counts), [], state.files, time.perf_counter() - started)
        if trusted and in_time and not frame.links and not sources.links and not frame.racy:
            self._quick_wrote = False
            from newpower_site.cache.quick import rebuild_edited

            quick = rebuild_edited(self, sources.files, frame.digest, tree, racy, started)
            if quick is not None:
                return quick
            if self._quick_wrote:  # what it changed is no longer what the state says
                trusted = state is not None and self._output_untouched(state)

        if self.writer == "swap" and not trusted:
            refusals = refuse_output_dir(out, options.site_dir)
            if refusals:
                return BuildResult(None, refusals)
        self._trusted = trusted and out.is_dir()
        previous = state.outputs if self._trusted and state is not None else {}
        return self._full_build(frame, sources, previous, progress, started)

    # -- the slow path ------------------------------------------------------------------------------

    def _full_build(self, frame: TreeLook, sources: TreeLook, previous: dict[str, str], progress: Progress | None, started: float) -> BuildResult:
        from newpower_site.cache.items import ItemCache
        from newpower_site.engine.pipeline import plan

        options = self.options
        config_hash = self._config_digest()
        if self.items is None:
            self.items = ItemCache(self.folder, self.generator, config_hash, self.hashes, parallel=self.parallel)
        else:
            self.items.start(config_hash)
        self.hashes.seen = {}
        site, urls, outputs, problems = plan(options, self.items)
        self.stats.items_read, self.stats.items_rendered = self.items.reads, self.items.renders
        if site is None or urls is None or has_errors(problems) or (options.strict and problems):
            self._save_caches()
            return BuildResult(site, problems)

        fingerprints = self._fingerprints(outputs, site)
        changed = [o for o in outputs if fingerprints.get(o.path) is None or previous.get(o.path) != fingerprints[o.path]]
        self.stats.path = "incremental" if previous else "cold"
        self.stats.outputs_rendered = len(changed)
        planned = {o.path for o in outputs}
        removed = sorted(set(previous) - planned)
        self.stats.outputs_removed = len(removed)
        pages_key = digest_text(*(f"{p}={f}" for p, f in sorted(fingerprints.items()) if p.endswith(".html")))
        if len(fingerprints) < len(outputs):
            pages_key = digest_text("unfingerprintable", str(time.time_ns()))

        committed: dict[str, tuple[int, int]] | None = None  # file stats, when a few files were committed in place
        if self.writer == "swap" and self._few_changes(outputs, changed, previous, pages_key):
            committed = self._commit_few(site, urls, outputs, changed, problems, progress)
            written = committed is not None or None
        elif self.writer == "swap":
            written = self._write_swapped(site, urls, outputs, changed, pages_key, problems, progress)
        else:
            written = self._write_in_place(outputs, changed, removed, problems, progress)
        if written is None:
            self._save_caches()
            return BuildResult(site, problems)
        self.changed_paths = sorted({o.path for o in changed} | set(removed))

        held_back = [i for i in self.items.all_items if i.date is not None and i.date > options.now and not options.future]
        library = site.library
        snapshot = self._save_snapshots(site, outputs, {o.path for o in changed}, problems)
        self.state = OutputState(
            fast_key=self._fast_key(), tree=digest_text(frame.digest, sources.digest), racy=frame.racy or sources.racy,
            valid_until=min((i.date for i in held_back), default=None),
            manifest=self._manifest_signature(), folders=self._folder_signatures(outputs),
            file_stats=committed if committed is not None else self._file_stats(),
            outputs=fingerprints, pages_key=pages_key,
            counts=(len(library.articles), len(library.voices), len(library.newsletters), len(library.pages), library.held_back),
            files=len(outputs),
            frame="" if frame.racy else frame.digest,  # a racy frame proves nothing: the next build takes the full path
            sources=self._hashed_sources(sources), snapshot=snapshot,
        )
        self._save_caches()
        write_checked(self._state_file(), self.state)
        return BuildResult(site, problems, len(outputs), time.perf_counter() - started)

    def _fingerprints(self, outputs: list[Output], site: Site) -> dict[str, str]:
        assert self.items is not None
        walker = Fingerprinter(self.items.fingerprints)
        theme, assets = self._theme_digest(), self._assets_digest(site)
        result: dict[str, str] = {}
        for output in outputs:
            value = self._fingerprint(output, walker, theme, assets)
            if value is not None:  # None: rendered every time
                result[output.path] = value
        return result

    def _fingerprint(self, output: Output, walker: Fingerprinter, theme: str, assets: str) -> str | None:
        try:
            parts = [self.generator, output.path, output.producer, output.template or "", walker.hex(output.context), walker.hex(output.lastmod)]
            if output.producer != "copy":
                parts += [theme, assets]
            if output.source is not None:
                parts.append(self._hash(output.source))
            return digest_text(*parts)
        except (Unfingerprintable, OSError):
            return None

    def _assets_digest(self, site: Site) -> str:
        site_dir = self.options.site_dir
        return digest_text(*(f"{a.source}={self._hash(site_dir / a.source)}" for a in site.library.assets))

    def _hash(self, path: Path) -> str:
        try:
            return self.hashes.of(path)
        except OSError:
            return "missing"

    def _render(self, outputs: list[Output], urls: Urls, problems: list[Diagnostic], progress: Progress | None) -> Iterator[tuple[Output, bytes]]:
        """Render `outputs`, yielding each as it is done; problems are added to `problems`."""
        global _RENDERING
        reported: set[str] = set()
        _RENDERING = (outputs, urls, self.options.site_dir, tuple(theme_dirs(self.options.site_dir)))
        try:
            for done, (index, data, problem) in enumerate(
                parallel.imap_in_pool(_render_one, range(len(outputs)), enabled=self.parallel), start=1
            ):
                output = outputs[index]
                if problem is not None:
                    if problem.format() not in reported:  # a broken template breaks every page using it: say so once
                        reported.add(problem.format())
                        problems.append(problem)
                elif data is not None:
                    yield output, data
                if progress:
                    progress(done, len(outputs))
        finally:
            _RENDERING = None

    def _few_changes(self, outputs: list[Output], changed: list[Output], previous: dict[str, str], pages_key: str) -> bool:
        """Commit in place rather than swap a whole new folder in: the same files, a few of them
        changed, and no search index to remake (it is made from every page, in a folder of its own)."""
        state = self.state
        if not self._trusted or state is None or len(changed) > FEW_CHANGES or len(previous) != state.files:
            return False
        if {o.path for o in outputs} != previous.keys():
            return False
        pages_changed = any(o.path.endswith(".html") for o in changed)
        if self.search_index and pages_changed:
            return False
        extras = set(state.file_stats) - previous.keys() - {MANIFEST}  # the search index's files
        return not extras or (self.search_index and state.pages_key == pages_key)

    def _commit_few(self, site: Site, urls: Urls, outputs: list[Output], changed: list[Output],
                    problems: list[Diagnostic], progress: Progress | None) -> dict[str, tuple[int, int]] | None:
        """Render `changed` into memory, check, and commit them in place (output.commit_files)."""
        from newpower_site.email.checks import email_problems

        out = self.options.output
        rendered = dict((o.path, data) for o, data in self._render(changed, urls, problems, progress))
        if has_errors(problems):
            return None
        problems += email_problems(site, urls, _FilesOnDisk(out, [o.path for o in outputs], rendered), self.options.site_dir)
        if has_errors(problems) or (self.options.strict and problems):
            return None
        try:
            commit_files(out, rendered)
        except OSError as exc:  # the state is not saved: the next build sees the changed files and rebuilds whole
            problems.append(error(str(out), 0, f"cannot write the output: {exc.strerror or exc}"))
            return None
        assert self.state is not None
        stats = dict(self.state.file_stats)
        _restat(out, rendered, stats)
        self.stats.outputs_linked = 0
        return stats

    def _write_swapped(self, site: Site, urls: Urls, outputs: list[Output], changed: list[Output], pages_key: str,
                       problems: list[Diagnostic], progress: Progress | None) -> bool | None:
        from newpower_site.email.checks import email_problems
        from newpower_site.write.search import SearchIndexError, index_for_search

        out = self.options.output
        remove_stale_staging(out)
        stage = staging_dir(out)
        made: set[Path] = set()
        try:
            stage.mkdir(parents=True)
            for output, data in self._render(changed, urls, problems, progress):
                target = _target(stage, output.path, made)
                target.write_bytes(data)
            if has_errors(problems):
                return None
            changed_paths = {o.path for o in changed}
            for output in outputs:
                if output.path not in changed_paths:
                    _link_or_copy(out / output.path, _target(stage, output.path, made))
            self.stats.outputs_linked = len(outputs) - len(changed)
            problems += email_problems(site, urls, _FilesOnDisk(stage, [o.path for o in outputs]), self.options.site_dir)
            if has_errors(problems) or (self.options.strict and problems):
                return None
            planned = {o.path for o in outputs}
            extras = sorted(read_manifest(out) - planned - {MANIFEST}) if self._trusted else []
            reuse_index = bool(extras) and self.state is not None and self.state.pages_key == pages_key and all((out / e).is_file() for e in extras)
            if reuse_index:
                for extra in extras:
                    _link_or_copy(out / extra, _target(stage, extra, made))
            elif self.search_index:
                try:
                    index_for_search(stage)
                except SearchIndexError as exc:
                    problems.append(exc.diagnostic)
                    return None
            write_manifest(stage, [name for name in list_files(stage) if name != MANIFEST])
            _swap_and_discard(stage, out)
            return True
        finally:
            if stage.exists():
                shutil.rmtree(stage, ignore_errors=True)

    def _write_in_place(self, outputs: list[Output], changed: list[Output], removed: list[str],
                        problems: list[Diagnostic], progress: Progress | None) -> bool | None:
        """Serve's private folder: render everything first, then write only if nothing failed."""
        assert self.items is not None
        out = self.options.output
        rendered = list(self._render(changed, _urls_of(outputs), problems, progress))
        if has_errors(problems):
            return None
        made: set[Path] = set()
        for output, data in rendered:
            _replace_file(_target(out, output.path, made), data)
        for path in removed:
            target = out / path
            try:
                target.unlink()
            except OSError:
                continue
            _prune_empty(target.parent, out)
        return True

    # -- signatures ------------------------------------------------------------------------------------

    def _look(self) -> tuple[TreeLook, TreeLook]:
        """Stat signatures of the theme and site.yaml (the frame), and of content/."""
        site_dir = self.options.site_dir
        return look_at_tree(theme_dirs(site_dir), [site_dir / CONFIG_FILE]), look_at_tree([site_dir / CONTENT_ROOT])

    def _hashed_sources(self, look: TreeLook) -> dict[str, tuple[Signature, str]]:
        result = {}
        for path, sig in look.files.items():
            read = self.hashes.seen.get(path)  # the hash taken when this build read it, not a later save's
            try:
                result[path] = (sig, read[1] if read is not None else self.hashes.of(Path(path)))
            except OSError:
                result[path] = (sig, "missing")
        return result

    def _config_digest(self) -> str:
        try:
            data = (self.options.site_dir / CONFIG_FILE).read_bytes()
        except OSError:
            data = b""
        return digest_text(digest(data), self.options.base_url or "")

    def _theme_digest(self) -> str:
        parts = []
        for folder in theme_dirs(self.options.site_dir):
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    parts.append(f"{path.relative_to(folder).as_posix()}={self._hash(path)}")
            parts.append("|")
        return digest_text(*parts)

    def _manifest_signature(self) -> Signature | None:
        if self.writer != "swap":
            return None
        try:
            return signature(os.stat(self.options.output / MANIFEST))
        except OSError:
            return None

    def _folder_signatures(self, outputs: list[Output]) -> dict[str, int]:
        if self.writer != "swap":
            return {}
        out = self.options.output
        folders = {""}
        for output in outputs:
            parent = output.path.rpartition("/")[0]
            while parent and parent not in folders:
                folders.add(parent)
                parent = parent.rpartition("/")[0]
        result = {}
        for folder in sorted(folders):
            try:
                result[folder] = os.stat(out / folder).st_mtime_ns
            except OSError:
                result[folder] = -1
        return result

    def _output_untouched(self, state: OutputState) -> bool:
        """No file was added to, or removed from, the output folder since we wrote it."""
        out = self.options.output
        if self.writer != "swap":
            return out.is_dir()
        root = os.fspath(out) + os.sep  # strings, not Paths: 25,000 of them at 10,000 items
        try:
            if state.manifest != signature(os.stat(root + MANIFEST)):
                return False
            for folder, mtime in state.folders.items():
                if os.stat(root + folder).st_mtime_ns != mtime:
                    return False
            for path, (size, mtime) in state.file_stats.items():
                found = os.stat(root + path)
                if (found.st_size, found.st_mtime_ns) != (size, mtime):
                    return False  # edited by hand: nothing of that output may be reused
        except OSError:
            return False
        return True

    def _file_stats(self) -> dict[str, tuple[int, int]]:
        """Size and mtime of every file the swap put in place (the swap writer's only)."""
        if self.writer != "swap":
            return {}
        stats: dict[str, tuple[int, int]] = {}
        _restat(self.options.output, list_files(self.options.output), stats, missing_ok=True)
        return stats

    def _save_snapshots(self, site: Site, outputs: list[Output], changed: set[str], problems: list[Diagnostic]) -> str:
        """Keep this build's plan for quick rebuilds (snapshots.py); returns the id of its rows."""
        assert self.items is not None
        store = self.snapshots()
        page = next((o for o in outputs if o.path == "404.html" and o.producer == "template"), None)
        if page is None or self.items.targets is None:
            store.discard()
            return ""
        published = {item.source: item for item in site.library.all_items()}
        items = []
        for parsed in self.items.all_items:
            item = published.get(parsed.source, parsed)
            known = self.items.fingerprints.get(id(item))
            items.append((item, parsed.source in published, known[1] if known else None, self.items.problems_of(parsed)))
        build_id = os.urandom(8).hex()
        in_step = self.state.snapshot if self._trusted and self.state is not None else None
        meta = {"targets": self.items.targets, "assets": self._assets_digest(site), "problems": tuple(problems)}
        snapshots = [o for o in outputs if o.producer not in ("copy", "image", "sitemap")]
        from newpower_site.plan.outputs import SHARED_CONTEXT

        saved = store.save_build(build_id, in_step, {key: page.context[key] for key in SHARED_CONTEXT}, items, snapshots, changed, meta)
        return build_id if saved else ""

    # -- the quick path's writing (quickedit.py) ---------------------------------------------------------

    def write_quick(self, rendered: dict[str, bytes]) -> list[str] | None:
        out = self.options.output
        self._quick_wrote = True
        try:
            if self.writer == "swap":
                commit_files(out, rendered)
            else:
                for path, data in rendered.items():
                    _replace_file(out / path, data)
        except OSError:
            return None
        return sorted(rendered)

    def after_quick(self, written: list[str], shared: Mapping[str, Any], records: list[ItemRecord]) -> None:
        """Record what a quick rebuild changed: its files' stats, the edited items' rows, the state."""
        state = self.state
        assert state is not None
        out = self.options.output
        if self.writer == "swap":
            _restat(out, written, state.file_stats)
            for folder in {path.rpartition("/")[0] for path in written}:
                state.folders[folder] = os.stat(out / folder).st_mtime_ns
        if not self.snapshots().save_items(state.snapshot, records, shared):
            state.snapshot = ""
        self._save_caches()
        write_checked(self._state_file(), state)

    def counted_site(self) -> Site:
        assert self.state is not None
        return _counted_site(self.state.counts)

    def _save_caches(self) -> None:
        try:
            if self.items is not None:
                self.items.save()
            write_checked(self.folder / "hashes.pickle", {**self.hashes.known, **self.hashes.to_save(time.time_ns())})
        except OSError:
            pass  # a read-only site folder still builds, only without a memory


# -- rendering in pool processes ---------------------------------------------------------------------

_RENDERING: tuple[list[Output], Urls, Path, tuple[Path, ...]] | None = None
_ENV: Any = None  # (site folder, its theme folders) -> Jinja environment: a templates/ folder made since needs a new one


def _render_one(index: int) -> tuple[int, bytes | None, Diagnostic | None]:
    """Render outputs[index] (pool processes send back only the index and the bytes)."""
    global _ENV
    from newpower_site.render.templates import RenderError, make_environment, render_output

    assert _RENDERING is not None
    outputs, urls, site_dir, theme = _RENDERING
    output = outputs[index]
    if _ENV is None or _ENV[0] != (site_dir, theme):
        _ENV = ((site_dir, theme), make_environment(site_dir, template_code_cache(site_dir)))
    try:
        return index, render_output(output, _ENV[1], urls, site_dir), None
    except RenderError as exc:
        return index, None, exc.diagnostic
    except OSError as exc:
        return index, None, error(output.inputs[0] if output.inputs else output.path, 0, f"cannot read: {exc.strerror}")


def _urls_of(outputs: list[Output]) -> Urls:
    from newpower_site.core.urls import Urls

    for output in outputs:
        urls = output.context.get("urls") if isinstance(output.context, Mapping) else None
        if isinstance(urls, Urls):
            return urls
    raise AssertionError("no output carries the site's Urls")


# -- writing ------------------------------------------------------------------------------------------


def _target(root: Path, relative: str, made: set[Path]) -> Path:
    target = root / relative
    parent = target.parent
    if parent not in made:
        parent.mkdir(parents=True, exist_ok=True)
        made.add(parent)
    return target


def _restat(out: Path, paths: Iterable[str], stats: dict[str, tuple[int, int]], missing_ok: bool = False) -> None:
    """Record each output file's (size, mtime): what _output_untouched compares next time."""
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
    """Serve's folder: a browser reading `target` meanwhile gets the old file or the new, whole."""
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


def _swap_and_discard(stage: Path, out: Path) -> None:
    """Swap `stage` in as `out`; a large previous output is deleted after we return."""
    if not out.exists() or not _exchange(stage, out):
        swap_in(stage, out)
        return
    # `stage` now holds the previous output.
    count = sum(1 for _ in _limited_walk(stage, BACKGROUND_DELETE + 1))
    if count <= BACKGROUND_DELETE or not hasattr(os, "fork"):
        shutil.rmtree(stage, ignore_errors=True)
        return
    try:
        child = os.fork()
    except OSError:
        shutil.rmtree(stage, ignore_errors=True)
        return
    if child == 0:  # the deleter: renamed after itself so builds beside it leave its folder alone
        try:
            os.setsid()
            doomed = stage.with_name(f".{out.name}.staging-{os.getpid()}")
            os.rename(stage, doomed)
            shutil.rmtree(doomed, ignore_errors=True)
        finally:
            os._exit(0)


def _limited_walk(folder: Path, limit: int) -> Iterator[str]:
    seen = 0
    for _, _, files in os.walk(folder):
        for name in files:
            yield name
            seen += 1
            if seen >= limit:
                return


class _FilesOnDisk(Mapping[str, bytes]):
    """An output folder as a read-only mapping, read on demand (checks that look at written files);
    `rendered` holds files not yet in it (a commit to come)."""

    def __init__(self, root: Path, paths: list[str], rendered: Mapping[str, bytes] | None = None):
        self.root, self.paths, self.rendered = root, paths, rendered or {}

    def __getitem__(self, path: str) -> bytes:
        if path in self.rendered:
            return self.rendered[path]
        if path not in self.paths:
            raise KeyError(path)
        return (self.root / path).read_bytes()

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)


def _counted_site(counts: tuple[int, int, int, int, int]) -> Site:
    """A stand-in Site for the summary line of a build that found nothing to do: only the counts are real."""
    articles, voices, newsletters, pages, held_back = counts
    library = Library(articles=(None,) * articles, voices=(None,) * voices, newsletters=(None,) * newsletters,  # type: ignore[arg-type]
                      pages=(None,) * pages, held_back=held_back)  # type: ignore[arg-type]
    return Site(None, library)  # type: ignore[arg-type]


def build(options: BuildOptions, progress: Progress | None = None) -> tuple[BuildResult, Stats]:
    """One `newpower build` with the cache: the same output as pipeline.build, usually sooner."""
    builder = Builder(options)
    result = builder.build(progress)
    return result, builder.stats


def clear(site_dir: Path) -> None:
    shutil.rmtree(cache_dir(site_dir), ignore_errors=True)


