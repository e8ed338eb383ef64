"""The placeholder text `newpower new` writes, and the warning when it is published untouched.

`newpower new` writes files that build as they are, so an editor sees a
draft at once; the price is text such as "Write the member's answer here"
that can reach the site if nobody replaces it. The scaffold takes its words
from here and the build looks for the same words, so the two cannot drift.
An untouched placeholder is a warning (an error under --strict).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from newpower_site.core.diagnostics import Diagnostic, warning
from newpower_site.core.layout import CONFIG_FILE
from newpower_site.core.model import Item

# site.yaml of `newpower new site`: (dotted key, value)
SITE_BASE_URL = "https://example.org/replace-me"  # a test site's plain https://example.org is no placeholder
SITE_DESCRIPTION = "One sentence about this site."
SITE_POSTAL_ADDRESS = "Your organisation, street, town, postcode"
SITE_UNSUBSCRIBE = "YOUR-MAILING-TOOL-UNSUBSCRIBE-TAG"

# Front matter values of `newpower new KIND`.
VOICE_ROLE = "Their role, Their organisation"
VOICE_QUOTE = "The sentence from the interview that says it best."
ISSUE_PREHEADER = "The line people see in their inbox before they open the email."

# Phrases of the bodies `newpower new` writes; any one left in a published body is reported.
ARTICLE_BODY = "Write the first paragraph here."
VOICE_ANSWER = "Write the member's answer here"
VOICE_LATER_ANSWER = "Their answer."
ISSUE_BODY = "The editor's introduction to this issue"
PAGE_BODY = "The page's text."

_FIELD_PLACEHOLDERS = {"role": VOICE_ROLE, "quote": VOICE_QUOTE, "preheader": ISSUE_PREHEADER}
_BODY_PLACEHOLDERS = (ARTICLE_BODY, VOICE_ANSWER, VOICE_LATER_ANSWER, ISSUE_BODY, PAGE_BODY)
_SITE_PLACEHOLDERS = (
    ("base_url", SITE_BASE_URL, "the address where the site will live"),
    ("description", SITE_DESCRIPTION, "one sentence about your site"),
    ("email.postal_address", SITE_POSTAL_ADDRESS, "your organisation's postal address"),
    ("email.unsubscribe", SITE_UNSUBSCRIBE, "your mailing tool's unsubscribe merge tag, or name the tool as email.provider"),
)


def site_placeholder_warnings(site_dir: Path, values: Iterable[tuple[str, str]]) -> list[Diagnostic]:
    """site.yaml settings still as `new site` wrote them; `values` are (dotted key, value) pairs."""
    found = dict(values)
    problems = []
    for key, placeholder, wanted in _SITE_PLACEHOLDERS:
        if found.get(key, "").rstrip("/") == placeholder:
            line = _line_of(site_dir / CONFIG_FILE, placeholder)
            problems.append(warning(CONFIG_FILE, line, f"{key} is still the placeholder `newpower new site` wrote ({placeholder!r}): "
                                    f"replace it with {wanted}"))
    return problems


def item_placeholder_warnings(site_dir: Path, items: Iterable[Item]) -> list[Diagnostic]:
    """Published items with a field or a sentence `newpower new` wrote, untouched."""
    problems = []
    for item in items:
        for key, placeholder in _FIELD_PLACEHOLDERS.items():
            if getattr(item, key, None) == placeholder:
                problems.append(warning(item.source, item.key_lines.get(key, 1),
                                        f"{key!r} is still the placeholder `newpower new` wrote: replace it before publishing"))
        html = item.body.html
        for phrase in _BODY_PLACEHOLDERS:
            if phrase in html or _html_text(phrase) in html:
                line = _line_of(site_dir / item.source, phrase) or item.body_line
                problems.append(warning(item.source, line, f"still has the text `newpower new` wrote ({phrase!r}): "
                                        "replace it with your own before publishing"))
    return problems


def _html_text(phrase: str) -> str:
    """The phrase as the Markdown renderer writes it: apostrophes become curly."""
    return phrase.replace("'", "\u2019")


def _line_of(path: Path, text: str) -> int:
    """The first line holding `text` (0 when it cannot be read): only looked up once a placeholder is found."""
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if text in line:
                return number
    except (OSError, UnicodeDecodeError):
        pass
    return 0
