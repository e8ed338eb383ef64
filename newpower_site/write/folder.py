"""Write a build so that a reader never sees half of one and nothing is lost.

The build is written to a staging folder beside the output folder and then
swapped in with one atomic rename (RENAME_EXCHANGE on Linux), so a failed or
killed build leaves the previous output exactly as it was, and a successful
one leaves nothing stale. A manifest file marks folders we wrote: we refuse to
replace a folder that holds anything else.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from newpower_site.core.diagnostics import Diagnostic, error, warning
from newpower_site.core.hashing import blake2b
from newpower_site.core.sealed import read_own_file, read_sealed, write_sealed

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


def staging_dir(out: Path, pid: int | None = None) -> Path:
    """The staging folder of the build whose process is `pid` (this one by default): named for the process that commits it."""
    return out.parent / f".{out.name}.staging-{pid or os.getpid()}"


# -- leftovers of killed builds ---------------------------------------------------------------------
#
# A killed build can leave three kinds of folder beside the output: its staging
# folder (`.OUT.staging-PID`), the previous output renamed aside by swap_in's
# fallback (`.OUT.staging-old-PID`) and a commit folder (`.OUT.commit-PID`).
# The folder beside the output may be shared (a CI workspace, /tmp), so a
# folder with such a name is acted on only when it is provably ours: a real
# folder (not a link) owned by this user, named with the PID of a build no
# longer running, and holding what the generator puts in it first. A staging
# folder holds our manifest from the moment it is made; a commit folder and an
# output renamed aside hold MARKER, sealed to its own file (core/sealed.py), so
# a copy planted by someone else never passes. Anything else is left alone
# with a warning: never replayed, never renamed into place, never deleted.

MARKER = ".newpower-folder"
JOURNAL = "journal"
_MARKS = {"commit": b"newpower-site commit folder\n", "staging-old": b"newpower-site output set aside\n"}
_PID = re.compile(r"[0-9]{1,10}")


def remove_stale_staging(out: Path) -> list[Diagnostic]:
    """Remove the staging folders killed builds left, and outputs set aside before an interrupted swap.

    A folder whose process is still running belongs to a build going on
    beside this one (`serve` and `build` at once) and is left to it; one set
    aside while the output is missing is the one recover_interrupted_swap
    puts back. Returns a warning for each folder left alone as not ours.
    """
    warnings = []
    kinds = ("staging", "staging-old") if out.exists() or out.is_symlink() else ("staging",)
    for kind in kinds:
        for stale in _left_by_dead_builds(out, kind):
            if _ours(stale, kind):
                _remove_ours(stale)
            else:
                warnings.append(_left_alone(stale))
    return warnings


def recover_interrupted_swap(out: Path) -> list[Diagnostic]:
    """Put the previous output back if a build died between the two renames of swap_in's fallback.

    Where the atomic exchange is not available, swap_in renames the output
    folder aside to `.NAME.staging-old-PID` and then the new build into place;
    a build killed between the two leaves no output folder at all. Its staging
    folder may be complete or not (nothing tells), so the previous build is
    the one to restore, if it is provably the one swap_in set aside (sealed
    MARKER) and holds only the files its manifest names. Called under the
    output lock (write/lock.py), when no other build of this folder is
    running. Returns a warning for each such folder left alone.
    """
    if out.exists() or out.is_symlink():
        return []
    warnings = []
    for old in reversed(_left_by_dead_builds(out, "staging-old")):
        if not _marked(old, "staging-old") or not _only_manifest_files(old):
            warnings.append(_left_alone(old))
            continue
        _unmark(old)
        os.rename(old, out)
        break
    return warnings


def commit_files(out: Path, files: Mapping[str, bytes]) -> None:
    """Replace a few files of a built output in place: all of them, or none until recovered.

    A quick rebuild (cache/quick.py) changes a handful of files; swapping in a
    whole new folder of 14,000 hard links for them would cost more than the
    rebuild. The new files are written beside the output folder first, then
    a journal naming them (and the checksum of each) is made ready with one
    rename, and only then are they renamed into place. A build that fails or
    is killed before the journal is ready leaves the output exactly as it
    was; one killed among the renames leaves a ready journal, which the next
    build finishes first (recover_interrupted_commit), before it reads or
    writes anything else.
    """
    folder = out.parent / f".{out.name}.commit-{os.getpid()}"
    if os.path.lexists(folder):  # left by a killed process that had our PID
        if not _ours(folder, "commit"):
            raise FileExistsError(errno.EEXIST, "a folder this build did not make is in the way", str(folder))
        _remove_ours(folder)
    folder.mkdir(mode=0o700)
    try:
        write_sealed(folder / MARKER, _MARKS["commit"])
        names = sorted(files)
        for index, relative in enumerate(names):
            (folder / str(index)).write_bytes(files[relative])
        journal = [[relative, _file_digest(files[relative])] for relative in names]
        import json  # here and in _read_journal only: a build with nothing to do writes and reads no journal

        write_sealed(folder / JOURNAL, json.dumps(journal).encode("utf-8"))
    except BaseException:
        _remove_ours(folder)  # not ready: the output was not touched
        raise
    _apply_journal(folder, out, [(name, digest) for name, digest in journal])  # if this fails, the ready journal stays for the next build to finish
    _remove_ours(folder)


def recover_interrupted_commit(out: Path) -> list[Diagnostic]:
    """Finish the renames of a commit_files killed half way, and remove unfinished ones.

    A journal is replayed only when its folder is provably ours, the journal
    is sealed to its file, and every name in it is a file of the output's
    manifest (a relative path, inside the output, through no symbolic link)
    whose staged copy still has the checksum the journal gives. Returns a
    warning for each folder left alone or journal not replayed.
    """
    warnings = []
    for folder in _left_by_dead_builds(out, "commit"):
        if not _ours(folder, "commit"):
            warnings.append(_left_alone(folder))
            continue
        if os.path.lexists(folder / JOURNAL):
            entries, why = _read_journal(folder, out)
            try:
                if entries is None:
                    raise ValueError(why)
                _apply_journal(folder, out, entries)
            except (OSError, ValueError) as exc:
                # The state check sees the output changed and rebuilds it whole.
                warnings.append(warning(str(folder), 0, f"the journal of a killed build was not replayed: {exc}"))
        _remove_ours(folder)
    return warnings


def _read_journal(folder: Path, out: Path) -> tuple[list[tuple[str, str]] | None, str]:
    """The (name, checksum) entries of a ready journal, or None and why it cannot be trusted."""
    sealed = read_sealed(folder / JOURNAL)
    if sealed is None:
        return None, "it is not sealed by this user's build (torn, altered or planted)"
    import json

    try:
        entries = json.loads(sealed.decode("utf-8"))
    except ValueError:
        return None, "it cannot be read"
    if not isinstance(entries, list) or not all(
        isinstance(e, list) and len(e) == 2 and all(isinstance(part, str) for part in e) for e in entries
    ):
        return None, "it cannot be read"
    expected = read_manifest(out)
    for index, (name, checksum) in enumerate(entries):
        if not _plain_relative(name) or name not in expected:
            return None, f"{name!r} is not a file of the output's manifest"
        if not _real_folders(out, name):
            return None, f"{name!r} is not inside the output (a folder on its way is a symbolic link)"
        staged = folder / str(index)
        if os.path.lexists(staged) and not _our_file_with(staged, checksum):
            return None, f"the new copy of {name!r} is not the one the journal names"
    return [(name, checksum) for name, checksum in entries], ""


def _apply_journal(folder: Path, out: Path, entries: list[tuple[str, str]]) -> None:
    for index, (relative, _) in enumerate(entries):
        staged = folder / str(index)
        if os.path.lexists(staged):  # absent: renamed already, before a crash
            os.replace(staged, out / relative)


def _plain_relative(name: str) -> bool:
    """A relative path of the output as the manifest writes one: no root, no `..`, no empty part."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def _real_folders(out: Path, relative: str) -> bool:
    """Every folder from the output down to `relative`'s is a real folder, and the file is no link."""
    current = out
    for part in relative.split("/")[:-1]:
        current = current / part
        try:
            if not stat.S_ISDIR(os.lstat(current).st_mode):
                return False
        except FileNotFoundError:
            return True  # nothing to follow: the rename then fails, and says so
        except OSError:
            return False
    return not (out / relative).is_symlink()


def _file_digest(data: bytes) -> str:
    return blake2b(data, digest_size=32).hexdigest()


def _our_file_with(path: Path, checksum: str) -> bool:
    data = read_own_file(path)
    return data is not None and _file_digest(data) == checksum


def _left_by_dead_builds(out: Path, kind: str) -> list[Path]:
    """Folders `.OUT.KIND-PID` beside the output (PID in digits) whose build is no longer running, sorted.

    Only the name is looked at here: whether the folder is ours is _ours'.
    """
    prefix = f".{out.name}.{kind}-"
    try:
        names = sorted(os.listdir(out.parent))
    except OSError:
        return []
    found = []
    for name in names:
        pid = name[len(prefix) :]
        if name.startswith(prefix) and _PID.fullmatch(pid) and not _process_alive(pid):
            found.append(out.parent / name)
    return found


def _ours(folder: Path, kind: str) -> bool:
    """`folder` is one the generator made, as this user: safe to delete."""
    if not _our_real_folder(folder):
        return False
    if _holds_nothing_of_value(folder):  # a build killed as it made the folder
        return True
    if kind == "commit":
        return _marked(folder, "commit")
    return _our_manifest(folder) or _marked(folder, "staging-old")


def _our_real_folder(folder: Path) -> bool:
    try:
        found = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(found.st_mode) and found.st_uid == os.getuid()


def _marked(folder: Path, kind: str) -> bool:
    return _our_real_folder(folder) and read_sealed(folder / MARKER) == _MARKS[kind]


def _our_manifest(folder: Path) -> bool:
    """The folder holds a manifest this user's build wrote (a staging folder has one from the start)."""
    header = MANIFEST_HEADER.encode("utf-8")
    return read_own_file(folder / MANIFEST, len(header)) == header


def _holds_nothing_of_value(folder: Path) -> bool:
    """Only the files the generator writes first (perhaps torn), all this user's: deleting them loses nothing."""
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:
        return False
    for entry in entries:
        first = entry.name in (MANIFEST, MARKER) or (entry.name.startswith((f".{MANIFEST}.", f".{MARKER}.")) and entry.name.endswith(".tmp"))
        try:
            found = entry.stat(follow_symlinks=False)
        except OSError:
            return False
        if not first or not stat.S_ISREG(found.st_mode) or found.st_uid != os.getuid():
            return False
    return True


def _only_manifest_files(folder: Path) -> bool:
    """Every file in `folder` is one its manifest names, and none is a symbolic link."""
    expected = read_manifest(folder) | {MANIFEST, MARKER}
    for current, dirs, files in os.walk(folder):
        for name in dirs + files:
            if os.path.islink(os.path.join(current, name)):
                return False
        relative = os.path.relpath(current, folder).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        if any(prefix + name not in expected for name in files):
            return False
    return True


def _remove_ours(folder: Path) -> None:
    """Delete a folder of ours, the files that prove it ours last, so a kill half way leaves it provable."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name in (MANIFEST, MARKER):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        except OSError:
            pass
    for name in (MANIFEST, MARKER):
        try:
            os.unlink(folder / name)
        except OSError:
            pass
    try:
        folder.rmdir()
    except OSError:
        pass


def _left_alone(folder: Path) -> Diagnostic:
    return warning(str(folder), 0, "left alone: named like a leftover of a killed build, but not provably one of this user's builds "
                   "(owned by someone else, or without the generator's marker); look at it, and remove it if it is not yours")


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
    start_staging(stage)
    for relative in sorted(files):
        target = stage / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[relative])
    write_manifest(stage, files)


def start_staging(stage: Path) -> None:
    """Make a staging folder holding an empty manifest: from its first moment, provably ours (_ours)."""
    stage.mkdir(parents=True)
    write_manifest(stage, [])


def write_manifest(stage: Path, names: Iterable[str]) -> None:
    """Write the manifest whole or not at all (a temporary file, then a rename): it is what proves a staging folder ours."""
    temporary = stage / f".{MANIFEST}.{os.getpid()}.tmp"
    temporary.write_text(MANIFEST_HEADER + "".join(f"{p}\n" for p in sorted(names)), encoding="utf-8")
    os.replace(temporary, stage / MANIFEST)


def swap_in(stage: Path, out: Path) -> None:
    """Make `stage` the output folder in one step and delete the previous one."""
    if out.exists():
        if _exchange(stage, out):
            _remove_ours(stage)
            return
        old = set_aside(out)
        try:
            os.rename(stage, out)
        except OSError:
            _unmark(old)
            os.rename(old, out)  # put the previous build back rather than leave none
            raise
        _remove_ours(old)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        os.rename(stage, out)


def set_aside(out: Path) -> Path:
    """Rename the output aside (`.OUT.staging-old-PID`) and mark it, so recover_interrupted_swap may put it back.

    Killed before the marker is made, the previous build is never put back
    (nothing proves it ours) and the next build makes a whole new one.
    """
    old = out.parent / f".{out.name}.staging-old-{os.getpid()}"
    os.rename(out, old)
    try:
        write_sealed(old / MARKER, _MARKS["staging-old"])
    except OSError:
        os.rename(old, out)
        raise
    return old


def _unmark(folder: Path) -> None:
    try:
        os.unlink(folder / MARKER)
    except FileNotFoundError:
        pass


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
    # `stage` now holds the previous output, manifest and all: still provably ours (_ours) if a kill
    # interrupts its deletion, which removes the manifest last.
    count = sum(1 for _ in _limited_walk(stage, BACKGROUND_DELETE + 1))
    if count <= BACKGROUND_DELETE or not hasattr(os, "fork"):
        _remove_ours(stage)
        return
    try:
        child = os.fork()
    except OSError:
        _remove_ours(stage)
        return
    if child == 0:  # the deleter: renamed after itself so builds beside it leave its folder alone
        try:
            os.setsid()
            doomed = stage.with_name(f".{out.name}.staging-{os.getpid()}")
            os.rename(stage, doomed)
            _remove_ours(doomed)
        finally:
            os._exit(0)


def replace_folder(new: Path, target: Path) -> None:
    """Put folder `new` where `target` is, in one step where the system can (the old one is left at `new`'s name)."""
    if not target.exists():  # a first edits shard in an output made before there was one
        os.rename(new, target)
        return
    if _exchange(new, target):
        return
    aside = new.with_name(new.name + ".old")
    os.rename(target, aside)
    try:
        os.rename(new, target)
    except OSError:
        os.rename(aside, target)
        raise
    os.rename(aside, new)


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
    import ctypes  # only a swap needs it: a build with nothing to do starts without
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0
