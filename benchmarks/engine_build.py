"""`newpower build` without the Pagefind search index, for like-for-like timing against
generators that make none: `python benchmarks/engine_build.py SITE [--no-cache]`."""

from __future__ import annotations

import sys
from pathlib import Path

from newpower_site.core.options import BuildOptions
from newpower_site.cache.state import BuildCache
from newpower_site.engine.engine import Engine
from newpower_site.write.writers import Staged


def main(argv: list[str]) -> int:
    site = Path(argv[0])
    no_cache = "--no-cache" in argv
    options = BuildOptions(site)
    builder = Engine(options, Staged(options.output, search_index=False), None if no_cache else BuildCache(site))
    result = builder.build()
    for diagnostic in result.diagnostics:
        print(diagnostic.format(), file=sys.stderr)
    print(f"{builder.stats}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
