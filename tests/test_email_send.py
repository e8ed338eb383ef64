"""`newpower send-test` against a real SMTP server (aiosmtpd) started by the test."""

from __future__ import annotations

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller

from conftest import REPO, newpower

REFUSED = "nobody@refused.example"


class Inbox:
    """An SMTP handler that keeps what it receives and refuses one address."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if address == REFUSED:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted"


@pytest.fixture()
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, f"127.0.0.1:{controller.port}"
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_send_test_delivers_both_parts(smtp_server) -> None:
    inbox, address = smtp_server
    run = newpower("send-test", "2026-10", "--site", REPO, "--to", "editor@example.org", "--smtp", address)
    assert run.code == 0, run.stderr
    assert run.stdout.startswith("sent 'October 2026:")
    [(sender, recipients, raw)] = inbox.messages
    assert sender == "newsletter@newpower.example.org" and recipients == ["editor@example.org"]
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["To"] == "editor@example.org"
    assert message["Subject"].startswith("October 2026:")
    assert message["List-Unsubscribe"] == "<*|UNSUB|*>"
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.get_payload()
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert "IN THIS ISSUE" in text.get_content()
    assert 'role="presentation"' in html.get_content()


def test_send_test_with_another_sender_and_provider(smtp_server) -> None:
    inbox, address = smtp_server
    run = newpower("send-test", "2026-10", "--site", REPO, "--to", "a@example.org", "--smtp", address,
                   "--from", "Ruth <ruth@example.org>", "--provider", "listmonk")
    assert run.code == 0, run.stderr
    [(sender, _, raw)] = inbox.messages
    message = email.message_from_bytes(raw, policy=policy.default)
    assert sender == "ruth@example.org" and message["From"] == "Ruth <ruth@example.org>"
    assert message["List-Unsubscribe"] == "<{{ UnsubscribeURL }}>"


def test_a_refused_address_is_a_clear_error(smtp_server) -> None:
    inbox, address = smtp_server
    run = newpower("send-test", "2026-10", "--site", REPO, "--to", REFUSED, "--smtp", address)
    assert run.code == 1
    assert run.stderr.strip() == f"newpower: error: the SMTP server {address} refused the address '{REFUSED}': 550 5.1.1 No such mailbox here"
    assert inbox.messages == []


def test_no_server_is_a_clear_error() -> None:
    port = free_port()  # nothing listens there once the probe is closed
    run = newpower("send-test", "2026-10", "--site", REPO, "--to", "a@example.org", "--smtp", f"127.0.0.1:{port}")
    assert run.code == 1
    assert f"cannot connect to the SMTP server 127.0.0.1:{port}: connection refused" in run.stderr
    assert "Traceback" not in run.stderr


def test_login_is_never_sent_without_starttls(smtp_server, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, address = smtp_server
    monkeypatch.setenv("NEWPOWER_SMTP_USER", "editor")
    monkeypatch.setenv("NEWPOWER_SMTP_PASSWORD", "secret")
    run = newpower("send-test", "2026-10", "--site", REPO, "--to", "a@example.org", "--smtp", address)
    assert run.code == 1
    assert "does not offer STARTTLS; refusing to send the password" in run.stderr
    assert inbox.messages == []


@pytest.mark.parametrize("value", ["", "host:port", "host:70000"])
def test_a_bad_smtp_option_is_a_clear_error(value: str) -> None:
    run = newpower("send-test", "2026-10", "--site", REPO, "--to", "a@example.org", "--smtp", value)
    assert run.code == 1 and run.stderr.startswith(f"newpower: error: --smtp {value!r}:"), run.stderr


@pytest.mark.parametrize(("option", "value"), [("--from", "a@example.org\nBcc: x@example.org"), ("--to", "a@example.org, b@example.org"),
                                               ("--to", "nobody"), ("--from", "Ruth <<")])
def test_one_address_per_option_and_no_header_injection(smtp_server, option: str, value: str) -> None:
    inbox, address = smtp_server
    args = {"--to": "editor@example.org", option: value}
    run = newpower("send-test", "2026-10", "--site", REPO, "--smtp", address, *[x for pair in args.items() for x in pair])
    assert run.code == 1 and run.stderr.startswith(f"newpower: error: {option} "), run.stderr
    assert inbox.messages == []
