"""markdown.MarkdownRenderer.render: extensions, ids, links, escaping per kind."""

from __future__ import annotations

import lxml.etree
import lxml.html
import pytest

from newpower_site.load.links import LinkTargets
from newpower_site.load.markdown import MarkdownRenderer
from newpower_site.core.urls import Urls

TARGETS = LinkTargets(
    pages={
        "content/voices/asha-patel.md": "/archive/voices/asha-patel/",
        "content/articles/one.md": "/archive/articles/one/",
        "content/pages/about.md": "/archive/about/",
    },
    unpublished=frozenset({"content/articles/draft.md"}),
    assets={"content/images/asha.jpg": "images/asha.jpg", "content/files/report.pdf": "files/report.pdf"},
    static_paths=frozenset({"static/logo.svg"}),
)
URLS = Urls("https://example.org/archive")
RENDERER = MarkdownRenderer.create()
FOLDER = {"article": "articles", "voice": "voices", "newsletter": "newsletters", "page": "pages"}


def render(markdown: str, kind: str = "article", body_line: int = 1):
    source = f"content/{FOLDER[kind]}/x.md"
    body, problems = RENDERER.render(kind, markdown, source, body_line, TARGETS, URLS)
    assert all(p.path == source for p in problems)
    return body, [(p.line, p.message) for p in problems]


def tree(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(html, create_parent="div")


def rendered(markdown: str, kind: str = "article") -> lxml.html.HtmlElement:
    body, problems = render(markdown, kind)
    assert problems == []
    return tree(body.html)


# -- CommonMark extensions ------------------------------------------------------------


def test_table() -> None:
    root = rendered("| Branch | Members |\n|---|--:|\n| Leeds | 120 |\n| York | 80 |\n")
    (wrapper,) = root.findall("div")
    assert (wrapper.get("class"), wrapper.get("role"), wrapper.get("tabindex")) == ("table-scroll", "region", "0")  # scrolls by keyboard too
    assert wrapper.get("aria-label")
    (table,) = wrapper.findall("table")
    assert [th.text for th in table.findall("thead/tr/th")] == ["Branch", "Members"]
    assert [[td.text for td in tr.findall("td")] for tr in table.findall("tbody/tr")] == [["Leeds", "120"], ["York", "80"]]


def test_footnotes() -> None:
    root = rendered("A claim.[^src]\n\nMore.\n\n[^src]: The source.\n")
    (ref,) = root.xpath("//sup[@class='footnote-ref']/a")
    target = ref.get("href").removeprefix("#")
    (note,) = root.xpath(f"//section[@class='footnotes']//li[@id='{target}']")
    assert "The source." in note.text_content()
    (back,) = note.xpath(".//a[@class='footnote-backref']")
    assert back.get("href") == "#" + ref.get("id")


def test_strikethrough() -> None:
    root = rendered("It was ~~impossible~~ done.\n")
    assert [s.text for s in root.iter("s", "del")] == ["impossible"]


def test_smart_quotes_and_dashes() -> None:
    root = rendered("\"Power\" isn't 'given' -- it's taken...\n")
    assert root.findtext("p") == "“Power” isn’t ‘given’ – it’s taken…"


def test_code_is_not_made_typographic() -> None:
    root = rendered('`"x" -- y`\n\n```\n"quoted"\n```\n')
    assert root.findtext("p/code") == '"x" -- y'
    assert root.findtext("pre/code") == '"quoted"\n'


# -- heading ids ----------------------------------------------------------------------------


def test_heading_ids_come_from_the_text_as_on_github() -> None:
    body, _ = render("# Sharing power\n\n## What’s next? Ørsted & co.\n\n### 🎉\n")
    ids = [h.get("id") for h in tree(body.html).iter("h1", "h2", "h3")]
    assert ids == ["sharing-power", "whats-next-ørsted--co", "section"]  # GitHub drops '&' and keeps both spaces
    assert [(h.level, h.id, h.text) for h in body.headings] == [
        (1, "sharing-power", "Sharing power"),
        (2, "whats-next-ørsted--co", "What’s next? Ørsted & co."),
        (3, "section", "🎉"),
    ]


def test_duplicate_headings_get_unique_suffixes() -> None:
    body, _ = render("## Why\n\n## Why\n\n## Why 1\n\n## Why\n")
    ids = [h.get("id") for h in tree(body.html).iter("h2")]
    assert ids[:2] == ["why", "why-1"]
    assert len(set(ids)) == 4
    assert ids == [h.id for h in body.headings]


def test_heading_ids_are_stable_between_renders() -> None:
    text = "## One\n\n## One\n\n## Two\n"
    first, _ = render(text)
    second, _ = render(text)
    assert first.html == second.html
    assert [h.get("id") for h in tree(first.html).iter("h2")] == ["one", "one-1", "two"]


# -- links ----------------------------------------------------------------------------------------


def test_relative_md_links_are_rewritten_with_the_prefix() -> None:
    root = rendered(
        "Read [Asha](../voices/asha-patel.md#what-changed), [about](../pages/about.md), "
        "[one](one.md?x=1), [report](../files/report.pdf), [feed](/feed.xml) and [out](https://example.com/a).\n"
    )
    assert [a.get("href") for a in root.iter("a")] == [
        "/archive/voices/asha-patel/#what-changed",
        "/archive/about/",
        "/archive/articles/one/?x=1",
        "/archive/files/report.pdf",
        "/archive/feed.xml",
        "https://example.com/a",
    ]


def test_reference_style_link_is_rewritten() -> None:
    root = rendered("See [her story][asha].\n\n[asha]: ../voices/asha-patel.md\n")
    assert [a.get("href") for a in root.iter("a")] == ["/archive/voices/asha-patel/"]


def test_broken_link_line_is_the_file_line() -> None:
    body, problems = render("Intro.\n\nFirst line of a paragraph\nsecond line\nthird has [a link](missing.md) in it\n", body_line=8)
    assert problems == [(12, "broken link: 'missing.md' links to content/articles/missing.md, which does not exist")]
    assert [a.get("href") for a in tree(body.html).iter("a")] == ["#"]


def test_link_to_a_draft_is_an_error() -> None:
    _, problems = render("A\n\nSee [the draft](draft.md).\n", body_line=5)
    assert problems == [(7, "broken link: 'draft.md' links to content/articles/draft.md, which is a draft or dated in the future")]


@pytest.mark.parametrize(
    ("markdown", "line"),
    [
        ("| a |\n|---|\n| x |\n| [b](missing.md) |\n", 4),
        ("- one\n- two\n- [b](missing.md)\n", 3),
        ("> quote\n> more\n> [b](missing.md)\n", 3),
        ("Text.[^1]\n\n[^1]: A note\n    with [b](missing.md)\n", 4),
        ("para\n\n[b][r]\n\n[r]: missing.md\n", 3),
    ],
)
def test_broken_link_lines_in_other_blocks(markdown: str, line: int) -> None:
    _, problems = render(markdown, body_line=20)
    assert [p[0] for p in problems] == [19 + line]


def test_every_broken_link_is_reported() -> None:
    _, problems = render("[a](x.md) [b](y.md)\n\n[c](../nowhere/z.md)\n", body_line=3)
    assert [line for line, _ in problems] == [3, 3, 5]
    assert ["x.md" in problems[0][1], "y.md" in problems[1][1], "z.md" in problems[2][1]] == [True] * 3


@pytest.mark.parametrize(
    "markdown",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](javascript&#58;alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x][r]\n\n[r]: javascript:alert(1)",
        "<javascript:alert(1)>",
        "<JAVASCRIPT:alert(1)>",
    ],
)
@pytest.mark.parametrize("kind", ["article", "voice"])
def test_unsafe_markdown_links_are_errors_and_never_emitted(markdown: str, kind: str) -> None:
    body, problems = render(markdown + "\n", kind)
    assert len(problems) == 1
    assert "links are not allowed" in problems[0][1]
    hrefs = [a.get("href") for a in tree(body.html).iter("a")]
    assert hrefs == ["#"]


def test_unsafe_image_is_an_error_and_never_emitted() -> None:
    body, problems = render("![a cat](javascript:alert(1))\n\n![a dog](data:text/html;base64,AAAA)\n")
    assert [line for line, _ in problems] == [1, 3]
    assert all("broken image" in m for _, m in problems)
    assert [img.get("src") for img in tree(body.html).iter("img")] == ["", ""]


def test_data_image_in_an_image_is_kept() -> None:
    root = rendered("![a dot](data:image/png;base64,AAAA)\n")
    assert [img.get("src") for img in root.iter("img")] == ["data:image/png;base64,AAAA"]


# -- images -----------------------------------------------------------------------------------------


def test_images() -> None:
    root = rendered("![Asha at the picket](../images/asha.jpg) ![Logo](/static/logo.svg) ![Remote](https://cdn.example.org/a.png)\n")
    assert [(i.get("src"), i.get("alt")) for i in root.iter("img")] == [
        ("/archive/images/asha.jpg", "Asha at the picket"),
        ("/archive/static/logo.svg", "Logo"),
        ("https://cdn.example.org/a.png", "Remote"),
    ]


@pytest.mark.parametrize("markdown", ["![](../images/asha.jpg)", "![  ](../images/asha.jpg)"])
def test_images_need_alt_text(markdown: str) -> None:
    _, problems = render("Intro\n\n" + markdown + "\n", body_line=4)
    assert len(problems) == 1
    assert problems[0][0] == 6
    assert "needs alt text" in problems[0][1]


@pytest.mark.parametrize("target", ["../images/missing.jpg", "../files/report.pdf", "one.md"])
def test_broken_images(target: str) -> None:
    _, problems = render(f"![a picture]({target})\n")
    assert len(problems) == 1
    assert problems[0][1].startswith("broken image:")


# -- raw HTML -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["article", "page"])
def test_raw_html_is_kept_in_articles_and_pages(kind: str) -> None:
    root = rendered('<div class="callout">\n<p>Join us</p>\n</div>\n\nSome <abbr title="Trades Union Congress">TUC</abbr> text.\n', kind)
    (callout,) = root.xpath("div[@class='callout']")
    assert callout.findtext("p") == "Join us"
    (abbr,) = root.iter("abbr")
    assert abbr.get("title") == "Trades Union Congress"


def test_raw_html_is_text_in_voices_with_a_warning_at_its_line() -> None:
    markdown = "<div>block</div>\n\nAn <b>inline</b> tag and <script>alert(1)</script>.\n"
    body, problems = render(markdown, "voice", body_line=5)
    assert problems == [
        (5, "raw HTML '<div>' is shown as text: a member's voice carries no markup"),
        (7, "raw HTML '<b>' is shown as text: a member's voice carries no markup"),
    ]
    root = tree(body.html)
    assert list(root.iter("div", "b", "script")) == [root]  # only the wrapper
    assert "<div>block</div>" in root.text_content()
    assert "<script>alert(1)</script>" in root.text_content()


def test_raw_html_in_newsletters_goes_through_the_email_allowlist() -> None:
    markdown = (
        "<small>Issue 12</small> of <sup>many</sup><br />\n\n"
        "<table><tr><td>a<br/>b</td></tr></table>\n\n"
        '<img src="https://cdn.example.org/a.png" alt="A map">\n\n'
        "<pre>kept\n  as is</pre>\n\n"
        'Then <script>alert(1)</script> and <span style="color:red" onclick="x()">red</span>.\n\n'
        '<form action="/x"><input name="q"></form>\n\n'
        '<iframe src="https://example.org" title="t"></iframe>\n'
    )
    body, problems = render(markdown, "newsletter", body_line=3)
    root = tree(body.html)
    assert [e.tag for e in root.iter("small", "sup", "br", "table", "td", "img", "pre")] == ["small", "sup", "br", "table", "td", "br", "img", "pre"]
    assert root.findtext(".//pre") == "kept\n  as is"
    assert not list(root.iter("script", "style", "form", "input", "iframe"))
    assert "alert(1)" not in body.html and "onclick" not in body.html and "color:red" not in body.html
    assert [(line, message.split(":")[0]) for line, message in problems] == [
        (12, "raw HTML <script> is removed from a newsletter"),
        (12, "raw HTML <span style=…>"),
        (12, "raw HTML <span onclick=…>"),
        (14, "raw HTML <form> is removed from a newsletter"),
        (14, "raw HTML <input> is removed from a newsletter"),
        (16, "raw HTML <iframe> is removed from a newsletter"),
    ]
    assert all(p.level == "warning" for p in RENDERER.render("newsletter", markdown, "content/newsletters/x.md", 3, TARGETS, URLS)[1])


@pytest.mark.parametrize(
    "markup",
    [
        '<a href="javascript:alert(1)">x</a>',
        "<a href='JavaScript:alert(1)'>x</a>",
        "<a href=javascript:alert(1)>x</a>",
        '<a href="&#x6A;avascript:alert(1)">x</a>',
        '<a href="java&Tab;script:alert(1)">x</a>',
        '<a href=" javascript:alert(1)">x</a>',
        '<form action="javascript:alert(1)"><button>x</button></form>',
        '<iframe src="data:text/html,x" title="t"></iframe>',
        '<a href="vbscript:msgbox(1)">x</a>',
    ],
)
def test_unsafe_urls_in_raw_html_are_errors(markup: str) -> None:
    _, problems = render(f"Intro.\n\nText {markup} after.\n", body_line=10)
    assert len(problems) == 1
    assert problems[0][0] == 12
    assert "raw HTML uses a" in problems[0][1] and "URL, which is never allowed" in problems[0][1]


def test_unsafe_url_in_a_multi_line_html_block_points_at_its_line() -> None:
    _, problems = render('Intro.\n\n<div>\n<p>fine</p>\n<a href="javascript:alert(1)">x</a>\n</div>\n', body_line=10)
    assert [line for line, _ in problems] == [14]


@pytest.mark.parametrize("markup", ["<img src=x>", '<img src="../images/asha.jpg" title="t">', "<IMG SRC=x>"])
def test_raw_html_img_needs_alt(markup: str) -> None:
    _, problems = render(f"Intro.\n\n{markup}\n", body_line=3)
    assert problems == [(5, 'raw HTML <img> needs an alt attribute (alt="" only for decoration)')]


def test_raw_html_img_with_alt_is_fine() -> None:
    _, problems = render('<img src="https://cdn.example.org/a.png" alt="">\n\n<img alt="A" src="x.png">\n')
    assert problems == []


def test_safe_raw_html_attributes_are_not_errors() -> None:
    _, problems = render('<a href="https://example.org" data-note="javascript: is text here">x</a>\n')
    assert problems == []


# -- voices: the interview --------------------------------------------------------------------------


def test_voice_questions_become_labelled_sections() -> None:
    body, problems = render("Asha has been a steward for ten years.\n\n## What changed?\n\nEverything.\n\nReally.\n\n## And now?\n\nWe win.\n", "voice")
    assert problems == []
    root = tree(body.html)
    assert root.findtext("p") == "Asha has been a steward for ten years."
    sections = root.findall("section")
    assert [s.get("class") for s in sections] == ["qa", "qa"]
    for section, (question, answers) in zip(sections, [("What changed?", ["Everything.", "Really."]), ("And now?", ["We win."])]):
        (heading,) = section.findall("h2")
        assert heading.text == question
        assert section.get("aria-labelledby") == heading.get("id")
        (answer,) = section.xpath("div[@class='answer']")
        assert [p.text for p in answer.findall("p")] == answers
    assert [h.text for h in body.headings] == ["What changed?", "And now?"]


def test_voice_subheadings_stay_inside_the_answer() -> None:
    root = rendered("## Q\n\n### Detail\n\nText.\n", "voice")
    (section,) = root.findall("section")
    assert section.xpath("div[@class='answer']/h3/text()") == ["Detail"]


def test_voice_footnotes_stay_outside_the_sections() -> None:
    root = rendered("## Q1\n\nA.[^1]\n\n## Q2\n\nB.\n\n[^1]: Note.\n", "voice")
    qa = root.xpath("section[@class='qa']")
    assert len(qa) == 2
    assert root.xpath("section[@class='footnotes']")
    assert not root.xpath("section[@class='qa']//section")


def test_voice_without_questions_is_plain() -> None:
    root = rendered("Just a statement.\n", "voice")
    assert not root.findall("section")
    assert root.findtext("p") == "Just a statement."


def test_articles_are_not_wrapped_in_sections() -> None:
    assert not rendered("## Q\n\nA\n", "article").findall("section")


def test_voice_question_ids_are_escaped_in_the_attribute() -> None:
    body, _ = render('## "Quoted" & <b>odd</b>\n\nA\n', "voice")
    (section,) = tree(body.html).findall("section")
    (heading,) = section.findall("h2")
    assert section.get("aria-labelledby") == heading.get("id")


# -- first paragraph ---------------------------------------------------------------------------------


def test_first_paragraph_is_plain_text() -> None:
    body, _ = render(
        "# Title\n\n![a picture](../images/asha.jpg)\n\n> A quote\n\nThe *first* [real](one.md) `para`\nacross  lines &amp; \"quotes\".\n\nSecond.\n"
    )
    assert body.first_paragraph == "The first real para across lines & “quotes”."


def test_first_paragraph_skips_raw_html() -> None:
    body, _ = render("<p>raw</p>\n\nMarkdown <b>para</b>.\n", "page")
    assert body.first_paragraph == "Markdown para."


def test_first_paragraph_of_an_empty_body() -> None:
    body, problems = render("")
    assert (body.html, body.first_paragraph, body.headings, problems) == ("", "", (), [])


# -- lines of inline links, nested questions, smuggled raw HTML --------------------------------------


def test_same_broken_link_on_two_lines_gets_two_lines() -> None:
    _, problems = render("See [a](missing.md) here\nand [b](missing.md) there.\n", body_line=10)
    assert [line for line, _ in problems] == [10, 11]


def test_broken_link_with_non_ascii_target_gets_its_own_line() -> None:
    _, problems = render("one\ntwo [x](<../images/café map.jpg>)\n", body_line=10)
    assert [line for line, _ in problems] == [11]


def test_broken_link_in_inline_footnote_gets_its_line() -> None:
    _, problems = render("a\nb\nText^[see [x](missing.md)].\n", body_line=10)
    assert [line for line, _ in problems] == [12]


@pytest.mark.parametrize("markdown", ["- ## in a list\n\n  answer\n", "> ## in a quote\n\nAfter the quote.\n"])
def test_voice_nested_heading_gives_well_formed_html(markdown: str) -> None:
    body, _ = render(markdown, "voice")
    lxml.etree.fromstring(f"<div>{body.html}</div>")  # markdown-it emits XHTML-style markup


def test_unterminated_raw_html_attribute_cannot_smuggle_javascript() -> None:
    body, problems = render('<div>\n<a href="javascript:alert(1)//\n\n[click](https://example.org)\n', "article")
    hrefs = [a.get("href") or "" for a in tree(body.html).iter("a")]
    emitted = any(h.strip().lower().startswith("javascript:") for h in hrefs)
    assert problems or not emitted


def test_broken_link_in_a_multi_line_inline_footnote_gets_its_line() -> None:
    _, problems = render("x^[a\nb [c](missing.md)]\n", body_line=10)
    assert [line for line, _ in problems] == [11]


def test_unsafe_url_in_a_multi_line_inline_tag_points_at_the_tag() -> None:
    _, problems = render('text\nmore <a\nhref="javascript:1">x</a>\n', body_line=10)
    assert problems == [(11, "raw HTML uses a javascript: URL, which is never allowed")]


def test_voice_nested_heading_is_not_a_question() -> None:
    body, _ = render("- ## in a list\n\n## A question?\n\nAn answer.\n", "voice")
    (section,) = tree(body.html).findall("section")
    assert section.findtext("h2") == "A question?"


def test_unclosed_quote_in_raw_html_is_an_error_at_its_line() -> None:
    _, problems = render('Intro.\n\n<div>\n<a href="https://example.org/x\n\nThe next paragraph.\n', body_line=10)
    assert len(problems) == 1
    assert problems[0][0] == 13
    assert "open (an unclosed tag, quote or comment)" in problems[0][1]


@pytest.mark.parametrize(
    "markdown",
    [
        # the browser reads the <textarea> content as text up to </textarea>, inside the title attribute
        "A <textarea> b <b title=\"</textarea><a href='javascript:1'>\">x</b>\n",
        # inside <svg>, <title> holds markup, not text
        '<svg><title><a href="javascript:1">x</a></title></svg>\n',
    ],
)
def test_raw_text_elements_cannot_hide_an_unsafe_url(markdown: str) -> None:
    _, problems = render(markdown)
    assert problems == [(1, "raw HTML uses a javascript: URL, which is never allowed")]


@pytest.mark.parametrize(("markup", "errors"), [("<div><![A]>x</div>", 0), ("<div><![]>x</div>", 0), ('<div><![x><a href="javascript:1">y</a></div>', 1)])
def test_marked_sections_in_raw_html_are_read_as_a_browser_does(markup: str, errors: int) -> None:
    _, problems = render(markup + "\n")  # a bogus comment up to the next '>'; Python 3.11's parser raised on these
    assert len(problems) == errors


def test_nested_strikethrough_and_tables_are_rewritten_tag_for_tag() -> None:
    """The read-back finds each end tag from its start tag: nested <del>, and two tables, each get their own."""
    body, problems = render("~~a ~~b~~ c~~ and ~d~\n\n| x |\n|---|\n| ~~y~~ |\n\n| z |\n|---|\n| [w](../voices/asha-patel.md) |\n")
    html = body.utf8
    assert problems == [] and b"<del>" not in html and b"</del>" not in html
    assert html.count(b"<s>") == html.count(b"</s>") == 4
    assert html.count(b'<div class="table-scroll"') == 2 and html.count(b"</table>\n</div>\n") == 2
    assert b'<a href="/archive/voices/asha-patel/">w</a>' in html
    assert html.startswith(b"<p><s>a <s>b</s> c</s> and <s>d</s></p>\n")


def test_a_voices_questions_are_top_level_headings_only() -> None:
    """Lists and quotes are counted in the read-back's one pass: a `##` inside one is no question."""
    body, _ = render("Intro.\n\n## First?\n\nYes.\n\n> ## Quoted\n\n- item\n\n  ## In a list\n\n## Second?\n\nNo.\n", kind="voice")
    html = body.utf8.decode()
    assert html.count('<section class="qa"') == 2
    assert '<section class="qa" aria-labelledby="first">\n<h2 id="first">First?</h2>\n<div class="answer">\n' in html
    assert '<section class="qa" aria-labelledby="second">' in html and html.rstrip().endswith("</div>\n</section>")
    assert html.index('<h2 id="quoted">') < html.index('aria-labelledby="second"')
