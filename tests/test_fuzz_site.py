"""Whole-site fuzzing: hostile text in every front matter field and in every body, of
every kind of item and of site.yaml, goes through the real stages (load, plan,
render every output: pages, feeds, sitemap, email HTML, text and .eml).

The tool either builds or reports PATH:LINE: error:, never raises. When it
builds, escaping is checked by structure rather than by grepping: the same site
is built once more with every hostile string replaced by a plain word, and every
HTML page, feed (with the HTML inside its entries) and email must have exactly
the same elements and attribute names, so no text became markup anywhere.
Feeds must be well-formed XML 1.0 (no forbidden character, `]]>` harmless);
the plain-text email must carry the text itself, not an escaped form of it; the
.eml must keep its headers (no header injection through a title).

Budget: a few dozen examples per property (derandomized, so CI sees the same
ones); benchmarks/fuzz.py runs the front matter and link stages for longer.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html
import yaml
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from test_properties import emitted_unsafe_urls

from newpower_site.core.diagnostics import Diagnostic, has_errors
from newpower_site.email.issue import header_text
from newpower_site.email.mergetags import WORD_JOINER
from newpower_site.render.feeds import xml_text
from newpower_site.engine.engine import plan
from newpower_site.core.options import BuildOptions
from newpower_site.render.renderer import render_outputs

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
# No shrinking: a whole-site example is slow to shrink, and the failing example is printed as found.
EXAMPLES = int(os.environ.get("NEWPOWER_FUZZ_EXAMPLES", "30"))  # raise it for a longer local run
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, phases=(Phase.explicit, Phase.generate),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# What an attacker, a careless paste or a stray byte would put in a field.
HOSTILE = [
    "</title><script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "' onmouseover='alert(1)", "`<b>`",
    "]]><evil/>", "<![CDATA[x]]>", "&amp; &lt; &#0; &#x1F; &bogus;", "{{ 7*7 }} {% raw %}", "*|UNSUB|* {{ unsubscribe_url }}",
    "javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "\u202eevil\u202c", "a\r\nBcc: victim@example.org",
    "Subject: x\nTo: y", "\x00\x01\x07\x0b\x1b\x7f", "\ufffe\uffff", "\u2028\u2029\x85", "🎉 é ß ﬁ", "x" * 300, "--- \n---",
    "<!-- ", "-->", "<style>*{}</style>", "\\", "%s %n %(x)s",
]
hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=25),
    st.lists(st.sampled_from(HOSTILE + ["plain", " ", "\n"]), min_size=1, max_size=4).map("".join),
)


def site_yaml(title: str, description: str, postal: str) -> dict[str, Any]:
    return {
        "title": title, "base_url": "https://example.org/news", "description": description, "language": "en-GB",
        "timezone": "Europe/London", "per_page": 2, "feed_items": 5,
        "topics": {"workplace": "Power at work", "community": "Community power"},
        "movements": {"trade-union": "Trade unions", "co-operative": "Co-operatives"},
        "email": {"provider": "mailchimp", "postal_address": postal},
    }


# The text fields of each kind, the ones a hostile string goes into; the others keep valid values.
TEXT_FIELDS = {
    "site": ["title", "description", "postal_address"],
    "article": ["title", "summary", "author", "image_alt"],
    "voice": ["name", "role", "quote", "location", "portrait_alt"],
    "newsletter": ["title", "preheader"],
    "page": ["title", "summary"],
}
BODIES = ["article", "voice", "newsletter", "page"]


def front_matters(text: dict[str, str], image: str, portrait: str) -> dict[str, dict[str, Any]]:
    return {
        "article": {"title": text["article.title"], "date": "2026-03-01", "summary": text["article.summary"],
                    "authors": [text["article.author"], "Ruth"], "topics": ["workplace"],
                    "image": image, "image_alt": text["article.image_alt"]},
        "voice": {"name": text["voice.name"], "role": text["voice.role"], "movement": "co-operative", "date": "2026-03-02",
                  "quote": text["voice.quote"], "location": text["voice.location"], "topics": ["community"],
                  "portrait": portrait, "portrait_alt": text["voice.portrait_alt"]},
        "newsletter": {"title": text["newsletter.title"], "date": "2026-03-03", "preheader": text["newsletter.preheader"],
                       "number": 1, "featured": ["articles/hello", "voices/member"]},
        "page": {"title": text["page.title"], "summary": text["page.summary"]},
    }


FILES = {"article": "content/articles/hello.md", "voice": "content/voices/member.md",
         "newsletter": "content/newsletters/issue-1.md", "page": "content/pages/about.md"}


def write_site(folder: Path, text: dict[str, str], bodies: dict[str, str], image: str, portrait: str) -> None:
    dump = {"allow_unicode": True, "sort_keys": False, "width": 10_000}
    (folder / "content/images").mkdir(parents=True)
    (folder / "content/images/a.png").write_bytes(_PNG)
    (folder / "site.yaml").write_text(yaml.safe_dump(site_yaml(text["site.title"], text["site.description"], text["site.postal_address"]), **dump),
                                      encoding="utf-8", errors="surrogatepass")
    for kind, mapping in front_matters(text, image, portrait).items():
        path = folder / FILES[kind]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\n" + yaml.safe_dump(mapping, **dump) + "---\n" + bodies[kind], encoding="utf-8", errors="surrogatepass")


def build_in_memory(folder: Path) -> tuple[dict[str, bytes] | None, list[Diagnostic]]:
    site, urls, outputs, problems = plan(BuildOptions(folder, now=NOW))
    if site is None or urls is None or has_errors(problems):
        return None, problems
    render_problems: list = []
    files = {output.path: data for output, data in render_outputs(outputs, urls, folder, render_problems)}
    return files, problems + render_problems


def assert_well_reported(problems: list[Diagnostic], folder: Path) -> None:
    for d in problems:
        assert (folder / d.path).is_file(), d.format()
        assert d.line >= 1 or d.level == "warning", d.format()
        assert "\n" not in d.message and "\r" not in d.message, d.format()
        assert re.fullmatch(r"[^\n]+:\d+: (error|warning): [^\n]+", d.format()) or d.line == 0, d.format()


def shape(root: Any) -> list[tuple[str, tuple[str, ...]]]:
    return [(el.tag, tuple(sorted(el.attrib))) for el in root.iter() if isinstance(el.tag, str)]


def html_shape(data: bytes | str) -> list[tuple[str, tuple[str, ...]]]:
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    if not data.strip():
        return []
    return shape(lxml.html.fromstring(data) if data.lstrip().lower().startswith(("<!doctype", "<html")) else
                 lxml.html.fragment_fromstring(data, create_parent="div"))


def _carries_html(el: Any) -> bool:
    """RSS <description> and <content:encoded>, and Atom text constructs of type html, are read as HTML by feed readers."""
    local = lxml.etree.QName(el).localname
    if el.tag in ("description", "{http://purl.org/rss/1.0/modules/content/}encoded"):
        return True
    return local in ("content", "summary", "title", "subtitle", "rights") and el.get("type") == "html"


def xml_shape(data: bytes) -> list[Any]:
    """The XML's elements, and the elements of HTML carried as text inside it (entry content)."""
    root = lxml.etree.fromstring(data, parser=lxml.etree.XMLParser(resolve_entities=False, no_network=True))  # strict: must be well-formed
    result: list[Any] = []
    for el in root.iter():
        result.append((el.tag, tuple(sorted(el.attrib))))
        if el.text and _carries_html(el):
            result.append(html_shape(el.text))
    return result


def compare(hostile: dict[str, bytes], plain: dict[str, bytes]) -> None:
    assert sorted(hostile) == sorted(plain)
    for path in sorted(hostile):
        if path.endswith(".html"):
            assert html_shape(hostile[path]) == html_shape(plain[path]), f"text became markup in {path}"
            assert emitted_unsafe_urls(hostile[path].decode("utf-8").split("<body", 1)[-1]) == [], path
        elif path.endswith(".xml"):
            assert xml_shape(hostile[path]) == xml_shape(plain[path]), f"text became markup in {path}"
        elif path.endswith(".eml"):
            a = email.message_from_bytes(hostile[path], policy=email.policy.default)
            b = email.message_from_bytes(plain[path], policy=email.policy.default)
            assert a.keys() == b.keys(), "a header was injected"
            assert [p.get_content_type() for p in a.walk()] == [p.get_content_type() for p in b.walk()]


def words(text: str) -> str:
    return " ".join(text.split())


def loaded(value: str) -> str:
    """The value as the tool reads it back from YAML (PyYAML folds a few line breaks), trimmed."""
    return str(yaml.safe_load(yaml.safe_dump(value, allow_unicode=True))).strip()


def assert_email_text_carries(files: dict[str, bytes], text: dict[str, str]) -> None:
    plain = words(files["email/issue-1.txt"].decode("utf-8").replace(WORD_JOINER, ""))  # merge-tag openers carry an invisible joiner
    for key in ("newsletter.title", "article.title", "voice.quote", "site.postal_address"):
        expected = loaded(text[key])
        expected = expected.upper() if key == "newsletter.title" else expected
        assert words(expected) in plain, f"{key} is not in the plain-text email as written"
    message = email.message_from_bytes(files["email/issue-1.eml"], policy=email.policy.default)
    assert words(message["Subject"].replace(WORD_JOINER, "")) == words(header_text(loaded(text["newsletter.title"])))


FIELD_KEYS = [f"{kind}.{name}" for kind, names in TEXT_FIELDS.items() for name in names]
texts = st.fixed_dictionaries({key: st.one_of(st.just("Plain words"), hostile_text) for key in FIELD_KEYS})
markdown_bodies = st.fixed_dictionaries({kind: st.one_of(
    st.just("Plain words.\n"),
    st.lists(st.sampled_from(HOSTILE + ["\n\n", "[link](hello.md)", "[x](../voices/member.md#top)", "![alt](../images/a.png)",
                                        "<a href='javascript:x'>y</a>", "\n## Question?\n", "*", "`", "[^1]\n\n[^1]: note\n"]),
             max_size=8).map("".join),
) for kind in BODIES})
images = st.sampled_from(["../images/a.png", "/images/a.png", "https://example.org/a.png", "javascript:alert(1)",
                          "data:image/png;base64,AAAA", "//evil.example/a.png", "../images/missing.png", '"><script>.png'])


@FUZZ
@given(texts, markdown_bodies, images, images)
def test_hostile_fields_and_bodies_build_or_fail_cleanly_and_are_escaped_everywhere(text, bodies, image, portrait) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / "hostile"
        write_site(folder, text, bodies, image, portrait)
        files, problems = build_in_memory(folder)
        assert_well_reported(problems, folder)
        if files is None:
            assert has_errors(problems)
            event("reported errors: " + ", ".join(sorted({p.message.split(":")[0][:40] for p in problems if p.level == "error"})))
            return
        assert not has_errors(problems), [p.format() for p in problems]
        event("built")
        plain_folder = Path(temporary) / "plain"
        # a value that is empty once trimmed, or once the characters XML forbids are dropped, stays: it is
        # absent from some outputs, which changes their shape legitimately
        plain_text = {key: "Plain words" if xml_text(value).strip() else value for key, value in text.items()}
        write_site(plain_folder, plain_text, {kind: _plain_body(body) for kind, body in bodies.items()}, image, portrait)
        plain_files, plain_problems = build_in_memory(plain_folder)
        assert plain_files is not None, [p.format() for p in plain_problems]
        if all(body == _plain_body(body) for body in bodies.values()):
            compare(files, plain_files)
        else:  # the bodies' own markup differs; every output must still be well-formed and safe
            for path, data in files.items():
                if path.endswith(".xml"):
                    xml_shape(data)
                elif path.endswith(".html"):
                    assert emitted_unsafe_urls(data.decode("utf-8").split("<body", 1)[-1]) == [], path
        assert_email_text_carries(files, text)


def _plain_body(body: str) -> str:
    return "Plain words.\n" if body == "Plain words.\n" else body


# -- arbitrary YAML text and mappings, end to end ------------------------------------------------------

yaml_texts = st.lists(st.one_of(
    st.sampled_from(["title: ", "date: ", "2026-03-01", "summary: ", "topics: [", "]", "{", "}", "- ", "\n", "  ", ": ", "&a ", "*a",
                     "!!python/object/apply:os.system ['true']", "!!binary AAAA", "<<: *a", "'", '"', "|\n", ">\n", "#", "? ", "%YAML 1.1\n",
                     "---\n", "...\n", "\t", "\ufeff", "\x85", "\u2028"]),
    st.sampled_from(HOSTILE),
    st.text(max_size=6),
), max_size=25).map("".join)


@settings(FUZZ, max_examples=EXAMPLES + 10)
@given(st.sampled_from(BODIES), yaml_texts)
def test_arbitrary_yaml_in_any_kind_builds_or_fails_cleanly(kind: str, front: str) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / "site"
        plain = {key: "Plain words" for key in FIELD_KEYS}
        write_site(folder, plain, dict.fromkeys(BODIES, "Plain words.\n"), "../images/a.png", "../images/a.png")
        (folder / FILES[kind]).write_text(f"---\n{front}\n---\nBody.\n", encoding="utf-8", errors="surrogatepass")
        files, problems = build_in_memory(folder)
        assert_well_reported(problems, folder)
        assert files is not None or has_errors(problems)


scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**6), st.floats(allow_nan=True), hostile_text,
                    st.sampled_from(["2026-03-01", "2026-02-30", "workplace", "articles/hello", "voices/member", "../images/a.png"]))
mapping_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3), max_leaves=8)


@settings(FUZZ, max_examples=EXAMPLES + 10)
@given(st.sampled_from(BODIES), st.dictionaries(st.one_of(st.sampled_from(
    ["title", "date", "updated", "summary", "authors", "topics", "image", "image_alt", "draft", "name", "role", "movement", "quote",
     "location", "portrait", "portrait_alt", "preheader", "number", "featured"]), hostile_text), mapping_values, max_size=10))
def test_arbitrary_front_matter_mappings_in_any_kind_build_or_fail_cleanly(kind: str, mapping: dict) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / "site"
        plain = {key: "Plain words" for key in FIELD_KEYS}
        write_site(folder, plain, dict.fromkeys(BODIES, "Plain words.\n"), "../images/a.png", "../images/a.png")
        dumped = yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False)
        (folder / FILES[kind]).write_text(f"---\n{dumped}---\nBody.\n", encoding="utf-8", errors="surrogatepass")
        files, problems = build_in_memory(folder)
        assert_well_reported(problems, folder)
        if files is not None:
            for path, data in files.items():
                if path.endswith(".xml"):
                    xml_shape(data)


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (8, 6), (200, 80, 40)).save(buffer, "PNG")
    return buffer.getvalue()


_PNG = _png()
