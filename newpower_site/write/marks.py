"""What a writer noted of the output it left, and the check that nobody touched it since.

A build with nothing to do must still notice a file of the output edited,
added or removed by hand: it stats every output file (size and mtime: an
edit in place) and every output folder (mtime: a file added or removed).
At 10,000 items that is 37,000 stats, and both halves of the work are kept
cheap here: the marks are pickled packed (names joined by NUL, which no
path holds, numbers in int64 arrays), and unpacked into dicts only when a
build changes them; unpickling 37,000 small tuples cost more than the
check.

The stats are kernel work, and two processes do it at once where two
threads could not (the interpreter lock changes hands at every stat):
`check_beside` forks a child that stats the files and answers by its exit
status, while this process walks the sources and stats the folders. Where
fork is missing or fails, where threads run (a forked copy of a threaded
process may deadlock), on one core, or when the child dies, the files are
stat'ed here, so every path gives the same answer.
"""

from __future__ import annotations

import os
import sys
from array import array
from collections.abc import Sequence

Signature = tuple[int, int, int]  # size, mtime_ns, inode

_SEPARATOR = "\0"


class OutputMarks:
    """The manifest's signature, every output folder's mtime and every output file's (size, mtime).

    `folders` and `file_stats` are dicts for the writer to update; read from
    the cache, they stay packed until one of them is asked for.
    """

    __slots__ = ("manifest", "_folders", "_file_stats", "_packed")

    def __init__(self, manifest: Signature | None = None, folders: dict[str, int] | None = None,
                 file_stats: dict[str, tuple[int, int]] | None = None):
        self.manifest = manifest
        self._folders = folders if folders is not None else {}  # output folder (relative) -> mtime_ns
        self._file_stats = file_stats if file_stats is not None else {}  # output file -> (size, mtime_ns)
        self._packed: tuple[str, array, str, array] | None = None

    @property
    def folders(self) -> dict[str, int]:
        self._unpack()
        return self._folders

    @property
    def file_stats(self) -> dict[str, tuple[int, int]]:
        self._unpack()
        return self._file_stats

    def noted_folders(self) -> tuple[list[str], Sequence[int]]:
        """Folder names and their mtimes, without splitting the files' names."""
        folder_text, folder_numbers, _, _ = self._pack()
        return _split(folder_text), folder_numbers

    def noted_files(self) -> tuple[list[str], Sequence[int]]:
        """File names, and their sizes and mtimes taken in turns."""
        _, _, file_text, file_numbers = self._pack()
        return _split(file_text), file_numbers

    def noted(self) -> tuple[list[str], Sequence[int], list[str], Sequence[int]]:
        """Folder names, their mtimes, file names, and their sizes and mtimes taken in turns."""
        folder_text, folder_numbers, file_text, file_numbers = self._pack()
        return _split(folder_text), folder_numbers, _split(file_text), file_numbers

    def _pack(self) -> tuple[str, array, str, array]:
        if self._packed is not None:
            return self._packed
        folders, files = self._folders, self._file_stats
        numbers = array("q")
        for size, mtime in files.values():
            numbers.append(size)
            numbers.append(mtime)
        return _SEPARATOR.join(folders), array("q", folders.values()), _SEPARATOR.join(files), numbers

    def _unpack(self) -> None:
        if self._packed is None:
            return
        folder_names, folder_mtimes, file_names, numbers = self.noted()
        self._folders = dict(zip(folder_names, folder_mtimes))
        self._file_stats = {name: (numbers[2 * i], numbers[2 * i + 1]) for i, name in enumerate(file_names)}
        self._packed = None

    def __getstate__(self) -> tuple[Signature | None, tuple[str, array, str, array]]:
        return self.manifest, self._pack()

    def __setstate__(self, state: tuple[Signature | None, tuple[str, array, str, array]]) -> None:
        self.manifest, self._packed = state
        self._folders, self._file_stats = {}, {}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OutputMarks):
            return NotImplemented
        return (self.manifest, self.folders, self.file_stats) == (other.manifest, other.folders, other.file_stats)

    def __repr__(self) -> str:
        folders, _, files, _ = self.noted()
        return f"OutputMarks(manifest={self.manifest!r}, {len(folders)} folders, {len(files)} files)"


def as_noted(root: str, marks: OutputMarks) -> bool:
    """Every folder and file under `root` (ending in os.sep) has the mtime (and size) `marks` noted.

    The manifest's signature is checked by the caller; a folder or file gone counts as touched.
    """
    folders, folder_mtimes, files, numbers = marks.noted()
    return _folders_as_noted(root, folders, folder_mtimes) and _files_as_noted(root, files, numbers)


_UNTOUCHED, _TOUCHED = 0, 1  # the forked child's exit statuses; any other means it failed


class NotedCheck:
    """`as_noted(root, marks)` under way: the files' half in a forked child, if one could be forked.

    `result()` stats the folders here, then takes the child's answer; a child
    that died or was never forked leaves the files to be stat'ed here too.
    """

    __slots__ = ("marks", "pid", "root")

    def __init__(self, root: str, marks: OutputMarks, pid: int | None):
        self.root, self.marks, self.pid = root, marks, pid

    def result(self) -> bool:
        pid, self.pid = self.pid, None
        folders, mtimes = self.marks.noted_folders()
        if not _folders_as_noted(self.root, folders, mtimes):
            if pid is not None:  # the answer is known: the child's half is not needed
                _end_child(pid, kill=True)
            return False
        if pid is not None:
            answer = _end_child(pid)
            if answer is not None:
                return answer
        return _files_as_noted(self.root, *self.marks.noted_files())


def check_beside(root: str, marks: OutputMarks) -> NotedCheck:
    """Start `as_noted(root, marks)`: the files are stat'ed in a forked child while the caller works on."""
    return NotedCheck(root, marks, _fork_file_check(root, marks))


def _fork_file_check(root: str, marks: OutputMarks) -> int | None:
    """The pid of a child checking the files (its exit status is the answer), or None where none was forked."""
    threading = sys.modules.get("threading")
    if not hasattr(os, "fork") or (threading is not None and threading.active_count() > 1) or _cores() < 2:
        return None
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:  # the child: os._exit always, so that nothing of the parent's (atexit, buffered output) runs twice
        code = 2
        try:
            code = _check_files_in_child(root, marks)
        finally:
            os._exit(code)
    return pid


def _cores() -> int:
    """The cores this process may run on: with one, a child would only take turns with it."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _check_files_in_child(root: str, marks: OutputMarks) -> int:
    """The forked child's work (tests replace it to make a child that dies)."""
    return _UNTOUCHED if _files_as_noted(root, *marks.noted_files()) else _TOUCHED


def _end_child(pid: int, kill: bool = False) -> bool | None:
    """Reap the child; its answer, or None when it gave none (killed, crashed)."""
    try:
        if kill:
            import signal  # only here: its enums cost a build with nothing to do more than its fork

            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    except OSError:
        return None
    code = os.waitstatus_to_exitcode(status)
    return code == _UNTOUCHED if code in (_UNTOUCHED, _TOUCHED) else None


def _folders_as_noted(root: str, names: Sequence[str], mtimes: Sequence[int]) -> bool:
    stat = os.stat
    try:
        for name, mtime in zip(names, mtimes):
            if stat(root + name).st_mtime_ns != mtime:
                return False
    except OSError:
        return False
    return True


def _files_as_noted(root: str, names: Sequence[str], numbers: Sequence[int]) -> bool:
    stat = os.stat
    try:
        for i, name in enumerate(names):
            found = stat(root + name)
            if found.st_mtime_ns != numbers[2 * i + 1] or found.st_size != numbers[2 * i]:
                return False  # edited by hand: nothing of that output may be reused
    except OSError:
        return False
    return True


def _split(text: str) -> list[str]:
    return text.split(_SEPARATOR) if text else []
