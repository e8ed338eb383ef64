"""Time and peak memory of `newpower build` on a catalogue of hostile inputs: `python benchmarks/hostile.py [--only NAME]`.

Each case is one article in a small fresh site, built cold in a process of its
own (no cache, no output), as tests/test_hostile.py builds them; the figures
are printed, never asserted (a shared machine's timings are not a test).
Content files are bounded at 2 MB (load/content.py MAX_SOURCE_BYTES): the
cases sit just under the bound, and one over it shows the refusal's cost.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from measure import run

from newpower_site.load.content import MAX_SOURCE_BYTES

FRONT = "---\ntitle: Hostile\ndate: 2026-01-01\n---\n"
UNDER = MAX_SOURCE_BYTES - 64 * 1024  # a body that leaves room for the front matter


def _repeat(unit: str, size: int = UNDER) -> str:
    return unit * max(1, size // len(unit.encode()))


CASES: dict[str, Callable[[], str]] = {
    "prose just under 2 MB": lambda: _repeat("Power is made by many, one meeting at a time. " * 12 + "\n\n"),
    "over 2 MB (refused)": lambda: _repeat("Words. " * 100 + "\n\n", MAX_SOURCE_BYTES + 512 * 1024),
    "block quotes 5,000 deep": lambda: ">" * 5000 + " deep\n",
    "lists 5,000 deep": lambda: "".join("  " * i + "- x\n" for i in range(5000)),
    "raw HTML 5,000 deep": lambda: "<div>" * 5000 + "x" + "</div>" * 5000 + "\n",
    "emphasis 50,000 deep": lambda: "*" * 50_000 + "x" + "*" * 50_000 + "\n",
    "30,000 links": lambda: "".join(f"[link {n}](https://example.org/{n}) " for n in range(30_000)) + "\n",
    "30,000 reference links": lambda: "".join(f"[r{n}] " for n in range(30_000)) + "\n\n" + "".join(f"[r{n}]: https://example.org/{n}\n" for n in range(30_000)),
    "one 1.9 MB line": lambda: _repeat("word ") + "\n",
    "raw HTML attributes, 20,000 tags": lambda: "".join(f'<span title="t{n}" data-x="{n}">x</span>' for n in range(20_000)) + "\n",
    "20,000 unmatched brackets": lambda: "[" * 20_000 + "\n\n" + "](" * 20_000 + "\n",
}


def site_for(folder: Path, body: str) -> Path:
    (folder / "content/articles").mkdir(parents=True)
    (folder / "site.yaml").write_text("title: Hostile\nbase_url: https://example.org\ndescription: Hostile inputs.\n", encoding="utf-8")
    (folder / "content/articles/hostile.md").write_text(FRONT + body, encoding="utf-8")
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run the cases whose name contains this")
    args = parser.parse_args()
    print(f"{'case':36} {'size':>9} {'exit':>4} {'time':>8} {'peak':>9}")
    for name, make in CASES.items():
        if args.only and args.only not in name:
            continue
        body = make()
        folder = Path(tempfile.mkdtemp(prefix="newpower-hostile-"))
        try:
            site = site_for(folder, body)
            measured = run([sys.executable, "-m", "newpower_site", "build", "--site", str(site), "--quiet"], cwd=HERE.parent)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        size = len(body.encode()) / 2**20
        print(f"{name:36} {size:7.2f}MB {measured.code:>4} {measured.seconds:7.2f}s {measured.peak_mb:7.0f}MB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
