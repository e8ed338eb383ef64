"""sitemap.xml and robots.txt: how search engines find every page."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from operator import attrgetter

from newpower_site.core.urls import Urls


def render_sitemap(pages: Sequence, urls: Urls) -> bytes:
    """Every page's absolute URL and date. The site's root is made once and each page's path put after
    it (what `urls.absolute(urls.for_output(path))` gives): a head edit writes this file again, for
    every page of the site."""
    root = escape(urls.absolute(urls.for_output("index.html")), quote=False)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for page in sorted(pages, key=_path):
        path = page.path
        if path == "index.html" or path.endswith("/index.html"):
            path = path[: -len("index.html")]
        lastmod = page.lastmod
        dated = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod is not None else ""
        lines.append(f"  <url><loc>{root}{escape(path, quote=False)}</loc>{dated}</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


_path = attrgetter("path")


def render_robots(sitemap_url: str, disallowed: Sequence[str] = ()) -> bytes:
    """`disallowed`: URL paths crawlers should leave alone (the email files, whose merge tags are raw)."""
    rules = "".join(f"Disallow: {path}\n" for path in disallowed)
    return f"User-agent: *\nAllow: /\n{rules}\nSitemap: {sitemap_url}\n".encode()
