"""Where a cold build's memory peak is: `python benchmarks/memory_timeline.py SITE [--every S]`.

Runs a cold `newpower build` of SITE (its output/ and .newpower-cache/
deleted first) and samples, every 20 ms as measure.py does, the PSS of each
process of the tree, grouped as the command itself, its children (a forked
build process and its render workers) and Pagefind. Prints the CPU time of
the tree, the peak and what made it up, the peak of each stage (Pagefind
running; two or more children: rendering; one child: loading, planning or
the cache's record; none), and a line every S seconds. Figures only.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import _children, _pss_kb


def kind(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "child"
    return "pagefind" if b"pagefind" in command else "child"


def stage(counts: dict[str, int]) -> str:
    if counts.get("pagefind"):
        return "search index (Pagefind)"
    if counts.get("child", 0) >= 2:
        return "rendering (workers)"
    return "one child (load, plan, record)" if counts.get("child") else "the command alone"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between the timeline's lines")
    args = parser.parse_args()
    for name in ("output", ".newpower-cache"):
        shutil.rmtree(args.site / name, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    build = subprocess.Popen([sys.executable, "-m", "newpower_site", "build", "--site", str(args.site), "--quiet"])
    samples = []  # (seconds, the command's MB, {kind: MB}, {kind: processes})
    while build.poll() is None:
        sizes: dict[str, float] = {}
        counts: dict[str, int] = {}
        for pid in _children(build.pid)[1:]:
            sizes[kind(pid)] = sizes.get(kind(pid), 0) + _pss_kb(pid) / 1024
            counts[kind(pid)] = counts.get(kind(pid), 0) + 1
        samples.append((time.perf_counter() - started, _pss_kb(build.pid) / 1024, sizes, counts))
        time.sleep(0.02)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if build.returncode != 0 or not samples:
        raise SystemExit(f"the build failed (exit {build.returncode})")
    total = [own + sum(sizes.values()) for _, own, sizes, _ in samples]
    peak = max(range(len(samples)), key=total.__getitem__)
    at, own, sizes, _ = samples[peak]
    parts = ", ".join(f"{name} {mb:.0f}" for name, mb in sizes.items())
    print(f"cpu {cpu:.1f} s, wall {time.perf_counter() - started:.1f} s; peak {total[peak]:.0f} MB at {at:.1f} s: command {own:.0f}, {parts}")
    best: dict[str, int] = {}
    for n, sample in enumerate(samples):
        name = stage(sample[3])
        if name not in best or total[n] > total[best[name]]:
            best[name] = n
    for name, n in best.items():
        print(f"  {name:<32} peak {total[n]:5.0f} MB (command {samples[n][1]:.0f})")
    line = -args.every
    for n, (seconds, own, sizes, counts) in enumerate(samples):
        if seconds - line >= args.every:
            line = seconds
            print(f"{seconds:7.1f} s {total[n]:5.0f} MB  command {own:4.0f}  " + "  ".join(f"{k} {v:.0f} ({counts[k]})" for k, v in sizes.items()))


if __name__ == "__main__":
    main()
