"""`newpower send-test` against a real SMTP server (aiosmtpd) started by the test."""

from __future__ import annotations

import email
import email.message
import socket
import ssl
import threading
from datetime import UTC, date, datetime, timedelta
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
    assert run.stdout.startswith("sent '[Test] October 2026:")
    [(sender, recipients, raw)] = inbox.messages
    assert sender == "newsletter@newpower.example.org" and recipients == ["editor@example.org"]
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["To"] == "editor@example.org"
    assert message["Subject"].startswith("[Test] October 2026:")
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


def sent_message(inbox: Inbox, index: int = -1) -> email.message.EmailMessage:
    return email.message_from_bytes(inbox.messages[index][2], policy=policy.default)


def test_a_test_send_is_marked_dated_now_and_has_its_own_message_id(smtp_server, tmp_path) -> None:
    inbox, address = smtp_server
    for _ in range(2):
        run = newpower("send-test", "2026-10", "--site", REPO, "--to", "editor@example.org", "--smtp", address)
        assert run.code == 0, run.stderr
    first, second = sent_message(inbox, 0), sent_message(inbox, 1)
    assert first["Subject"].startswith("[Test] October 2026:")
    assert run.stdout.startswith("sent '[Test] October 2026:")
    assert first["Date"].datetime.date() >= datetime.now(UTC).date() - timedelta(days=1)  # not the issue's 2026-10-01
    assert first["Date"].datetime.date() != date(2026, 10, 1)
    built = newpower("build", "--site", REPO, "--out", tmp_path / "out")
    assert built.code == 0, built.stderr
    eml = email.message_from_bytes((tmp_path / "out/email/2026-10.eml").read_bytes(), policy=policy.default)
    assert len({first["Message-ID"], second["Message-ID"], eml["Message-ID"]}) == 3
    assert not eml["Subject"].startswith("[Test]")


@pytest.fixture()
def tls_smtp_server(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """An SMTP server speaking TLS from the first byte, with a certificate the command is told to trust."""
    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    authority.cert_pem.write_to_path(tmp_path / "ca.pem")
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))  # OpenSSL's own variable: the child process trusts it
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), ssl_context=context)
    controller.start()
    try:
        yield inbox, f"127.0.0.1:{controller.port}"
    finally:
        controller.stop()


def test_implicit_tls_sends_over_tls(tls_smtp_server) -> None:
    inbox, address = tls_smtp_server
    run = newpower("send-test", "2026-10", "--site", REPO, "--to", "editor@example.org", "--smtp", address, "--implicit-tls")
    assert run.code == 0, run.stderr
    assert sent_message(inbox)["Subject"].startswith("[Test] ")


def test_implicit_tls_against_a_plain_server_is_a_clear_error(smtp_server) -> None:
    inbox, address = smtp_server
    run = newpower("send-test", "2026-10", "--site", REPO, "--to", "editor@example.org", "--smtp", address, "--implicit-tls",
                   "--timeout", "10")
    assert run.code == 1 and run.stderr.startswith(f"newpower: error: TLS with {address} failed:"), run.stderr
    assert inbox.messages == []


@pytest.fixture()
def trickling_server():
    """A server that never finishes its greeting: one continuation line every tenth of a second, for up to 20 s."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()

    def trickle() -> None:
        listener.settimeout(20)
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        with connection:
            for _ in range(200):
                if stop.wait(0.1):
                    return
                try:
                    connection.sendall(b"220-still saying hello\r\n")
                except OSError:
                    return

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
        thread.join()


def test_one_deadline_bounds_the_whole_send(trickling_server) -> None:
    run = newpower("send-test", "2026-10", "--site", REPO, "--to", "a@example.org", "--smtp", trickling_server, "--timeout", "1")
    assert run.code == 1
    assert run.stderr.strip() == f"newpower: error: the SMTP server {trickling_server} did not finish within 1 s (see --timeout)"


@pytest.mark.parametrize("value", ["0", "-3", "soon", "nan"])
def test_a_bad_timeout_is_refused(value: str) -> None:
    run = newpower("send-test", "2026-10", "--site", REPO, "--to", "a@example.org", "--timeout", value)
    assert run.code == 2 and "--timeout" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("value", ["Ruth\x0c <a@example.org>", "a\x0c@example.org", "a@example.org\u2028"])
def test_a_control_character_in_an_address_is_a_clear_error(smtp_server, value: str) -> None:
    inbox, address = smtp_server
    run = newpower("send-test", "2026-10", "--site", REPO, "--to", value, "--smtp", address)
    assert run.code == 1 and run.stderr.startswith("newpower: error: --to ") and "control character U+" in run.stderr, run.stderr
    assert inbox.messages == []


def test_a_password_without_a_user_is_refused(smtp_server, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, address = smtp_server
    monkeypatch.delenv("NEWPOWER_SMTP_USER", raising=False)
    monkeypatch.setenv("NEWPOWER_SMTP_PASSWORD", "secret")
    run = newpower("send-test", "2026-10", "--site", REPO, "--to", "a@example.org", "--smtp", address)
    assert run.code == 1
    assert "NEWPOWER_SMTP_PASSWORD is set but NEWPOWER_SMTP_USER is not" in run.stderr
    assert inbox.messages == []
