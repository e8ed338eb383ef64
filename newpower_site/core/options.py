"""What a build is asked to do and what it answers: shared by every command.

In core, apart from engine.py, which imports the stages, so that a build with
nothing to do starts without loading the Markdown parser, the templates or
the email code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from newpower_site.core.diagnostics import Diagnostic, has_errors
from newpower_site.core.counts import Counts

if TYPE_CHECKING:
    from newpower_site.core.model import Site

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """What a command line asks of a build: the same for every command, so every command builds alike."""

    site_dir: Path
    out_dir: Path | None = None  # default: SITE/output
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    strict: bool = False  # warnings stop the build too (--strict): nothing is written
    email_provider: str | None = None  # `newpower email --provider`: this provider's tags instead of site.yaml's
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def output(self) -> Path:
        return self.out_dir if self.out_dir is not None else self.site_dir / "output"


@dataclass(slots=True)
class Stats:
    """What one build did, for tests and benchmarks."""

    path: str = ""  # "unchanged", "quick", "head", "incremental" or "cold"
    items_read: int = 0
    items_rendered: int = 0
    outputs_rendered: int = 0
    outputs_linked: int = 0
    outputs_removed: int = 0


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build reports: its problems, what it published, and how (`stats`)."""

    site: Site | None  # None when the build stopped before loading it, had nothing to do, or loaded it in a forked child (the index)
    diagnostics: list[Diagnostic]
    files: int = 0
    seconds: float = 0.0
    counts: Counts | None = None  # what was published (also when nothing had to be done)
    stats: Stats = field(default_factory=Stats)
    changed: list[str] = field(default_factory=list)  # output files written or removed

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)
