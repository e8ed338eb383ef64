"""Count the Markdown stage's instructions a document: `python benchmarks/markdown_instructions.py [N] [--stage S]`.

Wall and CPU times move with the machine's load; instruction counts do not.
Runs a child under valgrind (`--tool=cachegrind --cache-sim=no`) once with
one pass over the bodies of a `gen_corpus.py` site of N items and once with
three, and prints (three passes - one pass) / (2 x documents): the setup
(corpus, imports, first calls) is the same in both and cancels out, which a
run with no pass at all does not quite do. S is `stage` (load/markdown.py),
`floor` (cmark-gfm's parse and render as the stage uses it) or `old`
(markdown-it-py, benchmarks/old_markdown_stage.py). Slow: about a minute a
stage at N = 200.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from markdown_stage import corpus  # noqa: E402

from newpower_site.core.urls import Urls  # noqa: E402
from newpower_site.load import cmark  # noqa: E402
from newpower_site.load.markdown import MarkdownRenderer  # noqa: E402


def passes(stage: str, n: int, times: int) -> int:
    """Render the corpus `times` times (the child's work under valgrind); returns the number of documents."""
    with tempfile.TemporaryDirectory() as folder:
        documents, targets = corpus(n, Path(folder))
    urls = Urls("https://bench.example.org")
    utf8 = [(kind, body.encode("utf-8"), source, line) for kind, body, source, line in documents]  # as items keep them
    options = cmark.UNSAFE | cmark.FOOTNOTES | cmark.SMART
    # Each loop calls the stage straight, so what is counted is the stage and not a wrapper around it; the
    # first call of each (caches, lazy imports) belongs to the setup.
    if stage == "old":
        from old_markdown_stage import MarkdownRenderer as OldRenderer

        old = OldRenderer.create()
        for kind, body, source, line in documents[:1] + documents * times:
            old.render(kind, body, source, line, targets, urls)
    elif stage == "floor":
        for _, data, _, _ in utf8[:1] + utf8 * times:
            with cmark.Document(data, options) as document:
                document.render_utf8()
    else:
        new = MarkdownRenderer.create()
        for kind, data, source, line in utf8[:1] + utf8 * times:
            new.render(kind, data, source, line, targets, urls)
    return len(documents)


def count(stage: str, n: int, times: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        command = [
            "valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={folder}/out",
            sys.executable, __file__, str(n), "--stage", stage, "--child", str(times),
        ]
        done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"}, check=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    assert found, done.stderr
    return int(found[1].replace(",", ""))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=200)
    parser.add_argument("--stage", choices=("stage", "floor", "old"), default="stage")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(passes(args.stage, args.n, args.child))
        return 0
    documents = int(subprocess.run([sys.executable, __file__, str(args.n), "--stage", args.stage, "--child", "0"],
                                   capture_output=True, text=True, check=True).stdout)  # also compiles the .pyc files
    one, three = count(args.stage, args.n, 1), count(args.stage, args.n, 3)
    print(f"{args.stage}: {(three - one) / (2 * documents):,.0f} instructions a document ({documents} documents)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
