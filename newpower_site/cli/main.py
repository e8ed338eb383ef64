"""The `newpower` command: argument parsing and reporting only.

Each command calls the stages and turns their diagnostics into stderr lines
and an exit status: 0 when all is well, 1 when the content has problems,
2 for a wrong command line. Nothing else in the package prints.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from newpower_site import __version__
from newpower_site.write.lock import LockError, output_lock
from newpower_site.core.diagnostics import Diagnostic, fails
from newpower_site.core.options import BuildOptions, BuildResult, Stats
from newpower_site.cli.report import FORMATS, ReportStyle, count, wants_colour, write_report

COMMANDS = ("build", "serve", "check", "new", "email", "send-test", "import", "cache")  # in the order of `newpower --help`


def main(argv: Sequence[str] | None = None, process: bool = False) -> int:
    """Run one command line. `process`: this call is the whole process (the `newpower` command, not a
    caller that goes on after it), so a build that wrote nothing may end the process itself (_end)."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = make_parser(named_command(arguments))
    args = parser.parse_args(arguments)
    args.process = process
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("newpower: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `newpower email X | head`: the reader left; that is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second complaint at exit
        return 0
    except Exception as exc:  # a bug of ours: say so briefly, in full only with --debug
        if isinstance(exc, ModuleNotFoundError):  # a library missing (a system Python): say what to run instead
            from newpower_site.cli.needs import what_is_missing

            missing = what_is_missing()
            if missing is not None:
                print(missing, file=sys.stderr)
                return 2
        if args.debug:
            import traceback

            traceback.print_exc()
        else:
            print(f"newpower: internal error: {type(exc).__name__}: {exc} (run again with --debug for details)", file=sys.stderr)
        return 2


def named_command(arguments: Sequence[str]) -> str | None:
    """The command a command line starts with, if it starts with one (`build` of `build -q`)."""
    return arguments[0] if arguments and arguments[0] in COMMANDS else None


def make_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; given `command`, only that command's part of it.

    A line that starts with a command is parsed by that command's parser alone
    (argparse hands it everything after the name), so the others need not be
    built: building them all, and importing the modules that define them, took
    a build with nothing to do longer than parsing its line. Anything else
    (`--help`, a mistyped command) gets the whole parser, so every message
    is the same; tests/test_cli.py compares the two.
    """

    def wanted(*names: str) -> bool:
        return command is None or command in names

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--site", type=Path, default=Path("."), metavar="DIR", help="the site folder (default: the current folder)")
    common.add_argument("--debug", action="store_true", help="show a traceback when something unexpected goes wrong")
    common.add_argument("--quiet", "-q", action="store_true", help="print nothing but problems")

    parser = argparse.ArgumentParser(prog="newpower", description="Build the New Power Project site, or any site folder shaped like it.")
    parser.add_argument("--version", action="version", version=f"newpower-site {__version__}")
    parser.set_defaults(debug=False)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    if wanted("build", "serve", "check"):
        _add_site_commands(commands, common, wanted)
    if wanted("new"):
        _add_new_command(commands)
    if wanted("email", "send-test"):
        from newpower_site.cli.email import add_email_commands

        add_email_commands(commands, common, report)
    if wanted("import"):
        from newpower_site.cli.importing import add_import_command

        add_import_command(commands, common, report)
    if wanted("cache"):
        from newpower_site.cli.cache import add_cache_commands

        add_cache_commands(commands, common)
    return parser


def _add_site_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser,
                       wanted: Callable[..., bool]) -> None:
    """`build`, `serve` and `check`, those of them `wanted`: they read the whole site and share the selection options."""
    selection = argparse.ArgumentParser(add_help=False)
    selection.add_argument("--drafts", action="store_true", help="include items with draft: true")
    selection.add_argument("--future", action="store_true", help="include items dated in the future")
    selection.add_argument("--format", choices=FORMATS, default="text",
                           help="how to report problems: text (default), json (one object a line) or github (pull request annotations)")
    selection.add_argument("--strict", action="store_true", help="warnings fail the run too")

    if wanted("build"):
        build_cmd = commands.add_parser("build", parents=[common, selection], help="build the site into the output folder",
                                        description="Build the site. A failed build leaves the previous output untouched.")
        build_cmd.add_argument("--out", type=Path, metavar="DIR", help="the output folder (default: SITE/output)")
        build_cmd.add_argument("--base-url", metavar="URL", type=base_url_option, help="override base_url, e.g. for a preview deployment")
        build_cmd.add_argument("--no-cache", action="store_true", help="build everything afresh, without reading or writing .newpower-cache/build/")
        build_cmd.add_argument("--quick-search", action="store_true",
                               help="index edited pages into a small extra shard of the search index instead of re-indexing their year: "
                                    "about a second for a body edit, but the output then depends on earlier builds (not byte-identical "
                                    "to a cold build's) until a build without it folds them back; for local previews, not for publishing")
        build_cmd.set_defaults(run=run_build)

    if wanted("serve"):
        serve_cmd = commands.add_parser("serve", parents=[common, selection], help="preview the site in a browser; rebuild and reload on every edit",
                                        description="Build the site, serve it on 127.0.0.1 and rebuild what an edit touches; open pages reload.")
        serve_cmd.add_argument("--port", type=port_option, default=8000, metavar="N",
                               help="the port, 1-65535 (default 8000; when taken, the next free one; 0: any free port)")
        serve_cmd.add_argument("--open", action="store_true", help="open the site in the default browser")
        serve_cmd.set_defaults(run=run_serve)

    if wanted("check"):
        check_cmd = commands.add_parser("check", parents=[common, selection], help="check every file, write nothing",
                                        description="Validate the site folder and render every page without writing anything.")
        check_cmd.set_defaults(run=run_check)


def _add_new_command(commands: argparse._SubParsersAction) -> None:
    from newpower_site.load.schema import KIND_BY_NAME

    new_cmd = commands.add_parser("new", help="start a new article, voice, newsletter issue, page or site",
                                  description="Write a new file with valid front matter and today's date. Never overwrites. "
                                  "`new site TITLE` makes a folder named after the title, unless --site names one.")
    new_cmd.add_argument("kind", choices=(*KIND_BY_NAME, "site"), help="what to create")
    new_cmd.add_argument("title", nargs="?", help="its title (for a voice: the member's name); a newsletter issue without one gets the month's")
    # Not the common --site: `new site` must know whether a folder was named (default: one made from the title).
    new_cmd.add_argument("--site", type=Path, metavar="DIR",
                         help="the site folder (default: the current folder; for `new site`, a new folder named after the title)")
    new_cmd.add_argument("--debug", action="store_true", help="show a traceback when something unexpected goes wrong")
    new_cmd.add_argument("--quiet", "-q", action="store_true", help="print nothing but problems")
    new_cmd.add_argument("--slug", help="the file name without .md (default: made from the title)")
    new_cmd.add_argument("--force", action="store_true", help="new site: fill a folder that is not empty (existing files are still never overwritten)")
    new_cmd.set_defaults(run=run_new)


def port_option(text: str) -> int:
    """--port: checked before anything is built (99999 built the site, then failed with OverflowError)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: give a number from 1 to 65535 (or 0 for any free port)")
    return port


def base_url_option(text: str) -> str:
    """--base-url must be what site.yaml's base_url may be: an absolute http(s) URL, no ? or #.

    An empty value leaves site.yaml's as it is (a CI variable that is unset).
    """
    if not text.strip():
        return ""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(f"{text!r} is not an absolute http(s) URL such as https://preview.example.org/pr-7")
    return text.strip()


def report(diagnostics: Sequence[Diagnostic], args: argparse.Namespace | None = None) -> None:
    style = ReportStyle(getattr(args, "format", "text"), getattr(args, "strict", False), getattr(args, "site", None) or Path("."),
                        colour=wants_colour(sys.stderr))
    write_report(diagnostics, style, sys.stdout, sys.stderr)


def _options(args: argparse.Namespace) -> BuildOptions:
    return BuildOptions(
        site_dir=args.site,
        out_dir=getattr(args, "out", None),
        drafts=args.drafts,
        future=args.future,
        base_url=getattr(args, "base_url", None),
        strict=args.strict,
    )


class TerminalProgress:
    """Shows `rendering 120/400` on a terminal once a build takes longer than a moment."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self.started = time.monotonic()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if self.enabled and time.monotonic() - self.started > 0.5 and (done % 25 == 0 or done == total):
            print(f"\rrendering {done}/{total}", end="", file=sys.stderr, flush=True)
            self.shown = True

    def finish(self) -> None:
        if self.shown or self.enabled and time.monotonic() - self.started > 0.5:  # a forked build process may have shown it
            print("\r\033[K", end="", file=sys.stderr, flush=True)


def counted(number: int, noun: str) -> str:
    """'1 voice', '2 voices': the summary line reads as English."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def summary(result: BuildResult, verb: str, files: str = "files", destination: str = "") -> str:
    numbers = result.counts
    counts = ", ".join(
        counted(number, noun)
        for number, noun in ((numbers.articles, "article"), (numbers.voices, "voice"),
                             (numbers.newsletters, "newsletter issue"), (numbers.pages, "page"))
    ) if numbers else "nothing"
    line = f"{verb} {counts}: {result.files} {files} in {result.seconds:.2f} s{destination}"
    if numbers and numbers.held_back:
        line += f" ({counted(numbers.held_back, 'draft or future item')} left out: --drafts, --future)"
    return line


def work_done(stats: Stats) -> str:
    """What a cached build had to render, so that a CI log shows whether the restored cache was used."""
    if stats.path == "unchanged":
        return " (nothing changed)"
    done = f"rendered {counted(stats.items_rendered, 'item')} and {counted(stats.outputs_rendered, 'file')}"
    if stats.path == "cold":
        return f" ({done}: no earlier output to reuse)"
    return f" ({done}, the rest from the cache)"


def failure(diagnostics: Sequence[Diagnostic]) -> str:
    """'3 errors', or '2 warnings under --strict': why a run failed, for its last line."""
    errors, warnings = count(diagnostics, "error"), count(diagnostics, "warning")
    return counted(errors, "error") if errors else f"{counted(warnings, 'warning')} under --strict"


def run_build(args: argparse.Namespace) -> int:
    options = _options(args)
    progress = TerminalProgress(enabled=not args.quiet)
    try:  # one build at a time per output folder: a second one waits (buildlock.py)
        with output_lock(options.output, waiting=lambda line: print(line, file=sys.stderr, flush=True)):
            from newpower_site.engine.engine import build_site  # its writer settles what killed builds left first

            result = build_site(options, cached=not args.no_cache, progress=progress, quick_search=args.quick_search)
    except LockError as exc:
        report([exc.diagnostic], args)
        return 1
    progress.finish()
    report(result.diagnostics, args)
    if fails(result.diagnostics, args.strict):
        print(f"newpower: build failed with {failure(result.diagnostics)}; {options.output} was left as it was", file=sys.stderr)
        return 1
    if not args.quiet:
        line = summary(result, "built", destination=f" -> {options.output}") + ("" if args.no_cache else work_done(result.stats))
        print(line, file=sys.stderr if args.format == "json" else sys.stdout)
    _end(result.stats.path, args.process)
    return 0


def _end(path: str, process: bool) -> None:
    """Before the exit of a build that wrote nothing, or a few files by the quick or head path.

    The interpreter's last collections walk every object still alive,
    freeing nothing (~30-40 ms after a date edit at 10,000 items): frozen,
    they are left to the exit, which frees the memory whole. A build that
    wrote nothing has nothing waiting on a finaliser either (no file written,
    its lock let go, its child reaped), so when this call is the whole
    process, it ends it here, its output flushed: tearing its modules and
    objects down took longer than the rest of the exit.
    """
    import gc

    if path == "unchanged" and process:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    if path == "unchanged" or (process and path in ("quick", "head")):
        gc.freeze()


def run_serve(args: argparse.Namespace) -> int:
    from newpower_site.serve.server import ServeOptions, serve

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    options = ServeOptions(_options(args), port=args.port, open_browser=args.open)
    return serve(options, say=say, report=lambda diagnostics: report(diagnostics, args))


def run_check(args: argparse.Namespace) -> int:
    from newpower_site.engine.engine import check_site

    result = check_site(_options(args))
    report(result.diagnostics, args)
    if fails(result.diagnostics, args.strict):
        print(f"newpower: check failed with {failure(result.diagnostics)}", file=sys.stderr)
        return 1
    if not args.quiet:  # stdout holds only JSON under --format json
        print(summary(result, "checked", files="files"), file=sys.stderr if args.format == "json" else sys.stdout)
    return 0


def run_new(args: argparse.Namespace) -> int:
    from newpower_site.load.config import load_config
    from newpower_site.cli.scaffold import ScaffoldError, refuse_a_full_folder, scaffold_item, scaffold_site, site_folder_name, write_new

    if not args.title and args.kind != "newsletter":
        example = "Our Branch" if args.kind == "site" else "Asha Patel"
        print(f'newpower new {args.kind}: give a title, e.g. newpower new {args.kind} "{example}"', file=sys.stderr)
        return 2
    site_dir: Path = args.site if args.site is not None else Path(".")
    if args.kind == "site":
        try:
            site_dir = args.site if args.site is not None else Path(site_folder_name(args.title))
            refuse_a_full_folder(site_dir, args.force)
        except ScaffoldError as exc:
            print(f"newpower new site: error: {exc}", file=sys.stderr)
            return 1
        scaffolds = scaffold_site(args.title, site_dir)
    else:
        config, problems = load_config(site_dir)
        if config is None:
            report(problems)
            return 1
        try:
            scaffolds = [scaffold_item(args.kind, args.title, site_dir, config, datetime.now(UTC), args.slug)]
        except ScaffoldError as exc:
            print(f"newpower new {args.kind}: error: {exc}", file=sys.stderr)
            return 1
    try:
        written = write_new(scaffolds)
    except FileExistsError as exc:
        print(f"{exc.args[0]}: error: already exists; choose another title or edit that file", file=sys.stderr)
        return 1
    if not args.quiet:
        for path in written:
            if path.name != ".keep":
                print(f"created {path}")
        if args.kind == "site":
            print(f"next: newpower new article \"A first article\" --site {site_dir}, then newpower serve --site {site_dir}")
    return 0
