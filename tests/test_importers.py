"""The tricky parts of `newpower import`, one at a time: headers, dates, topic keys, links, images, site.yaml."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from newpower_site.importers.htmlmd import html_to_markdown, wordpress_html
from newpower_site.importers.model import Archive, ImportedItem, iso_date, rfc822_date, url_path
from newpower_site.importers.pelican import parse_headers, read_settings, split_list
from newpower_site.importers.writer import _insert_topics, plan_import, topic_key, write_import, yaml_text

# -- Pelican's metadata headers -----------------------------------------------------------------------------------

def test_headers_end_at_the_first_blank_line_and_go_on_over_indented_lines() -> None:
    text = "Title: Pay day\nSummary:\n    Two lines\n    of summary.\nTags: a, b\n\nBody: not a header\n"
    metadata, body = parse_headers(text)
    assert metadata == {"title": "Pay day", "summary": "Two lines\nof summary.", "tags": "a, b"}
    assert body == "Body: not a header\n"


def test_a_file_without_headers_is_all_body() -> None:
    assert parse_headers("# A heading\n\nText: here\n") == ({}, "# A heading\n\nText: here\n")


def test_lists_drop_repeats_and_names_split_on_semicolons() -> None:
    assert split_list("foo, bar, foobar, foo, bar") == ("foo", "bar", "foobar")
    assert split_list("Author, First; Author, Second; Author, First", names=True) == ("Author, First", "Author, Second")
    assert split_list("Ann, Bob", names=True) == ("Ann", "Bob")


_KEY = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,10}", fullmatch=True)
_VALUE = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=30).map(str.strip).filter(bool)


@given(st.dictionaries(_KEY, _VALUE, min_size=1, max_size=6), st.text(max_size=40))
def test_headers_written_as_pelican_writes_them_read_back(headers: dict[str, str], body: str) -> None:
    lowered = {}
    for key, value in headers.items():
        lowered.setdefault(key.lower(), (key, value))
    text = "".join(f"{key}: {value}\n" for key, value in lowered.values()) + "\n" + body
    metadata, rest = parse_headers(text)
    assert metadata == {key: value for key, (_, value) in lowered.items()}
    assert rest == body.lstrip("\n")


def test_settings_are_read_never_run(tmp_path: Path) -> None:
    settings = tmp_path / "pelicanconf.py"
    marker = tmp_path / "ran"
    settings.write_text(f'SITENAME = "Ours"\nARTICLE_URL = "blog/{{date:%Y}}/{{slug}}/"\nimport pathlib\npathlib.Path({str(marker)!r}).touch()\n'
                        'TIMEZONE = "Europe/" + "London"\n')
    values, unread = read_settings(settings)
    assert values["SITENAME"] == "Ours" and values["ARTICLE_URL"] == "blog/{date:%Y}/{slug}/"
    assert unread == ["TIMEZONE"] and values["TIMEZONE"] is None
    assert not marker.exists()


# -- dates keep their zone -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "zone", "expected"), [
    ("2020-11-11 12:00:00 +0600", None, "2020-11-11T12:00:00+06:00"),  # Jekyll
    ("2010-10-20 10:14", "Europe/Paris", "2010-10-20T10:14:00+02:00"),  # Pelican, summer time
    ("2010-12-02 10:14", "Europe/Paris", "2010-12-02T10:14:00+01:00"),
    ("2010-12-02 10:14", None, "2010-12-02T10:14:00"),  # no zone known: the site's zone will read it
    ("2012-11-30", "Europe/Paris", "2012-11-30"),  # a day stays a day
    ("2024-05-01T09:30:00Z", None, "2024-05-01T09:30:00+00:00"),
    ("2024-02-30", None, None),
    ("yesterday", None, None),
])
def test_iso_date(text: str, zone: str | None, expected: str | None) -> None:
    assert iso_date(text, ZoneInfo(zone) if zone else None) == expected


def test_rss_dates_keep_their_offset() -> None:
    assert rfc822_date("Wed, 18 Apr 2012 08:36:26 -0500") == "2012-04-18T08:36:26-05:00"
    assert rfc822_date("not a date") is None


@pytest.mark.parametrize(("url", "base", "expected"), [
    ("http://old.example/2019/a/", "http://old.example", "/2019/a/"),
    ("https://OLD.example/blog/x.html", "http://old.example/blog", "/x.html"),
    ("http://old.example/other/x/", "http://old.example/blog", None),  # outside the old site's prefix
    ("http://elsewhere.example/x/", "http://old.example", None),
    ("http://old.example/?p=173", "http://old.example", None),  # answered by PHP, not a file
    ("/2019/a/#part", "", "/2019/a/"),
    ("mailto:a@b.org", "", None),
])
def test_url_path(url: str, base: str, expected: str | None) -> None:
    assert url_path(url, base) == expected


# -- topics ----------------------------------------------------------------------------------------------------------------

def test_topic_keys_are_slugs_and_labels_without_latin_letters_get_a_stable_key() -> None:
    assert topic_key("Power at Work") == "power-at-work"
    assert topic_key("Café & Co") == "cafe-co"
    assert topic_key("パイソン") == topic_key("パイソン") == "topic-dc4e2c"
    assert topic_key("   ") == ""


@given(st.text(max_size=60))
def test_yaml_text_reads_back_as_the_same_text(text: str) -> None:
    assert yaml.safe_load(f"key: {yaml_text(text)}\n")["key"] == text


def test_topics_are_added_to_site_yaml_with_its_comments_kept() -> None:
    text = "# Our site\ntitle: T  # the name\ntopics:\n    work: Work  # at work\n    # more to come\nlanguage: en-GB\n"
    updated = _insert_topics(text, ['  rent: "Rent"'])
    assert updated == "# Our site\ntitle: T  # the name\ntopics:\n    work: Work  # at work\n    rent: \"Rent\"\n    # more to come\nlanguage: en-GB\n"
    assert _insert_topics("title: T\ntopics: {work: Work}\n", ['  rent: "Rent"']) is None  # a flow mapping: added by hand


# -- links and images, through the writer --------------------------------------------------------------------------

def item(slug: str, body: str, old: str, **fields) -> ImportedItem:
    return ImportedItem(origin=f"{slug}.md", title=slug.title(), slug=slug, kind="article", body=body,
                        date="2024-01-01", old_paths=(old,), **fields)


def test_links_between_imported_posts_become_md_links_but_code_is_kept(tmp_path: Path) -> None:
    body = (
        "See [one](http://old.example/2019/one/) and [one's part](/2019/one/#part), [the draft](/2019/draft/),\n"
        "[elsewhere](https://elsewhere.example/2019/one/) and <a href=\"/2019/one/index.html\">one</a>.\n\n"
        "[ref]: http://old.example/2019/one/\n\n"
        "```\ncurl http://old.example/2019/one/ [x](/2019/one/)\n```\n"
    )
    archive = Archive("Old", "http://old.example", "", (
        item("one", "One.\n", "/2019/one/"), item("two", body, "/2019/two/"),
        item("draft", "Not yet.\n", "/2019/draft/", draft=True),
    ))
    plan = plan_import(archive, tmp_path / "site")
    two = next(f for f in plan.files if f.path.endswith("two.md")).text
    assert "[one](one.md) and [one's part](one.md#part)" in two
    assert "[the draft](http://old.example/2019/draft/)" in two  # a link to a draft would fail the check
    assert "[elsewhere](https://elsewhere.example/2019/one/)" in two
    assert '<a href="one.md">one</a>' in two
    assert "[ref]: one.md" in two
    assert "```\ncurl http://old.example/2019/one/ [x](/2019/one/)\n```\n" in two  # code byte for byte


def test_local_images_are_copied_once_and_relinked(tmp_path: Path) -> None:
    source = tmp_path / "old"
    (source / "static/images").mkdir(parents=True)
    (source / "static/images/march.png").write_bytes(b"\x89PNG picture")
    archive = Archive("Old", "https://old.example", "", (
        item("march", "![The march](/images/march.png)\n\n![Gone](/images/gone.png)\n", "/march/"),
    ), image_roots=(source / "static",))
    site = tmp_path / "site"
    plan = plan_import(archive, site)
    assert [(i.path, i.source.name) for i in plan.images] == [("content/images/march.png", "march.png")]
    text = plan.files[0].text
    assert "![The march](../images/march.png)" in text
    assert "![Gone](https://old.example/images/gone.png)" in text  # not here: the old site may still serve it
    write_import(plan)
    assert (site / "content/images/march.png").read_bytes() == b"\x89PNG picture"
    again = plan_import(archive, site)
    assert again.images == [] and again.files == [] and [s.reason for s in again.skipped] == ["content/articles/march.md already exists"]


def test_a_file_of_the_site_own_with_the_same_name_is_never_taken(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "content/articles").mkdir(parents=True)
    ours = "---\ntitle: Our news\ndate: 2026-01-01\n---\n\nOurs.\n"
    (site / "content/articles/news.md").write_text(ours)
    archive = Archive("Old", "", "", (item("news", "Theirs.\n", "/news/"), item("two", "See [news](/news/).\n", "/two/")))
    plan = plan_import(archive, site)
    assert [f.path for f in plan.files] == ["content/articles/news-2.md", "content/articles/two.md"]
    assert "See [news](news-2.md)." in plan.files[1].text  # the imported post, not the site's own
    write_import(plan)
    assert (site / "content/articles/news.md").read_text() == ours
    again = plan_import(archive, site)  # the second run knows its own files by their origin comment
    assert again.files == [] and len(again.skipped) == 2


def test_two_items_with_one_slug_both_arrive(tmp_path: Path) -> None:
    archive = Archive("Old", "", "", (item("news", "A\n", "/a/"), item("news", "B\n", "/b/")))
    assert [f.path for f in plan_import(archive, tmp_path).files] == ["content/articles/news.md", "content/articles/news-2.md"]


# -- HTML bodies -------------------------------------------------------------------------------------------------------------

def test_wordpress_paragraphs_but_not_inside_pre() -> None:
    html = wordpress_html("One line\nand the next.\n\n<pre>a\n\nb</pre>\n\nLast.")
    assert html == "<p>One line<br>\nand the next.</p>\n\n<pre>a\n\nb</pre>\n\n<p>Last.</p>"


def test_code_with_backticks_gets_a_longer_fence_and_its_language() -> None:
    markdown = html_to_markdown('<pre><code class="language-sh">echo ```\n  done</code></pre>')
    assert markdown == "````sh\necho ```\n  done\n````\n"


def test_atom_xhtml_content_and_rss_names(tmp_path: Path) -> None:
    from newpower_site.importers.feed import read_feed

    feed = tmp_path / "atom.xml"
    feed.write_text(
        '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>Letters</title>'
        '<link href="https://letters.example/" rel="alternate"/>'
        '<entry><title type="html">Pay &amp;amp; conditions</title><link href="https://letters.example/p/pay/"/>'
        '<published>2024-03-01T08:00:00-05:00</published><author><name>Ruth</name></author>'
        '<category term="work" label="At work"/>'
        '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><h2>Pay</h2><p>A <a href="https://letters.example/p/rent/">rent</a> story.</p></div></content>'
        '</entry></feed>'
    )
    archive = read_feed(str(feed))
    (entry,) = archive.items
    assert (entry.title, entry.slug, entry.date, entry.authors, entry.terms) == ("Pay & conditions", "pay", "2024-03-01T08:00:00-05:00", ("Ruth",), ("At work",))
    assert entry.body == "## Pay\n\nA [rent](https://letters.example/p/rent/) story.\n"
    assert entry.old_paths == ("/p/pay/",) and archive.base_url == "https://letters.example"


def test_pelican_dates_with_slashes() -> None:
    assert iso_date("2012/10/31 10:14", ZoneInfo("Europe/Paris")) == "2012-10-31T10:14:00+01:00"
