"""Every web page of this repository's site and of the realistic test site
passes the W3C Nu HTML Checker (vnu) with zero errors.

The newsletter email under /email/ is written for mail clients, not browsers,
and is checked by its own tests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from browser import MISSING_TOOLS, VNU
from newpower_site.pipeline import BuildOptions, build

ROOT = Path(__file__).resolve().parent.parent
SITES = {"repository": ROOT, "realistic": ROOT / "tests" / "sites" / "realistic"}


def web_pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if p.relative_to(out).parts[0] not in ("email", "pagefind"))


def test_every_page_is_valid_html(tmp_path):
    java = shutil.which("java")
    if java is None or not VNU.exists():
        pytest.fail(MISSING_TOOLS)
    pages: list[Path] = []
    for name, site in SITES.items():
        out = tmp_path / name
        result = build(BuildOptions(site_dir=site, out_dir=out, drafts=True, future=True))
        assert result.ok, [d.format() for d in result.diagnostics]
        pages += web_pages(out)
    assert len(pages) > 40
    run = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, pages)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    errors = [f"{m.get('url', '').removeprefix('file:').replace(str(tmp_path), '')}:{m.get('lastLine', 0)}: {m['message']}" for m in messages]
    assert errors == []
