"""`newpower import` on real archives other people wrote (tests/exports.py fetches them).

Each source is imported once per module into a new site folder with the real
command, then built; the tests read the files written and the pages built.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import copy_site, newpower, tree_bytes
from exports import ExportMissing, Exports, fetch_exports
from lxml import html


@pytest.fixture(scope="session")
def exports() -> Exports:
    try:
        return fetch_exports()
    except ExportMissing as exc:
        pytest.fail(f"{exc}; the tests need PyPI and the npm registry (make test installs npm)")


def imported(tmp_path_factory, *args: str | Path) -> tuple[Path, str]:
    site = tmp_path_factory.mktemp("imported") / "site"
    run = newpower("import", *args, "--site", site)
    assert "Traceback" not in run.stderr, run.stderr
    assert run.code == 0, run.stdout + run.stderr
    return site, run.stdout


def front(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    _, head, body = text.split("---\n", 2)
    return yaml.load(head, Loader=yaml.BaseLoader), body


def built(site: Path) -> Path:
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    return site / "output"


def redirect_target(page: Path) -> str:
    tree = html.fromstring(page.read_bytes())
    refresh = tree.xpath("//meta[@http-equiv='refresh']/@content")[0]
    link = tree.xpath("//main//a/@href")[0]
    assert refresh == f"0; url={link}"
    return link


def fenced_code(markdown: str) -> list[str]:
    return [m.group(2) for m in re.finditer(r"^( *)```[^\n]*\n(.*?)\n\1```", markdown, re.S | re.M)]


def second_run_writes_nothing(site: Path, *args: str | Path) -> None:
    before = tree_bytes(site)
    run = newpower("import", *args, "--site", site)
    assert run.code == 0, run.stderr
    assert tree_bytes(site) == before
    assert re.search(r"^imported 0 into", run.stdout, re.M), run.stdout


# -- WordPress: Pelican's test export of a WordPress 3.3 blog ---------------------------------------------------

@pytest.fixture(scope="module")
def wordpress(exports: Exports, tmp_path_factory) -> tuple[Path, str]:
    return imported(tmp_path_factory, "wordpress", exports.wordpress)


def test_wordpress_counts_and_skips(wordpress) -> None:
    site, report = wordpress
    assert sorted(p.name for p in (site / "content/articles").iterdir()) == [
        "a-normal-post.md", "caption-on-image.md", "code-in-list-test.md", "complete-draft.md", "html-entity-test.md",
        "post-with-raw-data.md", "special-chars-le.md", "with-comments.md", "with-excerpt.md", "with-tags.md",
    ]
    assert [p.name for p in (site / "content/pages").iterdir()] == ["contact.md"]
    assert "imported 11: 10 articles, 1 page" in report
    assert "skipped 9: 4 WordPress attachment, 2 WordPress custom1, 1 WordPress custom2, 1 no content, 1 no title" in report
    assert "newpower check: no errors" in report


def test_wordpress_fields(wordpress) -> None:
    site, _ = wordpress
    meta, _ = front(site / "content/articles/with-comments.md")
    # post_date 03:36:26 local, post_date_gmt 08:36:26: the author wrote at UTC-5
    assert meta["date"] == "2012-04-18T03:36:26-05:00"
    assert meta["authors"] == ["john"] and meta["topics"] == ["category-1"] and meta["aliases"] == ["/with-comments/"]
    tags, _ = front(site / "content/articles/with-tags.md")
    assert tags["topics"] == ["category-3", "tag-1", "tag2", "tag-3"] and tags["authors"] == ["Bob"]
    draft, _ = front(site / "content/articles/complete-draft.md")
    assert draft["draft"] == "true" and "aliases" not in draft  # never published: no old address
    config = yaml.safe_load((site / "site.yaml").read_text())
    assert config["title"] == "Pelican test channel" and config["base_url"] == "http://thisisa.test"
    assert config["topics"] == {"category-1": "Category 1", "category-2": "Category 2", "category-3": "Category 3",
                                "tag-1": "tag 1", "tag-3": "Tag 3", "tag2": "Tag2"}
    entity, _ = front(site / "content/articles/html-entity-test.md")
    assert entity["title"] == "A normal post with some <html> entities in the title. You can't miss them."


def test_wordpress_bodies(wordpress) -> None:
    site, _ = wordpress
    _, raw = front(site / "content/articles/post-with-raw-data.md")
    assert "# Pelicans are scary" in raw
    assert '<iframe allowfullscreen="" frameborder="0" height="315" src="http://www.youtube.com/embed/QNNl_uWmQXE" width="420"></iframe>' in raw
    _, code = front(site / "content/articles/code-in-list-test.md")
    assert fenced_code(code) == ["    a = [1, 2, 3]\n    b = [4, 5, 6]\n    for i in zip(a, b):\n      print i"]  # in the list item's indent
    assert "- List Item One!\n- List Item Two!\n- This is a code sample" in code
    _, captions = front(site / "content/articles/caption-on-image.md")
    assert re.findall(r"!\[([^\]]*)\]\(([^)]*)\)", captions) == [
        ("This is a pelican", "http://thisisa.test/theme/img/xpelican.png.pagespeed.ic.Rjep0025-y.png"),
        ("This also a pelican", "http://thisisa.test/theme/img/xpelican-3.png.pagespeed.ic.m-NAIdRCOM.png"),
        ("Yet another pelican", "http://thisisa.test/theme/img/xpelican.png.pagespeed.ic.Rjep0025-y.png"),
    ]


def test_wordpress_old_urls_redirect_after_a_build(wordpress, tmp_path) -> None:
    site = tmp_path / "site"
    shutil.copytree(wordpress[0], site)
    out = built(site)
    assert redirect_target(out / "tags/index.html") == "/articles/with-tags/"
    assert redirect_target(out / "with-excerpt/index.html") == "/articles/with-excerpt/"
    assert (out / "articles/with-tags/index.html").is_file()
    assert "/tags/" not in (out / "sitemap.xml").read_text().replace("/articles/with-tags/", "")
    page = html.fromstring((out / "articles/code-in-list-test/index.html").read_bytes())
    # the code as WordPress showed it, byte for byte
    assert page.xpath("//li/pre/code/text()") == ["  a = [1, 2, 3]\n  b = [4, 5, 6]\n  for i in zip(a, b):\n    print i\n"]


def test_wordpress_second_run_changes_nothing(wordpress, exports, tmp_path) -> None:
    site = tmp_path / "site"
    shutil.copytree(wordpress[0], site)
    second_run_writes_nothing(site, "wordpress", exports.wordpress)


# -- Pelican: its own test content, with its sample site's settings -------------------------------------------------

@pytest.fixture(scope="module")
def pelican(exports: Exports, tmp_path_factory) -> tuple[Path, str]:
    return imported(tmp_path_factory, "pelican", exports.pelican_content, "--settings", exports.pelican_settings)


def test_pelican_counts_and_skips(pelican) -> None:
    site, report = pelican
    assert len(list((site / "content/articles").iterdir())) == 15
    assert "imported 15: 15 articles" in report
    assert re.search(r"skipped 34: 16 HTML, not Markdown, 14 reStructuredText, not Markdown, 2 empty file, 1 Status: skip, 1 no Title: header", report)
    assert "  article_skip.md: Status: skip" in report


def test_pelican_headers_become_fields(pelican) -> None:
    site, _ = pelican
    meta, body = front(site / "content/articles/test-metadata-duplicates.md")
    # Tags: foo, bar, foobar, foo, bar / Authors: Author, First; Author, Second; Author, First
    assert meta["topics"] == ["test", "foo", "bar", "foobar"]
    assert meta["authors"] == ["Author, First", "Author, Second"]
    assert meta["date"] == "2010-12-02T10:14:00+01:00"  # TIMEZONE = "Europe/Paris" in the settings
    assert meta["updated"] == "2010-12-02T10:20:00+01:00"
    assert meta["aliases"] == ["/test-metadata-duplicates.html"]  # ARTICLE_URL's default {slug}.html
    assert body.lstrip().startswith("Test Markdown File Header\n=========================\n")
    multi, _ = front(site / "content/articles/article-with-markdown-and-summary-metadata-multi.md")
    assert multi["summary"] == "A multi-line summary should be supported as well as inline markup."
    draft, _ = front(site / "content/articles/draft-article.md")
    assert draft["draft"] == "true"
    config = yaml.safe_load((site / "site.yaml").read_text())
    assert (config["title"], config["base_url"], config["timezone"]) == ("Alexis' log", "http://blog.notmyidea.org", "Europe/Paris")
    assert config["topics"]["topic-dc4e2c"] == "パイソン"  # a tag with no Latin letters keeps its label


def test_pelican_bodies_are_kept_as_written(pelican, exports) -> None:
    site, _ = pelican
    _, body = front(site / "content/articles/article-with-markdown-containing-footnotes.md")
    source = (exports.pelican_content / "article_with_markdown_and_footnote.md").read_text()
    assert body.strip() == source.split("\n\n", 1)[1].strip()


def test_pelican_old_urls_redirect_after_a_build(pelican, tmp_path) -> None:
    site = tmp_path / "site"
    shutil.copytree(pelican[0], site)
    out = built(site)
    assert redirect_target(out / "test-md-file.html") == "/articles/test-md-file/"
    page = html.fromstring((out / "articles/test-md-file/index.html").read_bytes())
    assert "Test Markdown File Header" in [h.text_content().strip() for h in page.xpath("//h1|//h2")]


def test_pelican_second_run_changes_nothing(pelican, exports, tmp_path) -> None:
    site = tmp_path / "site"
    shutil.copytree(pelican[0], site)
    second_run_writes_nothing(site, "pelican", exports.pelican_content, "--settings", exports.pelican_settings)


# -- Jekyll: a real blog published as jekyll-theme-chirpy 5.3.21 -------------------------------------------------

@pytest.fixture(scope="module")
def jekyll(exports: Exports, tmp_path_factory) -> tuple[Path, str]:
    return imported(tmp_path_factory, "jekyll", exports.chirpy)


def test_jekyll_posts_and_pages(jekyll, exports) -> None:
    site, report = jekyll
    assert "imported 4: 3 articles, 1 page" in report
    assert "skipped 5: 3 no content, 2 no front matter" in report
    meta, body = front(site / "content/articles/installing-go.md")
    assert meta["date"] == "2020-11-11T12:00:00+06:00"  # `2020-11-11 12:00:00 +0600`, its zone kept
    assert meta["topics"] == ["programing", "tutorial", "golang"] and meta["authors"] == ["mrtishca"]
    assert meta["aliases"] == ["/posts/installing-go/"]  # _config.yml's defaults: permalink /posts/:title/
    assert (meta["image"], meta["image_alt"]) == ("https://mrtishca.github.io/posts/golang-install.jpg", "GoLang Install")
    source = (exports.chirpy / "_posts/2022-11-11-installing-go.md").read_text()
    assert fenced_code(body) == fenced_code(source) and fenced_code(body)  # code byte for byte
    assert "# Download\nClick the button below to see the latest Go installers." in body
    config = yaml.safe_load((site / "site.yaml").read_text())
    assert (config["title"], config["base_url"], config["timezone"]) == ("MrTishca", "https://mrtishca.github.io", "America/Mexico_City")
    about, _ = front(site / "content/pages/about.md")
    assert about["title"] == "About"  # Jekyll titles a collection document after its file name


def test_jekyll_old_urls_redirect_and_rerun(jekyll, exports, tmp_path) -> None:
    site = tmp_path / "site"
    shutil.copytree(jekyll[0], site)
    second_run_writes_nothing(site, "jekyll", exports.chirpy)
    out = built(site)
    assert redirect_target(out / "posts/installing-go/index.html") == "/articles/installing-go/"
    assert "posts/installing-go" not in (out / "sitemap.xml").read_text()


# -- Hugo: Cloudflare's docs theme's example site --------------------------------------------------------------------

def test_hugo_example_site(exports, tmp_path_factory) -> None:
    site, report = imported(tmp_path_factory, "hugo", exports.hugo)
    assert "imported 1: 1 page" in report
    assert "skipped 2: 2 not a page" in report
    meta, body = front(site / "content/pages/getting-started.md")
    assert meta["title"] == "Getting Started"  # TOML front matter between +++ lines
    source = (exports.hugo / "content/getting-started/_index.md").read_text()
    assert body.strip() == source.split("+++", 2)[2].strip()
    assert yaml.safe_load((site / "site.yaml").read_text())["title"] == "Cloudflare"
    second_run_writes_nothing(site, "hugo", exports.hugo)


# -- feeds: the RSS and Atom feeds Pelican built of its sample site ---------------------------------------------------

@pytest.mark.parametrize("which", ["rss", "atom"])
def test_feed_items_links_and_code(exports, tmp_path_factory, which: str) -> None:
    feed = getattr(exports, which)
    site, report = imported(tmp_path_factory, "feed", feed)
    assert "imported 12: 12 articles" in report
    meta, body = front(site / "content/articles/unbelievable.md")
    assert meta["date"] == "2010-10-15T20:30:00+02:00" and meta["aliases"] == ["/unbelievable.html"]
    assert meta["topics"] == ["misc"] and meta["authors"] == ["Alexis Métaireau"]
    # links between the feed's posts become links to their .md files, which the link checker guards
    assert "[a root-relative link to markdown-article](a-markdown-powered-article.md)" in body
    codes = fenced_code(body)
    assert codes[0] == "formatter = self.options and VARIANTS[self.options.keys()[0]]"  # out of Pygments' line-number table
    if which == "atom":  # the RSS feed holds each post's summary, the Atom feed the whole post
        assert codes[2].startswith("def run(self):\n    self.assert_has_content()\n    try:\n")  # line numbers left out
    assert "## Testing sourcecode directive" in body
    out = built(site)
    assert redirect_target(out / "unbelievable.html") == "/articles/unbelievable/"
    page = html.fromstring((out / "articles/unbelievable/index.html").read_bytes())
    assert "/articles/a-markdown-powered-article/" in page.xpath("//a/@href")
    second_run_writes_nothing(site, "feed", feed)


# -- into an existing site; dry runs; bad input -------------------------------------------------------------------

def test_import_into_an_existing_site_keeps_site_yaml_comments(exports, tmp_path) -> None:
    site = copy_site("aliases", tmp_path)
    before = (site / "site.yaml").read_text()
    run = newpower("import", "wordpress", exports.wordpress, "--site", site)
    assert run.code == 0, run.stderr
    after = (site / "site.yaml").read_text()
    assert after.startswith(before.rstrip("\n"))  # every line and comment it had, then the topics
    assert "topics:  # added by newpower import\n  category-1: \"Category 1\"\n" in after
    assert (site / "content/articles/rent-strike.md").read_text().startswith("---\ntitle: \"The rent strike that won\"")
    assert (site / "content/articles/with-tags.md").is_file()


def test_dry_run_writes_nothing(exports, tmp_path) -> None:
    site = tmp_path / "new-site"
    run = newpower("import", "jekyll", exports.chirpy, "--site", site, "--dry-run")
    assert run.code == 0, run.stderr
    assert not site.exists()
    assert "would write content/articles/installing-go.md" in run.stdout
    assert "would import 4: 3 articles, 1 page" in run.stdout


def test_as_newsletters_marks_issues_web_only(exports, tmp_path) -> None:
    site = tmp_path / "site"
    run = newpower("import", "feed", exports.rss, "--site", site, "--as", "newsletters")
    assert "Traceback" not in run.stderr
    meta, _ = front(site / "content/newsletters/unbelievable.md")
    assert meta["web_only"] == "true" and meta["title"] == "Unbelievable !"
    assert 0 < len(meta["preheader"]) <= 150
    assert "topics" not in meta  # newsletter issues have none


@pytest.mark.parametrize(("source", "content", "message"), [
    ("wordpress", None, r"^\S*missing\.xml: error: no such file"),
    ("wordpress", b"<rss><channel><item><title>x</title></channel></rss>", r"^\S*export\.xml:1: error: not well-formed XML"),
    ("feed", b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>\n<rss><channel><title>&b;</title></channel></rss>',
     r"^\S*export\.xml: error: refused: the XML declares entities"),
    ("feed", b"<html><body>not a feed</body></html>", r"^\S*export\.xml: error: not an RSS 2\.0 or Atom feed"),
    ("pelican", None, r"^\S*missing\.xml: error: no such folder"),
    ("jekyll", None, r"^\S*missing\.xml: error: no such folder"),
])
def test_bad_input_is_a_clear_error(tmp_path, source: str, content: bytes | None, message: str) -> None:
    path = tmp_path / ("export.xml" if content is not None else "missing.xml")
    if content is not None:
        path.write_bytes(content)
    run = newpower("import", source, path, "--site", tmp_path / "site")
    assert run.code == 1
    assert re.search(message, run.stderr, re.M), run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "site").exists()
