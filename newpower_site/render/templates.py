"""The theme's Jinja environment, and one template rendered with its errors located.

Autoescape is always on. A template error is reported with the template's
own file and line, as a content error is, so a theme author can fix it.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from pathlib import Path

import jinja2

from newpower_site.core.dates import long_date
from newpower_site.core.diagnostics import Diagnostic, error
from newpower_site.core.sealed import private_folder, read_sealed, write_sealed
from newpower_site.core.theme import theme_dirs


class RenderError(Exception):
    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.format())
        self.diagnostic = diagnostic


class _TemplateCodeCache(jinja2.BytecodeCache):
    """Compiled templates kept between runs: compiling the theme costs a quick rebuild 0.2 s.

    Jinja keys each entry by the template's source, so an edited template is
    compiled again. Loading an entry runs its code (and unpickles its header),
    so each is sealed to its own file (core/sealed.py): an entry that is torn,
    altered, a symbolic link or planted from elsewhere is a miss, compiled
    again, never run.
    """

    def __init__(self, folder: Path):
        self.folder = folder

    def _entry(self, bucket: jinja2.bccache.Bucket) -> Path:
        return self.folder / f"__jinja2_{bucket.key}.cache"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = read_sealed(self._entry(bucket))
        if data is None:
            return
        try:
            bucket.bytecode_from_string(data)
        except Exception:
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            write_sealed(self._entry(bucket), bucket.bytecode_to_string())
        except OSError:
            pass  # a read-only cache folder only costs time


def make_environment(site_dir: Path, code_cache: Path | None = None) -> jinja2.Environment:
    """`code_cache`: a folder for compiled templates under `site_dir` (cached builds only: `check` and
    `--no-cache` pass none and so use nothing in `.newpower-cache/`)."""
    cache = None
    if code_cache is not None:
        folder = private_folder(site_dir, code_cache)
        cache = _TemplateCodeCache(folder) if folder is not None else None
    env = jinja2.Environment(
        bytecode_cache=cache,
        loader=jinja2.FileSystemLoader([str(d) for d in theme_dirs(site_dir)]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["longdate"] = lambda moment: long_date(moment) if isinstance(moment, datetime) else ""
    env.filters["isodate"] = lambda moment: moment.isoformat() if isinstance(moment, datetime) else ""
    return env


def render_named(template: str, context: Mapping[str, Any], output_path: str, env: jinja2.Environment, site_dir: Path) -> str:
    """Render one template; any error in it is reported at the template's own line."""
    try:
        return env.get_template(template).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(error(_theme_path(exc.filename, site_dir, exc.name), exc.lineno, f"template syntax: {exc.message}")) from exc
    except jinja2.TemplateNotFound as exc:
        raise RenderError(error(f"templates/{template}", 0, f"template not found: {exc.name}")) from exc
    except Exception as exc:  # a template bug must be reported as one, not as a crash
        frame = _template_frame(exc)
        where, line = (_theme_path(frame[0], site_dir, template), frame[1]) if frame else (f"templates/{template}", 0)
        # The message names the template line, not the page: a bug in base.html
        # breaks every page the same way, and is then reported once.
        raise RenderError(error(where, line, f"{type(exc).__name__}: {exc}", hint=f"first met rendering {output_path}")) from exc


def _template_frame(exc: BaseException) -> tuple[str, int] | None:
    """The innermost traceback frame that is a template file (Jinja rewrites them)."""
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".html", ".xml", ".txt")) and frame.lineno:
            found = (frame.filename, frame.lineno)
    return found


def _theme_path(filename: str | None, site_dir: Path, name: str | None) -> str:
    if not filename:
        return f"templates/{name}"
    path = Path(filename).resolve()
    try:
        return path.relative_to(site_dir.resolve()).as_posix()
    except ValueError:
        return f"(theme) templates/{path.name}"
