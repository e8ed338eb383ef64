"""The newsletter email's plain-text part, readable on its own.

Some readers choose plain text, and spam filters look for a text part that
says what the HTML says. Links become numbered references, listed under the
section they appear in, and lines are wrapped at 78 columns.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass
from html.parser import HTMLParser

from newpower_site.core.dates import long_date
from newpower_site.email.issue import CAMPAIGN_MONITOR, Card, EmailIssue
from newpower_site.email.mergetags import neutralise_text

WIDTH = 78
RULE = "-" * WIDTH


def render_email_text(email: EmailIssue) -> str:
    issue = email.issue
    heading = f"Issue {issue.number} · " if issue.number else ""
    lines = [
        *_wrap(email.subject.upper()),
        *_wrap(f"{email.site.title} · {heading}{long_date(issue.date)}" if issue.date else email.site.title),
        "",
        *_wrap(f"View this issue in your browser: {email.view_url}"),
        "",
        RULE,
        "",
    ]
    lines += _html_section(str(email.intro_html))
    if email.cards:
        lines += [RULE, "", "IN THIS ISSUE", ""]
        for number, card in enumerate(email.cards, start=1):
            lines += _card_lines(number, card)
    lines += [RULE, ""]
    if email.subscribe_url:
        lines += [*_wrap(f"Was this forwarded to you? Subscribe: {email.subscribe_url}"), ""]
    lines += _wrap(f"Past issues: {email.archive_url}")
    unsubscribe = _wrap(f"Unsubscribe: {_unsubscribe_text(email)}")
    footer = ["", *_wrap(email.postal_address), ""]
    # Every line but the generator's own unsubscribe tag is neutralised: no text from content forms a live merge tag.
    return "\n".join(line.rstrip() for line in [*map(neutralise_text, lines), *unsubscribe, *map(neutralise_text, footer)])


def _card_lines(number: int, card: Card) -> list[str]:
    if card.kind == "voice":
        who = ", ".join(part for part in (card.role, card.location) if part)
        lines = _wrap(f"{number}. {card.name}, {who} ({card.movement})", indent="   ")
        lines += _wrap(f"“{card.quote}”", first="   ", indent="   ")
        lines += [*_wrap(f"Read the interview: {card.url}", first="   ", indent="   "), ""]
        return lines
    lines = _wrap(f"{number}. {card.title}", indent="   ")
    if card.summary:
        lines += _wrap(card.summary, first="   ", indent="   ")
    lines += [*_wrap(f"Read more: {card.url}", first="   ", indent="   "), ""]
    return lines


def _unsubscribe_text(email: EmailIssue) -> str:
    if email.unsubscribe.provider == CAMPAIGN_MONITOR:
        return "<unsubscribe>click here</unsubscribe>"
    return email.unsubscribe.href


def _wrap(text: str, first: str = "", indent: str = "") -> list[str]:
    """Wrap at 78 columns without breaking a URL in two (a broken URL is a dead link)."""
    return textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False) or [""]


def _html_section(markup: str) -> list[str]:
    """The introduction's HTML as paragraphs of text, then its links as [n] references."""
    reader = _TextReader()
    reader.feed(markup)
    reader.close()
    lines: list[str] = []
    for block in reader.blocks:
        lines += [*_wrap(block.text, first=block.first, indent=block.indent), ""]
    if reader.links:
        lines += [f"[{n}] {url}" for n, url in enumerate(reader.links, start=1)]
        lines.append("")
    return lines


@dataclass
class _Block:
    """A paragraph of the plain-text part being wrapped, with its first-line and following indents."""

    text: str
    first: str = ""
    indent: str = ""


class _TextReader(HTMLParser):
    """HTML to text blocks: paragraphs, list items and quotes; links numbered."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self.links: list[str] = []
        self._text: list[str] = []
        self._href: list[str | None] = []
        self._lists: list[list[int]] = []  # a counter per open list; [-1] for bullets
        self._quote = 0
        self._skip = 0

    BLOCKS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "div", "section", "ul", "ol", "hr", "table", "tr")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self._flush()
        if tag == "ul":
            self._lists.append([-1])
        elif tag == "ol":
            self._lists.append([0])
        elif tag == "blockquote":
            self._quote += 1
        elif tag == "a":
            self._href.append(dict(attrs).get("href"))
        elif tag == "br":
            self._text.append("\n")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self._text.append(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag == "a" and self._href:
            href = self._href.pop()
            if href and not href.startswith("#"):
                if href not in self.links:
                    self.links.append(href)
                self._text.append(f" [{self.links.index(href) + 1}]")
        elif tag in self.BLOCKS:
            self._flush(closing=tag)
        if tag in ("ul", "ol") and self._lists:
            self._lists.pop()
        elif tag == "blockquote":
            self._quote = max(0, self._quote - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._text.append(data)

    def _flush(self, closing: str = "") -> None:
        text = " ".join(html.unescape("".join(self._text)).split())
        self._text = []
        if not text:
            return
        quote = "> " * self._quote
        first = indent = quote
        if closing == "li" and self._lists:
            counter = self._lists[-1]
            depth = "  " * (len(self._lists) - 1)
            if counter[0] >= 0:
                counter[0] += 1
                marker = f"{counter[0]}. "
            else:
                marker = "- "
            first, indent = quote + depth + marker, quote + depth + " " * len(marker)
        if closing in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = text.upper()
        self.blocks.append(_Block(text, first, indent))
