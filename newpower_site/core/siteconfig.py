"""The site's settings as the build uses them: what site.yaml says, checked (load/config.py reads it).

In core because every stage reads them, while only the load stage knows site.yaml's schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class EmailSettings:
    """site.yaml `email:`: how each issue's email is addressed, signed and tracked for the mailing tool."""

    provider: str = "generic"
    postal_address: str = ""
    sender: str = ""  # site.yaml `from`; default: "TITLE <newsletter@HOST>"
    unsubscribe: str = ""  # the generic provider's unsubscribe merge tag
    utm: Mapping[str, str] = field(default_factory=dict)  # source, medium, campaign; empty: no tracking


@dataclass(frozen=True, slots=True)
class Subscribe:
    """site.yaml `subscribe:`: which tool's sign-up form, and what it posts to."""

    provider: str  # mailchimp | buttondown | listmonk | campaign-monitor | link
    action: str = ""  # mailchimp, campaign-monitor
    username: str = ""  # buttondown
    url: str = ""  # listmonk's root, or link's page
    lists: tuple[str, ...] = ()  # listmonk list UUIDs
    email_field: str = ""  # campaign-monitor, when not cm-LISTCODE-LISTCODE



@dataclass(frozen=True, slots=True)
class SiteConfig:
    """site.yaml, checked and with its defaults: what every page, feed and email reads of the site."""

    title: str
    base_url: str  # without a trailing slash; may carry a path prefix
    description: str
    language: str = "en-GB"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/London"))
    per_page: int = 10
    feed_items: int = 20
    topics: Mapping[str, str] = field(default_factory=dict)
    movements: Mapping[str, str] = field(default_factory=dict)
    email: EmailSettings | None = None
    subscribe_url: str | None = None
    menu: tuple[tuple[str, str], ...] = ()  # (label, link); empty: the theme's default menu
    wording: Mapping[str, str] = field(default_factory=dict)  # site.yaml `wording`, defaults filled in by load_config
    subscribe: Subscribe | None = None
    typographic_punctuation: bool = True  # curly quotes, dashes and ellipses in prose

    def with_base_url(self, base_url: str) -> SiteConfig:
        from dataclasses import replace

        return replace(self, base_url=base_url.rstrip("/"))
