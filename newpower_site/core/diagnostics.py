"""Problems found in a run, as data.

Stages return `Diagnostic`s instead of printing or raising, so that one run can
report every problem at once; only the command line turns them into text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    """One problem, where it is: what every stage returns and only the command line prints."""

    path: str  # relative to the site folder, with forward slashes
    line: int  # 1-based; 0 when the problem is the whole file or run
    message: str
    level: Level = "error"
    column: int = 0  # 1-based; 0 when not known
    hint: str = ""  # how to fix it, when we can tell (e.g. "did you mean 'title'?"); may repeat part of the message
    follows: bool = False  # caused by another problem of the run (an item that failed): reported after the causes

    def format(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.level}: {self.message}"


def error(path: str, line: int, message: str, *, column: int = 0, hint: str = "", follows: bool = False) -> Diagnostic:
    return Diagnostic(path, line, message, "error", column, hint, follows)


def warning(path: str, line: int, message: str, *, column: int = 0, hint: str = "") -> Diagnostic:
    return Diagnostic(path, line, message, "warning", column, hint)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.level == "error" for d in diagnostics)


def fails(diagnostics: Iterable[Diagnostic], strict: bool) -> bool:
    """Errors fail a run; warnings fail it only under --strict. Every command asks this one question."""
    levels = {d.level for d in diagnostics}
    return "error" in levels or (strict and "warning" in levels)
