"""Write a build so that a reader never sees half of one and nothing is lost.

The build is written to a staging folder beside the output folder and then
swapped in with one atomic rename (RENAME_EXCHANGE on Linux), so a failed or
killed build leaves the previous output exactly as it was, and a successful
one leaves nothing stale. A manifest file marks folders we wrote: we refuse to
replace a folder that holds anything else.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from newpower_site.core.diagnostics import Diagnostic, error

MANIFEST = ".newpower-output"
MANIFEST_HEADER = "# written by newpower-site; the files of the last build, one per line\n"
PROTECTED_FOLDERS = ("content", "templates")
BACKGROUND_DELETE = 2000  # a previous output with more files than this is deleted after the command returns


def refuse_output_dir(out: Path, site_dir: Path) -> list[Diagnostic]:
    """Reasons not to touch `out`; empty when it is safe to replace it."""
    out_real, site_real = out.resolve(), site_dir.resolve()
    shown = str(out)
    if out_real == site_real:
        return [error(shown, 0, "the output folder is the site folder: choose another --out")]
    if site_real.is_relative_to(out_real):
        return [error(shown, 0, "the output folder contains the site folder: choose another --out")]
    for folder in PROTECTED_FOLDERS:
        if out_real.is_relative_to(site_real / folder):
            return [error(shown, 0, f"the output folder is inside {folder}/: choose another --out")]
    if not out.exists() and not out.is_symlink():
        return []
    if out.is_symlink() or not out.is_dir():
        return [error(shown, 0, "the output path exists and is not a folder: choose another --out")]
    present = set(list_files(out))
    if not present:
        return []
    if MANIFEST not in present:
        return [error(shown, 0, f"the output folder holds files newpower did not write (no {MANIFEST}): move them away or choose another --out")]
    foreign = sorted(present - read_manifest(out) - {MANIFEST})
    if foreign:
        listed = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        return [error(shown, 0, f"the output folder holds files newpower did not write: {listed}; move them away, then build again")]
    return []


def list_files(folder: Path) -> Iterable[str]:
    """Every file under `folder`, and every symlink to a folder.

    os.walk puts a symlink to a folder among the folders (and does not enter
    it); it is still something in the output folder we did not write, so it
    is listed rather than silently deleted with the previous build.
    """
    root = os.fspath(folder)
    for current, dirs, files in os.walk(root):
        dirs.sort()
        linked = [name for name in dirs if os.path.islink(os.path.join(current, name))]
        prefix = os.path.relpath(current, root).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        for name in sorted(files + linked):
            yield prefix + name


def read_manifest(out: Path) -> set[str]:
    try:
        lines = (out / MANIFEST).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return set()
    return {line for line in lines if line and not line.startswith("#")}


def staging_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.staging-{os.getpid()}"


def remove_stale_staging(out: Path) -> None:
    """Remove staging folders left by killed builds (ours by their name).

    A folder whose process is still running belongs to a build going on
    beside this one (`serve` and `build` at once) and is left to it.
    """
    for stale in _left_by_dead_builds(out, "staging"):
        shutil.rmtree(stale, ignore_errors=True)


def recover_interrupted_swap(out: Path) -> bool:
    """Put the previous output back if a build died between the two renames of swap_in's fallback.

    Where the atomic exchange is not available, swap_in renames the output
    folder aside to `.NAME.staging-old-PID` and then the new build into place;
    a build killed between the two leaves no output folder at all. Its staging
    folder may be complete or not (nothing tells), so the previous build is
    the one to restore. Called under the output lock (buildlock.py), when no
    other build of this folder is running.
    """
    if out.exists() or out.is_symlink():
        return False
    for old in reversed(_left_by_dead_builds(out, "staging-old")):
        os.rename(old, out)
        return True
    return False


def commit_files(out: Path, files: Mapping[str, bytes]) -> None:
    """Replace a few files of a built output in place: all of them, or none until recovered.

    A quick rebuild (quickedit.py) changes a handful of files; swapping in a
    whole new folder of 14,000 hard links for them would cost more than the
    rebuild. The new files are written beside the output folder first, then
    a journal naming them is made ready with one rename, and only then are
    they renamed into place. A build that fails or is killed before the
    journal is ready leaves the output exactly as it was; one killed among the
    renames leaves a ready journal, which the next build finishes first
    (recover_interrupted_commit), before it reads or writes anything else.
    """
    folder = out.parent / f".{out.name}.commit-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    try:
        names = sorted(files)
        for index, relative in enumerate(names):
            (folder / str(index)).write_bytes(files[relative])
        (folder / "journal.tmp").write_text(json.dumps(names), encoding="utf-8")
        os.rename(folder / "journal.tmp", folder / "journal")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # not ready: the output was not touched
        raise
    _apply_journal(folder, out)  # if this fails, the ready journal stays for the next build to finish
    shutil.rmtree(folder, ignore_errors=True)


def _apply_journal(folder: Path, out: Path) -> None:
    names = json.loads((folder / "journal").read_text(encoding="utf-8"))
    for index, relative in enumerate(names):
        staged = folder / str(index)
        if staged.exists():  # absent: renamed already, before a crash
            os.replace(staged, out / relative)


def recover_interrupted_commit(out: Path) -> bool:
    """Finish the renames of a commit_files killed half way, and remove unfinished ones."""
    finished = False
    for folder in _left_by_dead_builds(out, "commit"):
        try:
            if (folder / "journal").is_file():
                _apply_journal(folder, out)
                finished = True
        except (OSError, ValueError):
            pass  # a journal we cannot finish: the state check sees the output changed and rebuilds it whole
        shutil.rmtree(folder, ignore_errors=True)
    return finished


def _left_by_dead_builds(out: Path, kind: str) -> list[Path]:
    """Folders `.OUT.KIND-PID` beside the output whose build is no longer running, sorted."""
    found = sorted(out.parent.glob(f".{out.name}.{kind}-*"))
    return [f for f in found if f.is_dir() and not f.is_symlink() and not _process_alive(f.name.rsplit("-", 1)[-1])]


def _process_alive(pid_text: str) -> bool:
    if not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def write_tree(stage: Path, files: Mapping[str, bytes]) -> None:
    stage.mkdir(parents=True)
    for relative in sorted(files):
        target = stage / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[relative])
    write_manifest(stage, files)


def write_manifest(stage: Path, names: Iterable[str]) -> None:
    (stage / MANIFEST).write_text(MANIFEST_HEADER + "".join(f"{p}\n" for p in sorted(names)), encoding="utf-8")


def swap_in(stage: Path, out: Path) -> None:
    """Make `stage` the output folder in one step and delete the previous one."""
    if out.exists():
        if _exchange(stage, out):
            shutil.rmtree(stage)
            return
        old = out.parent / f".{out.name}.staging-old-{os.getpid()}"
        os.rename(out, old)
        try:
            os.rename(stage, out)
        except OSError:
            os.rename(old, out)  # put the previous build back rather than leave none
            raise
        shutil.rmtree(old)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        os.rename(stage, out)


def publish(out: Path, files: Mapping[str, bytes], finish: Callable[[Path], None] | None = None) -> None:
    """Write `files` and swap them in; `finish` may add files made from the written ones (the search index) first."""
    remove_stale_staging(out)
    stage = staging_dir(out)
    try:
        write_tree(stage, files)
        if finish is not None:
            finish(stage)
            write_manifest(stage, [name for name in list_files(stage) if name != MANIFEST])
        swap_in(stage, out)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def swap_and_discard(stage: Path, out: Path) -> None:
    """Swap `stage` in as `out`; a large previous output is deleted after we return."""
    if not out.exists() or not _exchange(stage, out):
        swap_in(stage, out)
        return
    # `stage` now holds the previous output.
    count = sum(1 for _ in _limited_walk(stage, BACKGROUND_DELETE + 1))
    if count <= BACKGROUND_DELETE or not hasattr(os, "fork"):
        shutil.rmtree(stage, ignore_errors=True)
        return
    try:
        child = os.fork()
    except OSError:
        shutil.rmtree(stage, ignore_errors=True)
        return
    if child == 0:  # the deleter: renamed after itself so builds beside it leave its folder alone
        try:
            os.setsid()
            doomed = stage.with_name(f".{out.name}.staging-{os.getpid()}")
            os.rename(stage, doomed)
            shutil.rmtree(doomed, ignore_errors=True)
        finally:
            os._exit(0)


def _limited_walk(folder: Path, limit: int) -> Iterator[str]:
    seen = 0
    for _, _, files in os.walk(folder):
        for name in files:
            yield name
            seen += 1
            if seen >= limit:
                return


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0
