"""sitemap.xml and robots.txt: how search engines find every page."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from newpower_site.core.urls import Urls


def render_sitemap(pages: Sequence, urls: Urls) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for page in sorted(pages, key=lambda o: o.path):
        lines.append(f"  <url><loc>{escape(urls.absolute(urls.for_output(page.path)), quote=False)}</loc>")
        if page.lastmod is not None:
            lines[-1] += f"<lastmod>{page.lastmod.isoformat()}</lastmod>"
        lines[-1] += "</url>"
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def render_robots(sitemap_url: str, disallowed: Sequence[str] = ()) -> bytes:
    """`disallowed`: URL paths crawlers should leave alone (the email files, whose merge tags are raw)."""
    rules = "".join(f"Disallow: {path}\n" for path in disallowed)
    return f"User-agent: *\nAllow: /\n{rules}\nSitemap: {sitemap_url}\n".encode()
