"""`newpower cache export DIR` and `newpower cache import DIR`: the build cache carried between CI runs.

A CI platform's cache action (actions/cache, GitLab's `cache:`) keeps DIR
between runs; `.newpower-cache/` itself cannot be kept that way, since its
entries are sealed to their own files (cache/carry.py says why and how).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line loads the cache code only when the command runs
    from newpower_site.cache.carry import Carried


def add_cache_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("cache", help="carry the build cache between CI runs (export after a build, import before)",
                                description="Carry .newpower-cache/ between CI runs through a folder the CI's cache keeps.")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)
    export = actions.add_parser("export", parents=[common], help="write the build cache into DIR (replaced whole)",
                                description="Write the site's build cache into DIR, for the CI's cache to keep. "
                                "DIR is replaced whole; it must be new, empty, or made by an earlier export.")
    export.add_argument("folder", type=Path, metavar="DIR")
    export.set_defaults(run=run_export)
    adopt = actions.add_parser("import", parents=[common], help="take the build cache DIR carries (nothing when DIR is missing)",
                               description="Seal what DIR carries into the site's .newpower-cache/, trusting DIR as this "
                               "site's own cache (give only a folder your CI's cache restored). A missing DIR imports nothing.")
    adopt.add_argument("folder", type=Path, metavar="DIR")
    adopt.set_defaults(run=run_import)


def run_export(args: argparse.Namespace) -> int:
    from newpower_site.cache.carry import export_cache

    return _carry(args, lambda: export_cache(args.site, args.folder), "exported {} to", "write",
                  "left out {} not written by this user's builds")


def run_import(args: argparse.Namespace) -> int:
    from newpower_site.cache.carry import import_cache

    return _carry(args, lambda: import_cache(args.folder, args.site), "imported {} from", "read",
                  "{} failed their checksum and were left out")


def _carry(args: argparse.Namespace, move: Callable[[], Carried], done: str, verb: str, skipped: str) -> int:
    """One line of report for either direction; a problem is `DIR: error: ...`, never a traceback."""
    from newpower_site.cache.carry import CarryError

    try:
        carried = move()
    except CarryError as exc:
        print(exc, file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{args.folder}: error: cannot {verb}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        files = f"{carried.files} cache files ({carried.bytes / 1e6:.1f} MB)"
        print(done.format(files) + f" {args.folder}" + (f"; {skipped.format(carried.skipped)}" if carried.skipped else ""))
    return 0
