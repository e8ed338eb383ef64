"""What the build says about the newsletter emails once they are rendered.

Problems a mail client would show a reader (a portrait it cannot display, an
email Gmail would clip, CSS a client ignores) are found at build time and
named by the file an editor or theme author can fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from newpower_site.core.diagnostics import Diagnostic
from newpower_site.core.layout import EMAIL_TEMPLATE
from newpower_site.email.issue import portrait_warnings
from newpower_site.email.lint import check_email_size, html_part_size, lint_template_css
from newpower_site.core.model import Newsletter
from newpower_site.core.theme import theme_dirs
from newpower_site.core.urls import Urls


def email_problems(issues: Sequence[Newsletter], urls: Urls, files: Mapping[str, bytes], site_dir: Path) -> list[Diagnostic]:
    """What mail clients would show readers of `issues`, given the output's files as they will be.

    Every build asks this once, after rendering and before writing: a full
    build for every issue, the quick path for the issues it re-rendered.
    """
    problems: list[Diagnostic] = []
    if not issues:
        return problems
    for issue in issues:
        if issue.web_only:
            continue  # never sent: nothing to check
        problems += portrait_warnings(issue, urls)
        eml = files.get(urls.email_output(issue.slug, "eml"))
        if eml is not None:
            problems += check_email_size(issue.source, issue.key_lines.get("title", 1), html_part_size(eml))
    template, shown = email_template(site_dir)
    if template is not None:
        problems += lint_template_css(template, shown)
    return problems


def email_template(site_dir: Path) -> tuple[Path | None, str]:
    """The email template a build uses (the site's own first), and how to name it in a message."""
    for folder in theme_dirs(site_dir):
        candidate = folder / EMAIL_TEMPLATE
        if candidate.is_file():
            inside_site = folder.resolve().is_relative_to(site_dir.resolve())
            shown = candidate.resolve().relative_to(site_dir.resolve()).as_posix() if inside_site else f"templates/{EMAIL_TEMPLATE}"
            return candidate, shown
    return None, f"templates/{EMAIL_TEMPLATE}"
