"""What a page tells the platforms it is shared on: the share card and JSON-LD.

Open Graph and Twitter tags are laid out in base.html from `sharing.card`;
the JSON-LD (schema.org) is built here as data and serialised with json, so
no value from front matter can close the <script> it sits in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from newpower_site.core.siteconfig import SiteConfig
from newpower_site.plan.images import ImageCatalog, ShareImage
from newpower_site.core.model import Article, Item, Newsletter, Voice
from newpower_site.core.urls import Urls


@dataclass(frozen=True, slots=True)
class Sharing:
    """What a page's shared-link tags (Open Graph, cards) read: the site and its pictures."""

    site: SiteConfig
    urls: Urls
    images: ImageCatalog

    def image(self, meta: Any) -> ShareImage | None:
        """The picture a shared link of this page shows (the site's default when the page has none cards can show)."""
        return self.images.share(meta.image)

    def json_ld(self, meta: Any, item: Item | None = None) -> Markup:
        """A <script type="application/ld+json"> describing the page, or nothing."""
        data = self._describe(meta, item)
        if data is None:
            return Markup("")
        text = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=None, separators=(",", ":"))
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")  # never ends the script
        return Markup(f'<script type="application/ld+json">{text}</script>')

    def _describe(self, meta: Any, item: Item | None) -> dict[str, Any] | None:
        home = self.urls.absolute(self.urls.home())
        publisher = {"@type": "Organization", "name": self.site.title, "url": home}
        if meta.kind == "home":
            return {
                "@context": "https://schema.org", "@type": "WebSite", "name": self.site.title, "url": home,
                "description": self.site.description, "inLanguage": self.site.language,
                "potentialAction": {
                    "@type": "SearchAction",
                    "target": self.urls.absolute(self.urls.search()) + "?q={search_term_string}",
                    "query-input": "required name=search_term_string",
                },
            }
        image = self.image(meta)
        picture = image.url if image is not None else None
        if isinstance(item, Voice):
            person = {"@type": "Person", "name": item.name, "jobTitle": item.role, "description": item.quote,
                      "affiliation": {"@type": "Organization", "name": item.movement.label}}
            if item.location:
                person["homeLocation"] = {"@type": "Place", "name": item.location}
            if item.portrait is not None and picture:
                person["image"] = picture
            return {
                "@context": "https://schema.org", "@type": "ProfilePage", "url": meta.canonical, "name": meta.title,
                "datePublished": item.date.isoformat() if item.date else None, "inLanguage": self.site.language,
                "mainEntity": person, "isPartOf": {"@type": "WebSite", "name": self.site.title, "url": home},
            }
        if isinstance(item, (Article, Newsletter)):
            data: dict[str, Any] = {
                "@context": "https://schema.org", "@type": "Article", "headline": item.title, "url": meta.canonical,
                "mainEntityOfPage": meta.canonical, "description": meta.description, "inLanguage": self.site.language,
                "datePublished": item.date.isoformat() if item.date else None, "publisher": publisher,
            }
            updated = getattr(item, "updated", None)
            data["dateModified"] = (updated or item.date).isoformat() if (updated or item.date) else None
            authors = getattr(item, "authors", ())
            data["author"] = [{"@type": "Person", "name": name} for name in authors] if authors else publisher
            if picture:
                data["image"] = picture
            if item.topics:
                data["keywords"] = [t.label for t in item.topics]
            return data
        return None


def render_manifest(context: Mapping[str, Any], urls: Urls) -> bytes:
    """The web app manifest, named after this site (not after the theme's first user)."""
    site: SiteConfig = context["site"]
    sizes = {"icon-192.png": "192x192", "icon-512.png": "512x512", "favicon.svg": "any"}
    kinds = {".png": "image/png", ".svg": "image/svg+xml"}
    manifest = {
        "name": site.title,
        "short_name": short_name(site.title),
        "description": site.description,
        "lang": site.language,
        "start_url": urls.home(),
        "scope": urls.home(),
        "display": "browser",
        "background_color": "#fbf6ec",
        "theme_color": "#a4231b",
        "icons": [{"src": urls.static(name), "sizes": sizes[name], "type": kinds[name[name.rindex("."):]]} for name in context["icons"]],
    }
    return (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def short_name(title: str, limit: int = 12) -> str:
    """A home-screen label: whole words of the title, without a leading "The", within `limit`."""
    if len(title) <= limit:
        return title
    words = title.split()
    if len(words) > 1 and words[0].lower() == "the":
        words = words[1:]
    label = words[0][:limit]
    for word in words[1:]:
        if len(label) + 1 + len(word) > limit:
            break
        label += " " + word
    return label
