"""Shared helpers: run the real `newpower` command on copies of the test sites."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SITES = Path(__file__).parent / "sites"
REPO = Path(__file__).parent.parent


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def newpower(*args: str | Path, cwd: Path | None = None) -> Run:
    """Run the command line as a user would, in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-m", "newpower_site", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=300,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def copy_site(name: str, tmp_path: Path) -> Path:
    """A private copy of tests/sites/NAME, so builds never write into the repository."""
    target = tmp_path / name
    shutil.copytree(SITES / name, target, symlinks=True)
    return target


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def realistic_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/sites/realistic built once with the default theme; returns its output folder."""
    site = copy_site("realistic", tmp_path_factory.mktemp("realistic"))
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    return site / "output"
