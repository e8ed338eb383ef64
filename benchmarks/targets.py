"""Every figure of the performance targets, in one run, beside Hugo and Pelican: `python benchmarks/targets.py [N] [--runs R]`.

What `make bench` runs. On the synthetic site of N items (gen_corpus.py,
default 10,000) and the archive corpus (gen_corpus.py archive: 669 long,
link-heavy weekly issues), each build in a fresh process:

- cold `newpower build` (search index included) and the engine without the
  index (engine_build.py), each against Hugo, run in turn round by round so
  that the machine's load falls on all three alike; medians of R;
- `newpower build` after one article's body edit, after its title edit, and
  with nothing changed (medians of R), and Hugo's rebuild (it rebuilds all);
  the same two edits under `build --quick-search` (the edits shard, which
  trades byte-identical output for speed, so it is not the default);
- peak memory of the whole process tree (workers and Pagefind) of the cold
  `newpower build`s, the largest of the R, and Hugo's;
- the archive's cold `newpower build` against Pelican 4.7 (its Markdown
  reader, in benchmarks/.venv-pelican), in turn, medians of R;
- the bytes a query loads from the sharded search index against a single
  one, from benchmarks/search_index.py when it exists.

It ends with one table: each figure, its target (on wall time), met or not,
with the CPU-time ratio beside the cold ones (user + system of the whole
process tree, benchmarks/measure.py), which a loaded machine moves less.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import WORK, clean, corpus, edit, redate, retitle, timed
from compare import ensure_pelican, to_hugo, to_pelican, versions
from gen_corpus import generate_archive
from measure import Measured, run


@dataclass(frozen=True)
class Row:
    figure: str
    measured: str
    target: str
    met: bool | None  # None: not measured


def archive_corpus() -> Path:
    site = WORK / "archive"
    if not (site / "site.yaml").exists():
        shutil.rmtree(site, ignore_errors=True)
        generate_archive(site)
    return site


def checked(command: list[str], cwd: Path | None = None) -> Measured:
    measured = run(command, cwd=cwd)
    if measured.code != 0:
        raise SystemExit(f"{' '.join(map(str, command))} failed:\n{measured.output[-2000:]}")
    return measured


def in_turn(contenders: dict[str, tuple[list[str], Path | None, object]], runs: int) -> dict[str, list[Measured]]:
    """Each contender's cold build once a round, R rounds: a load that comes and goes falls on all alike."""
    results: dict[str, list[Measured]] = {name: [] for name in contenders}
    for round_ in range(runs):
        for name, (command, cwd, before) in contenders.items():
            before()
            results[name].append(checked(command, cwd))
            last = results[name][-1]
            print(f"  round {round_ + 1}: {name:34} {last.seconds:7.2f} s {last.cpu_seconds:7.2f} s CPU {last.peak_mb:7.0f} MB", flush=True)
    return results


def median(measured: list[Measured]) -> float:
    return statistics.median(m.seconds for m in measured)


def cpu(measured: list[Measured]) -> float:
    return statistics.median(m.cpu_seconds for m in measured)


def peak(measured: list[Measured]) -> float:
    return max(m.peak_mb for m in measured)


def search_bytes(n: int) -> tuple[str, float | None]:
    """What benchmarks/search_index.py prints (bytes a query loads, sharded and single), and the ratio if it says one."""
    script = HERE / "search_index.py"
    if not script.exists():
        return "benchmarks/search_index.py is missing", None
    done = subprocess.run([sys.executable, str(script), str(n)], capture_output=True, text=True, check=False)
    text = (done.stdout + done.stderr).strip()
    print("\n".join(f"  {line}" for line in text.splitlines()), flush=True)
    if done.returncode != 0:
        return f"search_index.py failed (exit {done.returncode})", None
    ratios = re.findall(r"(\d+(?:\.\d+)?)\s*[×x]\b", text)
    return text.splitlines()[-1] if text else "", float(ratios[-1]) if ratios else None


def table(rows: list[Row]) -> str:
    verdict = {True: "met", False: "NOT met", None: "not measured"}
    header = ("figure", "measured", "target", "")
    widths = [max(len(header[i]), *(len((r.figure, r.measured, r.target, verdict[r.met])[i]) for r in rows)) for i in range(4)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip((r.figure, r.measured, r.target, verdict[r.met]), widths, strict=True)))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("size", nargs="?", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("hugo") is None:
        raise SystemExit("targets.py needs Hugo: apt-get install -y hugo")
    started = time.perf_counter()
    py, n, runs = sys.executable, args.size, args.runs
    pelican = ensure_pelican()
    site = corpus(n)
    hugo_site = WORK / f"hugo-{n}"
    to_hugo(site, hugo_site)
    shipped = [py, "-m", "newpower_site", "build", "--site", str(site), "--quiet"]
    engine = [py, str(HERE / "engine_build.py"), str(site)]
    hugo = ["hugo", "--quiet", "--source", str(hugo_site), "--destination", str(hugo_site / "public")]
    print(f"{n:,} items ({versions(pelican)})", flush=True)

    print("cold builds, in turn:", flush=True)
    colds = in_turn({
        "newpower engine (no search index)": (engine, None, lambda: clean(site)),
        "hugo": (hugo, None, lambda: shutil.rmtree(hugo_site / "public", ignore_errors=True)),
        "newpower build (search index)": (shipped, None, lambda: clean(site)),  # last: the edits below start from it
    }, runs)
    build_cold, engine_cold, hugo_cold = (median(colds[k]) for k in ("newpower build (search index)",
                                                                      "newpower engine (no search index)", "hugo"))

    print("rebuilds of newpower build (from the last cold build):", flush=True)
    time.sleep(2.1)  # past the racy-clean window of the files the cold build just wrote
    checked(shipped)
    unchanged = timed(shipped, runs)[0]
    print(f"  nothing changed   {unchanged:7.3f} s", flush=True)
    body = timed(shipped, runs, before=lambda r: edit(site, r))[0]
    print(f"  one body edit     {body:7.3f} s", flush=True)
    title = timed(shipped, runs, before=lambda r: retitle(site, r))[0]
    print(f"  one title edit    {title:7.3f} s", flush=True)
    date = timed(shipped, runs, before=lambda r: redate(site, r))[0]
    print(f"  one date edit     {date:7.3f} s", flush=True)
    quick = [*shipped, "--quick-search"]  # the edits shard: not byte-identical to a cold build, so not the default (SPEC.md)
    quick_body = timed(quick, runs, before=lambda r: edit(site, r + runs))[0]
    print(f"  one body edit, --quick-search   {quick_body:7.3f} s", flush=True)
    quick_title = timed(quick, runs, before=lambda r: retitle(site, r + runs))[0]
    print(f"  one title edit, --quick-search  {quick_title:7.3f} s", flush=True)
    quick_date = timed(quick, runs, before=lambda r: redate(site, r + runs))[0]
    print(f"  one date edit, --quick-search   {quick_date:7.3f} s", flush=True)
    checked(shipped)  # folds the edits shard back
    hugo_again = timed(hugo, runs)[0]
    print(f"  hugo rebuild      {hugo_again:7.3f} s (Hugo rebuilds everything on any change)", flush=True)

    print("archive corpus (669 weekly issues, ~30 KB, link-heavy), cold builds in turn:", flush=True)
    archive = archive_corpus()
    pelican_site = WORK / "pelican-archive"
    to_pelican(archive, pelican_site)
    archives = in_turn({
        "newpower build (search index)": ([py, "-m", "newpower_site", "build", "--site", str(archive), "--quiet"], None,
                                          lambda: clean(archive)),
        "pelican 4.7": ([str(pelican), "content", "-o", "output", "-s", "pelicanconf.py", "-q"], pelican_site, lambda: None),
    }, runs)
    archive_ratio = median(archives["newpower build (search index)"]) / median(archives["pelican 4.7"])

    print("search index bytes per query:", flush=True)
    search_text, search_ratio = search_bytes(n)
    if search_ratio is None:
        print(f"  {search_text}", flush=True)

    build_peak, hugo_peak = peak(colds["newpower build (search index)"]), peak(colds["hugo"])
    cpu_build, cpu_engine, cpu_hugo = (cpu(colds[k]) for k in ("newpower build (search index)", "newpower engine (no search index)", "hugo"))
    cpu_archive = cpu(archives["newpower build (search index)"]) / cpu(archives["pelican 4.7"])
    rows = [
        Row("cold newpower build, search index included", f"{build_cold / hugo_cold:.2f} × Hugo ({build_cold:.1f} s vs {hugo_cold:.1f} s; CPU {cpu_build / cpu_hugo:.2f} ×)",
            "≤ 1.3 × Hugo (moonshot ≤ 1.0)", build_cold / hugo_cold <= 1.3),
        Row("cold build without the index (engine)", f"{engine_cold / hugo_cold:.2f} × Hugo ({engine_cold:.1f} s; CPU {cpu_engine / cpu_hugo:.2f} ×)", "≤ 1.0 × Hugo",
            engine_cold / hugo_cold <= 1.0),
        Row("one body edit, newpower build", f"{body:.2f} s (Hugo {hugo_again:.1f} s)", "≤ 1 s", body <= 1.0),
        Row("one title edit, newpower build", f"{title:.2f} s", "≤ 1.5 s", title <= 1.5),
        Row("one date edit, newpower build", f"{date:.2f} s", "≤ 1.5 s", date <= 1.5),
        Row("  the same three, build --quick-search", f"body {quick_body:.2f} s, title {quick_title:.2f} s, date {quick_date:.2f} s",
            "(≤ 1 s, ≤ 1.5 s, ≤ 1.5 s)", quick_body <= 1.0 and quick_title <= 1.5 and quick_date <= 1.5),
        Row("nothing changed, newpower build", f"{unchanged:.2f} s", "≤ 0.3 s", unchanged <= 0.3),
        Row("peak memory, whole process tree, cold", f"{build_peak:,.0f} MB (Hugo {hugo_peak:,.0f} MB)", "≤ 400 MB", build_peak <= 400),
        Row("archive (669 issues) cold build", f"{archive_ratio:.2f} × Pelican 4.7 ({median(archives['newpower build (search index)']):.1f} s"
            f" vs {median(archives['pelican 4.7']):.1f} s; CPU {cpu_archive:.2f} ×)", "≤ 0.5 × Pelican", archive_ratio <= 0.5),
        Row("search: bytes a query loads, sharded", f"{search_ratio:.2f} × single" if search_ratio is not None else search_text,
            "≤ 1.5 × single", None if search_ratio is None else search_ratio <= 1.5),
    ]
    print(f"\nsummary: {n:,} items, medians of {runs}, in {(time.perf_counter() - started) / 60:.0f} min on this machine"
          " (targets are on wall time; CPU: user + system of the process tree, steadier on a loaded machine)")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
