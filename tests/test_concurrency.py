"""Two builds of one output folder never interleave: the second waits for the first
(saying so, with the holder's PID), a dead holder's lock is simply free, and the
lock never outlives the build that took it."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import REPO, copy_site, newpower, tree_bytes

from newpower_site.write.lock import LockError, lock_path, output_lock

LIMIT = 120  # seconds: a hang fails the test instead of blocking the suite (not a speed check)

HOLDER = """
import sys
from pathlib import Path
from newpower_site.write.lock import output_lock
with output_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()  # until the test closes our stdin
"""


def start_holder(out: Path) -> subprocess.Popen:
    """Another process holding the lock of `out` until its stdin is closed (or it is killed)."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    return holder


def start_build(site: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "newpower_site", "build", "--site", str(site), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def read_line_within(stream, seconds: float) -> str:
    """The next line of `stream`, or '' when none comes in time."""
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(seconds)
    return box[0] if box else ""


def test_a_second_build_waits_for_the_lock_and_says_who_holds_it(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    out = site / "output"
    holder = start_holder(out)
    build = start_build(site)
    try:
        line = read_line_within(build.stderr, LIMIT)
        assert line == f"newpower: waiting for another build of {out} to finish (PID {holder.pid}, which holds .output.lock)\n"
        time.sleep(0.5)
        assert build.poll() is None, "the build waits while the lock is held"
        assert not out.exists(), "and has written nothing"
    finally:
        holder.stdin.close()
        holder.wait(LIMIT)
    stdout, stderr = build.communicate(timeout=LIMIT)
    assert build.returncode == 0, stderr
    assert stdout.startswith("built 3 articles")
    assert (out / "index.html").is_file()
    assert not lock_path(out).exists(), "the lock file goes with the build that held it"


def test_a_killed_holders_lock_is_free_at_once(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    holder = start_holder(site / "output")
    holder.send_signal(signal.SIGKILL)
    holder.wait(LIMIT)
    assert lock_path(site / "output").read_text() == f"{holder.pid}\n", "the dead holder's PID is still in the file"
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    assert "waiting" not in run.stderr
    assert not lock_path(site / "output").exists()


def test_a_stale_lock_file_from_another_machine_or_boot_is_ignored(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    lock_path(site / "output").write_text("999999999\n")
    run = newpower("build", "--site", site)
    assert (run.code, "waiting" in run.stderr) == (0, False), run.stderr


def test_a_symlink_in_place_of_the_lock_file_is_refused(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    victim = tmp_path / "precious.txt"
    victim.write_text("years of work")
    lock_path(site / "output").symlink_to(victim)
    run = newpower("build", "--site", site)
    assert run.code == 1
    assert f"{site / '.output.lock'}: error: cannot lock the output folder: it is a symbolic link: remove it" in run.stderr
    assert "Traceback" not in run.stderr
    assert victim.read_text() == "years of work"
    assert not (site / "output").exists()


def test_builds_of_different_output_folders_do_not_wait_for_each_other(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    holder = start_holder(tmp_path / "elsewhere")
    try:
        run = newpower("build", "--site", site)
        assert (run.code, "waiting" in run.stderr) == (0, False), run.stderr
    finally:
        holder.stdin.close()
        holder.wait(LIMIT)


def test_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    """Record locks are per process; the in-process lock keeps threads apart too."""
    inside = []
    heard: list[str] = []

    def worker(name: str) -> None:
        with output_lock(tmp_path / "output", waiting=heard.append):
            inside.append(f"{name} in")
            time.sleep(0.2)
            inside.append(f"{name} out")

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(LIMIT)
    assert inside in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])
    assert heard == [f"newpower: waiting for another build of {tmp_path / 'output'} in this process to finish"]
    assert not lock_path(tmp_path / "output").exists()


def test_a_lock_that_cannot_be_made_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(LockError), output_lock(tmp_path / "a-file" / "output"):
        pass
    run = newpower("build", "--site", site, "--out", tmp_path / "a-file" / "output")
    assert run.code == 1
    assert f"{tmp_path / 'a-file' / 'output'}: error: cannot create the folder for .output.lock:" in run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr


# -- two real builds of a large site at once ----------------------------------------------------------


@pytest.fixture(scope="module")
def large_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("concurrent") / "site"
    subprocess.run([sys.executable, str(REPO / "benchmarks/gen_corpus.py"), "150", str(site)], check=True, timeout=LIMIT)
    return site


def set_title(site: Path, title: str) -> None:
    config = site / "site.yaml"
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    config.write_text("".join(f"title: {title}\n" if line.startswith("title:") else line for line in lines), encoding="utf-8")


def cold_build(site: Path, out: Path) -> dict[str, bytes]:
    run = newpower("build", "--site", site, "--out", out, "--no-cache")
    assert run.code == 0, run.stderr
    return tree_bytes(out)


def test_two_builds_at_once_run_in_turn_and_the_last_edit_wins(large_site: Path, tmp_path: Path) -> None:
    """The second build starts while the first is writing, after an edit; it waits, then builds the edit."""
    out = large_site / "output"
    set_title(large_site, "First Title")
    first = start_build(large_site)
    staging = large_site / f".output.staging-{first.pid}"
    deadline = time.monotonic() + LIMIT
    while not staging.exists() and first.poll() is None:  # the first build is writing (it has read the content)
        assert time.monotonic() < deadline
        time.sleep(0.005)
    first.send_signal(signal.SIGSTOP)  # paused mid-write, so the second surely finds it running
    try:
        set_title(large_site, "Second Title")
        second = start_build(large_site)
        line = read_line_within(second.stderr, LIMIT)
        assert line.startswith(f"newpower: waiting for another build of {out} to finish (PID {first.pid}"), line
    finally:
        first.send_signal(signal.SIGCONT)
    _, first_err = first.communicate(timeout=LIMIT)
    _, second_err = second.communicate(timeout=LIMIT)
    assert (first.returncode, second.returncode) == (0, 0), first_err + second_err
    assert tree_bytes(out) == cold_build(large_site, tmp_path / "cold"), "the output is the second build's, whole"
    assert not list(large_site.glob(".output.staging-*")) and not lock_path(out).exists()
