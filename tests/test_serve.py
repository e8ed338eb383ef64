"""`newpower serve` through the real command line: it serves, reloads after an edit,
shows a bad edit's errors, survives it, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import http.client
import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import lxml.html
from conftest import REPO, copy_site

LIMIT = 120  # seconds: a hang fails the test instead of blocking the suite (not a speed check)


class EventStream:
    """A minimal server-sent-events client, as the injected script is."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=LIMIT)
        self.connection.request("GET", "/__newpower/events")
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type") == "text/event-stream"

    def next_event(self) -> tuple[str, str]:
        """The next named event; fails after LIMIT seconds without one (keep-alive comments do not count)."""
        name, data = "", ""
        deadline = time.monotonic() + LIMIT
        while True:
            assert time.monotonic() < deadline, f"no event in {LIMIT} s"
            line = self.response.fp.readline().decode("utf-8")
            assert line, "the event stream closed"
            line = line.rstrip("\n")
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data = line[len("data: ") :]
            elif not line and name:
                return name, data


def get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=LIMIT)
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read()


def test_serve_reloads_after_an_edit_and_survives_a_bad_one(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    server = subprocess.Popen(
        [sys.executable, "-m", "newpower_site", "serve", "--site", str(site), "--port", "0"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    lines: list[str] = []
    try:
        while True:
            line = server.stderr.readline()
            assert line, f"serve stopped: {''.join(lines)}"
            lines.append(line)
            if "serving" in line:
                break
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", line).group(1))
        reader = threading.Thread(target=lambda: lines.extend(iter(server.stderr.readline, "")), daemon=True)
        reader.start()

        status, page = get(port, "/articles/bakery-buyout/")
        assert status == 200
        scripts = lxml.html.fromstring(page).xpath("//script/@src")
        assert "/__newpower/livereload.js" in scripts, "the reload script is injected when served"
        assert not (site / "output").exists(), "serve does not write the output folder"
        served = site / ".newpower-cache/serve/articles/bakery-buyout/index.html"
        assert b"livereload" not in served.read_bytes(), "the script is never written into a file"

        events = EventStream(port)
        article = site / "content/articles/bakery-buyout.md"
        text = article.read_text(encoding="utf-8")
        article.write_text(text.replace("title:", "title: Freshly edited,", 1), encoding="utf-8")
        assert events.next_event()[0] == "reload"
        status, page = get(port, "/articles/bakery-buyout/")
        assert "Freshly edited," in lxml.html.fromstring(page).findtext(".//h1")

        article.write_text(text.replace("title:", "titel:", 1), encoding="utf-8")
        name, data = events.next_event()
        assert name == "problems"
        problems = json.loads(data)
        assert "content/articles/bakery-buyout.md:2: error: unknown key 'titel'; did you mean 'title'?" in problems
        assert get(port, "/articles/bakery-buyout/")[0] == 200, "the last good build is still served"

        article.write_text(text, encoding="utf-8")
        assert events.next_event()[0] == "reload"
        status, page = get(port, "/articles/bakery-buyout/")
        assert "Freshly edited," not in page.decode("utf-8")

        (site / "content/articles/old-news.md").rename(site / "content/articles/_old-news.md")
        for path in (site / "content").rglob("*.md"):
            body = path.read_text(encoding="utf-8")
            if "old-news.md" in body:
                path.write_text(body.replace("(../articles/old-news.md)", "(https://example.org/)"), encoding="utf-8")
        while events.next_event()[0] != "reload":
            pass
        assert get(port, "/articles/old-news/")[0] == 404, "a removed item's page is gone"
        assert not (site / ".newpower-cache/serve/articles/old-news").exists()
    finally:
        server.send_signal(signal.SIGINT)
        code = server.wait(timeout=LIMIT)
    output = "".join(lines)
    assert code == 0, output
    assert "content/articles/bakery-buyout.md:2: error: unknown key 'titel'" in output, "errors reach the terminal too"
    assert "Traceback" not in output
    assert "stopped" in output


def start_serve(site: Path) -> tuple[subprocess.Popen, str]:
    """Start serve on a free port; returns the process and the URL it prints."""
    server = subprocess.Popen([sys.executable, "-m", "newpower_site", "serve", "--site", str(site), "--port", "0"],
                              stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    seen = []
    while True:
        line = server.stderr.readline()
        assert line, f"serve stopped: {''.join(seen)}"
        seen.append(line)
        if "serving" in line:
            return server, re.search(r"http://127\.0\.0\.1:\d+/\S*", line).group(0)


def test_a_second_serve_keeps_the_path_prefix(tmp_path: Path) -> None:
    """The second run finds nothing to rebuild; it must still serve under base_url's /archive/."""
    site = copy_site("realistic", tmp_path)
    for run in ("first", "second"):
        server, url = start_serve(site)
        try:
            assert url.endswith("/archive/"), (run, url)
            port = int(re.search(r":(\d+)/", url).group(1))
            assert get(port, "/archive/articles/bakery-buyout/")[0] == 200, run
        finally:
            server.send_signal(signal.SIGINT)
            assert server.wait(timeout=LIMIT) == 0


def test_ctrl_c_stops_serve_even_from_a_shell_that_ignores_it(tmp_path: Path) -> None:
    """A background job inherits SIGINT ignored; serve must still stop on Ctrl-C (and on SIGTERM)."""
    site = copy_site("realistic", tmp_path)
    for stop in (signal.SIGINT, signal.SIGTERM):
        server = subprocess.Popen([sys.executable, "-m", "newpower_site", "serve", "--site", str(site), "--port", "0"],
                                  stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        while "serving" not in (line := server.stderr.readline()):
            assert line, "serve stopped before serving"
        server.send_signal(stop)
        assert server.wait(timeout=LIMIT) == 0, stop


def serve_with_log(site: Path) -> tuple[subprocess.Popen, int, list[str]]:
    server = subprocess.Popen(
        [sys.executable, "-m", "newpower_site", "serve", "--site", str(site), "--port", "0"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    lines: list[str] = []
    while True:
        line = server.stderr.readline()
        assert line, f"serve stopped: {''.join(lines)}"
        lines.append(line)
        found = re.search(r"serving .* at http://127\.0\.0\.1:(\d+)/", line)
        if found:
            break
    port = int(found.group(1))
    threading.Thread(target=lambda: lines.extend(iter(server.stderr.readline, "")), daemon=True).start()
    return server, port, lines


def test_a_failed_first_build_serves_the_problems_and_turns_into_the_site_on_the_fix(tmp_path: Path) -> None:
    """It served a plain "not found" with no reload hook, so the browser never recovered by itself."""
    site = copy_site("realistic", tmp_path)
    article = site / "content/articles/bakery-buyout.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(text.replace("title:", "titel:", 1), encoding="utf-8")
    server, port, lines = serve_with_log(site)
    try:
        status, page = get(port, "/articles/bakery-buyout/")
        assert status == 500
        tree = lxml.html.fromstring(page)
        assert tree.findtext(".//h1") == "The site did not build"
        problems = [code.text_content() for code in tree.xpath("//li/code")]
        assert "content/articles/bakery-buyout.md:2: error: unknown key 'titel'; did you mean 'title'?" in problems
        assert "/__newpower/livereload.js" in tree.xpath("//script/@src"), "the page reloads by itself"
        assert json.loads(tree.get("data-newpower-problems")) == problems
        assert get(port, "/")[0] == 500, "every page says so, the home page too"

        events = EventStream(port)
        assert events.next_event()[0] == "problems"  # what a page opened now is told
        article.write_text(text, encoding="utf-8")
        assert events.next_event()[0] == "reload"
        status, page = get(port, "/articles/bakery-buyout/")
        assert status == 200 and lxml.html.fromstring(page).findtext(".//h1") != "The site did not build"
        assert get(port, "/no-such-page/")[0] == 404, "after a good build, a missing page is the site's 404 again"
    finally:
        server.send_signal(signal.SIGINT)
        code = server.wait(timeout=LIMIT)
    assert code == 0 and "Traceback" not in "".join(lines)


def test_a_port_out_of_range_is_refused_before_any_build(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    for port in ("99999", "-1", "eighty"):
        run = subprocess.run([sys.executable, "-m", "newpower_site", "serve", "--site", str(site), "--port", port],
                             capture_output=True, text=True, timeout=LIMIT)
        assert run.returncode == 2 and "argument --port" in run.stderr and "from 1 to 65535" in run.stderr, run.stderr
        assert "OverflowError" not in run.stderr
    assert not (site / ".newpower-cache").exists(), "nothing was built"


def test_email_previews_take_their_images_from_the_preview(tmp_path: Path) -> None:
    """Before deploying, the live site has no images yet: the email preview points its links at the preview."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")  # this repository's issues show PNG portraits
    shutil.copy(REPO / "site.yaml", site / "site.yaml")
    server = subprocess.Popen(
        [sys.executable, "-m", "newpower_site", "serve", "--site", str(site), "--port", "0"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    try:
        line = ""
        while "serving" not in line:
            line = server.stderr.readline()
            assert line, "serve stopped"
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", line).group(1))
        status, mail = get(port, "/email/2026-09.html")
        assert status == 200
        written = (site / ".newpower-cache/serve/email/2026-09.html").read_bytes()
        assert b'src="https://newpower.example.org/images/' in written  # the file keeps site.yaml's absolute URLs
        sources = lxml.html.fromstring(mail).xpath("//img/@src")
        assert sources and all(src.startswith(f"http://127.0.0.1:{port}/") for src in sources), sources
        status, image = get(port, sources[0].removeprefix(f"http://127.0.0.1:{port}"))
        assert status == 200 and image.startswith(b"\x89PNG")
        assert b"https://newpower.example.org/" not in mail
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(LIMIT)
