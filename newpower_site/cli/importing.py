"""`newpower import pelican|hugo|jekyll|wordpress|feed SOURCE --site DEST`.

Reads another tool's archive, writes it into a site folder (a new one, or an
existing one, where nothing is overwritten), and ends with what it did and
what `newpower check` says of the result, so the editor knows at once what
is left to fix by hand.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from newpower_site.core.diagnostics import Diagnostic

Report = Callable[[Sequence[Diagnostic]], None]
SOURCES = ("pelican", "hugo", "jekyll", "wordpress", "feed")
HELP = {
    "pelican": "a Pelican content folder (PATH in pelicanconf.py); Markdown files with Title:, Date: ... headers",
    "hugo": "a Hugo site folder (with content/ and hugo.toml, config.toml or hugo.yaml)",
    "jekyll": "a Jekyll site folder (with _posts/ and _config.yml)",
    "wordpress": "a WordPress export file (Tools > Export: WXR, .xml)",
    "feed": "an RSS 2.0 or Atom feed, a file or an http(s) URL (Substack, Ghost, Buttondown, Mailchimp archive feeds)",
}
NOUNS = {"article": ("article", "articles"), "newsletter": ("newsletter issue", "newsletter issues"), "page": ("page", "pages")}


def add_import_command(commands: argparse._SubParsersAction, common: argparse.ArgumentParser, report: Report) -> None:
    command = commands.add_parser(
        "import", parents=[common], help="bring an archive from Pelican, Hugo, Jekyll, WordPress or a feed, keeping old URLs",
        description="Import another site's posts and pages into the site folder --site (new or existing).\n"
        "Every item keeps its old addresses as aliases (redirect pages); categories and tags become topics;\n"
        "local images are copied under content/images/. Nothing that exists is overwritten, so a second run\n"
        "changes nothing. It ends with a summary and what `newpower check` says of the site.",
        epilog="sources:\n" + "\n".join(f"  {name:<10} {text}" for name, text in HELP.items())
        + "\n\nexamples:\n  newpower import wordpress export.xml --site new-site\n"
        "  newpower import pelican ../blog/content --settings ../blog/pelicanconf.py --site . --dry-run\n"
        "  newpower import feed https://example.substack.com/feed --site . --as newsletters\n\n"
        "More: docs/migrating.md",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("source_kind", choices=SOURCES, metavar="{" + ",".join(SOURCES) + "}", help="what SOURCE is")
    command.add_argument("source", metavar="SOURCE", help="the folder, export file or feed to import")
    command.add_argument("--as", dest="target", choices=("articles", "newsletters"), default="articles",
                         help="import posts as articles (default) or as newsletter issues (marked web_only: they were sent by another tool)")
    command.add_argument("--dry-run", action="store_true", help="print what would be written, and write nothing")
    command.add_argument("--settings", type=Path, metavar="PELICANCONF", help="pelican only: the settings file (read, never run)")
    command.set_defaults(run=lambda args: run_import(args, report))


def read_archive(kind: str, source: str, settings: Path | None):
    if kind == "pelican":
        from newpower_site.importers.pelican import read_pelican

        return read_pelican(Path(source), settings)
    if kind == "hugo":
        from newpower_site.importers.hugo import read_hugo

        return read_hugo(Path(source))
    if kind == "jekyll":
        from newpower_site.importers.jekyll import read_jekyll

        return read_jekyll(Path(source))
    if kind == "wordpress":
        from newpower_site.importers.wordpress import read_wordpress

        return read_wordpress(Path(source))
    from newpower_site.importers.feed import read_feed

    return read_feed(source)


def run_import(args: argparse.Namespace, report: Report) -> int:
    from newpower_site.importers.model import SourceError
    from newpower_site.importers.writer import plan_import, write_import

    if args.settings is not None and args.source_kind != "pelican":
        print("newpower import: error: --settings is for pelican only", file=sys.stderr)
        return 2
    site_dir: Path = args.site
    if site_dir.exists() and not site_dir.is_dir():
        print(f"newpower import: error: {site_dir} is a file, not a site folder", file=sys.stderr)
        return 1
    try:
        archive = read_archive(args.source_kind, args.source, args.settings)
        plan = plan_import(archive, site_dir, args.target)
    except SourceError as exc:
        print(_as_error(str(exc)), file=sys.stderr)
        return 1
    say = (lambda line: None) if args.quiet else print
    verb = "would write" if args.dry_run else "wrote"
    if args.dry_run:
        for planned in plan.files:
            say(f"{verb} {planned.path}")
        for image in plan.images:
            say(f"{verb} {image.path} (from {image.source})")
        if plan.config_text is not None:
            say(f"{verb} site.yaml:" if plan.config_is_new else f"{verb} site.yaml, adding topics:")
            say("  " + plan.config_text.rstrip("\n").replace("\n", "\n  ") if plan.config_is_new else
                "  " + "\n  ".join(f"{k}: {v}" for k, v in sorted(plan.topics_added.items())))
    else:
        try:
            write_import(plan)
        except FileExistsError as exc:
            print(f"{exc.filename}: error: changed or appeared while importing; nothing was overwritten: run the import again", file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"{exc.filename or site_dir}: error: cannot write: {exc.strerror}", file=sys.stderr)
            return 1
    for line in summary_lines(plan, args.dry_run):
        say(line)
    if args.dry_run:
        return 0
    return _check(site_dir, report, say)


def _as_error(message: str) -> str:
    """`PATH: what` (SourceError's form) as `PATH: error: what`; PATH may carry a line: `x.xml:12: ...`."""
    match = re.match(r"^(.*?(?::\d+)?): (.*)$", message, re.S)
    return f"{match.group(1)}: error: {match.group(2)}" if match else f"newpower import: error: {message}"


def summary_lines(plan, dry_run: bool) -> list[str]:
    counts = plan.counts()
    done = "would import" if dry_run else "imported"
    parts = [f"{counts[kind]} {NOUNS[kind][counts[kind] != 1]}" for kind in ("article", "newsletter", "page") if counts[kind]]
    lines = [f"{done} {sum(counts.values())}" + (f": {', '.join(parts)}" if parts else "") + f" into {plan.site_dir}"]
    if plan.skipped:
        reasons = Counter(_reason_group(skip.reason) for skip in plan.skipped)
        lines.append(f"skipped {len(plan.skipped)}: " + ", ".join(f"{n} {why}" for why, n in sorted(reasons.items(), key=lambda r: (-r[1], r[0]))))
        lines += [f"  {skip.origin}: {skip.reason}" for skip in plan.skipped]
    if plan.topics_added:
        lines.append(f"topics added to site.yaml: {len(plan.topics_added)} ("
                     + ", ".join(f"{k}: {v}" for k, v in sorted(plan.topics_added.items())) + ")")
    if plan.vocabulary_by_hand:
        lines.append("site.yaml's topics could not be extended safely: add these lines to it by hand:")
        lines += ["  " + line for line in plan.vocabulary_by_hand.rstrip("\n").split("\n")]
    images = f"images copied: {len(plan.images)}"
    if plan.images_to_old_site:
        images += f" ({plan.images_to_old_site} not found here, linked to the old site)"
    lines.append(images)
    if plan.images_missing:
        lines.append(f"images not found: {len(plan.images_missing)} (left as they were: the check reports each)")
    return lines


def _reason_group(reason: str) -> str:
    """`content/articles/x.md already exists` and the like, counted together."""
    if reason.endswith("already exists"):
        return "already exist"
    return reason.split(" (")[0]


def _check(site_dir: Path, report: Report, say) -> int:
    from newpower_site.cli.report import count
    from newpower_site.core.diagnostics import has_errors
    from newpower_site.engine.engine import check_site
    from newpower_site.core.options import BuildOptions

    if not site_dir.is_dir():
        return 0  # nothing was imported into a folder that does not exist
    result = check_site(BuildOptions(site_dir=site_dir))
    report(result.diagnostics)
    errors, warnings = count(result.diagnostics, "error"), count(result.diagnostics, "warning")
    if has_errors(result.diagnostics):
        say(f"newpower check: {errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''} "
            "(listed above): fix them, then newpower build")
        return 1
    say(f"newpower check: no errors{f', {warnings} warnings' if warnings else ''}: the site builds")
    return 0
