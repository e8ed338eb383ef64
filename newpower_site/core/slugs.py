"""Slugs: the part of a URL that names an item, and heading ids.

A slug is the file name, so it must already be URL-safe: lower-case a-z, 0-9
and single hyphens. `slugify` turns a title into such a name for `newpower new`.
"""

from __future__ import annotations

import re
import unicodedata

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# Latin letters that Unicode does not decompose into an ASCII base letter, so
# NFKD + ASCII would drop them ('Łódź' -> 'odz', 'Æsir' -> 'sir').
_TRANSLITERATE = str.maketrans({
    "ø": "o", "Ø": "O", "ß": "ss", "ł": "l", "Ł": "L", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
    "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D", "đ": "d", "Đ": "D", "ı": "i", "ħ": "h", "Ħ": "H",
})


def is_valid_slug(slug: str) -> bool:
    # fullmatch: with match and `$`, 'a\n' passed (`$` matches before a final newline)
    return isinstance(slug, str) and SLUG_PATTERN.fullmatch(slug) is not None


def slugify(text: str, fallback: str = "untitled") -> str:
    """'Power at Work: Ørsted’s Story!' -> 'power-at-work-orsteds-story'."""
    folded = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    ascii_text = re.sub(r"['’]", "", ascii_text)
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug or fallback
