"""The one render loop: planned outputs in, their bytes out, problems as data.

Every build renders through `render_outputs`, whether it renders every
output (a cold build, `check`), the changed ones (an incremental build) or
the few an edit touched (the quick path). Many outputs are rendered in
forked worker processes (core/pool.py), which inherit the job; given a
`sink` (the staging writer's), each worker writes its files itself and sends
back nothing but problems, otherwise it sends back the bytes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from newpower_site.core.diagnostics import Diagnostic, error
from newpower_site.core.pool import imap_in_pool
from newpower_site.core.theme import theme_dirs
from newpower_site.core.urls import Urls
from newpower_site.email.output import EmailParts
from newpower_site.plan.outputs import Output
from newpower_site.render.feeds import FeedEntries
from newpower_site.render.producers import render_output
from newpower_site.render.templates import RenderError, make_environment

Progress = Callable[[int, int], None]
Sink = Callable[[str, bytes], None]  # (output path, bytes): writes one file, raises OSError


@functools.lru_cache(maxsize=4)
def _environment(site_dir: Path, theme: tuple[Path, ...], code_cache: Path | None) -> jinja2.Environment:
    """One environment per theme (a templates/ folder made since needs a new one); Jinja reloads edited templates itself."""
    return make_environment(site_dir, code_cache)


@dataclass(frozen=True, slots=True)
class _RenderJob:
    """What a rendering worker needs for its share of the outputs."""

    outputs: Sequence[Output]
    urls: Urls
    site_dir: Path
    theme: tuple[Path, ...]
    code_cache: Path | None
    image_cache: bool
    sink: Sink | None
    email: EmailParts = field(default_factory=EmailParts)  # each process's own once forked
    feeds: FeedEntries = field(default_factory=FeedEntries)  # likewise

    def __call__(self, index: int) -> tuple[bytes | None, Diagnostic | None]:
        output = self.outputs[index]
        try:
            env = _environment(self.site_dir, self.theme, self.code_cache)
            data = render_output(output, env, self.urls, self.site_dir, self.image_cache, self.email, self.feeds)
        except RenderError as exc:
            return None, exc.diagnostic
        except OSError as exc:
            return None, error(output.inputs[0] if output.inputs else output.path, 0, f"cannot read: {exc.strerror}")
        if self.sink is None:
            return data, None
        try:
            self.sink(output.path, data)
        except OSError as exc:
            return None, error(output.path, 0, f"cannot write the output: {exc.strerror or exc}")
        return None, None


def render_outputs(outputs: Sequence[Output], urls: Urls, site_dir: Path, problems: list[Diagnostic], *,
                   code_cache: Path | None = None, image_cache: bool = True, parallel: bool = True,
                   progress: Progress | None = None, sink: Sink | None = None) -> Iterator[tuple[Output, bytes]]:
    """Yield (output, bytes) in order as each is rendered; what fails is added to `problems`.

    With a `sink`, each output is written by it where it was rendered, and
    none is yielded.

    `code_cache` keeps compiled templates between runs and `image_cache`
    resized images (cached builds only: `check` and `--no-cache` pass None
    and False, and so use none of `.newpower-cache/`).
    """
    job = _RenderJob(outputs, urls, site_dir, tuple(theme_dirs(site_dir)), code_cache, image_cache, sink)
    reported: set[str] = set()
    for done, (data, problem) in enumerate(imap_in_pool(job, range(len(outputs)), enabled=parallel), start=1):
        if problem is not None:
            if problem.format() not in reported:  # a broken template breaks every page using it: say so once
                reported.add(problem.format())
                problems.append(problem)
        elif data is not None:
            yield outputs[done - 1], data
        if progress:
            progress(done, len(outputs))
