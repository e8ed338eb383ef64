"""Every web page of this repository's site and of the realistic and aliases
test sites (the latter's redirect pages too) passes the W3C Nu HTML Checker
(vnu) with zero errors.

The newsletter email under /email/ is written for mail clients, not browsers,
and is checked by its own tests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import lxml.html
import pytest

from browser import MISSING_TOOLS, VNU
from newpower_site.engine.engine import build_site
from newpower_site.core.options import BuildOptions

ROOT = Path(__file__).resolve().parent.parent
SITES = {"repository": ROOT, "realistic": ROOT / "tests" / "sites" / "realistic", "aliases": ROOT / "tests" / "sites" / "aliases"}


def web_pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if p.relative_to(out).parts[0] not in ("email", "pagefind"))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    built = {}
    for name, site in SITES.items():
        out = tmp_path_factory.mktemp("valid") / name
        result = build_site(BuildOptions(site_dir=site, out_dir=out, drafts=True, future=True), cached=False)
        assert result.ok, [d.format() for d in result.diagnostics]
        built[name] = out
    return built


def test_every_page_is_valid_html(outputs):
    java = shutil.which("java")
    if java is None or not VNU.exists():
        pytest.fail(MISSING_TOOLS)
    pages = [page for out in outputs.values() for page in web_pages(out)]
    assert len(pages) > 40
    tmp_path = next(iter(outputs.values())).parent.parent
    run = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, pages)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    errors = [f"{m.get('url', '').removeprefix('file:').replace(str(tmp_path), '')}:{m.get('lastLine', 0)}: {m['message']}" for m in messages]
    assert errors == []


def test_the_css_is_small_and_pages_read_without_javascript(outputs):
    out = outputs["repository"]
    assert sum(p.stat().st_size for p in (out / "static").rglob("*.css")) < 20 * 1024
    for page in web_pages(out):
        tree = lxml.html.fromstring(page.read_bytes())
        scripts = [s.get("type") or s.get("src") for s in tree.iter("script")]
        expected = ["/static/search.js"] if page.parent.name == "search" else []
        assert [s for s in scripts if s != "application/ld+json"] == expected, page
        for img in tree.iter("img"):  # no layout shift: the box is known before the image arrives
            assert img.get("width") and img.get("height"), (page, img.get("src"))
