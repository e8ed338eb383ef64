"""`newpower cache export DIR` and `newpower cache import DIR`: the build cache carried between CI runs.

A CI platform's cache action (actions/cache, GitLab's `cache:`) keeps DIR
between runs; `.newpower-cache/` itself cannot be kept that way, since its
entries are sealed to their own files (cache/carry.py says why and how).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


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
    from newpower_site.cache.carry import CarryError, export_cache

    try:
        carried = export_cache(args.site, args.folder)
    except (CarryError, OSError) as exc:
        print(exc if isinstance(exc, CarryError) else f"{args.folder}: error: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"exported {carried.files} cache files ({carried.bytes / 1e6:.1f} MB) to {args.folder}"
              + (f"; left out {carried.skipped} not written by this user's builds" if carried.skipped else ""))
    return 0


def run_import(args: argparse.Namespace) -> int:
    from newpower_site.cache.carry import CarryError, import_cache

    try:
        carried = import_cache(args.folder, args.site)
    except (CarryError, OSError) as exc:
        print(exc if isinstance(exc, CarryError) else f"{args.folder}: error: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"imported {carried.files} cache files ({carried.bytes / 1e6:.1f} MB) from {args.folder}"
              + (f"; {carried.skipped} failed their checksum and were left out" if carried.skipped else ""))
    return 0
