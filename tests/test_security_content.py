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
