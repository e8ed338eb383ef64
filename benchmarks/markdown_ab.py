"""Time this checkout's Markdown stage against another's, in one process: `python benchmarks/markdown_ab.py OTHER [N] [--rounds R]`.

On a machine other work shares, two runs of markdown_stage.py can differ by
a third; the difference between two versions of the stage is smaller than
that. Here both are loaded into one process (OTHER's load/markdown.py with
its own cmark.py, links.py and cstring.py beside this checkout's) and pass
over the same bodies of a gen_corpus.py site of N items in turn, R rounds,
which one goes first alternating; the median of the per-round ratios is
what load moves least. Run it with this checkout as OTHER to see the noise
(an A/A ratio).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from markdown_stage import corpus  # noqa: E402

import newpower_site.load as load_package  # noqa: E402
from newpower_site.core.urls import Urls  # noqa: E402
from newpower_site.load import markdown  # noqa: E402

SWAPPED = ("cmark", "links", "cstring")  # what load/markdown.py imports from its own checkout


def _module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def other_stage(checkout: Path) -> ModuleType:
    """OTHER's load/markdown.py, importing OTHER's cmark.py, links.py and cstring.py (then this one's are put back)."""
    ours = {name: sys.modules[f"newpower_site.load.{name}"] for name in SWAPPED}
    try:
        for name in SWAPPED:
            theirs = _module(f"other_{name}", checkout / "newpower_site" / "load" / f"{name}.py")
            sys.modules[f"newpower_site.load.{name}"] = theirs
            setattr(load_package, name, theirs)
        return _module("other_markdown", checkout / "newpower_site" / "load" / "markdown.py")
    finally:
        for name, module in ours.items():
            sys.modules[f"newpower_site.load.{name}"] = module
            setattr(load_package, name, module)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path)
    parser.add_argument("n", nargs="?", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        documents, targets = corpus(args.n, Path(folder))
    urls = Urls("https://bench.example.org")
    bodies = [(kind, body.encode("utf-8"), source, line) for kind, body, source, line in documents]  # as items keep them
    stages = {"other": other_stage(args.other).MarkdownRenderer.create(), "this": markdown.MarkdownRenderer.create()}

    def one_pass(name: str) -> float:
        render = stages[name].render
        started = time.perf_counter()
        for kind, body, source, line in bodies:
            render(kind, body, source, line, targets, urls)
        return (time.perf_counter() - started) / len(bodies) * 1e6

    times: dict[str, list[float]] = {"other": [], "this": []}
    for name in times:
        one_pass(name)  # caches, first calls
    for turn in range(args.rounds):
        for name in (("other", "this") if turn % 2 == 0 else ("this", "other")):
            times[name].append(one_pass(name))
    ratio = statistics.median(this / other for this, other in zip(times["this"], times["other"], strict=True))
    print(f"{len(bodies)} documents, {args.rounds} rounds; µs per document, best (median):")
    for name in ("other", "this"):
        print(f"  {name:5}  {min(times[name]):7.1f}  ({statistics.median(times[name]):.1f})")
    print(f"this / other, median of the rounds: {ratio:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
