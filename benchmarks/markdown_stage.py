"""Time the Markdown stage alone: `python benchmarks/markdown_stage.py [N] [--runs R]`.

Renders every body of a synthetic site (benchmarks/gen_corpus.py, N items,
about 5 KB each) with the stage as it was (markdown-it-py, in
benchmarks/old_markdown_stage.py; needs `pip install -e '.[bench]'`) and as
it is (cmark-gfm, load/markdown.py), links resolved against the site's items
as a build does, and prints milliseconds per document and per 5 KB for each:
the best of R runs (the stages taking turns, a pass each a round), so that
other work on the machine counts least, and the CPU time of that run. Each stage is given the body as a build gives it: the
new one the UTF-8 bytes an item keeps (load/content.py), the old one text.
The floor is cmark-gfm's own parse and render, with every extension
attached (as before) and with those the stage attaches to each text.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_corpus import generate  # noqa: E402

from newpower_site.core.urls import Urls  # noqa: E402
from newpower_site.load.frontmatter import split_front_matter  # noqa: E402
from newpower_site.load.links import LinkTargets  # noqa: E402
from newpower_site.load import cmark  # noqa: E402
from newpower_site.load.markdown import MarkdownRenderer  # noqa: E402

Document = tuple[str, str, str, int]  # kind, body, source, body line
KIND = {"articles": "article", "voices": "voice", "newsletters": "newsletter", "pages": "page"}


def corpus(n: int, folder: Path) -> tuple[list[Document], LinkTargets]:
    generate(n, folder)
    documents: list[Document] = []
    for path in sorted((folder / "content").glob("*/*.md")):
        source = path.relative_to(folder).as_posix()
        split, _ = split_front_matter(path.read_text(encoding="utf-8"), source)
        assert split is not None
        documents.append((KIND[path.parent.name], split.body, source, split.body_first_line))
    pages = {source: "/" + source.removeprefix("content/").removesuffix(".md") + "/" for _, _, source, _ in documents}
    return documents, LinkTargets(pages=pages, unpublished=frozenset(), assets={}, static_paths=frozenset())


def _parse_and_render(body: str | bytes, extensions: tuple[bytes, ...] | None = None) -> bytes:
    """The floor: cmark-gfm's own work, with the stage's options and nothing read back (`extensions`: all, or those needed)."""
    with cmark.Document(body, cmark.UNSAFE | cmark.FOOTNOTES | cmark.SMART, extensions) as document:
        return document.render_utf8()


def best_of(runs: int, stages: list[tuple[str, Callable[[Document], object]]], documents: list[Document]) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds for one pass over `documents` by each stage, each the best of `runs`.

    The stages take turns, one pass each a round: this machine's speed drifts
    by half from minute to minute (the floor alone has read 0.064 and 0.111 ms
    a document in two runs an hour apart), and passes of one stage in a row
    could fall in a slow minute while the other's fell in a fast one.
    """
    walls: dict[str, list[float]] = {name: [] for name, _ in stages}
    cpus: dict[str, list[float]] = {name: [] for name, _ in stages}
    for _ in range(runs):
        for name, render in stages:
            started, cpu = time.perf_counter(), time.process_time()
            for document in documents:
                render(document)
            walls[name].append(time.perf_counter() - started)
            cpus[name].append(time.process_time() - cpu)
    return {name: (min(walls[name]), min(cpus[name])) for name, _ in stages}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    urls = Urls("https://bench.example.org")
    with tempfile.TemporaryDirectory() as folder:
        documents, targets = corpus(args.n, Path(folder))
    kilobytes = sum(len(body.encode("utf-8")) for _, body, _, _ in documents) / 1024 / len(documents)
    new = MarkdownRenderer.create()
    utf8 = {id(d): d[1].encode("utf-8") for d in documents}  # as items keep their bodies
    stages: list[tuple[str, Callable[[Document], object]]] = [
        ("cmark-gfm (load/markdown.py)", lambda d: new.render(d[0], utf8[id(d)], d[2], d[3], targets, urls)),
        ("cmark-gfm parse + render, all ext", lambda d: _parse_and_render(utf8[id(d)], cmark.EXTENSIONS)),
        ("cmark-gfm parse + render, as used", lambda d: _parse_and_render(utf8[id(d)])),
    ]
    try:
        from old_markdown_stage import MarkdownRenderer as OldRenderer
    except ImportError as missing:
        print(f"old stage not timed: {missing} (pip install -e '.[bench]')", file=sys.stderr)
    else:
        old = OldRenderer.create()
        stages.insert(0, ("markdown-it-py (before)", lambda d: old.render(d[0], d[1], d[2], d[3], targets, urls)))
    print(f"{len(documents)} documents, {kilobytes:.1f} KB each on average; best of {args.runs} runs")
    per_document = {}
    for name, (seconds, cpu) in best_of(args.runs, stages, documents).items():
        per_document[name] = seconds / len(documents) * 1000
        cpu_ms = cpu / len(documents) * 1000
        print(f"{name:34} {per_document[name]:.3f} ms per document, {per_document[name] * 5 / kilobytes:.3f} ms per 5 KB"
              f" (CPU {cpu_ms:.3f} ms per document)")
    if len(per_document) == 4:
        before, after = list(per_document.values())[:2]
        print(f"speed-up: {before / after:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
