"""The Markdown stage's shortcuts change nothing in what it writes.

cmark.py leaves out an extension a text cannot use and keeps its parsers
for the next text; markdown.py reads cmark's UTF-8 without decoding it and
takes an item's body as the bytes it is kept in. Each is checked here
against the long way round, on the CommonMark and GFM spec examples and on
texts made to sit at the edge of each shortcut. (The speed itself is shown
by benchmarks/markdown_stage.py, never asserted.)
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_spec_examples import NO_TARGETS, URLS, commonmark_examples, gfm_examples

from newpower_site.load import cmark, markdown
from newpower_site.load.markdown import MarkdownRenderer

EDGES = [
    # the autolink extension: `www.`, `://` outside a <…> autolink, `@` written or as an entity
    "www.example.org", "see WWW.example.org", "(www.example.org)", "a@b.example", "a&#64;b.example", "a&#x40;b.example",
    "a&commat;b.example", "mailto:a@b.example", "xmpp:a@b.example/home", "https://example.org/x", "ftp://example.org",
    "<https://example.org>", "\\<https://example.org>", "\\\\<https://example.org>", "<https://a<https://example.org>",
    "<https://example.org>://example.net", "<https://example.org> and https://example.net", "<https://example.org/ü>",
    "<https://exa mple.org>", "`https://example.org`", "[<https://example.org>](x.md)", "<a href='https://example.org'>x</a>",
    "*<https://example.org>*", "~~<https://example.org>~~", "x://", "://", "<x:>://",
    # more than sixteen colons before a bare URL, and before or around an autolink: the search at once
    "a:b " * 20 + "https://example.org", "a:b " * 20 + "<https://example.org>", "<https://x.org> " + "a:b " * 20 + "http://y.org",
    # strikethrough and tables
    "~a~ ~~b~~ ~~~c~~~", "a\n:--\n", "a\n--:\nb\n", "a | b\n-|-\n1 | 2\n", "| a |\n|---|\n| ~~b~~ |\n",
    # headings with links and strikethrough inside, footnotes, a voice's questions
    "## ~~Old~~ [new](x.md) ![pic](x.png)\n\ntext[^1]\n\n[^1]: the note www.example.org\n",
    "## Why?\n\nBecause.\n\n## Why?\n\n> ## Not a question\n\nAgain -- and --- and ...\n",
]


def _both_ways(text: str) -> list[tuple[bytes, bytes]]:
    data = text.encode("utf-8")
    found = []
    for options in (cmark.UNSAFE | cmark.FOOTNOTES, cmark.UNSAFE | cmark.FOOTNOTES | cmark.SMART):
        for extra in (0, cmark.SOURCEPOS):
            with cmark.Document(data, options) as chosen, cmark.Document(data, options, cmark.EXTENSIONS) as every:
                found.append((chosen.render_utf8(extra), every.render_utf8(extra)))
    return found


def test_leaving_out_an_extension_the_text_cannot_use_changes_nothing() -> None:
    texts = [markdown for _, markdown, _ in commonmark_examples() + gfm_examples()] + EDGES
    differ = [text for text in texts for chosen, every in _both_ways(text) if chosen != every]
    assert differ == []


@pytest.mark.parametrize(("text", "autolink"), [
    ("plain words, no links at all", False),
    ("an autolink <https://example.org/x> alone", False),
    ("two <https://example.org> <http://example.net/a?b=c>", False),
    ("escaped \\<https://example.org>", True),
    ("bare https://example.org", True),
    ("a:b " * 20 + "https://example.org", True),
    ("<https://x.org> " + "a:b " * 20 + "<http://y.org>", False),
    ("www.example.org", True),
    ("a@b.example", True),
    ("a&#64;b.example", True),
    ("not a link: a&amp;b", False),
    ("<https://a b>", True),
])
def test_the_autolink_extension_is_attached_exactly_where_it_could_link(text: str, autolink: bool) -> None:
    assert (b"autolink" in cmark.extensions_needed(text.encode("utf-8"))) is autolink
    assert b"table" in cmark.extensions_needed(text.encode("utf-8"))  # a table needs no `|`: always there


def test_a_kept_parser_reads_each_text_as_a_fresh_one_would() -> None:
    texts = ["[a]: https://example.org\n\n[a]", "text[^n]\n\n[^n]: note", "[a]", "text[^n]", "# Same\n\n# Same"]
    first = [_both_ways(text) for text in texts]
    again = [_both_ways(text) for text in reversed(texts)][::-1]
    assert first == again
    with cmark.Document(texts[2], cmark.UNSAFE) as document:  # the definition of [a] above is not remembered
        assert document.render_html() == "<p>[a]</p>\n"


@pytest.mark.parametrize("kind", ["article", "voice", "newsletter", "page"])
def test_a_body_given_as_utf8_renders_as_the_same_text_would(kind: str) -> None:
    renderer = MarkdownRenderer.create()
    for text in EDGES + ["<!-- a note -->\nText <b>bold</b> \x01 \ue000 end [broken](nowhere.md)"]:
        as_text = renderer.render(kind, text, "content/articles/x.md", 5, NO_TARGETS, URLS)
        as_bytes = renderer.render(kind, text.encode("utf-8"), "content/articles/x.md", 5, NO_TARGETS, URLS)
        assert as_text == as_bytes


SUSPECT_BYTES = [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]


def test_the_control_character_check_finds_each_control_byte_and_marker_wherever_it_is() -> None:
    """The strcspn shortcut (two halves of the set, SSE-sized) tells what the full byte table tells, at every offset."""
    from newpower_site.load import markdown

    for byte in range(256):
        for offset in (0, 1, 15, 16, 17, 31, 32, 33, 4095):
            data = b"a" * offset + bytes([byte]) + b"b" * 40
            assert markdown._may_be_unshowable(data) == (byte in SUSPECT_BYTES or byte == 0xEE), (byte, offset)
    assert not markdown._may_be_unshowable(b"")


@pytest.mark.parametrize("byte", SUSPECT_BYTES)
def test_a_control_character_anywhere_in_a_body_becomes_a_replacement_character(byte: int) -> None:
    renderer = MarkdownRenderer.create()
    char = chr(byte)
    for text in (f"{char}start", f"Some words and {char} more of them, past sixteen bytes.", f"end{char}", f"# Heading {char} x\n"):
        body, _ = renderer.render("article", text.encode("utf-8"), "content/articles/x.md", 1, NO_TARGETS, URLS)
        html = body.utf8.decode("utf-8")
        assert char not in html
        assert "\ufffd" in html, (byte, text)


def test_the_raw_html_markers_in_a_body_become_replacement_characters() -> None:
    body, _ = MarkdownRenderer.create().render(
        "article", "a \ue000 b \ue0010\ue001 c \ue03f".encode("utf-8"), "content/articles/x.md", 1, NO_TARGETS, URLS)
    assert body.utf8.decode("utf-8") == "<p>a \ufffd b \ufffd0\ufffd c \ue03f</p>\n"


def test_a_document_in_the_arena_renders_as_one_made_with_malloc() -> None:
    texts = [markdown for _, markdown, _ in commonmark_examples() + gfm_examples()] + EDGES
    options = cmark.UNSAFE | cmark.FOOTNOTES | cmark.SMART
    differ = []
    for text in texts:
        with cmark.Document(text, options) as usual, cmark.Document(text, options, arena=True) as arena:
            for extra in (0, cmark.SOURCEPOS):
                if usual.render_utf8(extra) != arena.render_utf8(extra):
                    differ.append(text)
    assert differ == []


def test_documents_in_the_arena_are_freed_last_made_first() -> None:
    outer = cmark.Document("*outer*", cmark.UNSAFE, arena=True)
    inner = cmark.Document("**inner**", cmark.UNSAFE, arena=True)
    with pytest.raises(RuntimeError, match="reverse order"):
        outer.free()
    assert inner.render_html() == "<p><strong>inner</strong></p>\n"
    inner.free()
    assert outer.render_html() == "<p><em>outer</em></p>\n"  # still whole after the inner one went
    outer.free()


def test_threads_take_turns_at_the_arena() -> None:
    """The arena is one for the process and cffi lets go of the GIL in C: each thread's HTML must be its own."""
    import threading

    texts = [f"# Title {n}\n\n" + f"words [link {n}](https://example.org/{n}) " * 200 for n in range(8)]
    expected = [MarkdownRenderer.create().render("article", text, "content/articles/x.md", 1, NO_TARGETS, URLS)[0].utf8 for text in texts]
    got: dict[int, list[bytes]] = {}

    def work(n: int) -> None:
        renderer = MarkdownRenderer.create()
        got[n] = [renderer.render("article", texts[n], "content/articles/x.md", 1, NO_TARGETS, URLS)[0].utf8 for _ in range(20)]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(got[n] == [expected[n]] * 20 for n in range(8))


@pytest.mark.parametrize("text", [
    b"", b"<h", b"a<h1>b<h2>c<hr", b"<h<h<h", b"xx<hx", b"\xc3\xa9<h1>\xe2\x80\x9c<h2>",
])
def test_the_c_library_finds_what_bytes_find_finds(text: bytes) -> None:
    from newpower_site.load import cstring

    for literal in (b"<h", b"h<", b"<", b"zz", b"<h1>"):
        assert cstring.has(text, literal) is (text.find(literal) >= 0)


def test_every_footnote_id_is_an_anchor_once() -> None:
    """The marks' `fnref-…` and the notes' `fn-…` ids, met in the read-back's one pass, are all anchors, each
    once after the headings', the marks' in document order; a heading that slugs to `fn-…` is one as a heading."""
    import re

    pattern = re.compile(rb' id="(fn(?:ref)?-[^"]*)"')
    texts = [
        "a[^1] b[^2] a again[^1]\n\n[^1]: one\n[^2]: two\n", "# Fn one\n\n## fnref x\n\nt[^x]\n\n[^x]: n\n",
        "# fn\n\nt[^fn-a]\n\n[^fn-a]: n\n", "t[^a]\n\n[^a]: <span id=\"fn-raw\">x</span> <i id=\"fnrefz\">y</i>\n",
        "t[^a] and[^b]\n\n[^b]: see[^a]\n[^a]: n\n",
    ]
    renderer = MarkdownRenderer.create()
    for text in texts:
        body, _ = renderer.render("article", text, "content/articles/x.md", 1, NO_TARGETS, URLS)
        found = tuple(dict.fromkeys(found.decode() for found in pattern.findall(body.utf8)))
        assert found and set(found) <= set(body.anchors)
        notes = body.anchors[len(body.headings):]  # after the headings' ids: the footnotes', each once, in order
        marks = [anchor for anchor in found if anchor.startswith("fnref-") and anchor in notes]
        assert len(notes) == len(set(notes)) and [anchor for anchor in notes if anchor in marks] == marks


def test_a_newsletter_with_raw_html_links_to_its_footnotes() -> None:
    """The allowlist writes `data-footnotes=""`: the footnotes' ids are still anchors, so `#fn-1` is no broken link
    (they were once looked for after the raw HTML was put back, and missed)."""
    text = "Read <small>this</small>[^1] and [the note](#fn-1).\n\n[^1]: The note.\n"
    body, problems = MarkdownRenderer.create().render("newsletter", text, "content/newsletters/x.md", 1, NO_TARGETS, URLS)
    assert b'data-footnotes=""' in body.utf8
    assert {"fn-1", "fnref-1"} <= set(body.anchors)
    assert body.fragment_links and all(fragment in body.anchors for _, _, _, fragment in body.fragment_links)
    assert problems == []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=30), st.sampled_from(["https://", "http://"]))
def test_a_web_link_left_as_cmark_wrote_it_is_what_the_full_resolution_writes(monkeypatch: pytest.MonkeyPatch, tail: str,
                                                                               scheme: str) -> None:
    """markdown._written_as_it_is skips resolving plainly web links: the page must be the same without the shortcut."""
    text = f"[a]({scheme}e.org/{tail}) and <{scheme}e.org/{tail}> and {scheme}e.org/{tail.replace(' ', '')}\n"
    renderer = MarkdownRenderer.create()
    fast = renderer.render("article", text, "content/articles/a.md", 1, NO_TARGETS, URLS)
    monkeypatch.setattr(markdown, "_written_as_it_is", lambda href: False)
    full = renderer.render("article", text, "content/articles/a.md", 1, NO_TARGETS, URLS)
    assert fast[0].utf8 == full[0].utf8
    assert [d.format() for d in fast[1]] == [d.format() for d in full[1]]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab <>/&;amp \t\n\r\x0b\x1f\u00a0\u2003\u201c\u2019é")), max_size=40))
def test_plain_text_tidies_spaces_as_split_and_join_do(text: str) -> None:
    """The shortcuts in _plain_text (bytes for ASCII, isprintable() for the rest) give what the long way gives."""
    import html

    from newpower_site.load import markdown

    markup = text.encode("utf-8")
    stripped = markdown._TAGS.sub(b"", markup) if b"<" in markup else markup
    assert markdown._plain_text(markup, False) == " ".join(html.unescape(stripped.decode("utf-8")).split())
