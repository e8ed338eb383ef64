"""The process pool: results in order, errors raised here, no process left behind."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newpower_site.core import pool as parallel

pytestmark = pytest.mark.skipif(not parallel.use_pool(parallel.MIN_ITEMS), reason="needs fork and two cores")

COUNT = parallel.MIN_ITEMS * 3


def square_and_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def fails_at_1000(n: int) -> int:
    if n == 1000:
        raise ValueError(f"bad item {n}")
    return n


def dies_at_1000(n: int) -> int:
    if n == 1000:
        os._exit(3)
    return n


def children() -> list[str]:
    return Path(f"/proc/self/task/{os.getpid()}/children").read_text().split()


def test_results_come_in_order_from_recycled_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "RECYCLE", 2)
    results = parallel.map_in_pool(square_and_pid, list(range(COUNT)), batch=10)
    assert [value for value, _ in results] == [n * n for n in range(COUNT)]
    pids = [pid for _, pid in results]
    assert set(pids[:10]) == {os.getpid()}, "the first batch runs here, so what a job builds once is inherited"
    assert os.getpid() not in pids[10:]
    assert len(set(pids[10:])) >= (COUNT // 10 - 1) // 2, "each worker runs at most RECYCLE batches"
    assert children() == []


def test_a_job_error_is_raised_here() -> None:
    with pytest.raises(ValueError, match="bad item 1000") as raised:
        parallel.map_in_pool(fails_at_1000, list(range(COUNT)))
    assert "fails_at_1000" in str(raised.value.__cause__), "the worker's traceback comes along"
    assert children() == []


def test_a_dead_worker_is_an_error_not_a_hang() -> None:
    with pytest.raises(parallel.WorkerFailed, match="died"):
        parallel.map_in_pool(dies_at_1000, list(range(COUNT)))
    assert children() == []


def test_stopping_early_ends_the_workers() -> None:
    results = parallel.imap_in_pool(square_and_pid, list(range(COUNT)), batch=10)
    assert [next(results)[0] for _ in range(50)] == [n * n for n in range(50)]
    results.close()
    assert children() == []


def test_small_or_forbidden_work_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    assert {pid for _, pid in parallel.map_in_pool(square_and_pid, list(range(parallel.MIN_ITEMS - 1)))} == {os.getpid()}
    monkeypatch.setattr(parallel, "_forbidden", True)
    assert {pid for _, pid in parallel.map_in_pool(square_and_pid, list(range(COUNT)))} == {os.getpid()}


def test_run_forked_returns_the_childs_result_and_leaves_its_memory_there() -> None:
    def job() -> tuple[int, int]:
        held = bytearray(64 * 1024 * 1024)  # touched: resident in the child only
        held[::4096] = b"x" * len(held[::4096])
        return os.getpid(), len(held)

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pid, size = parallel.run_forked(job)
    assert pid != os.getpid() and size == 64 * 1024 * 1024
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 32 * 1024, "the 64 MB stayed in the child"
    assert not children(), "the child was waited for"


def test_run_forked_raises_the_childs_exception_as_it_was() -> None:
    def job() -> None:
        raise KeyError("missing in the child")

    with pytest.raises(KeyError, match="missing in the child") as raised:
        parallel.run_forked(job)
    assert any("raised in a forked process" in note for note in raised.value.__notes__)
    with pytest.raises(parallel.WorkerFailed, match="died"):
        parallel.run_forked(lambda: os._exit(3))
    assert not children()


def test_a_forked_job_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    """A build killed while its child renders leaves no process writing on into the staging folder."""
    noted = tmp_path / "child.pid"
    script = (
        "import os, time\n"
        "from pathlib import Path\n"
        "from newpower_site.core.pool import run_forked\n"
        f"def job():\n    Path({str(noted)!r}).write_text(str(os.getpid()))\n    time.sleep(60)\n"
        "run_forked(job)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script])
    for _ in range(200):
        if noted.exists() and noted.read_text():
            break
        time.sleep(0.05)
    child = int(noted.read_text())
    parent.kill()
    parent.wait()
    for _ in range(200):  # the kernel kills it at once; waiting only lets the signal land
        if not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]:
            break
        time.sleep(0.05)
    state = Path(f"/proc/{child}/stat").read_text().split()[2] if Path(f"/proc/{child}").exists() else "gone"
    assert state in ("gone", "Z"), f"the child is still {state}"
