"""The sign-up form: built from site.yaml `subscribe:`, posted as a browser would, to a server standing in for the tool.

The form is parsed from the built page with lxml and its fields submitted
with urllib, with the reader's address in the email field, to a local HTTP
server at the form's own path; the server must see the fields each tool's
own embed code sends (docs/email.md says where each comes from).
"""

from __future__ import annotations

import http.server
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import lxml.html
import pytest
from conftest import copy_site, newpower

READER = "reader@example.net"
LISTS = ("8a0b0a2e-6f5c-4c2e-9d3b-1b2f8c6a7e10", "0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f")

PROVIDERS = {
    "mailchimp": (
        'provider: mailchimp\n  action: "https://branch.us21.list-manage.com/subscribe/post?u=5a1b2c3d4e5f60718293a4b5c&id=d6e7f80912"',
        "/subscribe/post?u=5a1b2c3d4e5f60718293a4b5c&id=d6e7f80912",
        [("b_5a1b2c3d4e5f60718293a4b5c_d6e7f80912", ""), ("EMAIL", READER)],
    ),
    "buttondown": ("provider: buttondown\n  username: riverside", "/api/emails/embed-subscribe/riverside", [("embed", "1"), ("email", READER)]),
    "listmonk": (
        f"provider: listmonk\n  url: https://lists.example.org/\n  lists: [{LISTS[0]}, {LISTS[1]}]",
        "/subscription/form",
        [("nonce", ""), ("l", LISTS[0]), ("l", LISTS[1]), ("email", READER)],
    ),
    "campaign-monitor": ('provider: campaign-monitor\n  action: "https://riverside.createsend.com/t/r/s/aljhk/"', "/t/r/s/aljhk/",
                         [("cm-aljhk-aljhk", READER)]),
}


class _Provider(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, list[tuple[str, str]], str]] = []

    def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8")
        self.received.append((self.path, urllib.parse.parse_qsl(body, keep_blank_values=True), self.headers.get("Content-Type", "")))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"thanks")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def provider_server():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Provider.received = []
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def built_with(tmp_path: Path, block: str) -> Path:
    site = copy_site("realistic", tmp_path)
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8") + f"subscribe:\n  {block}\n", encoding="utf-8")
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    return site / "output"


def submit(form: lxml.html.FormElement, local: str) -> None:
    """What a browser without JavaScript does: post every field, the reader's address typed into the email one."""
    fields = [(field.get("name"), READER if field.get("type") == "email" else field.get("value", ""))
              for field in form.xpath(".//input[@name]") if field.get("type") not in ("submit", "button", "image", "reset")]
    action = urllib.parse.urlsplit(form.action)
    target = local + action.path + (f"?{action.query}" if action.query else "")
    request = urllib.request.Request(target, data=urllib.parse.urlencode(fields).encode(), method=form.method.upper())
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_form_posts_what_the_tool_expects(provider: str, tmp_path: Path, provider_server: str) -> None:
    block, path, expected = PROVIDERS[provider]
    output = built_with(tmp_path, block)
    for page in ("subscribe/index.html", "newsletter/march-2026/index.html", "index.html"):
        tree = lxml.html.fromstring((output / page).read_bytes())
        forms = tree.xpath("//form[contains(@class, 'signup')]")
        assert len(forms) == (2 if page != "index.html" else 1), page  # the page's own, and the footer's
        ids = [i.get("id") for i in tree.xpath("//input[@type='email']")]
        assert len(ids) == len(set(ids)), "each field has an id of its own"
        for form in forms:
            assert form.method.upper() == "POST" and form.action.startswith("https://")
            email = form.xpath(".//input[@type='email']")[0]
            assert email.get("required") is not None and email.get("autocomplete") == "email"
            assert tree.xpath(f"//label[@for='{email.get('id')}']/text()") == ["Your email address"]
            _Provider.received = []
            submit(form, provider_server)
            [(seen_path, fields, content_type)] = _Provider.received
            assert seen_path == path and content_type == "application/x-www-form-urlencoded"
            assert fields == expected, page


def test_a_plain_sign_up_link_is_a_button_not_a_form(tmp_path: Path) -> None:
    output = built_with(tmp_path, "provider: link\n  url: https://example.org/join")
    tree = lxml.html.fromstring((output / "subscribe/index.html").read_bytes())
    assert not tree.xpath("//form[contains(@class, 'signup')]")
    assert tree.xpath("//a[@href='https://example.org/join']")


@pytest.mark.parametrize(("block", "message"), [
    ("provider: mailchimp", "subscribe.action is required with provider mailchimp"),
    ("provider: buttondown\n  username: 'bad name'", "subscribe.username must be your Buttondown username"),
    ("provider: listmonk\n  url: https://lists.example.org\n  lists: [1]", "subscribe.lists must be the UUIDs of listmonk lists"),
    ('provider: mailchimp\n  action: "http://x.list-manage.com/subscribe/post"', "subscribe.action must be an https:// URL"),
    ("provider: tinyletter\n  url: https://x.org", "subscribe.provider must be one of mailchimp, buttondown, listmonk, campaign-monitor, link"),
    ("provider: buttondown\n  username: x\n  action: https://x.org/", "subscribe: 'action' is not used with provider buttondown"),
])
def test_a_subscribe_setting_that_cannot_work_is_an_error_at_its_line(tmp_path: Path, block: str, message: str) -> None:
    site = copy_site("realistic", tmp_path)
    config = site / "site.yaml"
    lines_before = len(config.read_text(encoding="utf-8").splitlines())
    config.write_text(config.read_text(encoding="utf-8") + f"subscribe:\n  {block}\n", encoding="utf-8")
    run = newpower("check", "--site", site)
    assert run.code == 1
    [line] = [line for line in run.stderr.splitlines() if "subscribe" in line]
    number = int(line.split(":")[1])
    assert line.startswith("site.yaml:") and lines_before < number <= lines_before + 4 and message in line, line


def nav_links(output: Path, page: str) -> list[tuple[str, str, str | None]]:
    tree = lxml.html.fromstring((output / page).read_bytes())
    return [(a.text_content(), a.get("href"), a.get("aria-current")) for a in tree.xpath("//nav[@aria-label='Main']//a")]


def test_the_default_menu_is_the_one_the_theme_always_had(realistic_build: Path) -> None:
    prefix = "/archive"
    assert nav_links(realistic_build, "articles/index.html") == [
        ("Newsletter", f"{prefix}/newsletter/", None), ("Articles", f"{prefix}/articles/", "page"),
        ("Voices", f"{prefix}/voices/", None), ("Topics", f"{prefix}/topics/", None),
        ("About", f"{prefix}/about/", None), ("Search", f"{prefix}/search/", None),
    ]
    assert ("Articles", f"{prefix}/articles/", "true") in nav_links(realistic_build, "articles/bakery-buyout/index.html")


def test_a_site_names_its_own_menu_in_its_own_order(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8") + (
        "menu:\n  - {label: Who we are, link: pages/about.md}\n  - {label: Letters, link: newsletter}\n"
        "  - {label: Join, link: 'https://example.net/join'}\n"), encoding="utf-8")
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    assert nav_links(site / "output", "about/index.html") == [
        ("Who we are", "/archive/about/", "page"), ("Letters", "/archive/newsletter/", None), ("Join", "https://example.net/join", None),
    ]


def test_a_menu_link_to_a_page_that_is_not_there_is_an_error(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "menu:\n  - {label: Team, link: pages/team.md}\n  - {label: X, link: nowhere}\n",
                      encoding="utf-8")
    run = newpower("check", "--site", site)
    assert run.code == 1
    assert "'menu': link 'nowhere' must be a section" in run.stderr
    fixed = config.read_text(encoding="utf-8").replace("  - {label: X, link: nowhere}\n", "")
    config.write_text(fixed, encoding="utf-8")
    run = newpower("check", "--site", site)
    assert run.code == 1 and "menu: 'Team' links to pages/team.md, which does not exist or is not published" in run.stderr


def test_a_new_site_gets_neutral_wording_and_this_project_keeps_its_own(tmp_path: Path) -> None:
    from conftest import REPO

    assert newpower("new", "site", "Our Branch", "--site", tmp_path / "s").code == 0
    assert newpower("build", "--site", tmp_path / "s").code == 0
    home = (tmp_path / "s/output/index.html").read_text(encoding="utf-8")
    assert "Newsletter, articles and member voices" in home and "voices of its members" not in home
    assert "say what power means to them" not in (tmp_path / "s/output/voices/index.html").read_text(encoding="utf-8")
    run = newpower("build", "--site", REPO, "--out", tmp_path / "repo")
    assert run.code == 0, run.stderr
    assert "A monthly newsletter and the voices of its members" in (tmp_path / "repo/index.html").read_text(encoding="utf-8")
    voices = (tmp_path / "repo/voices/index.html").read_text(encoding="utf-8")
    assert "Members from across the movement say what power means to them." in voices
    assert "Members from trade unions say what power means to them." in (tmp_path / "repo/voices/movement/trade-union/index.html").read_text(encoding="utf-8")
    assert (tmp_path / "repo/subscribe/index.html").read_text(encoding="utf-8").count('class="signup"') == 2, "this project's own site uses it"
