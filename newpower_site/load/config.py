"""site.yaml -> SiteConfig, checked against the SITE table of schema.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

from newpower_site.core.diagnostics import Diagnostic, error
from newpower_site.load.fields import FieldContext, check_fields
from newpower_site.load.frontmatter import decode_source
from newpower_site.core.layout import CONFIG_FILE  # noqa: F401 (imported from here across the package)
from newpower_site.load.schema import SITE, WORDING
from newpower_site.load.yamlsafe import load_mapping



@dataclass(frozen=True, slots=True)
class EmailSettings:
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



def wording_with_defaults(given: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType({f.name: (given or {}).get(f.name, f.default) for f in WORDING})


@dataclass(frozen=True, slots=True)
class SiteConfig:
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
    wording: Mapping[str, str] = field(default_factory=lambda: wording_with_defaults(None))
    subscribe: Subscribe | None = None
    typographic_punctuation: bool = True  # curly quotes, dashes and ellipses in prose

    def field_context(self) -> FieldContext:
        return FieldContext(self.timezone, {"topics": self.topics, "movements": self.movements})

    def with_base_url(self, base_url: str) -> SiteConfig:
        from dataclasses import replace

        return replace(self, base_url=base_url.rstrip("/"))


def load_config(site_dir: Path) -> tuple[SiteConfig | None, list[Diagnostic]]:
    path = site_dir / CONFIG_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, [error(CONFIG_FILE, 0, f"no {CONFIG_FILE} in {site_dir}: is this a site folder? (`newpower new site TITLE` makes one)")]
    except OSError as exc:
        return None, [error(CONFIG_FILE, 0, f"cannot read {CONFIG_FILE}: {exc.strerror}")]
    text, problems = decode_source(raw, CONFIG_FILE)
    if text is None:
        return None, problems
    mapping, problems = load_mapping(text, CONFIG_FILE)
    if mapping is None:
        return None, problems
    context = FieldContext(ZoneInfo("UTC"), {})
    values, field_problems = check_fields(mapping, SITE, CONFIG_FILE, context)
    problems += field_problems
    if problems:
        return None, problems
    email = values["email"]
    return (
        SiteConfig(
            title=values["title"],
            base_url=values["base_url"].rstrip("/"),
            description=values["description"],
            language=values["language"],
            timezone=values["timezone"] if isinstance(values["timezone"], ZoneInfo) else ZoneInfo(values["timezone"]),
            per_page=values["per_page"],
            feed_items=values["feed_items"],
            topics=MappingProxyType(dict(values["topics"])),
            movements=MappingProxyType(dict(values["movements"])),
            email=_email_settings(email),
            subscribe_url=values["subscribe_url"],
            menu=tuple(values["menu"] or ()),
            wording=wording_with_defaults(values["wording"]),
            subscribe=Subscribe(**values["subscribe"]) if values["subscribe"] else None,
            typographic_punctuation=values["typographic_punctuation"],
        ),
        [],
    )


def _email_settings(values: Mapping[str, object] | None) -> EmailSettings | None:
    if not values:
        return None
    return EmailSettings(
        provider=str(values["provider"]),
        postal_address=str(values["postal_address"]),
        sender=str(values.get("from", "")),
        unsubscribe=str(values.get("unsubscribe", "")),
        utm=MappingProxyType(dict(values.get("utm") or {})),
    )
