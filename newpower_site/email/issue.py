"""A newsletter issue as the email needs it: every URL absolute, tracked and final.

The HTML, the plain text and the .eml are three views of this one object, so
they cannot disagree about a link, a title or the unsubscribe tag.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from email.headerregistry import Address
from urllib.parse import urlsplit

from markupsafe import Markup

from newpower_site.core.siteconfig import EmailSettings, SiteConfig
from newpower_site.core.diagnostics import Diagnostic, warning
from newpower_site.core.absolute import absolutize_html
from newpower_site.core.model import Article, Featurable, Newsletter, Voice
from newpower_site.core.urls import Urls

# What each mailing tool replaces with the reader's own unsubscribe link.
UNSUBSCRIBE_TAGS = {
    "mailchimp": "*|UNSUB|*",
    "buttondown": "{{ unsubscribe_url }}",
    "listmonk": "{{ UnsubscribeURL }}",
}
# Campaign Monitor marks the link itself with its own element.
CAMPAIGN_MONITOR = "campaign-monitor"
GENERIC_DEFAULT = "{{unsubscribe_url}}"
# The footer link's href until the merge-tag neutralising is done (email/output.py). Content cannot write
# it: every URL from content in the email is absolute, and `#…` alone is made absolute too.
UNSUBSCRIBE_PLACEHOLDER = "#newpower-unsubscribe"

# Formats every mail client shows; SVG and WebP are not among them (Outlook, Gmail).
EMAIL_IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".gif")
_HREF = re.compile(r'(\shref=)"([^"]*)"')


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    """How one provider's unsubscribe link is written."""

    provider: str
    href: str  # the merge tag that becomes the reader's URL ("" for Campaign Monitor)
    header: str  # the List-Unsubscribe placeholder

    def link(self, text: str) -> Markup:
        """The footer's unsubscribe link, in the provider's own syntax."""
        if self.provider == CAMPAIGN_MONITOR:
            return Markup('<unsubscribe style="color: inherit; text-decoration: underline;">{}</unsubscribe>').format(text)
        return Markup('<a href="{}" style="color: inherit; text-decoration: underline;">{}</a>').format(UNSUBSCRIBE_PLACEHOLDER, text)

    def write_tag(self, markup: str) -> str:
        """`markup` with the footer's placeholder replaced by the provider's live tag, once merge tags from content are neutralised."""
        return markup.replace(f'href="{UNSUBSCRIBE_PLACEHOLDER}"', f'href="{html.escape(self.href, quote=True)}"')


@dataclass(frozen=True, slots=True)
class Card:
    """One featured item as a card: an article or a voice."""

    kind: str  # "article" | "voice"
    title: str
    url: str  # absolute, tracked
    summary: str = ""
    name: str = ""
    role: str = ""
    movement: str = ""
    location: str = ""
    quote: str = ""
    portrait_url: str | None = None  # absolute https URL of a raster image
    portrait_alt: str = ""
    initials: str = ""


@dataclass(frozen=True, slots=True)
class EmailIssue:
    """One issue as its email shows it: the subject, preheader and links a mailing tool's reader sees."""

    issue: Newsletter
    site: SiteConfig
    subject: str
    preheader: str
    view_url: str
    archive_url: str
    subscribe_url: str | None
    home_url: str
    intro_html: Markup  # the editor's introduction, links absolute and tracked
    cards: tuple[Card, ...]
    unsubscribe: Unsubscribe
    postal_address: str
    sender: str


def unsubscribe_for(settings: EmailSettings) -> Unsubscribe:
    if settings.provider == CAMPAIGN_MONITOR:
        return Unsubscribe(CAMPAIGN_MONITOR, "", "<[unsubscribe]>")
    tag = UNSUBSCRIBE_TAGS.get(settings.provider) or settings.unsubscribe or GENERIC_DEFAULT
    return Unsubscribe(settings.provider, tag, f"<{tag}>")


def email_settings(site: SiteConfig, provider: str | None = None) -> EmailSettings:
    """The site's email settings, or defaults, with `--provider` applied."""
    settings = site.email or EmailSettings()
    if provider:
        settings = replace(settings, provider=provider)
    return settings


def build_email_issue(issue: Newsletter, site: SiteConfig, urls: Urls, subscribe_link: str | None,
                      provider: str | None = None) -> EmailIssue:
    settings = email_settings(site, provider)
    utm = {"campaign": issue.slug, **settings.utm} if settings.utm else {}

    def link(url: str) -> str:
        return urls.tracked(urls.absolute(url), utm)

    view_url = urls.absolute_item(issue)
    return EmailIssue(
        issue=issue,
        site=site,
        subject=issue.title,
        preheader=issue.preheader,
        view_url=link(view_url),
        archive_url=link(urls.listing("newsletter")),
        subscribe_url=link(subscribe_link) if subscribe_link else None,
        home_url=link(urls.home()),
        intro_html=Markup(_track_links(absolutize_html(issue.html, view_url, urls), urls, utm)),
        cards=tuple(_card(item, urls, link) for item in issue.featured),
        unsubscribe=unsubscribe_for(settings),
        postal_address=settings.postal_address,
        sender=settings.sender or default_sender(site),
    )


def header_text(value: str) -> str:
    """`value` as one line of a mail header: a line break in a title must not start a header of its own."""
    return " ".join("".join(" " if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") else ch for ch in value).split())


def default_sender(site: SiteConfig) -> str:
    """'"The Site's Title" <newsletter@HOST>', quoted as an address needs whatever the title holds."""
    host = urlsplit(site.base_url).hostname or "localhost"
    return str(Address(display_name=header_text(site.title), username="newsletter", domain=host))


def _card(item: Featurable, urls: Urls, link: Callable[[str], str]) -> Card:
    if isinstance(item, Voice):
        portrait = item.portrait
        src = urls.absolute(urls.image(portrait)) if portrait else None
        usable = src if src and email_image_ok(src) else None
        return Card(
            "voice", item.name, link(urls.item(item)), summary=item.summary, name=item.name, role=item.role,
            movement=item.movement.label, location=item.location or "", quote=item.quote,
            portrait_url=usable, portrait_alt=portrait.alt if (portrait and usable) else "", initials=item.initials,
        )
    assert isinstance(item, Article)
    return Card("article", item.title, link(urls.item(item)), summary=item.summary)


def email_image_ok(url: str) -> bool:
    """Mail clients load images only over https, and only in the formats they all show."""
    parts = urlsplit(url)
    return parts.scheme == "https" and parts.path.lower().endswith(EMAIL_IMAGE_TYPES)


def _track_links(markup: str, urls: Urls, utm: dict[str, str]) -> str:
    if not utm:
        return markup

    def track(match: re.Match[str]) -> str:
        url = html.unescape(match.group(2))
        return f'{match.group(1)}"{html.escape(urls.tracked(url, utm), quote=True)}"'

    return _HREF.sub(track, markup)


def portrait_warnings(issue: Newsletter, urls: Urls) -> list[Diagnostic]:
    """A featured voice whose portrait no mail client can show gets initials instead: say so."""
    problems = []
    for item in issue.featured:
        if isinstance(item, Voice) and item.portrait:
            src = urls.absolute(urls.image(item.portrait))
            if not email_image_ok(src):
                why = "is not served over https" if not src.startswith("https://") else "is not PNG, JPEG or GIF"
                line = item.key_lines.get("portrait", 1)
                problems.append(warning(item.source, line, f"the portrait {why}, so the newsletter email shows initials instead"))
    return problems
