"""Every cache key and fingerprint formula, once.

The full build, the item cache and the quick path all name an item, a base
URL and an output by these functions: if one of them computed a key its own
way, the quick path would silently disagree with a full build.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newpower_site.cache.fingerprint import Fingerprinter
    from newpower_site.core.urls import Urls
    from newpower_site.plan.outputs import Output

PACKAGE = Path(__file__).resolve().parent.parent  # newpower_site/, with every sub-package
# The libraries whose versions shape output; one not installed counts as "-".
OUTPUT_LIBRARIES = ("jinja2", "cmarkgfm", "nh3", "html5lib", "feedgen", "PyYAML", "Pillow", "css-inline", "lxml")


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def digest_text(*parts: str) -> str:
    return digest("\x00".join(parts).encode("utf-8", "surrogatepass"))


def generator_fingerprint(package: Path = PACKAGE) -> str:
    """The generator's code (every module of every sub-package) and the libraries that shape
    its output: any change invalidates every entry."""
    parts = [sys.version]
    for path in sorted(package.rglob("*.py")):
        parts.append(path.relative_to(package).as_posix())
        parts.append(digest(path.read_bytes()))
    for name in OUTPUT_LIBRARIES:
        try:
            parts.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name}=-")
    return digest_text(*parts)


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

