"""sitemap.xml and robots.txt: how search engines find every page."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from operator import attrgetter

from newpower_site.core.urls import Urls


def render_sitemap(pages: Sequence, urls: Urls) -> bytes:
    """Every page's absolute URL and date. A page's URL is root-relative (`urls.for_output`), so its
    absolute form is the site's origin before it, made once: a head edit writes this file again, for
    every page of the site."""
    origin = escape(urls.origin, quote=False)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for page in sorted(pages, key=_path):
        lastmod = page.lastmod
        dated = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod is not None else ""
        lines.append(f"  <url><loc>{origin}{escape(urls.for_output(page.path), quote=False)}</loc>{dated}</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


_path = attrgetter("path")


def render_robots(sitemap_url: str, disallowed: Sequence[str] = ()) -> bytes:
    """`disallowed`: URL paths crawlers should leave alone (the email files, whose merge tags are raw)."""
    rules = "".join(f"Disallow: {path}\n" for path in disallowed)
    return f"User-agent: *\nAllow: /\n{rules}\nSitemap: {sitemap_url}\n".encode()
