"""Files a later run acts on, trusted only when this user's run wrote them itself.

Compiled template code is run, a resized image is published, a commit journal
renames files into the output: each is read back by a later run. A checksum
over the payload alone proves the file whole, not who wrote it, since anyone
who can plant a file can compute one. So the checksum here also covers the
file's own identity (its device, inode and owner), which only the process
that creates the file knows before it writes it: a copy planted by another
user, committed to the repository or restored from a backup fails the check
and reads as missing. A read never follows a symbolic link (O_NOFOLLOW) and
takes only a regular file owned by the current user; a FIFO is not waited on.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from newpower_site.core.hashing import blake2b

MAGIC = b"newpower-sealed 1\n"
_DIGEST = 32
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _checksum(found: os.stat_result, payload: bytes | memoryview) -> bytes:
    identity = f"{found.st_dev}:{found.st_ino}:{found.st_uid}\n".encode()
    checksum = blake2b(identity, digest_size=_DIGEST)
    checksum.update(payload)
    return checksum.digest()


def read_sealed(path: Path) -> bytes | None:
    """The payload write_sealed stored at `path`; None when missing, torn, altered, planted or not a plain file."""
    found = _read_own(path)
    if found is None:
        return None
    data, identity = found
    head = len(MAGIC) + _DIGEST
    if len(data) < head or not data.startswith(MAGIC):
        return None
    payload = memoryview(data)[head:]
    if _checksum(identity, payload) != data[len(MAGIC) : head]:
        return None
    return bytes(payload)


def read_own_file(path: Path, size: int = -1) -> bytes | None:
    """The bytes of `path` (the first `size` of them), if it is a regular file of the current user
    reached through no final symbolic link; otherwise None."""
    found = _read_own(path, size)
    return found[0] if found is not None else None


def _read_own(path: Path, size: int = -1) -> tuple[bytes, os.stat_result] | None:
    try:
        handle = os.open(path, _READ_FLAGS)
    except OSError:  # missing, a symbolic link (ELOOP), unreadable
        return None
    with os.fdopen(handle, "rb") as opened:
        found = os.fstat(opened.fileno())
        if not stat.S_ISREG(found.st_mode) or found.st_uid != os.getuid():
            return None
        try:
            return opened.read(size), found
        except OSError:
            return None


def write_sealed(path: Path, payload: bytes) -> None:
    """Store `payload` at `path` atomically (a temporary file, then one rename), sealed to the new file.

    The rename keeps the inode, so the seal made on the temporary file holds
    at `path`; a symbolic link planted at `path` is replaced, never followed.
    Raises OSError as writing would.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        handle = os.open(temporary, _CREATE_FLAGS, 0o600)
    except FileExistsError:  # left by a killed run with our PID: it is only a name, remove it
        os.unlink(temporary)
        handle = os.open(temporary, _CREATE_FLAGS, 0o600)
    try:
        with os.fdopen(handle, "wb") as opened:
            found = os.fstat(opened.fileno())
            opened.write(MAGIC + _checksum(found, payload) + payload)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def private_folder(root: Path, folder: Path) -> Path | None:
    """`folder` below `root`, made where missing; None if it is not below `root`, or any folder on the
    way below `root` is a link or not ours.

    A cache folder that is a symbolic link (`.newpower-cache` or
    `.newpower-cache/images` pointing elsewhere) would have a build read and
    write in the link's target: such a cache is not used at all.
    """
    try:
        parts = folder.relative_to(root).parts
    except ValueError:
        return None
    current = root
    for part in parts:
        current = current / part
        try:
            current.mkdir(mode=0o755)
        except FileExistsError:
            pass
        except OSError:
            return None
        try:
            found = os.lstat(current)
        except OSError:
            return None
        if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid():
            return None
    return current
