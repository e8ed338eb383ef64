"""The plan as data: which outputs exist, what they depend on, without rendering."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import SITES

from newpower_site.engine.engine import plan
from newpower_site.core.options import BuildOptions
from newpower_site.plan.outputs import pager_window

NOW = datetime(2026, 11, 25, tzinfo=UTC)
# The realistic site's one warning: raw HTML in a voice is shown as text, and the editor is told.
VOICE_HTML_WARNING = "content/voices/dee-okafor.md:17: warning: raw HTML '<b>' is shown as text: a member's voice carries no markup"


@pytest.fixture(scope="module")
def outputs():
    site, urls, outputs, problems = plan(BuildOptions(site_dir=SITES / "realistic", now=NOW))
    assert [p.format() for p in problems] == [VOICE_HTML_WARNING]
    return {o.path: o for o in outputs}


def test_every_path_is_planned_once(outputs) -> None:
    assert len(outputs) == len(set(outputs))


def test_item_pages_depend_on_their_source_and_the_config(outputs) -> None:
    assert outputs["articles/old-news/index.html"].inputs == ("content/articles/old-news.md", "site.yaml")


def test_newsletter_page_depends_on_its_featured_items(outputs) -> None:
    inputs = outputs["newsletter/march-2026/index.html"].inputs
    assert {"content/newsletters/march-2026.md", "content/articles/bakery-buyout.md",
            "content/voices/dee-okafor.md", "content/articles/council-listens.md"} <= set(inputs)


def test_listing_pages_paginate(outputs) -> None:
    first = outputs["articles/index.html"].context["pagination"]
    second = outputs["articles/page/2/index.html"].context["pagination"]
    assert (first.page, first.total, first.prev_url, first.next_url) == (1, 2, None, "/archive/articles/page/2/")
    assert (second.page, second.prev_url, second.next_url) == (2, "/archive/articles/", None)
    assert [p.current for p in second.pages] == [False, True]
    assert "articles/page/3/index.html" not in outputs


def test_empty_listings_still_get_a_page(outputs) -> None:
    tagged = outputs["topics/public-services/index.html"].context["items"]
    assert [i.slug for i in tagged] == ["council-listens"]
    assert outputs["voices/index.html"].context["pagination"].total == 1


def test_feed_holds_newest_feed_items_across_kinds(outputs) -> None:
    items = outputs["feed.xml"].context["items"]
    assert [i.ref for i in items] == ["newsletters/march-2026", "articles/bakery-buyout", "voices/dee-okafor"]


def test_drafts_and_future_change_the_plan() -> None:
    _, _, everything, problems = plan(BuildOptions(site_dir=SITES / "realistic", now=NOW, drafts=True, future=True))
    paths = {o.path for o in everything}
    assert [p.format() for p in problems] == [VOICE_HTML_WARNING]
    assert {"articles/not-yet/index.html", "articles/next-year/index.html"} <= paths


def test_future_is_judged_against_now() -> None:
    _, _, later, _ = plan(BuildOptions(site_dir=SITES / "realistic", now=datetime(2099, 1, 2, tzinfo=UTC)))
    assert "articles/next-year/index.html" in {o.path for o in later}


@pytest.mark.parametrize(("page", "total", "shown"), [
    (1, 1, [1]),
    (1, 7, [1, 2, 3, 7]),
    (4, 7, [1, 2, 3, 4, 5, 6, 7]),
    (1, 1000, [1, 2, 3, 1000]),
    (500, 1000, [1, 498, 499, 500, 501, 502, 1000]),
    (999, 1000, [1, 997, 998, 999, 1000]),
    (4, 9, [1, 2, 3, 4, 5, 6, 9]),
])
def test_a_long_archive_shows_a_window_of_page_links(page, total, shown) -> None:
    assert pager_window(page, total) == shown
