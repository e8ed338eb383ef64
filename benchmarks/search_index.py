"""The search index in shards against one index: `python benchmarks/search_index.py N [--jobs J] [--query Q]`.

On the synthetic N-item site of bench.py, each figure in a fresh process:

- the cold `newpower build` (sharded index included): time and peak memory;
- indexing the built item pages, sharded (as the build does, J Pagefind
  processes at once) and as one index: time and peak memory;
- the `newpower build` after one article's body is edited, and re-indexing
  that article's shard alone;
- what the browser fetches for a typical query on the search page, sharded
  and single: bytes of the files under /pagefind/ the server sends
  (Pagefind's files are compressed already; the worker's fetches
  included) and the count of requests, as the server saw them.

Peak memory is the largest PSS summed over the process and its children
(Pagefind included), sampled every 20 ms (measure.py); CPU time is user +
system of the process and its children, steadier than wall time on a
shared machine. Figures only; no assertions on time.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

import bench
from bench import clean, corpus, edit
from measure import run

from newpower_site.write import search


def index_command(out: Path, dest: Path, mode: str, jobs: int, shard: str = "") -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--index", mode, str(out), str(dest), str(jobs), shard]


def index_child(mode: str, out: Path, dest: Path, jobs: int, only: str) -> None:
    """In a fresh process: index the item pages of a built `out` into `dest` as the build would."""
    records = search.read_shard_records(out / search.INDEX_FOLDER)
    shards = [search.Shard(name, pages) for name, pages in records.items()]
    if mode == "single":
        shards = [search.Shard("all", tuple(p for s in shards for p in s.pages))]
    elif mode == "one":
        shards = [s for s in shards if s.name == only]
    shutil.rmtree(dest, ignore_errors=True)
    search.index_shards(shards, lambda path: (out / path).read_bytes(), dest, jobs=jobs)
    search.write_shard_list(dest, shards)


def measured(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (the process and its children, Pagefind included) and peak MB of `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run(command)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.code != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.output[-2000:]}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return result.seconds, cpu, result.peak_mb


def browser_bytes(out: Path, index: Path, query: str) -> tuple[int, int, int]:
    """(bytes, requests, results) the search page fetches under /pagefind/ for `query`, with `index` as its index.

    Counted by the server: Pagefind fetches from a worker, whose requests the
    page's performance entries do not show.
    """
    import browser
    from browser import Browser, SiteServer

    served_files: list[int] = []
    send_head = browser._Handler.send_head

    def counting(handler):  # type: ignore[no-untyped-def]
        found = send_head(handler)
        if "/pagefind/" in handler.path:
            local = Path(handler.translate_path(handler.path.split("?", 1)[0]))
            served_files.append(local.stat().st_size if local.is_file() else 0)
        return found

    with tempfile.TemporaryDirectory() as folder:
        served = Path(folder)
        for part in ("search", "static"):
            shutil.copytree(out / part, served / part)
        shutil.copy(out / "404.html", served / "404.html")
        shutil.copytree(index, served / search.INDEX_FOLDER)
        browser._Handler.send_head = counting
        server = SiteServer(served)
        chromium = Browser()
        try:
            page = chromium.new_page()
            page.goto(server.url("search/"))
            page.evaluate("document.querySelector('#search-input').focus()")
            page.type(query)
            page.wait_until("/result|Nothing|not available/.test(document.querySelector('#search-status').textContent)", timeout=120)
            time.sleep(1)  # the shown results' fragments
            status = page.evaluate("document.querySelector('#search-status').textContent")
        finally:
            chromium.close()
            server.close()
            browser._Handler.send_head = send_head
    count = int(status.split()[0]) if status[:1].isdigit() else 0
    return sum(served_files), len(served_files), count


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--index":
        mode, out, dest, jobs, only = sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
        index_child(mode, out, dest, jobs, only)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--jobs", type=int, default=search.JOBS, help="Pagefind processes at once (the build's: search.JOBS)")
    parser.add_argument("--query", default="power", help="the typical query (a word of gen_corpus.py's vocabulary)")
    parser.add_argument("--work", type=Path, default=bench.WORK, help="where the synthetic sites are (made when missing)")
    args = parser.parse_args()
    bench.WORK = args.work
    site = corpus(args.n)
    out = site / "output"
    build = [sys.executable, "-m", "newpower_site", "build", "--site", str(site)]
    rows: list[tuple[str, float, float, float]] = []

    clean(site)
    rows.append(("cold newpower build (sharded index)", *measured(build)))
    shards = search.read_shard_records(out / search.INDEX_FOLDER)
    work = Path(tempfile.mkdtemp(prefix="search-index-"))
    try:
        rows.append((f"index alone, {len(shards)} shards, {args.jobs} at once", *measured(index_command(out, work / "sharded", "sharded", args.jobs))))
        rows.append(("index alone, one index", *measured(index_command(out, work / "single", "single", 1))))
        edit(site, 0)
        rows.append(("newpower build after one body edit", *measured(build)))
        article = sorted((site / "content/articles").glob("*.md"))[len(list((site / "content/articles").glob("*.md"))) // 2]
        page = f"articles/{article.stem}/index.html"
        name = next(n for n, pages in search.read_shard_records(out / search.INDEX_FOLDER).items() if page in pages)
        rows.append((f"re-index that article's shard ({name}, {len(shards[name])} pages)", *measured(index_command(out, work / "one", "one", 1, name))))

        print(f"{args.n} items; shards of about {search.SHARD_SIZE} pages (spans of years), {args.jobs} Pagefind processes at once")
        print(f"{'':<52} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
        for label, seconds, cpu, peak in rows:
            print(f"{label:<52} {seconds:>8.2f} {cpu:>8.2f} {peak:>8.0f}")
        try:
            sharded = browser_bytes(out, out / search.INDEX_FOLDER, args.query)
            single = browser_bytes(out, work / "single", args.query)
        except RuntimeError as exc:  # no chromium here
            print(f"browser bytes not measured: {exc}")
            return
        print(f"\nthe search page, query {json.dumps(args.query)}:      {'bytes':>10} {'requests':>9} {'results':>8}")
        for label, (size, requests, count) in (("sharded", sharded), ("one index", single)):
            print(f"  {label:<46} {size:>10,} {requests:>9} {count:>8}")
        print(f"  sharded / one index: {sharded[0] / max(1, single[0]):.2f} x the bytes")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
