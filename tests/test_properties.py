"""Property tests: bad input never crashes a stage; it becomes diagnostics that
point inside the file. Markdown never emits a URL that runs code."""

from __future__ import annotations

import string
from datetime import datetime
from zoneinfo import ZoneInfo

import lxml.html
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newpower_site.load.fields import FieldContext, check_fields
from newpower_site.load.frontmatter import decode_source, split_front_matter
from newpower_site.load.links import LinkTargets
from newpower_site.load.markdown import MarkdownRenderer
from newpower_site.load.schema import KINDS, SITE
from newpower_site.core.urls import Urls
from newpower_site.load.yamlsafe import load_mapping

PATH = "content/articles/x.md"
CONTEXT = FieldContext(
    ZoneInfo("Europe/London"),
    {"topics": {"workplace": "Power at work", "community": "Community"}, "movements": {"trade-union": "Trade unions"}},
)
ALL_KINDS = (*KINDS, SITE)
FIELD_NAMES = sorted({f.name for kind in ALL_KINDS for f in kind.fields} | {"provider", "postal_address"})

# Deterministic: a property that fails, fails every run (and on CI) rather than now and then.
PROPERTY = settings(max_examples=200, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(PROPERTY, max_examples=100)


def assert_well_placed(diagnostics, text: str) -> None:
    """Every diagnostic is one line long and points at a line of the file."""
    last_line = text.count("\n") + 1
    for d in diagnostics:
        assert d.path == PATH
        assert d.level in ("error", "warning")
        assert 1 <= d.line <= last_line, (d, last_line)
        assert "\n" not in d.message and "\r" not in d.message, d.message


def run_all_stages(raw: bytes) -> None:
    """decode -> split -> check against every kind, as content.py and config.py do."""
    text, problems = decode_source(raw, PATH)
    if text is None:
        normalised = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        assert problems
        assert_well_placed(problems, normalised.decode("utf-8", "replace"))
        return
    split, problems = split_front_matter(text, PATH)
    assert_well_placed(problems, text)
    if split is None:
        assert problems
        return
    assert split.body_first_line >= 2
    for kind in ALL_KINDS:
        values, field_problems = check_fields(split.front_matter, kind, PATH, CONTEXT)
        assert_well_placed(field_problems, text)
        assert set(values) == {f.name for f in kind.fields}


# -- front matter ---------------------------------------------------------------------------

# Text with everything a hand-written file might hold, and worse: control
# characters, line separators, astral-plane characters, a lone surrogate.
nasty_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\ufeff", "\r", "\t", "\n", "é", "🎉"]),
    ),
    max_size=20,
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False),
    nasty_text,
    st.sampled_from(["2026-03-01", "2026-02-30", "2026-03-01T09:30:00Z", "workplace", "articles/x", "../images/a.jpg", "javascript:x", "Europe"]),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(nasty_text, inner, max_size=4), max_leaves=12)
keys = st.one_of(st.sampled_from(FIELD_NAMES), nasty_text)
front_matters = st.dictionaries(keys, values, max_size=8)


@PROPERTY
@given(front_matters, st.booleans(), st.booleans(), st.sampled_from(["\n", "\r\n", "\r"]))
def test_dumped_front_matter_never_raises(mapping, allow_unicode: bool, flow: bool, newline: str) -> None:
    dumped = yaml.safe_dump(mapping, allow_unicode=allow_unicode, default_flow_style=flow, sort_keys=False)
    text = "---\n" + dumped + "---\nBody text.\n"
    run_all_stages(text.replace("\n", newline).encode("utf-8", "surrogatepass"))


# PyYAML itself does not round-trip the YAML line breaks U+0085, U+2028 and
# U+2029 in plain scalars (it folds them into spaces), so they are left out here.
no_yaml_breaks = nasty_text.map(lambda text: text.translate({0x85: None, 0x2028: None, 0x2029: None}))
round_trip_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), no_yaml_breaks),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(no_yaml_breaks, inner, max_size=4),
    max_leaves=12,
)


@PROPERTY
@given(st.dictionaries(st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=10), round_trip_values, min_size=1, max_size=8))
def test_dumped_front_matter_round_trips_with_key_lines(mapping) -> None:
    dumped = yaml.safe_dump(mapping, allow_unicode=True, default_flow_style=False, sort_keys=False)
    text = "---\n" + dumped + "---\n"
    decoded, problems = decode_source(text.encode("utf-8", "surrogatepass"), PATH)
    if decoded is None:  # a NUL or an unencodable surrogate in a value
        assert_well_placed(problems, text)
        return
    split, problems = split_front_matter(decoded, PATH)
    if split is None:  # e.g. a control character PyYAML refuses to read back
        assert_well_placed(problems, decoded)
        return
    assert problems == []
    located = split.front_matter
    assert located.values == mapping
    lines = decoded.split("\n")
    for key, line in located.key_lines.items():
        assert lines[line - 1].lstrip("'\"").startswith(key), (key, line, lines[line - 1])
    assert list(located.key_lines.values()) == sorted(located.key_lines.values())


yamlish = st.lists(
    st.one_of(
        st.sampled_from(list(":-[]{}&*!|>#'\"?,%@`\\ \t\n\n\n") + ["- ", ": ", "---", "...", "!!python/object:os.system", "&a", "*a", "<<"]),
        st.sampled_from(["title", "date", "topics", "2026-03-01", "x", "é", "\x00", "\x07", "\u2028", "\x85", "\r", "\ufeff"]),
        st.characters(codec="utf-8"),
    ),
    max_size=40,
).map("".join)


@PROPERTY
@given(yamlish)
def test_yamlish_front_matter_never_raises(body: str) -> None:
    run_all_stages(("---\n" + body + "\n---\nBody\n").encode("utf-8", "surrogatepass"))


@PROPERTY
@given(yamlish, st.integers(min_value=1, max_value=50))
def test_load_mapping_never_raises(text: str, first_line: int) -> None:
    mapping, problems = load_mapping(text, PATH, first_line)
    assert (mapping is not None) or problems
    for d in problems:
        assert first_line <= d.line <= first_line + text.count("\n") + 1, d
        assert "\n" not in d.message
    if mapping is not None:
        for line in mapping.key_lines.values():
            assert first_line <= line <= first_line + text.count("\n")


@PROPERTY
@given(st.binary(max_size=80), st.sampled_from([b"", b"---\n", b"---\ntitle: A\n", b"\xef\xbb\xbf---\r\n"]))
def test_arbitrary_bytes_never_raise(raw: bytes, prefix: bytes) -> None:
    run_all_stages(prefix + raw)


# -- Markdown ----------------------------------------------------------------------------------------

TARGETS = LinkTargets(
    pages={"content/voices/asha-patel.md": "/archive/voices/asha-patel/", "content/articles/one.md": "/archive/articles/one/"},
    unpublished=frozenset({"content/articles/draft.md"}),
    assets={"content/images/asha.jpg": "images/asha.jpg"},
    static_paths=frozenset({"static/logo.svg"}),
)
URLS = Urls("https://example.org/archive")
RENDERER = MarkdownRenderer.create()
SOURCES = {"article": "content/articles/x.md", "page": "content/pages/x.md", "voice": "content/voices/x.md", "newsletter": "content/newsletters/x.md"}

EVIL_URLS = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", " javascript:alert(1)", "&#106;avascript:alert(1)",
    "javascript&#58;alert(1)", "java&#x09;script:x", "&#x6A;&#x61;vascript:x", "vbscript:msgbox(1)", "data:text/html,<script>",
    "DATA:image/png;base64,AA", "\x01javascript:x", "javascript\x00:x", "jav%61script:x", "//evil.example", "../voices/asha-patel.md",
    "one.md#x", "draft.md", "missing.md", "../images/asha.jpg", "/static/logo.svg", "https://example.org/a?b=1#c", "mailto:a@b.c", "#top", "",
]
urls = st.one_of(st.sampled_from(EVIL_URLS), st.text(max_size=15))
words = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n"), max_size=12)
pieces = st.one_of(
    words,
    st.builds("[{}]({})".format, words, urls),
    st.builds("![{}]({})".format, words, urls),
    st.builds("<{}>".format, urls),
    st.builds("[{}][r]\n\n[r]: {}\n".format, words, urls),
    st.builds('<a href="{}">{}</a>'.format, urls, words),
    st.builds("<a href='{}'>".format, urls),
    st.builds("<a href={}>".format, urls),
    st.builds('<img src="{}">'.format, urls),
    st.builds('<img alt="a" src="{}" />'.format, urls),
    st.builds("<iframe src={} title=t></iframe>".format, urls),
    st.builds("{}^[{}]".format, words, words),
    st.builds("[^{}]".format, st.sampled_from(["1", "a", ""])),
    st.builds("\n[^{}]: {}\n".format, st.sampled_from(["1", "a"]), words),
    st.sampled_from([
        "\n## ", "\n# ", "\n### ", "\n- ", "\n> ", "\n1. ", "\n    ", "\n```\n", "\n---\n", "\n\n", "\n", " ", "*", "_", "~~", "`",
        "\n| a | b |\n|---|---|\n| c | d |\n", "<div>\n", "</div>\n", "<!-- ", " -->", "\"", "'", "&amp;", "&#0;", "\\", "<", ">",
        "\x00", "\r", "\u2028", "\t",
    ]),
)
# Bodies reach the renderer from frontmatter.decode_source: LF line endings only.
markdown_texts = st.one_of(st.lists(pieces, max_size=14).map("".join), st.text(max_size=80)).map(
    lambda text: text.replace("\r\n", "\n").replace("\r", "\n")
)
UNSAFE = ("javascript:", "vbscript:", "data:")
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "poster", "data", "{http://www.w3.org/1999/xlink}href", "xlink:href")


def emitted_unsafe_urls(html: str) -> list[str]:
    """URL attributes a browser would run: the HTML is parsed, not grepped."""
    if not html.strip():
        return []
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    found = []
    for element in root.iter():
        for name, value in element.attrib.items() if hasattr(element, "attrib") else ():
            if name.lower() not in URL_ATTRIBUTES:
                continue
            # as a browser reads it: ASCII tab and newline removed, leading controls and spaces stripped
            cleaned = value.replace("\t", "").replace("\n", "").replace("\r", "").lstrip("".join(map(chr, range(0x21)))).lower()
            if cleaned.startswith(UNSAFE):
                found.append(value)
    return found


def render(kind: str, markdown: str, body_line: int):
    body, problems = RENDERER.render(kind, markdown, SOURCES[kind], body_line, TARGETS, URLS)
    last_line = body_line + markdown.count("\n")
    for d in problems:
        assert d.path == SOURCES[kind]
        assert body_line <= d.line <= last_line, (d, body_line, last_line)
        assert "\n" not in d.message
    return body, problems


@PROPERTY
@given(markdown_texts, st.sampled_from(["voice", "newsletter"]), st.integers(min_value=1, max_value=40))
def test_untrusted_markdown_never_emits_unsafe_urls(markdown: str, kind: str, body_line: int) -> None:
    body, _ = render(kind, markdown, body_line)
    assert emitted_unsafe_urls(body.html) == []


@PROPERTY
@given(markdown_texts, st.sampled_from(["article", "page"]), st.integers(min_value=1, max_value=40))
def test_trusted_markdown_never_emits_unsafe_urls_without_an_error(markdown: str, kind: str, body_line: int) -> None:
    # Raw HTML in articles and pages is kept as written, so an unsafe URL in it
    # can only reach the page if it is reported (and so fails the build).
    body, problems = render(kind, markdown, body_line)
    if emitted_unsafe_urls(body.html):
        assert any(p.level == "error" for p in problems)


@FEWER
@given(markdown_texts, st.sampled_from(["article", "page", "voice", "newsletter"]))
def test_heading_ids_are_unique_and_match_the_outline(markdown: str, kind: str) -> None:
    body, _ = render(kind, markdown, 1)
    html_ids = []
    if body.html.strip():
        root = lxml.html.fragment_fromstring(body.html, create_parent="div")
        html_ids = [h.get("id") for h in root.iter("h1", "h2", "h3", "h4", "h5", "h6")]
        if kind == "voice":
            for section in root.xpath("//section[@class='qa']"):
                assert section.get("aria-labelledby") in html_ids
    ids = [h.id for h in body.headings]
    assert len(set(ids)) == len(ids)
    assert all(ids)
    if kind == "voice":  # raw HTML is text here, so it adds no headings of its own
        assert html_ids == ids


@FEWER
@given(markdown_texts, st.sampled_from(["article", "voice"]))
def test_first_paragraph_is_one_line_of_trimmed_text(markdown: str, kind: str) -> None:
    body, _ = render(kind, markdown, 1)
    assert body.first_paragraph == body.first_paragraph.strip()
    assert "\n" not in body.first_paragraph


def test_the_unsafe_url_check_can_fail() -> None:
    """The properties above are only as good as this check: it must see what a browser would run."""
    assert emitted_unsafe_urls('<a href=" java\tscript:alert(1)">x</a>') == [" java\tscript:alert(1)"]
    assert emitted_unsafe_urls("<p><img src='DATA:image/png,x' alt=''></p>") == ["DATA:image/png,x"]
    assert emitted_unsafe_urls('<svg><a xlink:href="vbscript:x">y</a></svg>') != []
    assert emitted_unsafe_urls('<a href="/javascript:x">x</a><a href="https://e.org/?data:1">y</a>') == []


# -- comments, punctuation, GitHub ids, scheme typos -------------------------------------------------------

from newpower_site.load.comments import strip_comments  # noqa: E402
from newpower_site.load.links import REFUSED_SCHEMES, scheme_typo  # noqa: E402
from newpower_site.load.markdown import github_slug  # noqa: E402

SECRET = "SECRETNOTE"
comments = st.builds(
    "<!-- {} {} [x](missing-{}.md) ![]({}) -->".format, st.just(SECRET), words, st.just(SECRET.lower()), urls
) | st.builds("<!--\n{}\n\n{}\n-->".format, st.just(SECRET), words)
with_comments = st.lists(st.one_of(pieces, comments), max_size=14).map("".join).map(lambda t: t.replace("\r", "\n"))


@PROPERTY
@given(with_comments, st.sampled_from(["article", "page", "voice", "newsletter"]), st.integers(min_value=1, max_value=40))
def test_comments_never_reach_output_and_are_never_checked(markdown: str, kind: str, body_line: int) -> None:
    # In code a `<!--` is text: only texts without code are asked about (code has its own tests).
    if "`" in markdown or "~~~" in markdown or "    " in markdown or "\t" in markdown:
        return
    body, problems = render(kind, markdown, body_line)
    assert SECRET not in body.html and SECRET.lower() not in body.html
    assert SECRET not in body.first_paragraph and all(SECRET not in h.text for h in body.headings)
    assert not [p for p in problems if SECRET.lower() in p.message]


@PROPERTY
@given(st.text(alphabet="<!->`~ \nab", max_size=60))
def test_stripping_comments_keeps_every_line(text: str) -> None:
    stripped, problems = strip_comments(text)
    assert stripped.count("\n") == text.count("\n")
    assert all(1 <= line <= text.count("\n") + 1 for line, _ in problems)
    if not problems and "`" not in text and "~" not in text and "    " not in text:
        assert "<!--" not in stripped


@FEWER
@given(st.text(alphabet=st.sampled_from(list("abc ()crtm+-.?!'\"\n")), max_size=60), st.booleans())
def test_punctuation_rewrites_only_quotes_dashes_and_ellipses(text: str, typographic: bool) -> None:
    body, _ = RENDERER.render("article", text, SOURCES["article"], 1, TARGETS, URLS, typographic=typographic)
    shown = lxml.html.fragment_fromstring(body.html, create_parent="div").text_content() if body.html.strip() else ""
    assert not set(shown) & set("©®™±")  # (c), (r), (tm), +- stay as typed
    if not typographic:
        assert not set(shown) & set("“”‘’–—…")


@PROPERTY
@given(st.text(max_size=30))
def test_github_ids_keep_only_letters_numbers_and_hyphens(text: str) -> None:
    slug = github_slug(text)
    assert slug and slug == slug.lower() and " " not in slug
    assert github_slug(slug) == slug


REAL_SCHEMES = ["http", "https", "mailto", "tel", "irc", "ircs", "ftp", "ftps", "sftp", "sms", "geo", "matrix", "xmpp", "magnet", "ws", "wss", "ssh", "git", "news", "nntp", "webcal", "spotify", "zoommtg"]


@PROPERTY
@given(st.sampled_from(REAL_SCHEMES), st.text(alphabet=string.ascii_letters + "/.:?=", max_size=20))
def test_a_real_scheme_is_never_called_a_typo(scheme: str, rest: str) -> None:
    assert scheme_typo(f"{scheme}://{rest}") is None


@PROPERTY
@given(st.integers(min_value=0, max_value=4), st.sampled_from(string.ascii_lowercase), st.sampled_from(["insert", "replace", "delete"]))
def test_a_one_letter_slip_in_https_is_a_typo_with_the_fix(position: int, letter: str, slip: str) -> None:
    word = "https"
    typo = {"insert": word[:position] + letter + word[position:], "replace": word[:position] + letter + word[position + 1 :],
            "delete": word[:position] + word[position + 1 :]}[slip]
    if typo in ("http", "https") or typo in REAL_SCHEMES or typo in REFUSED_SCHEMES:
        return
    assert scheme_typo(f"{typo}://example.org/x") in ("https://example.org/x", "http://example.org/x")


_ZONES = st.sampled_from([ZoneInfo("UTC"), ZoneInfo("Europe/London"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")])
_WHEN = st.one_of(st.none(), st.builds(lambda moment, zone: moment.replace(tzinfo=zone),
                                       st.datetimes(min_value=datetime(1960, 1, 1), max_value=datetime(2040, 1, 1)), _ZONES))


@given(st.lists(st.tuples(_WHEN, st.sampled_from(["article", "voice", "newsletter"]), st.text("abc-", min_size=1, max_size=4)),
                max_size=40, unique_by=lambda t: (t[1], t[2])))
def test_newest_first_is_one_sort_by_timestamp_kind_and_slug(rows):
    """sort_newest_first's two stable sorts on dates give the order of the one sort by (-timestamp, kind, slug)
    (undated as of 1970) that every build's listings, feeds and shards are held to."""
    from types import SimpleNamespace

    from newpower_site.core.model import sort_newest_first

    items = [SimpleNamespace(date=when, kind=kind, slug=slug) for when, kind, slug in rows]
    expected = sorted(items, key=lambda i: (-i.date.timestamp() if i.date else 0, i.kind, i.slug))
    assert list(sort_newest_first(items)) == expected


_NAIVE_OR_AWARE = st.one_of(_WHEN, st.datetimes(min_value=datetime(1960, 1, 1), max_value=datetime(2040, 1, 1)))


@given(st.lists(st.tuples(_NAIVE_OR_AWARE, st.sampled_from(["article", "voice", "newsletter"]), st.text("abc-", min_size=1, max_size=4),
                          st.integers(0, 2)), max_size=40, unique_by=lambda t: (t[1], t[2])))
def test_merging_newest_first_runs_is_sorting_them_together(rows):
    """merge_newest_first (Library.dated, the topic pages) gives what sort_newest_first gives of every item at once,
    for runs each in that order: dated and undated, aware and naive dates (then the timestamp order), ties in date."""
    from types import SimpleNamespace

    from newpower_site.core.model import merge_newest_first, sort_newest_first

    items = [SimpleNamespace(date=when, kind=kind, slug=slug, run=run) for when, kind, slug, run in rows]
    runs = [sort_newest_first([i for i in items if i.run == run]) for run in range(3)]
    assert list(merge_newest_first(*runs)) == list(sort_newest_first(items))


@given(st.sampled_from(["https://example.org", "https://example.org/archive/", "http://localhost:8000/a&b"]),
       st.lists(st.tuples(st.from_regex(r"[a-z&<>/-]{0,12}(index\.html|\.xml|/index\.html)?", fullmatch=True),
                          st.one_of(st.none(), _WHEN.filter(lambda when: when is not None))),
                unique_by=lambda t: t[0], max_size=12))
def test_sitemap_urls_are_each_pages_absolute_url(base_url, rows):
    """render_sitemap makes the site's root once and puts each path after it: the same <loc> and <lastmod>
    as urls.absolute(urls.for_output(path)) and isoformat() give page by page, in path order."""
    from html import escape
    from types import SimpleNamespace

    from newpower_site.core.urls import Urls
    from newpower_site.render.discovery import render_sitemap

    urls = Urls(base_url)
    pages = [SimpleNamespace(path=path, lastmod=lastmod) for path, lastmod in rows]
    entries = [f"  <url><loc>{escape(urls.absolute(urls.for_output(p.path)), quote=False)}</loc>"
               + (f"<lastmod>{p.lastmod.isoformat()}</lastmod>" if p.lastmod is not None else "") + "</url>"
               for p in sorted(pages, key=lambda p: p.path)]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">', *entries, "</urlset>"]
    assert render_sitemap(pages, urls) == ("\n".join(lines) + "\n").encode()
