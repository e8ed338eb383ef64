"""Relative URLs in HTML made absolute, for HTML read away from the site (feeds, email)."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

from newpower_site.core.urls import Urls

_URL_ATTRIBUTE = re.compile(r"""(\b(href|src|srcset|poster)\s*=\s*)(["'])(.*?)\3""", re.IGNORECASE | re.DOTALL)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def absolutize_html(markup: str, page_url: str, urls: Urls) -> str:
    """Make every link and image in `markup` absolute, for use off the site (feeds, email).

    Relative URLs resolve against the page's own URL, as a browser on the
    page would; srcset lists are rewritten URL by URL.
    """

    def absolute(raw: str) -> str:
        if not raw or _SCHEME.match(raw) or raw.startswith("//"):
            return raw
        if raw.startswith("#"):
            return page_url + raw
        if raw.startswith("/"):
            return urls.absolute(raw)
        return urljoin(page_url, raw)

    def fix(match: re.Match[str]) -> str:
        prefix, name, quote, value = match.groups()
        raw = html.unescape(value).strip()
        if name.lower() == "srcset":
            candidates = (part.strip().split(maxsplit=1) for part in raw.split(",") if part.strip())
            fixed = ", ".join(" ".join([absolute(words[0]), *words[1:]]) for words in candidates)
        else:
            fixed = absolute(raw)
        return f"{prefix}{quote}{html.escape(fixed, quote=True)}{quote}"

    return _URL_ATTRIBUTE.sub(fix, markup)
