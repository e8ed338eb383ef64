"""The stages in order: load -> plan -> render -> write.

This is the whole flow of a build in one screen; each stage lives in its own
module and can be read and tested alone.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from newpower_site.engine.options import BuildOptions, BuildResult, Progress
from newpower_site.load.config import load_config
from newpower_site.email.checks import email_problems
from newpower_site.load.content import Selection, load_library
from newpower_site.core.diagnostics import Diagnostic, error, has_errors
from newpower_site.core.model import Site
from newpower_site.write.folder import publish, refuse_output_dir
from newpower_site.plan.outputs import Output, plan_site
from newpower_site.render.templates import RenderError, make_environment, render_output
from newpower_site.write.search import SearchIndexError, index_for_search
from newpower_site.core.theme import static_files
from newpower_site.core.urls import Urls

def load_site(options: BuildOptions, memo: Any = None) -> tuple[Site | None, Urls | None, list[Diagnostic]]:
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
    """`memo` (itemcache.ItemCache) reuses items parsed and rendered by earlier builds."""
    site, urls, problems = load_site(options, memo)
    if site is None or urls is None or has_errors(problems):
        return site, urls, [], problems
    outputs = plan_site(site, urls, static_files(options.site_dir), options.site_dir)
    return site, urls, outputs, problems + _duplicate_paths(outputs)


def render_all(outputs: list[Output], urls: Urls, site_dir: Path, progress: Progress | None = None) -> tuple[dict[str, bytes], list[Diagnostic]]:
    env = make_environment(site_dir)
    files: dict[str, bytes] = {}
    problems: list[Diagnostic] = []
    reported: set[str] = set()
    for done, output in enumerate(outputs, start=1):
        try:
            files[output.path] = render_output(output, env, urls, site_dir)
        except RenderError as exc:
            key = exc.diagnostic.format()
            if key not in reported:  # a broken template breaks every page using it: say so once
                reported.add(key)
                problems.append(exc.diagnostic)
        except OSError as exc:
            problems.append(error(output.inputs[0] if output.inputs else output.path, 0, f"cannot read: {exc.strerror}"))
        if progress:
            progress(done, len(outputs))
    return files, problems


def build(options: BuildOptions, progress: Progress | None = None, write: bool = True) -> BuildResult:
    started = time.perf_counter()
    refusals = refuse_output_dir(options.output, options.site_dir) if write else []
    if refusals:
        return BuildResult(None, refusals)
    site, urls, outputs, problems = plan(options)
    if site is None or urls is None or has_errors(problems):
        return BuildResult(site, problems)
    if not write:  # `check` writes nothing, not even resized images into the cache; planning read every image already
        outputs = [o for o in outputs if o.producer != "image"]
    files, render_problems = render_all(outputs, urls, options.site_dir, progress)
    problems += render_problems + email_problems(site, urls, files, options.site_dir)
    if has_errors(problems) or (options.strict and problems):
        return BuildResult(site, problems)
    if write:
        try:
            publish(options.output, files, finish=index_for_search)
        except SearchIndexError as exc:
            return BuildResult(site, problems + [exc.diagnostic])
    return BuildResult(site, problems, len(files), time.perf_counter() - started)


def _duplicate_paths(outputs: list[Output]) -> list[Diagnostic]:
    seen: dict[str, Output] = {}
    problems = []
    for output in outputs:
        if output.path in seen:
            first = seen[output.path]
            source = output.inputs[0] if output.inputs else output.path
            other = first.inputs[0] if first.inputs else first.path
            problems.append(error(source, 1, f"writes {output.path}, which {other} writes too: rename one of them"))
        else:
            seen[output.path] = output
    return problems
