"""Time newpower-site on synthetic sites: `python benchmarks/bench.py [N ...] [--runs R]`.

For each N (default 1,000 and 10,000): a cold build (no cache, no output), a
rebuild with nothing changed, a rebuild after editing one article's body (the
quick path) and one after changing its title (which listings show: the full
incremental path), each in a fresh process; `newpower check` with nothing
changed since the last build, and after one edit; median of R runs; peak memory of the cold build (PSS summed
over the process and its pool); and in `newpower serve`, the time from
writing an edited file to the reload event reaching a client. `newpower build`
as shipped also makes the Pagefind search index, which Hugo and Pelican do
not: "engine" figures leave it out (benchmarks/engine_build.py).
"""

from __future__ import annotations

import argparse
import http.client
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_corpus import generate
from measure import run

WORK = HERE / ".work"


def corpus(n: int) -> Path:
    site = WORK / f"site-{n}"
    if not (site / "site.yaml").exists():
        shutil.rmtree(site, ignore_errors=True)
        generate(n, site)
    return site


def clean(site: Path) -> None:
    for name in ("output", ".newpower-cache"):
        shutil.rmtree(site / name, ignore_errors=True)


def edit(site: Path, round_: int) -> None:
    """Change one article's body (a different sentence each time, so every edit is a real change)."""
    article = sorted((site / "content/articles").glob("*.md"))[len(list((site / "content/articles").glob("*.md"))) // 2]
    text = article.read_text(encoding="utf-8").split("\n<!-- bench -->")[0]
    article.write_text(text + f"\n<!-- bench -->\nEdited in round {round_} at {time.time_ns()}.\n", encoding="utf-8")


def retitle(site: Path, round_: int) -> None:
    """Change one article's title: its head, which listings show (the full incremental path, not the quick one)."""
    article = sorted((site / "content/articles").glob("*.md"))[1]
    lines = article.read_text(encoding="utf-8").split("\n")
    lines = [f"title: Retitled in round {round_} at {time.time_ns()}" if line.startswith("title:") else line for line in lines]
    article.write_text("\n".join(lines), encoding="utf-8")


def redate(site: Path, round_: int) -> None:
    """Move one article's date by a few days within its month (a corrected date: it moves in the listings and
    in its search shard's date order, not to another shard)."""
    article = sorted((site / "content/articles").glob("*.md"))[2]
    lines = article.read_text(encoding="utf-8").split("\n")
    at = next(n for n, line in enumerate(lines) if line.startswith("date:"))
    lines[at] = lines[at][:14] + f"{10 + round_ % 9:02d}" + lines[at][16:]  # date: YYYY-MM-DD...: the day
    article.write_text("\n".join(lines), encoding="utf-8")


def timed(command: list[str], runs: int, before=None) -> tuple[float, float]:
    times, peaks = [], []
    for round_ in range(runs):
        if before:
            before(round_)
        measured = run(command)
        if measured.code != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{measured.output[-2000:]}")
        times.append(measured.seconds)
        peaks.append(measured.peak_mb)
    return statistics.median(times), max(peaks)


def serve_latency(site: Path, rounds: int) -> float:
    server = subprocess.Popen([sys.executable, "-m", "newpower_site", "serve", "--site", str(site), "--port", "0"],
                              stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        line = ""
        while "serving" not in line:
            line = server.stderr.readline()
            if not line:
                raise SystemExit("serve stopped")
        port = int(re.search(r":(\d+)/", line).group(1))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        connection.request("GET", "/__newpower/events")
        response = connection.getresponse()  # kept: the stream closes with it
        events = response.fp
        latencies = []
        for round_ in range(rounds):
            time.sleep(0.5)
            started = time.perf_counter()
            edit(site, 1000 + round_)
            while True:
                text = events.readline().decode()
                if text.startswith("event: reload"):
                    break
                if text.startswith("event: problems"):
                    raise SystemExit("serve reported problems")
            latencies.append(time.perf_counter() - started)
        return statistics.median(latencies)
    finally:
        server.terminate()
        server.wait(30)


def note(figures: dict[str, float], name: str, value: float) -> None:
    figures[name] = value
    print(f"  {name:28} {value:9.3f}", flush=True)


def bench(n: int, runs: int) -> dict[str, float]:
    site = corpus(n)
    py = sys.executable
    shipped = [py, "-m", "newpower_site", "build", "--site", str(site), "--quiet"]
    engine = [py, str(HERE / "engine_build.py"), str(site)]
    figures: dict[str, float] = {}
    for label, command in (("engine", engine), ("build", shipped)):
        cold_runs = max(1, runs // 2) if n >= 10_000 else runs
        seconds, peak = timed(command, cold_runs, before=lambda _: clean(site))
        note(figures, f"{label} cold s", seconds)
        note(figures, f"{label} cold peak MB", peak)
        time.sleep(2.1)  # past the racy-clean window of the files the cold build just wrote
        run(command)
        slow_runs = max(1, runs // 2) if n >= 10_000 and label == "build" else runs  # each one remakes the search index
        note(figures, f"{label} no-change s", timed(command, runs)[0])
        note(figures, f"{label} one-edit s", timed(command, slow_runs, before=lambda r: edit(site, r))[0])
        note(figures, f"{label} one-retitle s", timed(command, slow_runs, before=lambda r: retitle(site, r))[0])
    # `newpower check` (the pre-commit hook) reads what the last build cached: nothing changed since, its record answers.
    checker = [py, "-m", "newpower_site", "check", "--site", str(site), "--quiet"]
    run(shipped)
    time.sleep(2.1)
    run(shipped)
    note(figures, "check no-change s", timed(checker, runs)[0])
    note(figures, "check one-edit s", timed(checker, runs, before=lambda r: edit(site, 2000 + r))[0])
    note(figures, "serve edit->reload s", serve_latency(site, runs))
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for n in args.sizes:
        print(f"N = {n:,}", flush=True)
        bench(n, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
