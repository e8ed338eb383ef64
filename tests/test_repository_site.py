"""This repository's own site is what a newcomer sees first: it must be
complete, valid and varied, as issue 3 asks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import REPO

from newpower_site.core.diagnostics import has_errors
from newpower_site.engine.engine import load_site
from newpower_site.core.options import BuildOptions


@pytest.fixture(scope="module")
def site():
    site, _, problems = load_site(BuildOptions(site_dir=REPO, now=datetime.now(UTC)))
    assert site is not None and not has_errors(problems), [p.format() for p in problems]
    assert problems == []
    return site


def test_enough_of_every_kind(site) -> None:
    library = site.library
    assert len(library.articles) >= 6
    assert len(library.voices) >= 4
    assert len(library.newsletters) >= 2
    assert {p.slug for p in library.pages} >= {"about", "subscribe"}


def test_articles_cover_the_three_arenas(site) -> None:
    topics = {t.key for a in site.library.articles for t in a.topics}
    assert {"workplace", "community", "public-services"} <= topics


def test_a_voice_from_each_part_of_the_movement(site) -> None:
    movements = {v.movement.key for v in site.library.voices}
    assert {"trade-union", "co-operative", "local-government", "community"} <= movements
    for voice in site.library.voices:
        assert 3 <= len(voice.questions) <= 5, voice.source


def test_newsletters_feature_published_items(site) -> None:
    for issue in site.library.newsletters:
        assert issue.featured, issue.source
        assert len(issue.featured) == len(issue.featured_refs)
