"""Issue 14's content findings, each reproduced as an attacker would try it.

Raw HTML (finding 5): articles and pages keep raw HTML as written, so the
check must see what a browser sees; anything that could run code or send the
reader elsewhere is an error at its line.
"""

from __future__ import annotations

import pytest

from newpower_site.core.urls import Urls
from newpower_site.load.links import LinkTargets
from newpower_site.load.markdown import MarkdownRenderer
from newpower_site.load.rawhtml import html_problems, markup_left_open

RENDERER = MarkdownRenderer.create()
TARGETS = LinkTargets(pages={}, unpublished=frozenset(), assets={}, static_paths=frozenset())
URLS = Urls("https://example.org")


def render_article(markdown: str, body_line: int = 1) -> list[tuple[int, str]]:
    _, problems = RENDERER.render("article", markdown, "content/articles/x.md", body_line, TARGETS, URLS)
    return [(d.line, d.message) for d in problems]


# -- finding 5: raw HTML the old check let through -----------------------------------------------

BYPASSES = {
    # html.parser reads these as open comments; browsers close the comment at once, so the tag after it is live
    "empty comment <!-->": '<!--> <a href="javascript:alert(1)">x</a> -->',
    "empty comment <!--->": '<!---> <a href="javascript:alert(1)">x</a> -->',
    "comment closed by --!>": '<!-- note --!> <a href="javascript:alert(1)">x</a> -->',
    "SVG <set to>": '<svg><a><set attributeName="href" to="javascript:alert(1)"/><text y="20">x</text></a></svg>',
    "SVG <animate values>": '<svg><a><animate attributeName="href" values="https://ok.example;javascript:alert(1)"/></a></svg>',
    "SVG <animate from>": '<svg><a><animate attributeName="href" from="javascript:alert(1)" to="https://ok.example"/></a></svg>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "meta refresh, odd case and spaces": '<meta http-equiv=" ReFresh " content="0">',
    "data: in srcset": '<img alt="" srcset="a.png 1x, data:text/html,x 2x">',
    "data: in <source srcset>": '<picture><source srcset="data:text/html,x"><img alt="" src="https://ok.example/a.png"></picture>',
    "url(javascript:) in style": '<div style="background: url(javascript:alert(1))">x</div>',
    "CSS escapes in style": '<div style="background: u\\72l(java\\73 cript:alert(1))">x</div>',
    "xlink:href in SVG": '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "href in MathML": '<math href="javascript:alert(1)"><mi>x</mi></math>',
    "script element": "<script>alert(1)</script>",
    "SVG script element": "<svg><script>alert(1)</script></svg>",
    "event handler": '<img alt="" src="x.png" onerror="alert(1)">',
    "handler on a second <body>": "<body onload=alert(1)>",
    "noscript read with scripting on": '<noscript><p title="</noscript><img alt=\'\' src=x onerror=alert(1)>"></noscript>',
    "iframe srcdoc": '<iframe title="t" srcdoc="<script>alert(1)</script>"></iframe>',
    "base element": '<base href="https://evil.example/">',
    "object data:": '<object data="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;"></object>',
    "entity-encoded scheme": '<a href="&#106;ava&#x09;script&colon;alert(1)">x</a>',
}


@pytest.mark.parametrize("markup", BYPASSES.values(), ids=BYPASSES.keys())
def test_raw_html_that_could_run_code_is_an_error(markup: str) -> None:
    problems = render_article(f"Intro.\n\nText {markup} after.\n", body_line=10)
    assert problems, "accepted"
    assert {line for line, _ in problems} == {12}
    assert all(message.startswith("raw HTML ") and "never allowed" in message for _, message in problems)


def test_url_in_a_style_element_is_an_error() -> None:
    problems = render_article('Intro.\n\n<style>\np { background: url("javascript:alert(1)") }\n</style>\n', body_line=10)
    assert problems == [(12, "raw HTML uses a javascript: URL, which is never allowed")]


@pytest.mark.parametrize("markup", [
    '<img alt="A chart" src="data:image/png;base64,iVBORw0KGgo=">',
    '<img alt="" srcset="https://ok.example/a.png 1x, data:image/png;base64,AAAA 2x">',
    '<div style="background: url(https://ok.example/a.png)">x</div>',
    '<svg viewBox="0 0 10 10"><a href="https://ok.example/"><circle r="4"/></a></svg>',
    '<meta name="description" content="x">',
    '<a href="https://example.org" data-note="javascript: is only text here" title="onload=">x</a>',
    "<!-- a comment with <script> in it -->",
    '<pre><code>&lt;a href="javascript:x"&gt;</code></pre>',
])
def test_raw_html_that_runs_nothing_is_kept(markup: str) -> None:
    assert render_article(f"{markup}\n") == []


def test_problems_point_at_the_tag_line_in_a_multi_line_block() -> None:
    problems = html_problems('<div>\n<p>fine</p>\n<svg>\n<set\n to="javascript:x"/></svg>\n</div>')
    assert [(row, text) for (row, _), text, _ in problems] == [(4, '<set\n to="javascript:x"/>')]


@pytest.mark.parametrize(("markup", "left"), [
    ('<a href="https://example.org/x\n\nmore', '<a href="https://example.org/x\n\nmore'),
    ("text <!-- never closed", "<!-- never closed"),
    ("<![x", "<![x"),
    ('<a href="x">', ""),
    ("<textarea>", ""),  # an element left open is not markup left open: its end tag may follow in the next block
    ("a < b", ""),
])
def test_markup_left_open(markup: str, left: str) -> None:
    assert markup_left_open(markup) == left


# -- finding 12: absolute URLs only in real URL attributes ----------------------------------------


def absolutize(markup: str) -> str:
    from newpower_site.core.absolute import absolutize_html

    return absolutize_html(markup, "https://example.org/articles/a/", URLS)


@pytest.mark.parametrize("markdown", [
    "Write `<a href='/join/'>` to link the form.\n",
    "In prose, href='/join/' is just text.\n",
    "```html\n<img src='/logo.png' alt=''>\n```\n",
])
def test_text_that_looks_like_an_attribute_stays_as_written(markdown: str) -> None:
    body, problems = RENDERER.render("article", markdown, "content/articles/x.md", 1, TARGETS, URLS)
    assert problems == []
    assert absolutize(body.html) == body.html


def test_only_the_real_attribute_of_a_tag_is_rewritten() -> None:
    markup = """<p><a title="see href='/x'" href="/y">y</a> <!-- src='/c' --> <img alt="" src='p.png' srcset="p.png 1x, /q.png 2x"/></p>"""
    assert absolutize(markup) == (
        """<p><a title="see href=&#x27;/x&#x27;" href="https://example.org/y">y</a> <!-- src='/c' --> """
        """<img alt="" src="https://example.org/articles/a/p.png" srcset="https://example.org/articles/a/p.png 1x, https://example.org/q.png 2x" /></p>""")


def test_a_tag_without_relative_urls_is_kept_byte_for_byte() -> None:
    markup = "<A HREF='https://ok.example/'>x</A><br/>"
    assert absolutize(markup) == markup


# -- finding 14: email.unsubscribe is one line, and a URL that runs nothing ----------------------

SITE_YAML = "title: T\nbase_url: https://example.org\ndescription: D\nemail:\n  provider: generic\n  postal_address: 1 Road\n  unsubscribe: {}\n"


def unsubscribe_problems(tmp_path, value: str) -> list[tuple[int, str]]:
    import json

    from newpower_site.load.config import load_config

    (tmp_path / "site.yaml").write_text(SITE_YAML.format(json.dumps(value)), encoding="utf-8")
    settings, problems = load_config(tmp_path)
    assert (settings is None) == bool(problems)
    return [(d.line, d.message) for d in problems]


@pytest.mark.parametrize("value", ["javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)", "data:text/html,x",
                                   "vbscript:x", "file:///etc/passwd", "https://x.example/u\nBcc: victim@example.org",
                                   "{{unsubscribe_url}}\r\nBcc: x", "a\u2028b", "ftp://x.example/", "https:/no-host", "{{u}}>\r\n<x"])
def test_bad_unsubscribe_is_an_error_at_its_line(tmp_path, value: str) -> None:
    problems = unsubscribe_problems(tmp_path, value)
    assert len(problems) == 1
    line, message = problems[0]
    assert line == 7 and message.startswith("email.unsubscribe ")


@pytest.mark.parametrize("value", ["{{unsubscribe_url}}", "{{ unsubscribe_url }}", "*|UNSUB|*", "[unsubscribe]", "%unsubscribe_url%",
                                   "<%asm_group_unsubscribe_raw_url%>", "https://lists.example.org/u?id=1", "mailto:leave@example.org"])
def test_merge_tags_and_plain_urls_are_fine_as_unsubscribe(tmp_path, value: str) -> None:
    assert unsubscribe_problems(tmp_path, value) == []


# -- findings 9, 10, 11 and issue 13 point 8: which files content reading opens -------------------

import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from newpower_site.load.content import MAX_SOURCE_BYTES, walk_sources  # noqa: E402

ARTICLE = "---\ntitle: A\ndate: 2026-01-01\n---\nBody.\n"


def small_site(tmp_path: Path, files: dict[str, str | bytes] | None = None) -> Path:
    site = tmp_path / "site"
    (site / "content/articles").mkdir(parents=True)
    (site / "site.yaml").write_text("title: T\nbase_url: https://example.org\ndescription: D\n", encoding="utf-8")
    for relative, data in {"content/articles/a.md": ARTICLE, **(files or {})}.items():
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return site


def walked(site: Path) -> tuple[list[str], list[str]]:
    files, problems = walk_sources(site, "content")
    return [f.source for f in files], [d.format() for d in problems]


def build(site: Path) -> subprocess.CompletedProcess[str]:
    """`newpower build` in its own process; the timeout is a hang guard, not a speed check."""
    return subprocess.run([sys.executable, "-m", "newpower_site", "build", "--site", str(site)],
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_fifo_in_content_is_a_warning_not_a_hang(tmp_path: Path) -> None:
    site = small_site(tmp_path)
    os.mkfifo(site / "content/articles/pipe.md")
    os.mkfifo(site / "content/images-pipe.png")
    run = build(site)
    assert run.returncode == 0, run.stderr
    assert "content/articles/pipe.md: warning: not a regular file (a FIFO, socket or device): not read" in run.stderr
    assert "content/images-pipe.png: warning: not a regular file" in run.stderr
    assert (site / "output/articles/a/index.html").is_file()
    assert not (site / "output/images-pipe.png").exists()


def test_a_socket_in_content_is_a_warning(tmp_path: Path) -> None:
    site = small_site(tmp_path)
    server = socket.socket(socket.AF_UNIX)
    os.chdir(site / "content/articles")  # AF_UNIX paths are short: bind by a relative name
    try:
        server.bind("sock.md")
        sources, problems = walked(site)
    finally:
        server.close()
        os.chdir(tmp_path)
    assert sources == ["content/articles/a.md"]
    assert problems == ["content/articles/sock.md: warning: not a regular file (a FIFO, socket or device): not read"]


def test_content_itself_a_link_out_of_the_site_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    (outside / "articles").mkdir(parents=True)
    (outside / "articles/leak.md").write_text(ARTICLE, encoding="utf-8")
    (outside / "passwords.txt").write_text("hunter2", encoding="utf-8")
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.yaml").write_text("title: T\nbase_url: https://example.org\ndescription: D\n", encoding="utf-8")
    (site / "content").symlink_to(outside)
    sources, problems = walked(site)
    assert sources == []
    assert problems == ["content: warning: symbolic link to outside the site folder: not followed, nothing in it is read"]
    run = build(site)
    assert "content: warning: symbolic link to outside the site folder" in run.stderr
    assert not list((site / "output").rglob("passwords.txt")) and not (site / "output/articles/leak").exists()


def test_content_a_link_inside_the_site_is_read(tmp_path: Path) -> None:
    site = small_site(tmp_path)
    (site / "content").rename(site / "src")
    (site / "content").symlink_to("src")
    assert walked(site) == (["content/articles/a.md"], [])


@pytest.mark.parametrize(("name", "shown"), [
    (b"line\nbreak.md", "line\\nbreak.md"), (b"carriage\rreturn.md", "carriage\\rreturn.md"),
    ("sep\u2028arator.md".encode(), "sep\\u2028arator.md"), ("para\u2029graph.md".encode(), "para\\u2029graph.md"),
    (b"bell\x07.md", "bell\\x07.md"), (b"latin1-\xe9t\xe9.md", "latin1-\\udce9t\\udce9.md"), (b"photo\n.jpg", "photo\\n.jpg"),
])
def test_unsafe_file_names_are_errors_naming_the_file(tmp_path: Path, name: bytes, shown: str) -> None:
    site = small_site(tmp_path)
    with open(os.path.join(os.fsencode(site / "content/articles"), name), "wb") as handle:
        handle.write(ARTICLE.encode())
    sources, problems = walked(site)
    assert sources == ["content/articles/a.md"]
    assert len(problems) == 1
    assert problems[0].startswith(f"content/articles/{shown}: error: file name holds a control character")
    assert "\n" not in problems[0] and "\r" not in problems[0] and "\u2028" not in problems[0]
    run = build(site)
    assert run.returncode == 1 and "Traceback" not in run.stderr and "internal error" not in run.stderr
    assert f"content/articles/{shown}: error: file name" in run.stderr


@pytest.mark.parametrize("suffix", [".markdown", ".mdown", ".mkd"])
def test_other_markdown_suffixes_are_read_as_markdown(tmp_path: Path, suffix: str) -> None:
    site = small_site(tmp_path, {f"content/articles/long-name{suffix}": ARTICLE.replace("title: A", "title: Long")})
    run = build(site)
    assert run.returncode == 0, run.stderr
    assert "<h1" in (site / "output/articles/long-name/index.html").read_text(encoding="utf-8")
    assert not list((site / "output").rglob(f"*{suffix}")), "never copied out raw"


def test_two_files_with_one_slug_are_an_error_naming_both(tmp_path: Path) -> None:
    site = small_site(tmp_path, {"content/articles/a.markdown": ARTICLE})
    sources, problems = walked(site)
    assert problems == ["content/articles/a.md: error: content/articles/a.md and content/articles/a.markdown have the same slug 'a': keep one of them"]


@pytest.mark.parametrize("name", ["notes.txt", "draft.md.bak", "photo.jpg", "index.html", ".md"])
def test_other_files_in_a_kind_folder_are_not_read_nor_published(tmp_path: Path, name: str) -> None:
    site = small_site(tmp_path, {f"content/articles/{name}": "<script>alert(1)</script>", "content/images/photo.jpg": b"\xff\xd8"})
    sources, problems = walked(site)
    if name.startswith("."):
        assert problems == []  # hidden, as every dot file
        return
    assert f"content/articles/{name}" not in sources and "content/images/photo.jpg" in sources
    assert problems == [f"content/articles/{name}: warning: not read: only Markdown (.md, .markdown, .mdown, .mkd) is read in "
                        "content/articles/, and this file is not published"]


# -- finding 17: input bounds ---------------------------------------------------------------------


def test_a_content_file_over_the_bound_is_an_error_naming_it(tmp_path: Path) -> None:
    body = ("Words of a long article. " * 40 + "\n\n") * (MAX_SOURCE_BYTES // 1000 + 200)
    site = small_site(tmp_path, {"content/articles/huge.md": ARTICLE + body})
    assert (site / "content/articles/huge.md").stat().st_size > MAX_SOURCE_BYTES
    run = build(site)
    assert run.returncode == 1
    assert "content/articles/huge.md: error: the file is 2.2 MB, over the 2 MB a content file may hold" in run.stderr
    assert not (site / "output").exists()


def test_a_content_file_just_under_the_bound_builds(tmp_path: Path) -> None:
    body = ("Words of a long article. " * 40 + "\n\n") * ((MAX_SOURCE_BYTES - 4096) // 1002)
    site = small_site(tmp_path, {"content/articles/long.md": ARTICLE + body})
    assert (site / "content/articles/long.md").stat().st_size <= MAX_SOURCE_BYTES
    run = build(site)
    assert run.returncode == 0, run.stderr


# -- finding 16: SVGs under content/ run nothing on the site's origin --------------------------------

SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">\n'


@pytest.mark.parametrize("body", [
    "<script>alert(document.cookie)</script>",
    '<circle r="4" onload="alert(1)"/>',
    '<a xlink:href="javascript:alert(1)"><circle r="4"/></a>',
    '<a href=" JavaScript:alert(1)"><circle r="4"/></a>',
    '<foreignObject width="10" height="10"><p xmlns="http://www.w3.org/1999/xhtml">x</p></foreignObject>',
    '<image href="https://tracker.example/pixel.png" width="1" height="1"/>',
    '<use href="other.svg#x"/>',
    '<a><set attributeName="href" to="javascript:alert(1)"/><circle r="4"/></a>',
    "<style>@import url(https://evil.example/x.css);</style>",
    '<rect width="4" height="4" style="fill: url(https://evil.example/p.svg#g)"/>',
])
def test_an_svg_that_could_run_code_is_refused_and_not_published(tmp_path: Path, body: str) -> None:
    site = small_site(tmp_path, {"content/images/chart.svg": SVG_HEAD + body + "\n</svg>\n"})
    run = build(site)
    assert run.returncode == 1, run.stderr
    assert "content/images/chart.svg:2: error: SVG " in run.stderr and "the file is not published" in run.stderr
    assert not (site / "output").exists()


def test_an_svg_with_a_doctype_is_refused(tmp_path: Path) -> None:
    bomb = '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n' + SVG_HEAD + "<text>&b;</text></svg>\n"
    site = small_site(tmp_path, {"content/images/chart.svg": bomb})
    run = build(site)
    assert run.returncode == 1
    assert "content/images/chart.svg:1: error: SVG has a DOCTYPE" in run.stderr


def test_a_plain_drawing_is_published_as_it_is(tmp_path: Path) -> None:
    drawing = SVG_HEAD + '<defs><linearGradient id="g"><stop offset="0"/></linearGradient></defs>\n' \
        '<title>A chart</title><rect width="4" height="4" fill="url(#g)" style="fill: url(#g)"/><use href="#g"/>' \
        '<animate attributeName="opacity" values="0;1" dur="1s"/></svg>\n'
    site = small_site(tmp_path, {"content/images/chart.svg": drawing})
    run = build(site)
    assert run.returncode == 0, run.stderr
    assert (site / "output/images/chart.svg").read_text(encoding="utf-8") == drawing
