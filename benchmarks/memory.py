"""Peak memory and time of cold builds: `python benchmarks/memory.py [N ...] [--runs R]`.

For each N (default 1,000 and 10,000), on the synthetic site of bench.py,
each in a fresh process with no cache and no output: the engine alone (no
search index, benchmarks/engine_build.py), the whole `newpower build`
(Pagefind included), and Pagefind alone on that build's item pages, in
shards, run as the build runs it (benchmarks/search_index.py). Peak memory is the largest PSS summed over the process and
its children (the build's worker processes, Pagefind), sampled every 20 ms;
time is the median of R runs, peak the largest.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench
from bench import clean, corpus
from measure import run

from newpower_site.write.search import JOBS, pagefind_executable


def measured(command, runs: int, before) -> tuple[float, float]:
    times, peaks = [], []
    for _ in range(runs):
        before()
        result = run(command())
        if result.code != 0:
            raise SystemExit(f"{' '.join(command())} failed:\n{result.output[-2000:]}")
        times.append(result.seconds)
        peaks.append(result.peak_mb)
    return statistics.median(times), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--work", type=Path, default=bench.WORK, help="where the synthetic sites are (made when missing)")
    args = parser.parse_args()
    bench.WORK = args.work
    executable = pagefind_executable()
    print(f"{'items':>6}  {'build':<28} {'seconds':>8} {'peak MB':>8}")
    for n in args.sizes:
        site = corpus(n)
        rows = [
            ("engine (no search index)", lambda: [sys.executable, str(HERE / "engine_build.py"), str(site)], lambda: clean(site)),
            ("newpower build", lambda: [sys.executable, "-m", "newpower_site", "build", "--site", str(site)], lambda: clean(site)),
        ]
        if executable is not None:
            output = site / "output"
            # made after the build above: the command looks at that build's pages
            index = site / "index-alone"
            rows.append(("pagefind alone (sharded)", lambda: [sys.executable, str(HERE / "search_index.py"), "--index", "sharded", str(output), str(index), str(JOBS), ""],
                         lambda: shutil.rmtree(index, ignore_errors=True)))
        for label, command, before in rows:
            seconds, peak = measured(command, args.runs, before)
            print(f"{n:>6}  {label:<28} {seconds:>8.1f} {peak:>8.0f}", flush=True)


if __name__ == "__main__":
    main()
