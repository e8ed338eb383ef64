"""Differential fuzzing of the raw-HTML check (issue 14, done-when 4).

Hostile raw HTML is generated from a small grammar (tags, attributes, comment
tricks, character references, schemes with white space and case tricks) and
put in an article or a page. Whatever the check accepts is rendered through
the real theme, and the published page is parsed as a browser parses it
(html5lib, the whole document): it must hold no script, event handler,
`javascript:`/`vbscript:` URL, refresh, `<base>` or animated `javascript:`
beyond what the same page with a plain body holds (the theme's own).

Budget: a fixed number of derandomized examples, a few seconds in `make test`.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import html5lib
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from newpower_site.core.diagnostics import has_errors
from newpower_site.core.model import Site as SiteModel
from newpower_site.core.theme import static_files
from newpower_site.core.urls import Urls
from newpower_site.load.config import load_config
from newpower_site.load.content import Selection, load_library
from newpower_site.plan.outputs import plan_site
from newpower_site.render.producers import render_output
from newpower_site.render.templates import make_environment

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None, phases=(Phase.explicit, Phase.generate),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SITE_YAML = """title: Fuzz
base_url: https://example.org
description: Raw HTML fuzzing.
email:
  provider: mailchimp
  postal_address: 1 Example Street
"""
FILES = {"article": ("content/articles/hello.md", "articles/hello/index.html", "title: Hello\ndate: 2026-03-01\n"),
         "page": ("content/pages/about.md", "about/index.html", "title: About\n")}

# -- the grammar of hostile raw HTML ------------------------------------------------------------

SCHEMES = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " \tjava\nscript:alert(1)", "&#106;avascript:alert(1)",
           "&#x6A;ava&Tab;script&colon;alert(1)", "java&#x0A;script:x", "\x01javascript:x", "vbscript:msgbox(1)",
           "data:text/html,<script>alert(1)</script>", "data:image/png;base64,AAAA", "https://ok.example/", "x.png", "#top"]
values = st.one_of(st.sampled_from(SCHEMES), st.sampled_from(["0;url=javascript:alert(1)", "refresh", " Refresh", "alert(1)",
                   "url(javascript:alert(1))", "u\\72l(javascript:x)", "a.png 1x, javascript:x 2x", "href", "onclick",
                   "<script>alert(1)</script>", "</textarea><img src=x onerror=alert(1)>", '"', "'", ""]))
ATTRIBUTES = ["href", "src", "srcset", "style", "onerror", "onload", "ONCLICK", "xlink:href", "to", "from", "values",
              "attributeName", "http-equiv", "content", "srcdoc", "action", "formaction", "data", "poster", "alt", "title"]
TAGS = ["a", "img", "svg", "set", "animate", "math", "mi", "script", "style", "iframe", "meta", "noscript", "textarea",
        "title", "object", "base", "body", "form", "button", "source", "picture", "xmp", "div", "p", "table", "template",
        "select", "plaintext", "noembed", "foreignObject", "desc", "annotation-xml"]


@st.composite
def attribute(draw: st.DrawFn) -> str:
    name, value = draw(st.sampled_from(ATTRIBUTES)), draw(values)
    quote = draw(st.sampled_from(['"', "'", ""]))
    return f" {name}={quote}{value}{quote}" if draw(st.booleans()) else f" {name}"


@st.composite
def start_tag(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(TAGS))
    name = name.upper() if draw(st.integers(0, 5)) == 0 else name
    attributes = "".join(draw(st.lists(attribute(), max_size=3)))
    return f"<{name}{attributes}{draw(st.sampled_from(['>', '/>', ' >', '']))}"


pieces = st.one_of(
    start_tag(),
    st.sampled_from(TAGS).map(lambda name: f"</{name}>"),
    st.sampled_from(["<!-->", "<!--->", "--!>", "<!--", "-->", "<!-- x -->", "<![CDATA[", "]]>", "<!x>", "<?x>", "<!DOCTYPE html>",
                     "&lt;", "&amp;", "&#60;", "&", "<", ">", '"', "'", "`", "\n", "\n\n", "    ", "text", "*a*", "[x](https://ok.example)"]),
)
hostile_html = st.lists(pieces, min_size=1, max_size=12).map("".join)

# -- what a browser would run --------------------------------------------------------------------

RUNS = ("javascript:", "vbscript:")
URLISH = {"href", "src", "action", "formaction", "poster", "data", "background", "cite", "codebase", "srcset", "to", "from", "values", "by"}


def _local(name: object) -> str:
    name = name[1] if isinstance(name, tuple) else str(name)
    return name.rpartition("}")[2].rpartition(":")[2].lower()


def _as_browser_reads(value: str) -> str:
    return re.sub(r"[\t\n\r]", "", value).strip("".join(map(chr, range(0x21)))).lower()


def what_runs(page: str) -> Counter[tuple[str, ...]]:
    """Every element or attribute of the parsed page that could run code or send the reader elsewhere."""
    found: Counter[tuple[str, ...]] = Counter()
    document = html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=True)
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        tag = _local(element.tag)
        if tag == "script" and element.get("type") == "application/ld+json":
            continue  # a data block (the theme's JSON-LD): never run
        if tag in ("script", "base"):
            found[tag, element.get("src") or "", (element.text or "").strip()] += 1
        for name, value in element.attrib.items():
            local = _local(name)
            if local.startswith("on"):
                found["handler", tag, local, value] += 1
            elif local in URLISH and any(_as_browser_reads(part).startswith(RUNS) for part in re.split(r"[\s,;]+(?=\S)", value) + [value]):
                found["url", tag, local, value] += 1
            elif local == "style" and re.search(r"url\(\s*['\"]?\s*(javascript|vbscript):", value, re.IGNORECASE):
                found["style", tag, value] += 1
            elif tag == "meta" and local == "http-equiv" and value.strip().lower() == "refresh":
                found["refresh", value] += 1
        if tag == "iframe" and element.get("srcdoc"):
            found.update(what_runs(element.get("srcdoc")))
    return found


class Site:
    """A one-article, one-page site whose bodies change; the theme is compiled once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
        self.env = make_environment(folder)
        self.baseline = {kind: what_runs(self.publish(kind, "Plain words.") or "") for kind in FILES}

    def publish(self, kind: str, body: str) -> str | None:
        return publish(self.folder, self.env, kind, body)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return Site(tmp_path_factory.mktemp("rawhtml-fuzz"))


def publish(site: Path, env, kind: str, body: str) -> str | None:
    """The published page of an item whose body is `body`, or None when the build refuses it."""
    for other, (source, _, _) in FILES.items():
        path = site / source
        path.parent.mkdir(parents=True, exist_ok=True)
        front = FILES[other][2]
        path.write_text(f"---\n{front}---\n{body if other == kind else 'Plain words.'}\n", encoding="utf-8")
    config, _ = load_config(site)
    assert config is not None
    urls = Urls(config.base_url)
    library, problems = load_library(site, config, Selection(NOW), urls)
    if has_errors(problems):
        return None
    outputs = plan_site(SiteModel(config, library), urls, static_files(site), site)
    (output,) = [o for o in outputs if o.path == FILES[kind][1]]
    return render_output(output, env, urls, site).decode("utf-8")


def test_the_oracle_sees_what_runs() -> None:
    """The oracle is not blind: pages with what the check refuses show it."""
    assert what_runs('<a href=" java&#x09;script:x">x</a><svg><set to="javascript:x"/></svg><meta http-equiv=Refresh>')
    assert what_runs("<p><img src=x onerror=alert(1)></p>")
    assert what_runs("<!--> <script>alert(1)</script>")


@FUZZ
@given(kind=st.sampled_from(sorted(FILES)), markup=hostile_html)
def test_whatever_the_check_accepts_runs_nothing_in_the_browser(site: Site, kind: str, markup: str) -> None:
    page = site.publish(kind, markup)
    event("refused" if page is None else "accepted")
    if page is None:
        return
    extra = what_runs(page) - site.baseline[kind]
    assert not extra, f"published {dict(extra)} from {markup!r}"
