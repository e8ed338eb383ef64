"""The newsletter email rendered by a real browser engine, as a webmail client would.

Headless Chromium shows each issue at 600 px and at 375 px, once as built and
once with every <style> block removed (as Gmail and others may do). The
column must keep its width and the page must never scroll sideways. The
screenshots are kept in a folder the test prints, for a person to look at.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import REPO, newpower

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--hide-scrollbars"]
SCREENSHOTS = REPO / "tests" / ".artifacts" / "email-screenshots"
WIDTHS = (600, 375)
MEASURE = """<script>
document.documentElement.setAttribute("data-measure", JSON.stringify({
  container: Math.round(document.querySelector("table.container").getBoundingClientRect().width),
  scroll: document.documentElement.scrollWidth, viewport: window.innerWidth,
  bodyFont: getComputedStyle(document.querySelector("td.intro p") || document.body).fontSize
}));
</script>"""


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120)


def without_styles(markup: str) -> str:
    return re.sub(r"<style\b.*?</style>", "", markup, flags=re.S | re.I)


@pytest.fixture(scope="module")
def emails(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: `make test` installs it (apt-get install chromium)")
    out = tmp_path_factory.mktemp("email-render") / "out"
    assert newpower("build", "--site", REPO, "--out", out).code == 0
    return sorted((out / "email").glob("*.html"))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("styles", ["with-styles", "styles-stripped"])
def test_column_holds_and_nothing_scrolls_sideways(emails: list[Path], width: int, styles: str, tmp_path: Path, capsys) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for source in emails:
        markup = source.read_text(encoding="utf-8")
        if styles == "styles-stripped":
            markup = without_styles(markup)
            assert "<style" not in markup
        page = tmp_path / f"{source.stem}-{styles}.html"
        page.write_text(markup.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
        dom = chromium(f"--window-size={width},900", "--dump-dom", page.as_uri())
        found = re.search(r'data-measure="([^"]*)"', dom.stdout)
        assert found, dom.stderr[-2000:]
        measured = json.loads(found.group(1).replace("&quot;", '"'))
        assert measured["scroll"] <= measured["viewport"], (source.name, styles, width, measured)
        assert measured["container"] == min(600, measured["viewport"]), (source.name, styles, width, measured)
        assert float(measured["bodyFont"].removesuffix("px")) >= 16, "readable text without any <style> block"
        shot = SCREENSHOTS / f"{source.stem}-{width}px-{styles}.png"
        page.write_text(markup, encoding="utf-8")
        chromium(f"--window-size={width},2400", f"--screenshot={shot}", page.as_uri())
        assert shot.stat().st_size > 10_000, shot
    with capsys.disabled():
        print(f"\nemail screenshots ({width}px, {styles}): {SCREENSHOTS}")
