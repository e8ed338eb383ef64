"""Screenshots for people: home, an article, a voice, the voices listing and a
newsletter issue at 1280 px and 375 px wide, in light mode and (at 375 px) dark.

    .venv/bin/python benchmarks/screenshots.py [FOLDER]

Builds this repository's site, serves it locally, drives Debian's headless
Chromium (tests/browser.py) and prints the folder the PNGs are in.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import Browser, SiteServer  # noqa: E402

from newpower_site.engine.engine import build_site
from newpower_site.core.options import BuildOptions  # noqa: E402

PAGES = {
    "home": "",
    "article": "articles/care-workers-rota-council/",
    "voice": "voices/grace-okafor/",
    "voices": "voices/",
    "newsletter": "newsletter/2026-11/",
}
SIZES = [(1280, 900, False, "light"), (375, 812, True, "light"), (375, 812, True, "dark")]


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="newpower-screenshots-"))
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        result = build_site(BuildOptions(site_dir=ROOT, out_dir=Path(work) / "site"), cached=False)
        if not result.ok:
            sys.exit("\n".join(d.format() for d in result.diagnostics))
        server = SiteServer(Path(work) / "site")
        browser = Browser()
        try:
            for width, height, mobile, scheme in SIZES:
                page = browser.new_page(width, height, mobile)
                page.color_scheme(scheme)
                for name, path in PAGES.items():
                    page.goto(server.url(path))
                    suffix = "" if scheme == "light" else f"-{scheme}"
                    page.screenshot(folder / f"{name}-{width}{suffix}.png")
                page.close()
        finally:
            browser.close()
            server.close()
    print(folder)


if __name__ == "__main__":
    main()
