"""Diagnostics as text for people, JSON for programs, or annotations for GitHub.

`newpower check --format text|json|github`. The text form is the contract's
`PATH:LINE: error: MESSAGE` on stderr. The other two are for machines and go
to stdout, so a program can read them apart from the summary line:

- `json`: one JSON object per line (JSON Lines), with `path`, `line`,
  `column`, `level`, `message` and `hint` (null where not known);
- `github`: GitHub Actions workflow commands (`::error file=...,line=...::`),
  which put each problem on the offending line of a pull request's diff.

Warnings are reported in every format but fail a run only with `--strict`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from newpower_site.core.diagnostics import Diagnostic

Format = Literal["text", "json", "github"]
FORMATS: tuple[Format, ...] = ("text", "json", "github")


@dataclass(frozen=True, slots=True)
class ReportStyle:
    """How the command line was asked to report: the `--format` and `--strict` options."""

    format: Format = "text"
    strict: bool = False
    site_dir: Path = Path(".")  # GitHub wants paths from the repository root, not the site folder
    colour: bool = False  # "error" in red and "warning" in yellow: on a terminal only (see wants_colour)


# SGR codes: bold red, bold yellow, reset.
_COLOURS = {"error": "\033[1;31m", "warning": "\033[1;33m"}
_RESET = "\033[0m"


def wants_colour(stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    """Colour on a terminal, never when piped or redirected, never with NO_COLOR set (no-color.org) or TERM=dumb."""
    if environ.get("NO_COLOR", "") != "" or environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def as_text(diagnostic: Diagnostic, colour: bool) -> str:
    """The contract's `PATH:LINE: level: MESSAGE`; with colour, only the level word is coloured."""
    line = diagnostic.format()
    if not colour:
        return line
    level = f": {diagnostic.level}: "
    where, _, message = line.partition(level)
    return f"{where}: {_COLOURS[diagnostic.level]}{diagnostic.level}{_RESET}: {message}"


def in_order(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Reading order: root causes first, then what follows from them; each part by file, line and column.

    A newsletter that features a broken article is reported after the
    article, wherever the two sort by path: fixing the first line fixes both.
    """
    return sorted(diagnostics, key=lambda d: (d.follows, d.path, d.line, d.column, d.message, d.level))


def count(diagnostics: Iterable[Diagnostic], level: str) -> int:
    return sum(1 for d in diagnostics if d.level == level)


def as_json(diagnostic: Diagnostic) -> str:
    import json  # only for --format json: a build that reports nothing starts without it

    return json.dumps(
        {
            "path": diagnostic.path,
            "line": diagnostic.line or None,
            "column": diagnostic.column or None,
            "level": diagnostic.level,
            "message": diagnostic.message,
            "hint": diagnostic.hint or None,
        },
        ensure_ascii=False,
    )


def _escape_data(text: str) -> str:
    # https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts (escapeData)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def repository_path(path: str, site_dir: Path, cwd: Path | None = None) -> str:
    """`path` (relative to the site folder) as a path from the working folder, where the check runs.

    A workflow runs at the repository root; when the site is a sub-folder
    (`--site site`), GitHub needs `site/content/...` to find the file.
    """
    cwd = (cwd or Path.cwd()).resolve()
    full = (site_dir / path).resolve()
    try:
        return full.relative_to(cwd).as_posix()
    except ValueError:
        relative = os.path.relpath(full, cwd)
        return path if relative.startswith("..") else Path(relative).as_posix()


def as_github(diagnostic: Diagnostic, site_dir: Path) -> str:
    command = "error" if diagnostic.level == "error" else "warning"
    properties = [f"file={_escape_property(repository_path(diagnostic.path, site_dir))}"]
    if diagnostic.line:
        properties.append(f"line={diagnostic.line}")
    if diagnostic.column:
        properties.append(f"col={diagnostic.column}")
    properties.append("title=newpower check")
    message = diagnostic.message
    if diagnostic.hint and diagnostic.hint not in message:
        message += f" ({diagnostic.hint})"
    return f"::{command} {','.join(properties)}::{_escape_data(message)}"


def write_report(diagnostics: Iterable[Diagnostic], style: ReportStyle, out: TextIO, err: TextIO) -> None:
    """Print every diagnostic in the chosen format: text to `err`, machine formats to `out`."""
    ordered = in_order(diagnostics)
    if style.format == "json":
        for diagnostic in ordered:
            print(as_json(diagnostic), file=out)
    elif style.format == "github":
        for diagnostic in ordered:
            print(as_github(diagnostic, style.site_dir), file=out)
    else:
        for diagnostic in ordered:
            print(as_text(diagnostic, style.colour), file=err)
    warnings = count(ordered, "warning")
    if style.strict and warnings and not count(ordered, "error"):
        print(f"newpower: {warnings} warning{'s' if warnings != 1 else ''}, and --strict makes warnings fail the run", file=err)
