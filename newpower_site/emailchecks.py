"""What the build says about the newsletter emails once they are rendered.

Problems a mail client would show a reader (a portrait it cannot display, an
email Gmail would clip, CSS a client ignores) are found at build time and
named by the file an editor or theme author can fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from newpower_site.diagnostics import Diagnostic
from newpower_site.emailissue import portrait_warnings
from newpower_site.model import Site
from newpower_site.urls import Urls


def email_problems(site: Site, urls: Urls, files: Mapping[str, bytes], site_dir: Path) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    for issue in site.library.newsletters:
        problems += portrait_warnings(issue, urls)
    return problems
