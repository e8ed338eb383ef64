"""Share cards, JSON-LD, icons and the voices filter pages, on the realistic site's output."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pytest

from newpower_site.engine.engine import build_site
from newpower_site.core.options import BuildOptions

REALISTIC = Path(__file__).resolve().parent / "sites" / "realistic"
ORIGIN = "https://example.org"


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sharing") / "output"
    result = build_site(BuildOptions(site_dir=REALISTIC, out_dir=folder), cached=False)
    assert result.ok, [d.format() for d in result.diagnostics]
    return folder


def parse(out: Path, path: str):
    return lxml.html.fromstring((out / path).read_bytes())


def pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if p.relative_to(out).parts[0] not in ("email", "pagefind"))


def json_ld(root) -> list[dict]:
    return [json.loads(s.text) for s in root.xpath("//script[@type='application/ld+json']")]


def test_every_page_has_a_share_card_icons_and_the_site_language(out):
    for page in pages(out):
        root = parse(out, page.relative_to(out).as_posix())
        meta = {m.get("property") or m.get("name"): m.get("content") for m in root.iter("meta")}
        for key in ("og:title", "og:description", "og:url", "og:image", "og:image:alt", "twitter:card", "twitter:image:alt"):
            assert meta.get(key), (page, key)
        assert meta["og:image"].startswith(ORIGIN + "/archive/")
        if page.name != "404.html":
            assert meta["og:url"] == root.xpath("//link[@rel='canonical']/@href")[0]
        assert root.get("lang") == "en-GB"
        rels = set(root.xpath("//link/@rel"))
        assert {"icon", "manifest", "apple-touch-icon"} <= rels, page
    manifest = json.loads((out / "static/site.webmanifest").read_text(encoding="utf-8"))
    assert manifest["name"] == "Riverside Commons" and manifest["short_name"] == "Riverside", "named after the site, not the theme"
    assert manifest["start_url"] == "/archive/"
    for icon in manifest["icons"]:
        assert icon["src"].startswith("/archive/static/") and (out / icon["src"].removeprefix("/archive/")).is_file()


def test_json_ld_describes_articles_with_authors_and_voices_as_people(out):
    (article,) = json_ld(parse(out, "articles/bakery-buyout/index.html"))
    assert article["@type"] == "Article" and article["headline"] == "The bakery that bought itself"
    assert [a["name"] for a in article["author"]] == ["Nia Evans", "Tom Price"]
    assert article["url"] == f"{ORIGIN}/archive/articles/bakery-buyout/"
    assert article["datePublished"].startswith("2026-03-02") and article["dateModified"].startswith("2026-03-09")
    voice_file = next(p for p in sorted((out / "voices").glob("*/index.html")) if p.parent.name not in ("movement", "page"))
    (profile,) = json_ld(lxml.html.fromstring(voice_file.read_bytes()))
    assert profile["@type"] == "ProfilePage" and profile["mainEntity"]["@type"] == "Person"
    assert profile["mainEntity"]["name"] and profile["mainEntity"]["jobTitle"]
    (home,) = json_ld(parse(out, "index.html"))
    assert home["@type"] == "WebSite" and home["potentialAction"]["target"].startswith(f"{ORIGIN}/archive/search/?q=")


def test_json_ld_cannot_be_closed_by_content(out):
    for page in pages(out):
        for script in parse(out, page.relative_to(out).as_posix()).xpath("//script[@type='application/ld+json']"):
            assert "</" not in script.text


def test_voices_filter_by_movement_without_javascript(out):
    listing = parse(out, "voices/index.html")
    nav = listing.xpath("//nav[@class='filters']")[0]
    links = {a.text_content(): (a.get("href"), a.get("aria-current")) for a in nav.iter("a")}
    assert links["All voices"] == ("/archive/voices/", "page")
    assert links["Trade unions"] == ("/archive/voices/movement/trade-union/", None)
    assert links["Power at work"] == ("/archive/topics/workplace/", None)
    for key in ("trade-union", "co-operative"):
        page = parse(out, f"voices/movement/{key}/index.html")
        current = page.xpath("//nav[@class='filters']//a[@aria-current='page']/@href")
        assert current == [f"/archive/voices/movement/{key}/"]
        cards = page.xpath("//article[contains(@class, 'card--voice')]")
        badges = {b.get("href") for b in page.xpath("//article[contains(@class, 'card--voice')]//a[contains(@class, 'badge')]")}
        assert cards and badges == {f"/archive/voices/movement/{key}/"}, "only this movement's voices"
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert f"{ORIGIN}/archive/voices/movement/trade-union/" in sitemap


def test_search_page_says_what_to_do_without_javascript(out):
    page = parse(out, "search/index.html")
    form = page.xpath("//form[@role='search']")[0]
    assert form.get("action") == "/archive/search/" and form.xpath(".//input[@name='q']")
    assert "needs JavaScript" in " ".join(n.text_content() for n in page.iter("noscript"))
    shards = json.loads((out / "pagefind" / "shards.json").read_text(encoding="utf-8"))["shards"]
    assert shards and all((out / "pagefind" / name / "pagefind.js").is_file() for name in shards)
    manifest = (out / ".newpower-output").read_text(encoding="utf-8").splitlines()
    assert f"pagefind/{shards[0]}/pagefind.js" in manifest, "the index is part of the build: the next build may replace it"
