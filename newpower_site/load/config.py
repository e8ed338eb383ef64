"""site.yaml -> SiteConfig, checked against the SITE table of schema.py."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

from newpower_site.core.diagnostics import Diagnostic, error
from newpower_site.core.siteconfig import EmailSettings, SiteConfig, Subscribe
from newpower_site.load.fields import FieldContext, check_fields
from newpower_site.load.frontmatter import decode_source
from newpower_site.core.layout import CONFIG_FILE
from newpower_site.load.schema import SITE, WORDING
from newpower_site.load.yamlsafe import load_mapping



def wording_with_defaults(given: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType({f.name: (given or {}).get(f.name, f.default) for f in WORDING})


def field_context(config: SiteConfig) -> FieldContext:
    """What front matter is checked against: the site's timezone and its vocabularies."""
    return FieldContext(config.timezone, {"topics": config.topics, "movements": config.movements})


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
