"""slugs: what a valid slug is, and slugify for `newpower new` and heading ids."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newpower_site.core.slugs import is_valid_slug, slugify


@pytest.mark.parametrize("slug", ["a", "asha-patel", "2026-03", "issue-12", "x1-y2-z3", "0"])
def test_valid_slugs(slug: str) -> None:
    assert is_valid_slug(slug)


@pytest.mark.parametrize(
    "slug",
    ["", "-a", "a-", "a--b", "Asha", "asha_patel", "asha patel", "asha.patel", "café", "a/b", "a\n", "\na", "a\r", "ａ", "١"],
)
def test_invalid_slugs(slug: str) -> None:
    assert not is_valid_slug(slug)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Power at Work: Ørsted’s Story!", "power-at-work-orsteds-story"),
        ("Café Crème à la mode", "cafe-creme-a-la-mode"),
        ("Don’t mourn, organise", "dont-mourn-organise"),
        ("It's ours", "its-ours"),
        ("“Quoted” title", "quoted-title"),
        ("Straße", "strasse"),
        ("Łódź co-operative", "lodz-co-operative"),
        ("Æsir and Œuvre", "aesir-and-oeuvre"),
        ("Þórshöfn", "thorshofn"),
        ("São Paulo", "sao-paulo"),
        ("  --Hello, world!--  ", "hello-world"),
        ("...and then?", "and-then"),
        ("100% union", "100-union"),
        ("a  &  b", "a-b"),
        ("ﬁnal", "final"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


@pytest.mark.parametrize("title", ["🎉🎉", "", "   ", "!!!", "—", "中文"])
def test_slugify_falls_back_when_nothing_is_left(title: str) -> None:
    assert slugify(title) == "untitled"
    assert slugify(title, fallback="section") == "section"


@settings(max_examples=200)
@given(st.text())
def test_slugify_always_gives_a_valid_slug(text: str) -> None:
    slug = slugify(text)
    assert is_valid_slug(slug)


@settings(max_examples=100)
@given(st.from_regex(r"[a-z0-9]+(-[a-z0-9]+)*", fullmatch=True))
def test_slugify_leaves_a_valid_slug_alone(slug: str) -> None:
    assert is_valid_slug(slug)
    assert slugify(slug) == slug
