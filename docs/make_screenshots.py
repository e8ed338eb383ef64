"""Take the screenshots in docs/images/ with headless Chromium, from this repository's real site.

    .venv/bin/python docs/make_screenshots.py

Builds the site into a temporary folder, serves it on 127.0.0.1, and takes:

- home.png            the home page
- voice.png           a member voice
- email.png           a newsletter issue as the email (output/email/SLUG.html)
- error-terminal.png  the real `newpower check` output for two typical mistakes,
                      laid out as a terminal window
- subscribe.png, subscribe-phone.png   the subscribe page's sign-up form, on a desktop and a phone
- serve-error.png     `newpower serve`'s page when its first build fails (the same broken site)

Each PNG is reduced to a 256-colour palette so it stays well under 200 KB
(tests/test_docs.py checks the size). Run it again after changing the theme
and commit the images. It uses Debian's /usr/bin/chromium; it never downloads
a browser.
"""

from __future__ import annotations

import contextlib
import functools
import html
import re
import signal
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path

from PIL import Image, ImageChops

REPO = Path(__file__).resolve().parent.parent
IMAGES = REPO / "docs" / "images"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
MAX_BYTES = 200_000

VOICE = "grace-okafor"
ISSUE = "2026-11"


def newpower(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "newpower_site", *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def screenshot(url: str, target: Path, width: int, height: int, profile: Path, crop: bool = False) -> None:
    """One viewport of `url` at 1x, as Chromium's own --screenshot takes it; `crop` trims the empty page below."""
    raw = target.with_suffix(".raw.png")
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
        "--hide-scrollbars", "--force-device-scale-factor=1", "--virtual-time-budget=3000",
        f"--window-size={width},{height}", f"--screenshot={raw}", url,
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    shrink(raw, target, crop)
    raw.unlink()


def shrink(source: Path, target: Path, crop: bool = False) -> None:
    """A palette PNG: text and flat colours survive 256 colours, and the file is a fraction of the size."""
    with Image.open(source) as image:
        image = image.convert("RGB")
        if crop:  # keep what differs from the top-left (background) colour, with its margin
            background = Image.new("RGB", image.size, image.getpixel((0, 0)))
            box = ImageChops.difference(image, background).getbbox()
            if box:
                image = image.crop((0, 0, image.width, min(image.height, box[3] + 16)))
        small = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        small.save(target, optimize=True)
    size = target.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{target}: {size} bytes is over the {MAX_BYTES} budget: use a smaller window")
    print(f"{target.relative_to(REPO)}: {size // 1000} KB")


NEW_ARTICLE = """---
tittle: "A rent strike diary"
date: 2026-11-20
topics: [housing]
---
Week one.
"""

NEW_VOICE = """---
name: "Asha Patel"
role: "Shop steward, Unite"
movement: trade-unions
date: 2026-11-21
quote: "We stopped asking permission."
portrait: ../images/asha-patel.jpg
---
## What changed?

Everything.
"""


def broken_site(workspace: Path) -> Path:
    """A copy of this site plus two new files with the mistakes editors really make."""
    site = workspace / "site"
    site.mkdir()
    shutil.copy2(REPO / "site.yaml", site / "site.yaml")
    shutil.copytree(REPO / "content", site / "content")
    (site / "content/articles/rent-strike-diary.md").write_text(NEW_ARTICLE, encoding="utf-8")
    (site / "content/voices/asha-patel.md").write_text(NEW_VOICE, encoding="utf-8")
    return site


TERMINAL_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8"><title>newpower check</title>
<style>
  body {{ margin: 0; background: #e9e4da; font: 15px/1.5 "DejaVu Sans Mono", "Liberation Mono", monospace; }}
  .window {{ margin: 16px; border-radius: 8px; overflow: hidden; box-shadow: 0 4px 14px rgba(0,0,0,.25); }}
  .bar {{ background: #3a3a3a; color: #ccc; padding: 6px 12px; font-size: 13px; }}
  .bar span {{ display: inline-block; width: 11px; height: 11px; border-radius: 50%; margin-right: 6px; background: #e0443e; }}
  .bar span + span {{ background: #dea123; }} .bar span + span + span {{ background: #1aab29; margin-right: 14px; }}
  pre {{ margin: 0; padding: 14px 16px 18px; background: #1e1e1e; color: #e6e6e6; white-space: pre-wrap; }}
  .prompt {{ color: #8ae234; }} .path {{ color: #ffffff; font-weight: bold; }} .error {{ color: #ff6b6b; font-weight: bold; }}
</style>
<div class="window"><div class="bar"><span></span><span></span><span></span>editor@laptop: ~/newpower-site</div>
<pre>{body}</pre></div></html>
"""


def terminal_html(site: Path) -> str:
    run = newpower("check", cwd=site)
    assert run.returncode == 1, "the broken site must fail the check"
    lines = ['<span class="prompt">$</span> newpower check']
    for line in (run.stderr + run.stdout).splitlines():
        where, sep, rest = line.partition(": error: ")
        if sep:
            lines.append(f'<span class="path">{html.escape(where)}:</span> <span class="error">error:</span> {html.escape(rest)}')
        else:
            lines.append(html.escape(line))
    lines.append(f'<span class="prompt">$</span> echo $?\n{run.returncode}')
    return TERMINAL_PAGE.format(body="\n".join(lines))


@contextlib.contextmanager
def serving_preview(site: Path):
    """`newpower serve` on `site`; yields the URL it serves at, and stops it after."""
    process = subprocess.Popen([sys.executable, "-m", "newpower_site", "serve", "--site", str(site), "--port", "0"],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        while not (found := re.search(r"serving .* at (http://\S+)", line := process.stderr.readline())):
            if not line:
                raise SystemExit("newpower serve stopped before serving")
        yield found.group(1)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def error_page_of(url: str) -> bytes:
    """What the preview answers while its first build has failed (status 500)."""
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:
            raise SystemExit(f"{url} answered {answer.status}: the broken site's first build did not fail")
    except urllib.error.HTTPError as failed:
        return failed.read()


def main() -> int:
    if not Path(CHROMIUM).exists():
        print(f"no Chromium at {CHROMIUM}: apt-get install chromium, or set CHROMIUM", file=sys.stderr)
        return 1
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="newpower-shots-") as temp:
        workspace = Path(temp)
        output = workspace / "output"
        profile = workspace / "profile"
        server, address = serve(workspace)
        try:
            built = newpower("build", "--out", str(output), "--base-url", f"{address}/output", "--quiet", cwd=REPO)
            if built.returncode != 0:
                print(built.stderr, file=sys.stderr)
                return 1
            screenshot(f"{address}/output/", IMAGES / "home.png", 1100, 1250, profile)
            screenshot(f"{address}/output/voices/{VOICE}/", IMAGES / "voice.png", 1100, 1250, profile)
            screenshot(f"{address}/output/email/{ISSUE}.html", IMAGES / "email.png", 720, 1250, profile)
            screenshot(f"{address}/output/subscribe/", IMAGES / "subscribe.png", 1100, 900, profile)
            screenshot(f"{address}/output/subscribe/", IMAGES / "subscribe-phone.png", 390, 844, profile)
            broken = broken_site(workspace)
            (workspace / "terminal.html").write_text(terminal_html(broken), encoding="utf-8")
            screenshot(f"{address}/terminal.html", IMAGES / "error-terminal.png", 1100, 600, profile, crop=True)
            with serving_preview(broken) as preview:
                page = error_page_of(preview)
            # The page as serve sends it, without its reload hook: an open event stream never lets a screenshot finish.
            (workspace / "serve-error.html").write_bytes(re.sub(rb'<script src="/__newpower/[^"]+"></script>', b"", page))
            screenshot(f"{address}/serve-error.html", IMAGES / "serve-error.png", 1100, 700, profile, crop=True)
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
