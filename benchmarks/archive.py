"""The archive corpus alone, against Pelican 4.7 and, if given, another checkout: `python benchmarks/archive.py [--runs R] [--reference CHECKOUT]`.

targets.py's archive figure without the 10,000-item runs before it: the
cold `newpower build` (search index included) of gen_corpus.py's archive
(669 long, link-heavy weekly issues) and Pelican's build of the same bodies,
in turn round by round (targets.py's `in_turn`, so a load that comes and
goes falls on all alike), medians of R, wall and CPU (user + system of the
process tree). With `--reference`, that checkout's code builds the corpus
too, in the same rounds: a change's before and after under the same load.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import WORK, clean
from compare import ensure_pelican, to_pelican
from targets import archive_corpus, cpu, in_turn, median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reference", type=Path, help="another checkout (say, main's worktree) to build the corpus with too")
    args = parser.parse_args()
    pelican = ensure_pelican()
    archive = archive_corpus()
    pelican_site = WORK / "pelican-archive"
    to_pelican(archive, pelican_site)

    def newpower(code: Path) -> list[str]:
        # cwd=code: `python -m` puts the working folder first on sys.path, ahead of PYTHONPATH
        return ["env", f"PYTHONPATH={code}", sys.executable, "-m", "newpower_site", "build", "--site", str(archive), "--quiet"]

    contenders = {"newpower build (this checkout)": (newpower(HERE.parent), HERE.parent, lambda: clean(archive))}
    if args.reference:
        reference = args.reference.resolve()
        contenders[f"newpower build ({reference.name})"] = (newpower(reference), reference, lambda: clean(archive))
    contenders["pelican 4.7"] = ([str(pelican), "content", "-o", "output", "-s", "pelicanconf.py", "-q"], pelican_site, lambda: None)
    print(f"archive corpus (669 weekly issues, ~30 KB, link-heavy), cold builds in turn, {args.runs} rounds:", flush=True)
    results = in_turn(contenders, args.runs)
    wall_p, cpu_p = median(results["pelican 4.7"]), cpu(results["pelican 4.7"])
    print(f"\nmedians of {args.runs}:")
    for name, measured in results.items():
        wall, used = median(measured), cpu(measured)
        print(f"  {name:34} {wall:7.2f} s  CPU {used:7.2f} s  = {wall / wall_p:.2f} × Pelican (CPU {used / cpu_p:.2f} ×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
