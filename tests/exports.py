"""Real archives written by other people, fetched from package registries at test time.

Nothing here is committed: content from public repositories may not be. Each
export comes from a pinned release of a published package, through the
package's own client (pip for PyPI, npm for the npm registry), into
tests/.artifacts/ (git-ignored), once; later runs reuse it.

- Pelican's source release ships its test content: Markdown articles with
  metadata headers (pelican/tests/content/), a WordPress WXR export
  (wordpressexport.xml), the RSS and Atom feeds Pelican built from its sample
  site (pelican/tests/output/custom/feeds/), and that site's settings file
  (samples/pelican.conf.py).
- jekyll-theme-chirpy 5.3.21 on npm is a real Jekyll blog (its author's
  posts in _posts/, _tabs/ pages, _config.yml with permalink defaults).
- @cloudflare/hugo-cloudflare-docs 1.0.4 on npm carries a Hugo exampleSite
  with TOML front matter and config.toml.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent / ".artifacts"
PELICAN = ("pelican", "4.12.0")
CHIRPY = ("jekyll-theme-chirpy", "5.3.21")
CLOUDFLARE_HUGO = ("@cloudflare/hugo-cloudflare-docs", "1.0.4")


class ExportMissing(RuntimeError):
    """A registry could not be reached or the package has moved: the message says how to get it."""


@dataclass(frozen=True)
class Exports:
    pelican: Path  # the unpacked sdist: pelican-4.12.0/
    chirpy: Path  # the unpacked npm package: a Jekyll site folder
    hugo: Path  # the Hugo exampleSite folder

    @property
    def pelican_content(self) -> Path:
        return self.pelican / "pelican" / "tests" / "content"

    @property
    def pelican_settings(self) -> Path:
        return self.pelican / "samples" / "pelican.conf.py"

    @property
    def wordpress(self) -> Path:
        return self.pelican_content / "wordpressexport.xml"

    @property
    def rss(self) -> Path:
        return self.pelican / "pelican" / "tests" / "output" / "custom" / "feeds" / "all.rss.xml"

    @property
    def atom(self) -> Path:
        return self.pelican / "pelican" / "tests" / "output" / "custom" / "feeds" / "all.atom.xml"


def _run(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ExportMissing(f"cannot fetch {what}: {exc}") from None
    if done.returncode != 0:
        raise ExportMissing(f"cannot fetch {what} ({' '.join(command)}): {done.stderr.strip()[-400:]}")


def _unpack(archive: Path, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")  # the data filter refuses links and paths leaving `into`
    return into


def _pelican() -> Path:
    name, version = PELICAN
    folder = ARTIFACTS / f"{name}-{version}"
    if not (folder / f"{name}-{version}" / "pelican").is_dir():
        download = ARTIFACTS / "downloads"
        sdist = download / f"{name}-{version}.tar.gz"
        if not sdist.is_file():
            _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                  f"{name}=={version}", "-d", str(download)], f"{name} {version} from PyPI")
        _unpack(sdist, folder)
    return folder / f"{name}-{version}"


def _npm(package: tuple[str, str]) -> Path:
    name, version = package
    tag = name.replace("@", "").replace("/", "-")
    folder = ARTIFACTS / f"{tag}-{version}"
    if not (folder / "package" / "package.json").is_file():
        download = ARTIFACTS / "downloads"
        download.mkdir(parents=True, exist_ok=True)
        tarball = download / f"{tag}-{version}.tgz"
        if not tarball.is_file():
            _run(["npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", str(download)], f"{name} {version} from npm")
        _unpack(tarball, folder)
    return folder / "package"


def fetch_exports() -> Exports:
    return Exports(pelican=_pelican(), chirpy=_npm(CHIRPY), hugo=_npm(CLOUDFLARE_HUGO) / "exampleSite")
