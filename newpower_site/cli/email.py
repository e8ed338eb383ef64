"""`newpower email SLUG` and `newpower send-test SLUG --to ADDRESS`.

Both render an issue exactly as the build does (the same planned output,
so the same template, inlining and links), with the provider optionally
overridden, and neither writes into the output folder.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from newpower_site.core.diagnostics import Diagnostic, error
from newpower_site.core.layout import CONFIG_FILE
from newpower_site.email.send import TIMEOUT_SECONDS
from newpower_site.load.schema import EMAIL_PROVIDERS

if TYPE_CHECKING:  # the commands import what they use when run: `newpower build` starts without them
    from newpower_site.core.urls import Urls
    from newpower_site.plan.outputs import Output

Report = Callable[[Sequence[Diagnostic]], None]


def add_email_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser, report: Report) -> None:
    """Register both commands on the main parser; `report` prints diagnostics."""
    issue = argparse.ArgumentParser(add_help=False)
    issue.add_argument("slug", metavar="SLUG", help="the issue's file name without .md, e.g. 2026-11")
    issue.add_argument("--provider", choices=EMAIL_PROVIDERS, help="use this provider's unsubscribe tag instead of site.yaml's")
    issue.add_argument("--drafts", action="store_true", help="allow a draft issue")
    issue.add_argument("--future", action="store_true", help="allow an issue dated in the future")

    email_cmd = commands.add_parser(
        "email", parents=[common, issue], help="print an issue's email HTML (or --text) to stdout",
        description="Print a newsletter issue's email, ready to paste into or pipe to a mailing tool.",
    )
    shown = email_cmd.add_mutually_exclusive_group()
    shown.add_argument("--text", action="store_true", help="print the plain-text version instead")
    shown.add_argument("--json", action="store_true",
                       help="print one JSON object with subject, preheader, html, text and provider, for scripts")
    email_cmd.set_defaults(run=lambda args: run_email(args, report))

    send_cmd = commands.add_parser(
        "send-test", parents=[common, issue], help="send an issue to one address through SMTP",
        description="Send a newsletter issue as a test message: its subject starts with [Test], it is dated now and "
        "has a Message-ID of its own. Logs in (after STARTTLS, or over --implicit-tls) when "
        "NEWPOWER_SMTP_USER and NEWPOWER_SMTP_PASSWORD are set.",
    )
    send_cmd.add_argument("--to", required=True, metavar="ADDRESS", help="who receives the test")
    send_cmd.add_argument("--smtp", default="localhost:25", metavar="HOST:PORT", help="the SMTP server (default: localhost:25)")
    send_cmd.add_argument("--from", dest="sender", metavar="ADDRESS", help="the sender (default: site.yaml email.from)")
    send_cmd.add_argument("--implicit-tls", action="store_true",
                          help="speak TLS from the first byte (SMTPS, usually port 465) instead of STARTTLS")
    send_cmd.add_argument("--timeout", type=deadline_option, default=TIMEOUT_SECONDS, metavar="SECONDS",
                          help=f"give up when the whole send takes longer (default {TIMEOUT_SECONDS})")
    send_cmd.set_defaults(run=lambda args: run_send_test(args, report))


def run_email(args: argparse.Namespace, report: Report) -> int:
    found = _render_issue(args, report)
    if found is None:
        return 1
    outputs, files, urls = found
    if args.json:
        from newpower_site.email.output import email_for

        email = email_for(outputs["email-html"].context, urls)
        document = {"subject": email.subject, "preheader": email.preheader, "html": files[outputs["email-html"].path].decode("utf-8"),
                    "text": files[outputs["email-text"].path].decode("utf-8"), "provider": email.unsubscribe.provider}
        sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(files[outputs["email-text" if args.text else "email-html"].path].decode("utf-8"))
    return 0


def run_send_test(args: argparse.Namespace, report: Report) -> int:
    from newpower_site.email.mime import test_message
    from newpower_site.email.output import email_for
    from newpower_site.email.send import SendError, SmtpServer, send

    found = _render_issue(args, report)
    if found is None:
        return 1
    outputs, files, urls = found
    html = files[outputs["email-html"].path].decode("utf-8")
    text = files[outputs["email-text"].path].decode("utf-8")
    email = email_for(outputs["email-html"].context, urls)
    try:
        recipient = one_address(args.to, "--to")
        sender = one_address(args.sender, "--from") if args.sender else email.sender
        message = test_message(email, html, text, to=recipient, now=datetime.now(UTC))
        if args.sender:
            message.replace_header("From", sender)
        send(message, SmtpServer.parse(args.smtp), sender, recipient, implicit_tls=args.implicit_tls, deadline=args.timeout)
    except SendError as exc:
        print(f"newpower: error: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"sent {message['Subject']!r} to {args.to} through {args.smtp}")
    return 0


def deadline_option(text: str) -> float:
    """--timeout: a positive number of seconds."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0, such as 30")
    return seconds


def one_address(text: str, option: str) -> str:
    """One mailbox, `a@b.org` or `Name <a@b.org>`; anything else (a list, a line break) is refused."""
    from email.utils import formataddr, getaddresses, parseaddr

    from newpower_site.email.send import SendError

    control = next((c for c in text if unicodedata.category(c) in ("Cc", "Zl", "Zp")), None)
    if control is not None:
        raise SendError(f"{option} {text!r}: an address cannot hold the control character U+{ord(control):04X}; type it again on one line")
    name, address = parseaddr(text)
    if "@" not in address or len(getaddresses([text])) != 1:
        raise SendError(f"{option} {text!r}: give one address, such as editor@example.org or 'Ruth <ruth@example.org>'")
    return formataddr((name, address)) if name else address


def _render_issue(args: argparse.Namespace, report: Report) -> tuple[dict[str, Output], dict[str, bytes], Urls] | None:
    """Issue SLUG's email outputs (by producer) and their bytes, built as `newpower build` builds them
    (with --provider applied), writing nothing; None after reporting why not."""
    from newpower_site.core.urls import Urls
    from newpower_site.email.output import EMAIL_PRODUCERS
    from newpower_site.engine.engine import Engine
    from newpower_site.core.options import BuildOptions
    from newpower_site.write.writers import NoWrite

    def wanted(output: Output) -> bool:
        return output.producer in EMAIL_PRODUCERS and output.context["issue"].slug == args.slug

    options = BuildOptions(site_dir=args.site, drafts=args.drafts, future=args.future, email_provider=args.provider,
                           now=datetime.now(UTC))
    writer = NoWrite(wanted)
    result = Engine(options, writer).build()
    if not result.ok or result.site is None:
        report(result.diagnostics)
        return None
    mine = {o.producer: o for o in writer.outputs.values()}
    if not mine:
        report([_no_such_issue(args.slug, [i.slug for i in result.site.library.newsletters])])
        return None
    config = result.site.config
    if args.provider == "generic" and not (config.email and config.email.unsubscribe):
        report([error(CONFIG_FILE, 1, "--provider generic needs email.unsubscribe in site.yaml: your mailing tool's "
                      "unsubscribe merge tag or URL (without it the link would be a dead '{{unsubscribe_url}}')")])
        return None
    return mine, writer.files, Urls(config.base_url)


def _no_such_issue(slug: str, known: list[str]) -> Diagnostic:
    path = f"content/newsletters/{slug}.md"
    listing = ", ".join(known) or "none"
    return error(path, 0, f"no published newsletter issue {slug!r} (published: {listing}; a draft needs --drafts)")
