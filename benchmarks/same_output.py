"""Does this checkout build the same bytes as another? `python benchmarks/same_output.py REFERENCE_CHECKOUT`

A speed-up of the build must not change a byte of what it writes. Each
site (tests/sites/realistic, the repository's own site, a 1,000-item
corpus from gen_corpus.py) is copied to a temporary folder and built with
`newpower build` by the reference checkout's code (say, main's worktree)
and by this one's, cold with the cache and with --no-cache; every output
folder must equal the reference's (`diff -r`). Exit status 1 on any
difference.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SITE_PARTS = ("content", "templates", "static", "site.yaml")  # what a site folder holds; not output/ or .newpower-cache/


def copy_site(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    for name in SITE_PARTS:
        part = source / name
        if part.is_dir():
            shutil.copytree(part, target / name, symlinks=True)
        elif part.is_file():
            shutil.copy2(part, target / name)
    return target


def build(code: Path, site: Path, out: Path, *extra: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(code))
    command = [sys.executable, "-m", "newpower_site", "build", "--site", str(site), "--out", str(out), "--quiet", *extra]
    # cwd=code: `python -m` puts the working folder first on sys.path, ahead of PYTHONPATH
    done = subprocess.run(command, env=env, cwd=code, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} (code {code}) failed:\n{done.stdout}{done.stderr}")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    reference = Path(argv[0]).resolve()
    different = 0
    with tempfile.TemporaryDirectory(prefix="same-output-") as temporary:
        work = Path(temporary)
        corpus = work / "corpus-1000"
        subprocess.run([sys.executable, str(HERE / "gen_corpus.py"), "1000", str(corpus)], check=True, capture_output=True)
        sites = {"realistic": ROOT / "tests" / "sites" / "realistic", "repository": reference, "corpus-1000": corpus}
        for name, source in sites.items():
            expected = work / f"{name}-reference"
            build(reference, copy_site(source, work / f"{name}-site-reference"), expected)
            for mode, extra in (("cached", ()), ("no-cache", ("--no-cache",))):
                site = copy_site(source, work / f"{name}-site-{mode}")
                got = work / f"{name}-{mode}"
                build(ROOT, site, got, *extra)
                diff = subprocess.run(["diff", "-r", str(expected), str(got)], capture_output=True, text=True)
                verdict = "identical" if diff.returncode == 0 else "DIFFERENT"
                print(f"{name:12} {mode:9} {verdict}")
                if diff.returncode != 0:
                    different += 1
                    print(diff.stdout[:4000], end="")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
