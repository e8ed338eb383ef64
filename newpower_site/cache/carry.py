"""The build cache carried between CI runs: `newpower cache export DIR` and `newpower cache import DIR`.

Every file of `.newpower-cache/` that a later build acts on is sealed to its
own inode (core/sealed.py), so a cache restored from an archive, as a CI
platform's cache action restores it, reads as missing and every CI build is
cold. Export writes the entries this user's builds sealed into a folder the
CI cache keeps, each with a checksum of its path and contents only; import,
in the next run, checks each one and seals it anew into `.newpower-cache/`.
Importing is a statement of trust: the folder is taken to be this site's own
cache, as a CI platform's cache (scoped to the repository and branch) is.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from newpower_site.core.hashing import blake2b
from newpower_site.core.layout import CACHE_ROOT, CACHE_SERVE
from newpower_site.core.sealed import MAGIC as SEALED_MAGIC
from newpower_site.core.sealed import private_folder, read_own_file, read_sealed, write_sealed

MAGIC = b"newpower-carried 1\n"
MARKER = "newpower-carried-cache.txt"  # names a folder export made, so export replaces only such a folder
_SEALED, _PLAIN = b"S", b"P"  # sealed to its file at home (re-sealed on import), or a plain file (SQLite)
_DIGEST = 32


@dataclass(frozen=True, slots=True)
class Carried:
    """What one export or import moved, for the command's one line of report."""

    files: int
    skipped: int  # entries not ours (planted, torn) or carried files that fail their checksum
    bytes: int


class CarryError(Exception):
    """A folder that export must not replace, or import cannot read: its message names it."""


def _checksum(relative: str, kind: bytes, payload: bytes) -> bytes:
    digest = blake2b(relative.encode("utf-8") + b"\0" + kind, digest_size=_DIGEST)
    digest.update(payload)
    return digest.digest()


def _files(root: Path, skip: str = "") -> list[str]:
    """Regular files below `root` as sorted POSIX paths; links are neither followed nor listed."""
    found = []
    for folder, dirs, names in os.walk(root):
        relative_folder = Path(folder).relative_to(root)
        dirs[:] = sorted(d for d in dirs if not (relative_folder == Path(".") and d == skip))
        for name in sorted(names):
            path = Path(folder) / name
            if stat.S_ISREG(os.lstat(path).st_mode) and not name.endswith(".tmp"):
                found.append((relative_folder / name).as_posix())
    return sorted(found)


def export_cache(site_dir: Path, target: Path) -> Carried:
    """Write the site's cache into `target` (replaced whole), leaving out the preview folder."""
    cache = site_dir / CACHE_ROOT
    if target.exists() or target.is_symlink():
        if target.is_symlink() or not target.is_dir() or (any(target.iterdir()) and not (target / MARKER).is_file()):
            raise CarryError(f"{target}: error: not a folder `newpower cache export` made; give an empty or new folder")
        shutil.rmtree(target)
    target.mkdir(parents=True)
    files = skipped = size = 0
    for relative in _files(cache, skip=CACHE_SERVE) if cache.is_dir() and not cache.is_symlink() else []:
        payload = read_sealed(cache / relative)
        kind = _SEALED
        if payload is None:
            payload, kind = read_own_file(cache / relative), _PLAIN
            if payload is None or payload.startswith(SEALED_MAGIC):  # not ours, or sealed to another file
                skipped += 1
                continue
        out = target / relative
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(MAGIC + kind + _checksum(relative, kind, payload) + payload)
        files, size = files + 1, size + len(payload)
    (target / MARKER).write_text("The build cache of a newpower site, carried between CI runs: newpower cache import.\n",
                                 encoding="utf-8")
    return Carried(files, skipped, size)


def import_cache(source: Path, site_dir: Path) -> Carried:
    """Seal what `source` carries into the site's cache; a missing `source` (a CI run's first) imports nothing."""
    if not source.exists():
        return Carried(0, 0, 0)
    if source.is_symlink() or not source.is_dir():
        raise CarryError(f"{source}: error: is not a folder `newpower cache export` made")
    root = site_dir / CACHE_ROOT
    files = skipped = size = 0
    head = len(MAGIC) + 1 + _DIGEST
    for relative in _files(source):
        if relative == MARKER:
            continue
        data = read_own_file(source / relative)
        if data is None or len(data) < head or not data.startswith(MAGIC):
            skipped += 1
            continue
        kind, checksum, payload = data[len(MAGIC) : len(MAGIC) + 1], data[len(MAGIC) + 1 : head], data[head:]
        folder = private_folder(site_dir, (root / relative).parent)
        if kind not in (_SEALED, _PLAIN) or checksum != _checksum(relative, kind, payload) or folder is None:
            skipped += 1
            continue
        if kind == _SEALED:
            write_sealed(root / relative, payload)
        else:
            temporary = root / f"{relative}.{os.getpid()}.tmp"
            temporary.write_bytes(payload)
            os.replace(temporary, root / relative)
        files, size = files + 1, size + len(payload)
    return Carried(files, skipped, size)
