"""What a build is asked to do and what it answers: shared by every way of building.

Kept apart from pipeline.py, which imports every stage, so that a build
with nothing to do (incremental.py's first check) starts without loading
the Markdown parser, the templates or the email code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from newpower_site.core.diagnostics import Diagnostic, has_errors

if TYPE_CHECKING:
    from newpower_site.core.model import Site

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class BuildOptions:
    site_dir: Path
    out_dir: Path | None = None  # default: SITE/output
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    strict: bool = False  # warnings stop the build too (--strict): nothing is written
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def output(self) -> Path:
        return self.out_dir if self.out_dir is not None else self.site_dir / "output"


@dataclass(frozen=True, slots=True)
class BuildResult:
    site: Site | None
    diagnostics: list[Diagnostic]
    files: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)
