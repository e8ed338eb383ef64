"""One build at a time into an output folder: a lock file beside it.

Two builds writing the same output folder at once would each swap in a
complete build (output.py makes every swap atomic), but their cache state
and stale-staging clean-up would race, and the reader would get whichever
finished last. So a build first locks `.NAME.lock` beside the output folder
`NAME`, the same place its staging folder goes. A second build of the same
folder waits for the first to finish, saying so once with the holder's PID,
then builds: it never refuses, because the usual cause is a `make build`
started twice, and waiting gives the same result as running them in turn.

The lock is a POSIX record lock (fcntl.lockf) on that file, which the kernel
drops when its holder exits for any reason, SIGKILL included: a lock whose
holder died is simply free, and the PID left in the file is overwritten.
Record locks are not inherited by forked children (the render pool, the
background deleter of incremental.py), so a child that outlives its build
never holds its lock. They are per process, so threads of one process (a
test, an embedding program) are kept apart by a thread lock as well (`_thread`'s, which
threading.Lock is: importing threading cost a build with nothing to do more than locking).

The holder removes the file when it is done; a waiter that then finds it has
locked a removed file tries again on the new one.
"""

from __future__ import annotations

import errno
import fcntl
import os
import _thread
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from newpower_site.core.diagnostics import Diagnostic, error

Waiting = Callable[[str], None]

_THREAD_LOCKS: dict[str, _thread.LockType] = {}
_THREAD_LOCKS_GUARD = _thread.allocate_lock()


class LockError(Exception):
    """The lock file cannot be made (a read-only folder, a symlink in its place)."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.format())
        self.diagnostic = diagnostic


def lock_path(folder: Path) -> Path:
    """`.output.lock` beside `output/`: outside the folder it guards, so a swap cannot take it away."""
    return folder.parent / f".{folder.name}.lock"


@contextmanager
def output_lock(folder: Path, waiting: Waiting | None = None) -> Iterator[Path]:
    """Hold the lock of `folder` for the duration of the `with` block; `waiting` hears once if we must wait."""
    path = lock_path(folder.absolute())
    key = os.fspath(path)
    with _THREAD_LOCKS_GUARD:
        in_process = _THREAD_LOCKS.setdefault(key, _thread.allocate_lock())
    if not in_process.acquire(blocking=False):
        if waiting:
            waiting(f"newpower: waiting for another build of {folder} in this process to finish")
            waiting = None
        in_process.acquire()
    try:
        descriptor = _lock_file(path, folder, waiting)
        try:
            yield path
        finally:
            _release(path, descriptor)
    finally:
        in_process.release()


def _lock_file(path: Path, folder: Path, waiting: Waiting | None) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LockError(error(str(folder), 0, f"cannot create the folder for {path.name}: {exc.strerror}")) from exc
    while True:
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            why = "it is a symbolic link: remove it" if exc.errno == errno.ELOOP else exc.strerror
            raise LockError(error(str(path), 0, f"cannot lock the output folder: {why}")) from exc
        try:
            try:
                fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EAGAIN):
                    raise
                if waiting:
                    holder = _holder(descriptor)
                    waiting(f"newpower: waiting for another build of {folder} to finish"
                            + (f" (PID {holder}, which holds {path.name})" if holder else f" ({path.name} is held)"))
                    waiting = None
                fcntl.lockf(descriptor, fcntl.LOCK_EX)
            if _same_file(descriptor, path):
                os.ftruncate(descriptor, 0)
                os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
                return descriptor
        except OSError as exc:
            os.close(descriptor)
            raise LockError(error(str(path), 0, f"cannot lock the output folder: {exc.strerror}")) from exc
        os.close(descriptor)  # the holder removed the file as we waited: lock the one there now


def _release(path: Path, descriptor: int) -> None:
    try:
        if _same_file(descriptor, path):
            path.unlink()  # while still held, so no one locks a file that is about to go
    except OSError:
        pass
    finally:
        os.close(descriptor)  # drops the lock


def _same_file(descriptor: int, path: Path) -> bool:
    try:
        ours, there = os.fstat(descriptor), os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (ours.st_dev, ours.st_ino) == (there.st_dev, there.st_ino)


def _holder(descriptor: int) -> int | None:
    try:
        text = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
