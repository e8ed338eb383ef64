"""A build killed with SIGKILL at any moment leaves output/ exactly as the previous
complete build or the new complete build, never a mix; the next build succeeds
and matches a cold build, so nothing torn in .newpower-cache/ is ever served.

A generated site of 150 items (benchmarks/gen_corpus.py) is built in two
versions whose every page differs (the site's title changes), and a build
from one to the other is killed at each point below, found by watching the
file system rather than by timing, so every run kills at the same stages.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, copy_site, newpower, tree_bytes

from newpower_site.cache.store import read_checked
from newpower_site.write.folder import MANIFEST, set_aside, start_staging

LIMIT = 120  # seconds: a hang fails the test instead of blocking the suite (not a speed check)
ITEMS = 150

Tree = dict[str, bytes]


def set_title(site: Path, title: str) -> None:
    config = site / "site.yaml"
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    config.write_text("".join(f"title: {title}\n" if line.startswith("title:") else line for line in lines), encoding="utf-8")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Tree]]:
    """The generated site and the cold (--no-cache) build of each of its two versions."""
    root = tmp_path_factory.mktemp("crash")
    site = root / "site"
    subprocess.run([sys.executable, str(REPO / "benchmarks/gen_corpus.py"), str(ITEMS), str(site)], check=True, timeout=LIMIT)
    versions = {}
    for title in ("Version One", "Version Two"):
        set_title(site, title)
        run = newpower("build", "--site", site, "--out", root / title, "--no-cache")
        assert run.code == 0, run.stderr
        versions[title] = tree_bytes(root / title)
    assert all(versions["Version One"][p] != versions["Version Two"][p] for p in versions["Version One"] if p.endswith(".html"))
    return site, versions


def files_under(folder: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(folder))


def inode(path: Path) -> int:
    try:
        return os.stat(path).st_ino
    except OSError:
        return -1


# Each kill point: a description and a predicate on (site, the build's staging folder, the
# output manifest's inode before the build), polled until true while the build runs.
Point = Callable[[Path, Path, int, float], bool]
KILL_POINTS: dict[str, Point] = {
    "while loading and planning (0.2 s in)": lambda site, stage, before, started: time.monotonic() - started > 0.2,
    "as the staging folder appears": lambda site, stage, before, started: stage.exists(),
    "with a few pages written": lambda site, stage, before, started: files_under(stage) >= 20,
    "with half the pages written": lambda site, stage, before, started: files_under(stage) >= 350,
    "while the search index is made": lambda site, stage, before, started: (stage / "pagefind").exists(),
    "just after the swap (old output being deleted, cache being saved)":
        lambda site, stage, before, started: inode(site / "output" / MANIFEST) not in (before, -1),
}


def kill_build_when(site: Path, point: Point) -> bool:
    """Start `newpower build`, SIGKILL it when `point` holds; False if it finished first."""
    before = inode(site / "output" / MANIFEST)
    build = subprocess.Popen([sys.executable, "-m", "newpower_site", "build", "--site", str(site)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stage = site / f".output.staging-{build.pid}"
    started = time.monotonic()
    try:
        while build.poll() is None:
            assert time.monotonic() - started < LIMIT
            if point(site, stage, before, started):
                build.send_signal(signal.SIGKILL)
                build.wait()
                return True
            time.sleep(0.001)
        return False
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()


@pytest.mark.parametrize("name", list(KILL_POINTS))
def test_a_killed_build_leaves_the_old_or_the_new_output_whole(corpus: tuple[Path, dict[str, Tree]], name: str) -> None:
    site, versions = corpus
    if not (site / "output").exists():
        assert newpower("build", "--site", site).code == 0
    current = next(title for title, files in versions.items() if tree_bytes(site / "output") == files)
    new = "Version Two" if current == "Version One" else "Version One"
    set_title(site, new)
    killed = kill_build_when(site, KILL_POINTS[name])
    assert killed, f"the build finished before the point {name!r}: make the site larger"
    after = tree_bytes(site / "output")
    assert after in (versions[current], versions[new]), "the output is one complete build, never a mix"
    print(f"killed {name}: output is the {'new' if after == versions[new] else 'previous'} build")
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    assert tree_bytes(site / "output") == versions[new], "the next build finishes the job, from a cache that may be torn"
    assert not list(site.glob(".output.staging-*")), "a killed build's staging folder is cleared by the next one"


def test_torn_and_corrupt_cache_files_are_never_served(corpus: tuple[Path, dict[str, Tree]]) -> None:
    """Every file of the build cache damaged three ways, as a crash or a bad disk might leave it."""
    site, versions = corpus
    current = next(title for title, files in versions.items() if tree_bytes(site / "output") == files)
    cache = sorted((site / ".newpower-cache/build").glob("*.pickle"))
    assert len(cache) >= 3
    for number, path in enumerate(cache):
        data = path.read_bytes()
        middle = len(data) // 2
        damaged = (data[:middle], data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :], b"")[number % 3]
        path.write_bytes(damaged)
        assert read_checked(path) is None
    (site / ".newpower-cache/build" / ".hashes.pickle.999999.tmp").write_bytes(data[:10])  # a write cut short
    other = "Version Two" if current == "Version One" else "Version One"
    set_title(site, other)
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    assert tree_bytes(site / "output") == versions[other]


def test_a_build_killed_between_the_renames_of_the_fallback_swap_gets_the_old_output_back(tmp_path: Path) -> None:
    """Where the atomic exchange is missing, output/ is renamed aside before the new build moves in."""
    site = copy_site("realistic", tmp_path)
    assert newpower("build", "--site", site).code == 0
    before = tree_bytes(site / "output")
    set_aside(site / "output").rename(site / ".output.staging-old-999999999")  # the state between the two renames
    start_staging(site / ".output.staging-999999999")
    (site / ".output.staging-999999999/index.html").write_text("maybe whole, maybe not")
    article = site / "content/articles/old-news.md"
    article.write_text(article.read_text(encoding="utf-8").replace("title:", "titel:"), encoding="utf-8")
    run = newpower("build", "--site", site)
    assert run.code == 1, "a build that fails"
    assert tree_bytes(site / "output") == before, "still puts the previous output back"
    assert not (site / ".output.staging-old-999999999").exists()
