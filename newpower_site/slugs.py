"""Slugs: the part of a URL that names an item, and heading ids.

A slug is the file name, so it must already be URL-safe: lower-case a-z, 0-9
and single hyphens. `slugify` turns a title into such a name for `newpower new`.
"""

from __future__ import annotations

import re
import unicodedata

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def is_valid_slug(slug: str) -> bool:
    return bool(SLUG_PATTERN.match(slug))


def slugify(text: str, fallback: str = "untitled") -> str:
    """'Power at Work: Ørsted’s Story!' -> 'power-at-work-orsteds-story'."""
    folded = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O").replace("ß", "ss"))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    ascii_text = re.sub(r"['’]", "", ascii_text)
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug or fallback
