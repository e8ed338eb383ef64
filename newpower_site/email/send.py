"""Send one message through SMTP, for `newpower send-test`.

Every way a send can fail (no server, refused login, refused address) comes
back as a SendError with a sentence an editor can act on, never a traceback.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the network and MIME modules load when a message is sent: `newpower build` parses --timeout's default
    from email.message import EmailMessage

USER_VARIABLE = "NEWPOWER_SMTP_USER"
PASSWORD_VARIABLE = "NEWPOWER_SMTP_PASSWORD"
TIMEOUT_SECONDS = 30


class SendError(Exception):
    """A send that did not happen, said plainly."""


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where `newpower email --send` hands a test email over (HOST:PORT)."""

    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> SmtpServer:
        """'HOST:PORT' or 'HOST' (port 25); '[::1]:2525' for IPv6."""
        if text.startswith("["):
            host, _, rest = text[1:].partition("]")
            port = rest.removeprefix(":")
        elif text.count(":") == 1:
            host, port = text.split(":")
        else:
            host, port = text, ""
        if not host:
            raise SendError(f"--smtp {text!r}: expected HOST:PORT, e.g. localhost:1025")
        try:
            number = int(port or "25")
        except ValueError:
            raise SendError(f"--smtp {text!r}: the port must be a number") from None
        if not 0 < number < 65536:
            raise SendError(f"--smtp {text!r}: the port must be between 1 and 65535")
        return cls(host, number)


def send(message: EmailMessage, server: SmtpServer, sender: str, recipient: str, *,
         implicit_tls: bool = False, deadline: float = TIMEOUT_SECONDS) -> None:
    """Send `message`; log in (after STARTTLS, or over implicit TLS) when NEWPOWER_SMTP_USER/PASSWORD are set.

    `deadline` bounds the whole conversation, not each socket operation: a
    server that trickles one byte every few seconds would otherwise hold the
    command for minutes. When it passes, a timer shuts the socket, which ends
    whatever read or write is waiting.
    """
    import smtplib
    import socket
    import ssl

    user, password = os.environ.get(USER_VARIABLE), os.environ.get(PASSWORD_VARIABLE)
    where = f"{server.host}:{server.port}"
    if password and not user:
        raise SendError(f"{PASSWORD_VARIABLE} is set but {USER_VARIABLE} is not: set both to log in, or neither to send without a login")
    smtp = smtplib.SMTP_SSL(timeout=deadline, context=ssl.create_default_context()) if implicit_tls else smtplib.SMTP(timeout=deadline)
    smtp._host = server.host  # what TLS checks the certificate against; set by the constructor only when it connects too
    expired = threading.Event()

    def cut_off() -> None:
        expired.set()
        sock = smtp.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(deadline, cut_off)
    timer.daemon = True
    timer.start()
    try:
        smtp.connect(server.host, server.port)
        smtp.ehlo()
        if user:
            if not implicit_tls:
                if not smtp.has_extn("starttls"):
                    raise SendError(f"{where} does not offer STARTTLS; refusing to send the password {USER_VARIABLE} unencrypted"
                                    " (for a server that speaks TLS from the start, usually port 465, add --implicit-tls)")
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            smtp.login(user, password or "")
        smtp.send_message(message, from_addr=sender, to_addrs=[recipient])
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass  # the message was accepted: a server that hangs up before QUIT is answered did its job
    except SendError:
        raise
    except Exception as exc:
        if expired.is_set() or isinstance(exc, TimeoutError):
            raise SendError(f"the SMTP server {where} did not finish within {deadline:g} s (see --timeout)") from None
        raise _send_error(exc, where, user, sender, recipient) from None
    finally:
        timer.cancel()
        smtp.close()


def _send_error(exc: Exception, where: str, user: str | None, sender: str, recipient: str) -> Exception:
    """The sentence for a failed send; anything unforeseen is passed on as it is."""
    import smtplib
    import socket
    import ssl

    host = where.rpartition(":")[0]
    if isinstance(exc, ConnectionRefusedError):
        return SendError(f"cannot connect to the SMTP server {where}: connection refused (is it running? see --smtp)")
    if isinstance(exc, socket.gaierror):
        return SendError(f"cannot find the SMTP server {host!r}: check the host name in --smtp")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return SendError(f"the SMTP server {where} refused the login of {user!r}: {_reply(exc.smtp_code, exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()))
        return SendError(f"the SMTP server {where} refused the address {recipient!r}: {_reply(code, reply)}")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return SendError(f"the SMTP server {where} refused the sender {sender!r}: {_reply(exc.smtp_code, exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        return SendError(f"the SMTP server {where} said: {_reply(exc.smtp_code, exc.smtp_error)}")
    if isinstance(exc, ssl.SSLError):
        return SendError(f"TLS with {where} failed: {exc.reason or exc} (a server on port 587 or 25 usually wants STARTTLS, without --implicit-tls)")
    if isinstance(exc, (smtplib.SMTPException, OSError)):
        return SendError(f"sending through {where} failed: {exc}")
    return exc


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(message.split())}"
