"""The build cache in `.newpower-cache/build/`: what a build can reuse from the last one.

Everything in it is keyed by content, never by time: a source file by the
hash of its bytes, a parsed and rendered item by that hash together with a
fingerprint of site.yaml and of the generator itself (its code and the
versions of the libraries that shape output). The file's size and
modification time only spare re-reading a file whose hash is already known,
as git's index does; a file changed within the clock's resolution of the
last look is hashed again ("racily clean").

Every file in the cache carries a checksum of its payload. A torn or
corrupt file (a killed build, a full disk) fails the check, is ignored and
rebuilt: the cache can make a build faster, never different.
"""

from __future__ import annotations

import copyreg
import errno
import os
import pickle
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_IFDIR, S_IFLNK, S_IFMT, S_ISREG
from types import MappingProxyType
from typing import Any

from newpower_site.cache.keys import digest
from newpower_site.core.hashing import blake2b
from newpower_site.core.sealed import read_sealed, write_sealed

MAGIC = b"newpower-cache 1\n"
RACY_NS = 2_000_000_000  # a file modified this close to the look is hashed again next time


# -- checksummed pickles ---------------------------------------------------------------------------

def read_only(values: dict) -> MappingProxyType:
    return MappingProxyType(values)


def _reduce_mappingproxy(proxy: MappingProxyType) -> tuple[Any, ...]:
    return read_only, (dict(proxy),)


# Items carry front matter key lines as read-only mappings, which pickle cannot
# take alone; both the cache and the process pool (parallel.py) pickle items.
copyreg.pickle(MappingProxyType, _reduce_mappingproxy)


def dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def seal(payload: bytes) -> bytes:
    """`payload` behind a header and its checksum, so that a torn or flipped copy is recognised."""
    return MAGIC + blake2b(payload, digest_size=32).digest() + payload


def unseal(data: bytes) -> memoryview | None:
    """The payload of seal(payload), or None when `data` is torn or corrupt."""
    head = len(MAGIC) + 32
    if len(data) < head or not data.startswith(MAGIC):
        return None
    payload = memoryview(data)[head:]
    if blake2b(payload, digest_size=32).digest() != data[len(MAGIC) : head]:
        return None
    return payload


def write_checked(path: Path, value: Any) -> None:
    """Write atomically, sealed to the new file itself (core/sealed.py): a cache file copied in,
    committed to the repository or planted by another user reads as missing, so its pickle is never loaded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_sealed(path, dumps(value))


def read_checked(path: Path) -> Any | None:
    """The value written by write_checked, or None when missing, torn, corrupt, planted or not a plain
    file of ours (a symbolic link is not followed, a FIFO not waited on)."""
    payload = read_sealed(path)
    if payload is None:
        return None
    try:
        return pickle.loads(payload)
    except Exception:  # a pickle of classes that have since changed: rebuild it
        return None


# -- source files: hash by content, spare the reading by stat --------------------------------------


Signature = tuple[int, int, int]  # size, mtime_ns, inode


def signature(stat: os.stat_result) -> Signature:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino)


@dataclass(slots=True)
class FileHashes:
    """Content hashes of files, re-read only when their stat signature changed."""

    known: dict[str, tuple[Signature, str]] = field(default_factory=dict)
    seen: dict[str, tuple[Signature, str]] = field(default_factory=dict)

    def of(self, path: Path) -> str:
        """The content hash of `path`; raises OSError as reading it would."""
        key = os.fspath(path)
        stat = os.stat(path)
        if not S_ISREG(stat.st_mode):  # a FIFO would block the read for ever; content reading skips it too
            raise OSError(errno.EINVAL, "not a regular file", key)
        sig = signature(stat)
        entry = self.seen.get(key) or self.known.get(key)
        if entry is not None and entry[0] == sig:
            self.seen[key] = entry
            return entry[1]
        value = _read_hash(path)
        self.seen[key] = (sig, value)
        return value

    def to_save(self, now_ns: int) -> dict[str, tuple[Signature, str]]:
        """What to remember: files touched within the clock's resolution of now keep no signature."""
        return {key: (sig if sig[1] < now_ns - RACY_NS else (-1, -1, -1), value) for key, (sig, value) in self.seen.items()}


def file_hash(path: Path) -> str:
    """The content hash of `path` read now; raises OSError as reading it would (FileHashes.of without the memory)."""
    if not S_ISREG(os.stat(path).st_mode):
        raise OSError(errno.EINVAL, "not a regular file", os.fspath(path))
    return _read_hash(path)


def _read_hash(path: Path) -> str:
    with open(path, "rb") as handle:
        return digest(handle.read())


RACY_SIGNATURE: Signature = (-1, -1, -1)  # what a file modified too recently to be trusted is recorded as


@dataclass(slots=True)
class TreeLook:
    """One walk over the stat signatures of some folders and files."""

    digest: str  # of every signature: equal digests mean nothing was added, removed or touched
    racy: bool  # some file was modified too recently for the digest to prove anything
    files: dict[str, Signature]  # each file a build reads (RACY_SIGNATURE if racy), by path
    links: bool  # a symbolic link was met (its target may change unseen)


def look_at_tree(roots: Iterable[Path], files: Iterable[Path] = ()) -> TreeLook:
    """Walk `roots` (and stat `files`). Everything counts in the digest; `files` of the
    result leaves out names a build skips (`_drafts/`, `.x.swp`), as content.walk_sources does."""
    walk = _Walk(_now_ns() - RACY_NS)
    for root in roots:
        walk.folder(os.fspath(root), False)
    for path in files:
        try:
            walk.note(os.fspath(path), os.stat(path), False, False)
        except OSError:
            walk.seen.append((os.fspath(path), -1, -1, -1))
    look = walk.look
    # Pickled rather than repr'd for the digest: half the time, the same answer (every path is
    # its own string, so no reference is shared and equal walks pickle to equal bytes).
    look.digest = digest(pickle.dumps(walk.seen, protocol=pickle.HIGHEST_PROTOCOL))
    return look


class _Walk:
    """One pass over the stat signatures of some folders: each entry is stat'ed and noted as it is listed.

    A build with nothing to do spends most of its time here and in the output's
    check (write/marks.py), so the loop does no more per entry than it must:
    one lstat per entry gives its type and its signature.
    """

    def __init__(self, racy_after: int):
        self.racy_after = racy_after
        self.look = TreeLook("", False, {}, False)
        self.seen: list[tuple[str, int, int, int]] = []

    def folder(self, root: str, skipped: bool) -> None:
        """Note everything under `root`, sorted by name; folders end in '/' and come before what they hold.

        Names are listed (os.listdir) rather than scanned: os.scandir's stat is
        the same lstat, and a DirEntry per file, kept for the sort, cost time
        and memory; `note` is inlined for plain files and folders, all but a few.
        """
        try:
            names = sorted(os.listdir(root))
        except OSError:
            return
        seen, files, racy_after, lstat = self.seen.append, self.look.files, self.racy_after, os.lstat
        prefix = root if root.endswith(os.sep) else root + os.sep
        for name in names:
            path = prefix + name
            skip = skipped or name[:1] in ("_", ".")
            try:
                stat = lstat(path)
                kind = S_IFMT(stat.st_mode)
                if kind == S_IFDIR:
                    seen((path + "/", stat.st_size, stat.st_mtime_ns, stat.st_ino))
                    if stat.st_mtime_ns >= racy_after:
                        self.look.racy = True
                    self.folder(path, skip)
                elif kind == S_IFLNK:
                    self.note(path, os.stat(path), True, skip)
                else:
                    signature = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
                    seen((path, *signature))
                    if signature[1] >= racy_after:
                        self.look.racy = True
                        signature = RACY_SIGNATURE
                    if not skip:
                        files[path] = signature
            except OSError:  # a link loop, a file gone since the listing: never proves "unchanged"
                self.seen.append((path, -2, -2, -2))
                self.look.racy = self.look.links = True

    def note(self, path: str, stat: os.stat_result, link: bool, skipped: bool) -> None:
        look = self.look
        size, mtime, inode = stat.st_size, stat.st_mtime_ns, stat.st_ino
        self.seen.append((path, size, mtime, inode))
        if link:
            look.links = True
        racy = mtime >= self.racy_after
        if racy:
            look.racy = True
        if not skipped and path[-1:] != "/":
            look.files[path] = RACY_SIGNATURE if racy else (size, mtime, inode)


def _now_ns() -> int:
    import time

    return time.time_ns()


# -- sharded entry store ---------------------------------------------------------------------------


class ShardedStore:
    """Entries keyed by hex digests, kept in a few checksummed files, loaded on first use.

    A build rewrites only the shards it changed, and drops from those the
    entries it did not use (sources deleted or edited since).
    """

    def __init__(self, folder: Path, name: str):
        self.folder = folder
        self.name = name
        self.shards: dict[str, dict[str, Any]] = {}
        self.used: set[str] = set()
        self.dirty: set[str] = set()

    def _shard(self, key: str) -> dict[str, Any]:
        shard = key[: 1]
        if shard not in self.shards:
            loaded = read_checked(self.folder / f"{self.name}-{shard}.pickle")
            self.shards[shard] = loaded if isinstance(loaded, dict) else {}
        return self.shards[shard]

    def get(self, key: str) -> Any | None:
        value = self._shard(key).get(key)
        if value is not None:
            self.used.add(key)
        return value

    def put(self, key: str, value: Any) -> None:
        self._shard(key)[key] = value
        self.used.add(key)
        self.dirty.add(key[:1])

    def save(self) -> None:
        for shard in sorted(self.dirty):
            entries = {k: v for k, v in self.shards[shard].items() if k in self.used}
            self.shards[shard] = entries
            write_checked(self.folder / f"{self.name}-{shard}.pickle", entries)
        self.dirty.clear()

    def forget_use(self) -> None:
        """Start a new run (serve keeps the store in memory between rebuilds)."""
        self.used = set()

