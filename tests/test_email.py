"""The newsletter email: HTML that survives mail clients, plain text, .eml and the commands.

Built from real site folders through the real command line; the HTML is
parsed with lxml and the message with Python's own email package.
"""

from __future__ import annotations

import email
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from email import policy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
import yaml

from conftest import REPO, copy_site, newpower

from newpower_site.email.lint import html_part_size

EMAIL_PREFIX = "https://example.org/archive/"
FORBIDDEN_TAGS = ("script", "form", "iframe", "object", "embed", "input", "button", "select", "textarea", "video", "audio", "link")
FORBIDDEN_CSS = re.compile(r"display:\s*(flex|grid)|position:|var\(|--[a-z-]+:|@import|@font-face", re.I)
MERGE_TAGS = {
    "mailchimp": "*|UNSUB|*",
    "buttondown": "{{ unsubscribe_url }}",
    "listmonk": "{{ UnsubscribeURL }}",
}


@pytest.fixture(scope="module")
def repo_email(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's site, built; returns output/email."""
    out = tmp_path_factory.mktemp("repo") / "out"
    run = newpower("build", "--site", REPO, "--out", out)
    assert run.code == 0, run.stderr
    return out / "email"


def parse(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_bytes())


def email_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.html"))
    assert files, f"no email in {folder}"
    return files


def test_every_published_issue_has_html_text_and_eml(repo_email: Path) -> None:
    slugs = {p.stem for p in repo_email.iterdir()}
    assert slugs == {"2026-09", "2026-10", "2026-11"}
    for slug in slugs:
        assert {p.suffix for p in repo_email.glob(f"{slug}.*")} == {".html", ".txt", ".eml"}


def test_layout_is_tables_of_at_most_600px_with_outlook_wrappers(repo_email: Path) -> None:
    for path in email_files(repo_email):
        source = path.read_text(encoding="utf-8")
        tree = parse(path)
        tables = tree.xpath("//table")
        assert tables and all(t.get("role") == "presentation" for t in tables), path.name
        container = tree.xpath("//table[contains(@class, 'container')]")[0]
        assert container.get("width") == "600" and "max-width: 600px" in container.get("style")
        assert "<!--[if mso]><table role=\"presentation\" width=\"600\"" in source
        assert "v:roundrect" in source, "bulletproof buttons for Outlook"
        assert tree.xpath("/html/@lang") == ["en-GB"] and tree.xpath("/html/@dir") == ["ltr"]
        assert tree.xpath("//head/title/text()")[0].strip()
        assert tree.xpath("//meta[@charset='utf-8']") and tree.xpath("//meta[@name='viewport']")
        assert tree.xpath("//meta[@name='x-apple-disable-message-reformatting']")


def test_nothing_a_mail_client_refuses(repo_email: Path) -> None:
    for path in email_files(repo_email):
        tree = parse(path)
        for tag in FORBIDDEN_TAGS:
            assert not tree.xpath(f"//{tag}"), (path.name, tag)
        for element in tree.iter():
            if not isinstance(element.tag, str):
                continue
            assert not [a for a in element.attrib if a.startswith("on")], (path.name, element.tag)
            assert not FORBIDDEN_CSS.search(element.get("style", "")), (path.name, element.get("style"))
            assert "background-image" not in element.get("style", "") and element.get("background") is None
        styles = tree.xpath("//style")
        assert len(styles) == 1 and styles[0].get("data-css-inline") == "keep", "only the progressive block stays"
        assert "@media" in styles[0].text and "prefers-color-scheme: dark" in styles[0].text and "[data-ogsc]" in styles[0].text


def test_every_url_is_absolute_and_every_image_complete(repo_email: Path) -> None:
    for path in email_files(repo_email):
        tree = parse(path)
        hrefs = tree.xpath("//a/@href")
        assert len(hrefs) > 8
        for href in hrefs:
            assert href.startswith("https://newpower.example.org/") or href == "*|UNSUB|*", (path.name, href)
        for image in tree.xpath("//img"):
            assert image.get("src").startswith("https://"), image.get("src")
            assert image.get("alt") and image.get("width") and image.get("height")


def test_preheader_is_first_and_padded(repo_email: Path) -> None:
    tree = parse(repo_email / "2026-11.html")
    first = tree.xpath("//body/*")[0]
    assert "preheader" in first.get("class")
    assert "display: none" in first.get("style") and "mso-hide: all" in first.get("style")
    text = first.text_content()
    assert text.startswith("A patient panel with a real budget and a veto")
    assert len(text) > 200, "padded so the preview shows nothing else"


def test_content_view_link_cards_and_footer(repo_email: Path) -> None:
    tree = parse(repo_email / "2026-09.html")
    hrefs = tree.xpath("//a/@href")
    assert "https://newpower.example.org/newsletter/2026-09/" in hrefs, "view in browser"
    body_text = " ".join(tree.text_content().split())
    assert "Dear friends," in body_text, "the editor's introduction"
    titles = [" ".join(t.text_content().split()) for t in tree.xpath("//h3")]
    assert titles == ["£90,000 and a ballot box: participatory budgeting in Cwmderwen", "Rhian Howells",
                      "Before the welfare state: what the friendly societies knew", "Grace Okafor"]
    assert "“Power is knowing on Thursday where you’ll be next Friday." in body_text
    portrait = tree.xpath("//img[contains(@src, 'portrait-grace-okafor')]")[0]
    assert portrait.get("src") == "https://newpower.example.org/images/portrait-grace-okafor.png"
    assert portrait.get("width") == "72" and portrait.get("height") == "72"
    assert "Member voice · Local government" in body_text, "movement"
    assert tree.xpath("//a[@class='button']/@aria-label")[0].startswith("Read more: £90,000")
    footer = tree.xpath("//td[contains(@class, 'footer')]")[0].text_content()
    assert "12 Example Yard, London N1 0XX" in footer
    assert "https://newpower.example.org/newsletter/" in hrefs and "https://newpower.example.org/subscribe/" in hrefs
    assert tree.xpath("//a[@href='*|UNSUB|*']/text()") == ["Unsubscribe"]


@pytest.mark.parametrize("provider", [*MERGE_TAGS, "campaign-monitor"])
def test_each_provider_gets_its_unsubscribe_tag(provider: str) -> None:
    run = newpower("email", "2026-11", "--site", REPO, "--provider", provider)
    assert run.code == 0, run.stderr
    tree = lxml.html.fromstring(run.stdout.encode("utf-8"))
    if provider == "campaign-monitor":
        assert "<unsubscribe" in run.stdout and tree.xpath("//unsubscribe/text()") == ["Unsubscribe"]
    else:
        assert tree.xpath("//a[text()='Unsubscribe']/@href") == [MERGE_TAGS[provider]]
    text = newpower("email", "2026-11", "--site", REPO, "--provider", provider, "--text")
    assert text.code == 0 and ("Unsubscribe: " + MERGE_TAGS.get(provider, "<unsubscribe>")) in text.stdout


def test_generic_provider_uses_the_configured_string(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("provider: buttondown", "provider: generic\n  unsubscribe: '%%unsub%%'"), encoding="utf-8")
    run = newpower("email", "march-2026", "--site", site)
    assert run.code == 0, run.stderr
    assert lxml.html.fromstring(run.stdout.encode()).xpath("//a[text()='Unsubscribe']/@href") == ["%%unsub%%"]


def test_generic_without_an_unsubscribe_tag_is_refused_on_the_command_line_too() -> None:
    run = newpower("email", "2026-11", "--site", REPO, "--provider", "generic")
    assert run.code == 1 and run.stdout == ""
    assert run.stderr.startswith("site.yaml:1: error: --provider generic needs email.unsubscribe in site.yaml"), run.stderr


@pytest.mark.parametrize("provider", [None, "listmonk"])
def test_email_json_is_what_a_script_needs(provider: str | None) -> None:
    run = newpower("email", "2026-11", "--site", REPO, "--json", *(["--provider", provider] if provider else []))
    assert run.code == 0, run.stderr
    document = json.loads(run.stdout)
    assert set(document) == {"subject", "preheader", "html", "text", "provider"}
    assert document["provider"] == (provider or "mailchimp")
    html = newpower("email", "2026-11", "--site", REPO, *(["--provider", provider] if provider else []))
    text = newpower("email", "2026-11", "--site", REPO, "--text", *(["--provider", provider] if provider else []))
    assert document["html"] == html.stdout and document["text"] == text.stdout
    front = yaml.safe_load((REPO / "content/newsletters/2026-11.md").read_text(encoding="utf-8").split("---")[1])
    assert document["subject"] == front["title"] and document["preheader"] == front["preheader"]


def test_utm_parameters_only_on_site_links_when_configured(realistic_build: Path, repo_email: Path) -> None:
    tree = parse(realistic_build / "email/march-2026.html")
    site_links = [h for h in tree.xpath("//a/@href") if h.startswith(EMAIL_PREFIX)]
    assert site_links
    for href in site_links:
        query = parse_qs(urlsplit(href).query)
        assert query == {"utm_source": ["newsletter"], "utm_medium": ["email"], "utm_campaign": ["march-2026"]}, href
    assert "utm_" not in (repo_email / "2026-11.html").read_text(encoding="utf-8"), "off by default"


def test_intro_links_and_raw_html(realistic_build: Path) -> None:
    """The introduction's relative links become absolute; its raw HTML renders, as it does on the web."""
    tree = parse(realistic_build / "email/march-2026.html")
    intro = tree.xpath("//td[contains(@class, 'intro')]")[0]
    assert intro.xpath(".//a/@href")[0].startswith(f"{EMAIL_PREFIX}articles/bakery-buyout/?")
    assert intro.xpath(".//em/text()") == ["Editors’ HTML renders here."]
    assert "{{ unsubscribe_url }}" in (realistic_build / "email/march-2026.html").read_text(encoding="utf-8")


def test_an_svg_portrait_falls_back_to_initials_with_a_warning(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    assert "content/voices/dee-okafor.md:8: warning: the portrait is not PNG, JPEG or GIF" in run.stderr
    tree = parse(site / "output/email/march-2026.html")
    assert not tree.xpath("//img") and tree.xpath("//td[contains(@class, 'initials')]/text()") == ["DO"]


def test_plain_text_reads_on_its_own(repo_email: Path) -> None:
    for path in sorted(repo_email.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            assert len(line) <= 78 or " " not in line.strip(), (path.name, line)
        assert not re.search(r"<[a-z/!]|\]\(|\*\*|^#+ |&[a-z]+;", text, re.M), path.name
        assert "Unsubscribe: *|UNSUB|*" in text and "12 Example Yard" in text
    text = (repo_email / "2026-11.txt").read_text(encoding="utf-8")
    assert text.startswith("NOVEMBER 2026: CONSULTED TO DEATH? NOT ANY MORE\n")
    assert "a patient panel [1] now controls" in text
    assert "\n[1] https://newpower.example.org/articles/nhs-patient-panels/\n" in text
    assert "   Read the interview: https://newpower.example.org/voices/marek-nowak/" in text


def test_eml_is_a_complete_multipart_alternative(repo_email: Path) -> None:
    path = repo_email / "2026-11.eml"
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["Subject"] == "November 2026: Consulted to death? Not any more"
    assert message["MIME-Version"] == "1.0"
    assert message["List-Unsubscribe"] == "<*|UNSUB|*>"
    assert message["From"] == "The New Power Project <newsletter@newpower.example.org>"
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.get_payload()
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    for part in (text, html):
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
    same = lambda part, name: part.get_content().replace("\r\n", "\n") == (repo_email / name).read_text(encoding="utf-8")  # noqa: E731
    assert same(text, "2026-11.txt") and same(html, "2026-11.html"), "the .eml carries exactly the built files"


def test_six_featured_items_stay_under_60_kb(tmp_path: Path) -> None:
    site = tmp_path / "site"
    import shutil

    shutil.copytree(REPO, site, ignore=shutil.ignore_patterns("output", ".venv", ".git", "node_modules", ".newpower-cache", "tests"))
    featured = ["articles/participatory-budget-cwmderwen", "voices/rhian-howells", "articles/energy-coop-estate",
                "voices/grace-okafor", "articles/care-workers-rota-council", "voices/marek-nowak"]
    issue = site / "content/newsletters/2026-11.md"
    text = issue.read_text(encoding="utf-8")
    start = text.index("featured:")
    end = text.index("---", start)
    issue.write_text(text[:start] + "featured:\n" + "".join(f"  - {ref}\n" for ref in featured) + text[end:], encoding="utf-8")
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    html = site / "output/email/2026-11.html"
    assert len(parse(html).xpath("//td[contains(@class, 'card-inner')]")) == 6
    assert html.stat().st_size < 60 * 1024, html.stat().st_size


def test_email_command_errors(tmp_path: Path) -> None:
    run = newpower("email", "1999-01", "--site", REPO)
    assert run.code == 1
    assert run.stderr.startswith("content/newsletters/1999-01.md: error: no published newsletter issue '1999-01'")
    assert "Traceback" not in run.stderr


def _issue_with_intro(site: Path, words: int) -> None:
    paragraph = "Members met in the library and decided, together, how the money would be spent. " * 10
    body = "\n\n".join([paragraph] * (words // 150))
    (site / "content/newsletters/long.md").write_text(
        "---\ntitle: A long one\ndate: 2026-03-20\npreheader: Long.\n---\n\n" + body + "\n", encoding="utf-8")


def test_size_budget_warns_at_80_kb_and_fails_at_102_kb(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    _issue_with_intro(site, 13_000)  # about 86 KB of HTML, 90 KB as quoted-printable in the message
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    assert re.search(r"^content/newsletters/long\.md:2: warning: email HTML is 9\d\.\d KB .*over the 80 KB budget", run.stderr, re.M), run.stderr
    before = (site / "output/index.html").read_bytes()
    _issue_with_intro(site, 17_000)  # over 102 KB: Gmail would clip it
    run = newpower("build", "--site", site)
    assert run.code == 1
    assert re.search(r"^content/newsletters/long\.md:2: error: email HTML is 1\d\d\.\d KB", run.stderr, re.M), run.stderr
    assert (site / "output/index.html").read_bytes() == before, "a failed build leaves the output as it was"


def test_size_is_measured_on_the_html_part_as_the_message_encodes_it(tmp_path: Path) -> None:
    """Gmail clips on the message's HTML part, which quoted-printable makes larger than the .html file."""
    site = copy_site("realistic", tmp_path)
    _issue_with_intro(site, 13_000)
    run = newpower("build", "--site", site)
    match = re.search(r"^content/newsletters/long\.md:2: warning: email HTML is \d+\.\d KB \((\d+) bytes\)", run.stderr, re.M)
    assert run.code == 0 and match, run.stderr
    html = (site / "output/email/long.html").read_bytes()
    eml = (site / "output/email/long.eml").read_bytes()
    assert int(match.group(1)) == html_part_size(eml) > len(html)
    message = email.message_from_bytes(eml, policy=policy.default)
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/html"]
    assert part.get_content().replace("\r\n", "\n").encode("utf-8") == html  # the part measured is the .html, encoded


def test_a_web_only_issue_has_no_email_and_needs_no_preheader(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    paragraph = "Members met in the library and decided, together, how the money would be spent. " * 10
    body = "\n\n".join([paragraph] * 130)  # far over Gmail's limit, were it sent
    (site / "content/newsletters/2009-01.md").write_text(
        "---\ntitle: From the archive\ndate: 2009-01-05\nweb_only: true\n---\n\n" + body + "\n", encoding="utf-8")
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    assert "2009-01" not in run.stderr
    assert (site / "output/newsletter/2009-01/index.html").is_file()
    assert not list((site / "output/email").glob("2009-01.*"))
    assert (site / "output/email/march-2026.eml").is_file()  # the other issues are still emails


def test_an_issue_that_is_not_web_only_still_needs_its_preheader(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    (site / "content/newsletters/2009-01.md").write_text("---\ntitle: From the archive\ndate: 2009-01-05\nweb_only: false\n---\n\nText.\n", encoding="utf-8")
    run = newpower("check", "--site", site)
    assert run.code == 1
    assert "content/newsletters/2009-01.md:2: error: missing required key 'preheader'" in run.stderr, run.stderr


def test_css_a_client_cannot_render_is_a_warning_at_the_template_line(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    (site / "templates/email").mkdir(parents=True)
    template = (REPO / "templates/email/newsletter.html").read_text(encoding="utf-8")
    lines = template.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(".summary {"))
    lines.insert(at + 1, ".summary { display: flex; }")
    (site / "templates/email/newsletter.html").write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = newpower("check", "--site", site)
    assert run.code == 0, run.stderr
    assert f"templates/email/newsletter.html:{at + 2}: warning:" in run.stderr and "flex" in run.stderr, run.stderr


def test_piping_into_a_reader_that_stops_early_is_not_an_error() -> None:
    """`newpower email 2026-11 | head -1`: the reader leaves; no traceback, no complaint."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "newpower_site", "email", "2026-11", "--site", str(REPO)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    process.stdout.close()  # before the command has written a byte: its write meets a closed pipe
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0 and stderr == "", stderr


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Keeps every POST's path, headers and body; answers as an API would."""

    received: list[tuple[str, dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


def documented_recipes() -> list[str]:
    text = (REPO / "docs/email.md").read_text(encoding="utf-8")
    return [block for block in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL) if block.startswith("newpower email")]


@pytest.mark.skipif(not (shutil.which("jq") and shutil.which("curl") and shutil.which("bash")), reason="the recipes use bash, jq and curl")
@pytest.mark.parametrize("recipe", documented_recipes(), ids=lambda r: r.split("--provider ")[1].split()[0])
def test_the_documented_recipes_send_each_tool_its_own_tags(recipe: str, tmp_path: Path) -> None:
    """docs/email.md's commands, run as written against a local server standing in for the tool's API."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Recorder.received = []
    local = f"http://127.0.0.1:{server.server_port}"
    script = re.sub(r"https://(api\.buttondown\.com|lists\.example\.org)", local, recipe)
    script = script.replace("newpower email ", f"{sys.executable} -m newpower_site email --site {REPO} ")
    env = {**os.environ, "PYTHONPATH": str(REPO), "LISTMONK_USER": "u", "LISTMONK_TOKEN": "t", "BUTTONDOWN_API_KEY": "k"}
    try:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr
    provider = recipe.split("--provider ")[1].split()[0]
    tag = {**MERGE_TAGS, "campaign-monitor": "<unsubscribe"}[provider]
    if _Recorder.received:
        [(path, headers, body)] = _Recorder.received
        document = json.loads(body)
        assert document["subject"].startswith("November 2026")
        pages = [document["body"]]
        if provider == "listmonk":
            assert path == "/api/campaigns" and tag in document["altbody"] and headers["Authorization"].startswith("Basic ")
    else:
        pages = [p.read_text(encoding="utf-8") for p in sorted(tmp_path.glob("*.html"))] or [done.stdout]
    for page in pages:
        assert tag in page
        if provider != "mailchimp":
            assert "*|UNSUB|*" not in page, "site.yaml's Mailchimp tag must not reach another tool"
