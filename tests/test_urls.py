"""urls: every output path and URL, with and without a path prefix."""

from __future__ import annotations

import pytest

from newpower_site.core.model import Article, Image, Newsletter, Page, Term, Voice
from newpower_site.core.urls import RESERVED_NAMES, Urls

ARTICLE = Article(kind="article", slug="sharing-power", source="content/articles/sharing-power.md", title="T")
VOICE = Voice(
    kind="voice", slug="asha-patel", source="content/voices/asha-patel.md", title="Asha", name="Asha", role="r",
    movement=Term("trade-union", "Trade unions"), quote="q",
)
ISSUE = Newsletter(kind="newsletter", slug="2026-03", source="content/newsletters/2026-03.md", title="March", preheader="p")
PAGE = Page(kind="page", slug="about", source="content/pages/about.md", title="About")


def test_item_output_paths() -> None:
    assert Urls.item_output(ARTICLE) == "articles/sharing-power/index.html"
    assert Urls.item_output(VOICE) == "voices/asha-patel/index.html"
    assert Urls.item_output(ISSUE) == "newsletter/2026-03/index.html"
    assert Urls.item_output(PAGE) == "about/index.html"


def test_listing_and_topic_output_paths() -> None:
    assert Urls.listing_output("articles") == "articles/index.html"
    assert Urls.listing_output("articles", 1) == "articles/index.html"
    assert Urls.listing_output("articles", 2) == "articles/page/2/index.html"
    assert Urls.topic_output("workplace") == "topics/workplace/index.html"
    assert Urls.topic_output("workplace", 3) == "topics/workplace/page/3/index.html"
    assert Urls.topic_feed_output("workplace") == "topics/workplace/feed.xml"


# (expected URL without prefix) -> the same with "/archive" in front
URL_CASES = [
    (lambda u: u.home(), "/"),
    (lambda u: u.item(ARTICLE), "/articles/sharing-power/"),
    (lambda u: u.item(VOICE), "/voices/asha-patel/"),
    (lambda u: u.item(ISSUE), "/newsletter/2026-03/"),
    (lambda u: u.item(PAGE), "/about/"),
    (lambda u: u.listing("articles"), "/articles/"),
    (lambda u: u.listing("voices", 2), "/voices/page/2/"),
    (lambda u: u.listing("newsletter"), "/newsletter/"),
    (lambda u: u.topics(), "/topics/"),
    (lambda u: u.topic("workplace"), "/topics/workplace/"),
    (lambda u: u.topic("workplace", 2), "/topics/workplace/page/2/"),
    (lambda u: u.topic_feed("workplace"), "/topics/workplace/feed.xml"),
    (lambda u: u.static("site.css"), "/static/site.css"),
    (lambda u: u.asset("images/asha.jpg"), "/images/asha.jpg"),
    (lambda u: u.image(Image("images/asha.jpg", "Asha")), "/images/asha.jpg"),
    (lambda u: u.feed(), "/feed.xml"),
    (lambda u: u.atom(), "/atom.xml"),
    (lambda u: u.sitemap(), "/sitemap.xml"),
    (lambda u: u.for_output("email/2026-03.html"), "/email/2026-03.html"),
    (lambda u: u.for_output("404.html"), "/404.html"),
    (lambda u: u.for_output("robots.txt"), "/robots.txt"),
]


@pytest.mark.parametrize(("url_of", "expected"), URL_CASES)
@pytest.mark.parametrize("base_url", ["https://example.org", "https://example.org/", "https://example.org//"])
def test_urls_without_a_prefix(url_of, expected: str, base_url: str) -> None:
    assert url_of(Urls(base_url)) == expected


@pytest.mark.parametrize(("url_of", "expected"), URL_CASES)
@pytest.mark.parametrize("base_url", ["https://example.org/archive", "https://example.org/archive/"])
def test_urls_with_a_prefix(url_of, expected: str, base_url: str) -> None:
    assert url_of(Urls(base_url)) == "/archive" + expected


def test_deep_prefix() -> None:
    urls = Urls("https://example.org/a/b/")
    assert urls.prefix == "/a/b"
    assert urls.item(ARTICLE) == "/a/b/articles/sharing-power/"
    assert urls.absolute_item(ARTICLE) == "https://example.org/a/b/articles/sharing-power/"


def test_origin_keeps_scheme_host_and_port() -> None:
    assert Urls("http://localhost:8000/").origin == "http://localhost:8000"
    assert Urls("https://example.org/archive").origin == "https://example.org"


def test_remote_image_url_is_kept() -> None:
    assert Urls("https://example.org/archive").image(Image("https://cdn.example.net/a.jpg", "a")) == "https://cdn.example.net/a.jpg"


@pytest.mark.parametrize(
    ("base_url", "url", "expected"),
    [
        ("https://example.org/archive", "/archive/articles/x/", "https://example.org/archive/articles/x/"),
        ("https://example.org/archive", "articles/x/", "https://example.org/archive/articles/x/"),
        ("https://example.org/archive/", "/archive/", "https://example.org/archive/"),
        ("https://example.org", "/feed.xml", "https://example.org/feed.xml"),
        ("https://example.org", "feed.xml", "https://example.org/feed.xml"),
        ("https://example.org/archive", "https://other.org/x", "https://other.org/x"),
        ("https://example.org/archive", "http://other.org/x", "http://other.org/x"),
        ("https://example.org/archive", "mailto:a@b.org", "mailto:a@b.org"),
    ],
)
def test_absolute(base_url: str, url: str, expected: str) -> None:
    assert Urls(base_url).absolute(url) == expected


@pytest.mark.parametrize("base_url", ["https://example.org", "https://example.org/archive"])
def test_every_absolute_url_starts_with_base_url(base_url: str) -> None:
    urls = Urls(base_url)
    for url_of, _ in URL_CASES:
        absolute = urls.absolute(url_of(urls))
        assert absolute.startswith(base_url + "/"), absolute


def test_absolute_item() -> None:
    assert Urls("https://example.org/archive").absolute_item(ISSUE) == "https://example.org/archive/newsletter/2026-03/"


def test_reserved_names_cover_every_generated_top_level_folder() -> None:
    urls = Urls("https://example.org")
    generated = {url_of(urls).strip("/").split("/")[0] for url_of, _ in URL_CASES}
    generated = {name.split(".")[0] for name in generated if name} - {"about", "images"}
    assert generated <= RESERVED_NAMES, generated - RESERVED_NAMES
