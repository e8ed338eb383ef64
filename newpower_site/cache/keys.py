"""Every cache key and fingerprint formula, once.

The full build, the item cache and the quick path all name an item, a base
URL and an output by these functions: if one of them computed a key its own
way, the quick path would silently disagree with a full build.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from newpower_site.core.hashing import blake2b

if TYPE_CHECKING:
    from newpower_site.cache.fingerprint import Fingerprinter
    from newpower_site.core.urls import Urls
    from newpower_site.plan.outputs import Output

PACKAGE = Path(__file__).resolve().parent.parent  # newpower_site/, with every sub-package
# The libraries whose versions shape output; one not installed counts as "-".
OUTPUT_LIBRARIES = ("jinja2", "cmarkgfm", "nh3", "html5lib", "feedgen", "PyYAML", "Pillow", "css-inline", "lxml")


def digest(data: bytes) -> str:
    return blake2b(data, digest_size=16).hexdigest()


def digest_text(*parts: str) -> str:
    return digest("\x00".join(parts).encode("utf-8", "surrogatepass"))


def generator_fingerprint(package: Path = PACKAGE, search_path: Iterable[str] | None = None) -> str:
    """The generator's code (every module of every sub-package) and the libraries that shape
    its output: any change invalidates every entry."""
    parts = [sys.version]
    for relative in _modules(package):
        parts.append(relative)
        parts.append(digest(_read_module(os.path.join(package, relative))))
    installed = library_versions(sys.path if search_path is None else search_path)
    parts += [f"{name}={installed.get(name, '-')}" for name in OUTPUT_LIBRARIES]
    return digest_text(*parts)


def _read_module(path: str) -> bytes:
    """A module's bytes, read with bare system calls: a buffered file object per module cost
    a build with nothing to do more than the reading (four calls a file instead of seven)."""
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        chunks = []
        while chunk := os.read(handle, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(handle)


def _modules(package: Path) -> list[str]:
    """Every `*.py` under `package`, relative and '/'-separated, in the order of their Paths
    (`sorted(package.rglob("*.py"))`, without a Path per file: every build with a cache runs this)."""
    found = []
    for folder, folders, names in os.walk(package):
        folders[:] = [name for name in folders if name != "__pycache__"]  # compiled copies: as many files again, and no .py
        prefix = os.path.relpath(folder, package).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        found += [prefix + name for name in names if name.endswith(".py")]
    return sorted(found, key=lambda relative: relative.split("/"))


def library_versions(search_path: Iterable[str]) -> dict[str, str]:
    """OUTPUT_LIBRARIES name -> the name of its installed metadata folder (`Jinja2-3.1.4`), the first
    on the path as importlib.metadata finds it. Every installer names that folder NAME-VERSION.dist-info
    (.egg-info for older ones), so the listing alone tells a version apart: importing importlib.metadata
    and reading each METADATA file cost a build with nothing to do more than the rest of its start."""
    wanted = {_normal(name): name for name in OUTPUT_LIBRARIES}
    found: dict[str, str] = {}
    for folder in search_path:
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:  # a zip file or a missing folder on the path: no library of ours is installed there
            continue
        for entry in names:
            stem, dot, suffix = entry.rpartition(".")
            if not dot or suffix not in ("dist-info", "egg-info"):
                continue
            name = wanted.get(_normal(stem.partition("-")[0]))
            if name is not None and name not in found:
                found[name] = stem
    return found


def _normal(name: str) -> str:
    """A distribution's name as installers compare them: case and runs of `-`, `_`, `.` do not matter."""
    return "_".join(part for part in name.lower().replace("-", "_").replace(".", "_").split("_") if part)


def item_key(generator: str, config_digest: str, kind: str, source: str, content_hash: str) -> str:
    """An item as parsed: a function of its bytes, kind and path, site.yaml and the generator."""
    return digest_text("item", generator, config_digest, kind, source, content_hash)


def url_key(urls: Urls) -> str:
    """What a rendered body depends on of the base URL."""
    return digest_text(urls.origin, urls.prefix)


def value_fingerprint(key: str, urls_key: str) -> str:
    """A rendered item as a value inside other outputs' contexts (fingerprint.py walks no further)."""
    return digest_text(key, urls_key)


def output_fingerprint(generator: str, output: Output, walker: Fingerprinter, theme: str, assets: str,
                       hash_of: Callable[[Path], str]) -> str:
    """Everything `output`'s bytes are made from; raises Unfingerprintable or OSError when it cannot tell."""
    parts = [generator, output.path, output.producer, output.template or "", walker.hex(output.context), walker.hex(output.lastmod)]
    if output.producer != "copy":
        parts += [theme, assets]
    if output.source is not None:
        parts.append(hash_of(output.source))
    return digest_text(*parts)


def config_digest(site_yaml: bytes, base_url: str | None) -> str:
    return digest_text(digest(site_yaml), base_url or "")


def theme_digest(folders: list[Path], hash_of: Callable[[Path], str]) -> str:
    parts = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                parts.append(f"{path.relative_to(folder).as_posix()}={hash_of(path)}")
        parts.append("|")
    return digest_text(*parts)


def assets_digest(sources: list[str], site_dir: Path, hash_of: Callable[[Path], str]) -> str:
    return digest_text(*(f"{source}={hash_of(site_dir / source)}" for source in sources))


def state_name(output_folder: Path, writer: str) -> str:
    """The name of one output folder's state (and snapshot store) in the build cache."""
    return digest_text(str(output_folder.resolve()), writer)[:16]

