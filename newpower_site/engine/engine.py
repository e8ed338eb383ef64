"""The one build every command runs: load -> plan -> render -> check -> write.

    build          Engine(options, Staged(out), BuildCache(site))
    build --no-cache  Engine(options, Staged(out), cache=None)
    check          Engine(options, NoWrite(), cache=None)
    serve          Engine(options, InPlace(preview folder), BuildCache(site)), kept between edits
    email, send-test  Engine(options, NoWrite(wanted=one issue's emails), cache=None)

Commands differ only in the writer they give (none, staged swap, in place)
and the cache (none, or the build's). With a cache, a build with nothing to
do returns at once, and one that changed only item bodies renders just the
outputs the quick path names; every other build plans the whole site and
renders what the cache says changed. Rendering, the email checks, strict
mode and the result are the same code on every path, so every command
reports the same problems. A build that makes the search index loads, plans and
renders in a forked child, so that Pagefind runs beside a small parent (`_full`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from newpower_site.core.diagnostics import Diagnostic, error, fails, has_errors
from newpower_site.core.memory import collection_paused
from newpower_site.core.options import BuildOptions, BuildResult, Progress, Stats

if TYPE_CHECKING:  # the stages load when there is something to build: a build with nothing to do starts quicker
    from newpower_site.cache.quick import QuickEdit
    from newpower_site.cache.state import BuildCache, Look, OutputState
    from newpower_site.core.model import Counts, Site
    from newpower_site.core.urls import Urls
    from newpower_site.plan.outputs import Output
    from newpower_site.write.writers import Changes, Writer


def load_site(options: BuildOptions, memo: Any = None) -> tuple[Site | None, Urls | None, list[Diagnostic]]:
    from newpower_site.core.model import Site
    from newpower_site.core.urls import Urls
    from newpower_site.load.config import load_config
    from newpower_site.load.content import Selection, load_library

    config, problems = load_config(options.site_dir)
    if config is None:
        return None, None, problems
    if options.base_url:
        config = config.with_base_url(options.base_url)
    urls = Urls(config.base_url)
    selection = Selection(options.now, drafts=options.drafts, future=options.future)
    library, problems = load_library(options.site_dir, config, selection, urls, memo)
    return Site(config, library), urls, problems


def plan(options: BuildOptions, memo: Any = None) -> tuple[Site | None, Urls | None, list[Output], list[Diagnostic]]:
    """Load and plan the site (no plan when loading found errors); `memo` (cache/items.py) reuses items parsed before."""
    site, urls, problems = load_site(options, memo)
    if site is None or urls is None or has_errors(problems):
        return site, urls, [], problems
    outputs = _plan_outputs(options, site, urls, problems)
    return site, urls, outputs, problems


@dataclass(frozen=True, slots=True)
class Rendered:
    """A full build rendered and written, not yet committed; or, with `result`, a build that stopped there."""

    result: BuildResult | None
    site: Site | None = None  # None from a forked child: the caller of `newpower build` reads none
    problems: list[Diagnostic] = field(default_factory=list)
    changes: Changes | None = None  # without the plan (`Changes.without_plan`): what the commit and the marks read
    pending: OutputState | None = None  # the cache's record, written once the commit succeeds
    files: int = 0
    counts: Counts | None = None
    changed: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Engine:
    """One site built into one place by one writer, with a cache or without."""

    options: BuildOptions
    writer: Writer
    cache: BuildCache | None = None
    parallel: bool = True
    stats: Stats = field(default_factory=Stats)

    def build(self, progress: Progress | None = None) -> BuildResult:
        started = time.perf_counter()
        self.stats = Stats()
        with collection_paused():  # see _before_full
            before = self._before_full(started)
        if isinstance(before, BuildResult):
            return before
        look, trusted, problems = before
        if not trusted:
            refusals = self.writer.refusals(self.options.site_dir)
            if refusals:
                return BuildResult(None, problems + refusals)
        return self._full(look, trusted, problems, progress, started)

    def _before_full(self, started: float) -> BuildResult | tuple[Look | None, bool, list[Diagnostic]]:
        """A build that nothing changed, or that the quick or head path can take; else what the full path needs.

        Run with the garbage collector paused: these paths make a few hundred
        thousand objects that stay alive to the end (the cache's state, a head
        snapshot) and few cycles, and its collections walked them all again
        and again, ~0.13 s of a date edit at 10,000 items; the full path
        runs with it on, as its peak memory wants.
        """
        options, writer, cache = self.options, self.writer, self.cache
        problems = writer.recover()
        trusted, look = False, None
        if cache is not None:
            cache.open(options.output, writer.cache_kind)
            state = cache.state
            untouched = None  # the output's check, started before the look so that it may run beside it
            if writer.records and state is not None and state.fast_key == cache.fast_key(options, writer.kind, writer.search_index):
                untouched = writer.start_untouched(state.marks)
            look = cache.look()
            if not writer.records:  # `check` answers from what the last build recorded, if nothing changed since
                if cache.unchanged_for(options, look):
                    assert state is not None
                    self.stats.path = "unchanged"
                    return self._result(None, problems + list(state.problems), state.files, started, state.counts)
                return look, trusted, problems
            ready = untouched is not None and cache.in_time(options.now) and writer.settled()  # unsettled: the full path folds what --quick-search left
            unchanged = ready and cache.unchanged(look)
            quick = self._plan_edit(look) if ready and not unchanged else None  # while the child still checks the output
            trusted = untouched is not None and untouched()
            if trusted and unchanged:
                assert state is not None
                self.stats.path = "unchanged"
                writer.tidy()
                return self._result(None, problems, state.files, started, state.counts)
            if trusted and quick is not None:
                result = self._quick(quick, look, problems, started)
                if result is not None:
                    return result
                assert state is not None
                trusted = writer.untouched(state.marks)
        return look, trusted, problems

    def _plan_edit(self, look: Look) -> QuickEdit | None:
        """The quick path's plan, or the head path's; None when neither can take the edit. It reads the
        cache and the sources, never the output, so it is made before the output is known untouched."""
        from newpower_site.cache.quick import edited_sources, plan_quick_edit

        cache, options = self.cache, self.options
        assert cache is not None
        edited = edited_sources(cache, look)
        quick = plan_quick_edit(cache, edited, options.base_url)
        if quick is None:  # a head edit (a title, a date): the head path replans only what shows the item
            from newpower_site.cache.heads import plan_head_edit

            quick = plan_head_edit(cache, edited, options, self.writer.search_index)
        return quick

    # -- the full path -----------------------------------------------------------------------------------

    def _full(self, look: Look | None, trusted: bool, problems: list[Diagnostic], progress: Progress | None,
              started: float) -> BuildResult:
        """Render everything the cache says changed, then commit it.

        A commit that makes the search index runs Pagefind, a process as large
        as the site loaded and planned; the site is loaded, planned and
        rendered in a forked child, then, so that Pagefind runs beside a
        parent that never held it (freed, it would not shrink: pool.py's
        `run_forked`). The child hands back what the commit needs (`Rendered`)
        and the writer's own state.
        """
        from newpower_site.core.pool import can_fork, run_forked

        writer = self.writer
        if writer.commit_needs_memory and self.parallel and can_fork():
            rendered, handed, self.stats = run_forked(lambda: self._rendered_for_parent(look, trusted, problems, progress))
            writer.take_over(handed)
        else:
            rendered = self._render(look, trusted, problems, progress)
        if rendered.result is not None:
            return rendered.result
        return self._commit(rendered, started)

    def _rendered_for_parent(self, look: Look | None, trusted: bool, problems: list[Diagnostic],
                             progress: Progress | None) -> tuple[Rendered, dict[str, Any], Stats]:
        """`_render` in the forked child: what goes back is small (no site, no plan)."""
        rendered = self._render(look, trusted, problems, progress)
        rendered = replace(rendered, site=None, result=replace(rendered.result, site=None) if rendered.result else None)
        return rendered, self.writer.handover(), self.stats

    def _render(self, look: Look | None, trusted: bool, problems: list[Diagnostic], progress: Progress | None) -> Rendered:
        from newpower_site.email.checks import email_problems
        from newpower_site.render.renderer import render_outputs
        from newpower_site.write.writers import Changes

        options, writer, cache = self.options, self.writer, self.cache
        site, urls, loaded = load_site(options, cache.memo(options.base_url) if cache else None)
        problems = problems + loaded
        if cache is not None and cache.items is not None:
            self.stats.items_read, self.stats.items_rendered = cache.items.reads, cache.items.renders
        if site is None or urls is None:
            return Rendered(self._failed(None, problems))
        planned = _plan_outputs(options, site, urls, problems)
        outputs = [o for o in planned if writer.wants(o)]
        previous = cache.previous() if cache is not None and trusted and options.output.is_dir() else None
        if cache is not None and writer.records:
            changes = cache.changes(outputs, site, previous)
        else:
            changes = Changes(outputs, outputs, [], "")
        self.stats.path = "incremental" if previous is not None else "cold"
        self.stats.outputs_rendered, self.stats.outputs_removed = len(changes.changed), len(changes.removed)
        if has_errors(problems):
            return Rendered(self._failed(site, problems + self._check_only(site, urls, changes)))

        writer.begin(changes)
        done = False
        try:
            code_cache = cache.code_cache if cache is not None else None
            for output, data in render_outputs(changes.changed, urls, options.site_dir, problems, code_cache=code_cache,
                                               image_cache=cache is not None, parallel=self.parallel, progress=progress,
                                               sink=writer.sink()):
                writer.put(output, data)
            if not has_errors(problems):
                writer.link_unchanged(changes)
                problems += email_problems(site.library.newsletters, urls, writer.view(), options.site_dir)
            if fails(problems, options.strict):
                return Rendered(self._failed(site, problems))
            pending = None
            if cache is not None and look is not None and writer.records:  # before the commit: it needs the site and the plan
                pending = cache.prepare_record(options, writer.kind, writer.search_index, look, site, changes, problems)
            changed = sorted({o.path for o in changes.changed} | set(changes.removed))
            done = True
            return Rendered(None, site, problems, changes.without_plan(), pending, len(planned), site.library.counts(), changed)
        finally:
            if not done:
                writer.abort()

    def _commit(self, rendered: Rendered, started: float) -> BuildResult:
        """Commit what `_render` wrote, and keep its record once the output is committed."""
        writer, cache = self.writer, self.cache
        problems, changes = rendered.problems, rendered.changes
        assert changes is not None
        committed = False
        try:
            problems = problems + writer.commit(changes)
            if has_errors(problems):
                return self._result(rendered.site, problems, 0, None)  # the work done is saved already (prepare_record)
            committed = True
        finally:
            if not committed:
                writer.abort()
        self.stats.outputs_linked = writer.linked
        if cache is not None and rendered.pending is not None:
            cache.finish_record(rendered.pending, writer.marks(changes))
        elif cache is not None:
            cache.save()
        return self._result(rendered.site, problems, rendered.files, started, rendered.counts, rendered.changed)

    def _check_only(self, site: Site, urls: Urls, changes: Changes) -> list[Diagnostic]:
        """A site with errors is still rendered and checked, writing nothing, so that one run reports
        every problem: a broken link in one item must not hide another issue's email over Gmail's clip."""
        from newpower_site.email.checks import email_problems
        from newpower_site.render.renderer import render_outputs
        from newpower_site.write.writers import PendingFiles

        site_dir = self.options.site_dir
        problems: list[Diagnostic] = []
        wanted = [o for o in changes.changed if o.producer != "image"]  # resizing would write the image cache
        rendered = {o.path: data for o, data in render_outputs(wanted, urls, site_dir, problems, parallel=self.parallel)}
        previous = self.options.output if changes.previous is not None else None
        files = PendingFiles(previous, changes.paths, rendered)
        return problems + email_problems(site.library.newsletters, urls, files, site_dir)

    def _failed(self, site: Site | None, problems: list[Diagnostic]) -> BuildResult:
        if self.cache is not None:
            self.cache.save()
        return self._result(site, problems, 0, None)

    # -- the quick path --------------------------------------------------------------------------------

    def _quick(self, quick: QuickEdit, look: Look, problems: list[Diagnostic], started: float) -> BuildResult | None:
        """Render and write what the quick path names; None when the full path must run after all."""
        from newpower_site.cache.quick import record_quick_edit
        from newpower_site.render.renderer import render_outputs

        cache, writer, options = self.cache, self.writer, self.options
        assert cache is not None
        render_problems: list[Diagnostic] = []
        rendered = {o.path: data for o, data in render_outputs(quick.outputs, quick.urls, options.site_dir, render_problems,
                                                                code_cache=cache.code_cache, parallel=self.parallel)}
        if render_problems:
            return None  # the full path reports them
        issues = [o.context["issue"] for o in quick.outputs if o.producer == "email-html"]
        if issues:  # an email's size warning must come or go with a full build, which then reports it
            from newpower_site.email.checks import email_problems  # only then: the email checks take ~70 ms to import
            from newpower_site.write.writers import PendingFiles

            paths = [o.path for o in quick.outputs]
            before = email_problems(issues, quick.urls, PendingFiles(options.output, paths, {}), options.site_dir)
            after = email_problems(issues, quick.urls, PendingFiles(options.output, paths, rendered), options.site_dir)
            if before != after:
                return None
        if (rendered or quick.index_dates is not None) and not writer.commit_quick(rendered, quick.index_dates):
            return None
        written = sorted(rendered)
        record_quick_edit(cache, quick, look, written, writer.remark)
        state = cache.state
        assert state is not None
        self.stats = Stats(quick.path, len(quick.records), len(quick.records), len(quick.outputs))
        return self._result(None, problems + list(quick.problems), state.files, started, state.counts, written)

    def _result(self, site: Site | None, problems: list[Diagnostic], files: int, started: float | None,
                counts: Any = None, changed: list[str] | None = None) -> BuildResult:
        seconds = time.perf_counter() - started if started is not None else 0.0
        return BuildResult(site, problems, files, seconds, counts, self.stats, changed or [])


def _plan_outputs(options: BuildOptions, site: Site, urls: Urls, problems: list[Diagnostic]) -> list[Output]:
    """Every output of the site (also when loading it found errors); clashing output paths join `problems`."""
    from newpower_site.core.theme import static_files
    from newpower_site.plan.outputs import plan_site

    outputs = plan_site(site, urls, static_files(options.site_dir), options.site_dir, options.email_provider)
    problems += _duplicate_paths(outputs, {d.path for d in problems if d.level == "error"})
    return outputs


def _duplicate_paths(outputs: list[Output], broken: set[str]) -> list[Diagnostic]:
    """Two outputs at one path; not said again where one of them comes from a file already in error
    (a page named like a section clashes with the section: its name's error says so)."""
    seen: dict[str, Output] = {}
    problems = []
    for output in outputs:
        if output.path in seen:
            first = seen[output.path]
            if broken & {*output.inputs, *first.inputs}:
                continue
            source = output.inputs[0] if output.inputs else output.path
            other = first.inputs[0] if first.inputs else first.path
            problems.append(error(source, 1, f"writes {output.path}, which {other} writes too: rename one of them"))
        else:
            seen[output.path] = output
    return problems


# -- how each command builds ----------------------------------------------------------------------------


def build_site(options: BuildOptions, cached: bool = True, search_index: bool = True, progress: Progress | None = None,
               quick_search: bool = False) -> BuildResult:
    """`newpower build` (with the cache), `newpower build --no-cache` and `newpower build --quick-search`."""
    from newpower_site.write.writers import Staged

    cache = None
    if cached:
        from newpower_site.cache.state import BuildCache

        cache = BuildCache(options.site_dir)
    return Engine(options, Staged(options.output, search_index, quick_search=quick_search), cache).build(progress)


def check_site(options: BuildOptions, cached: bool = True) -> BuildResult:
    """`newpower check`: everything rendered and checked, nothing written; it reads what the last
    build cached, and with nothing changed since, that build's record answers."""
    from newpower_site.write.writers import NoWrite

    cache = None
    if cached:
        from newpower_site.cache.state import BuildCache

        cache = BuildCache(options.site_dir, read_only=True)
    return Engine(options, NoWrite(), cache).build()
