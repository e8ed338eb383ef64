"""Send one message through SMTP, for `newpower send-test`.

Every way a send can fail (no server, refused login, refused address) comes
back as a SendError with a sentence an editor can act on, never a traceback.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

USER_VARIABLE = "NEWPOWER_SMTP_USER"
PASSWORD_VARIABLE = "NEWPOWER_SMTP_PASSWORD"
TIMEOUT_SECONDS = 30


class SendError(Exception):
    """A send that did not happen, said plainly."""


@dataclass(frozen=True, slots=True)
class SmtpServer:
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


def send(message: EmailMessage, server: SmtpServer, sender: str, recipient: str) -> None:
    """Send `message`; log in (after STARTTLS) when NEWPOWER_SMTP_USER/PASSWORD are set."""
    user, password = os.environ.get(USER_VARIABLE), os.environ.get(PASSWORD_VARIABLE)
    where = f"{server.host}:{server.port}"
    try:
        with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS) as smtp:
            smtp.ehlo()
            if user:
                if not smtp.has_extn("starttls"):
                    raise SendError(f"{where} does not offer STARTTLS; refusing to send the password {USER_VARIABLE} unencrypted")
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
                smtp.login(user, password or "")
            smtp.send_message(message, from_addr=sender, to_addrs=[recipient])
    except SendError:
        raise
    except ConnectionRefusedError:
        raise SendError(f"cannot connect to the SMTP server {where}: connection refused (is it running? see --smtp)") from None
    except socket.gaierror:
        raise SendError(f"cannot find the SMTP server {server.host!r}: check the host name in --smtp") from None
    except TimeoutError:
        raise SendError(f"the SMTP server {where} did not answer within {TIMEOUT_SECONDS} s") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(f"the SMTP server {where} refused the login of {user!r}: {_reply(exc.smtp_code, exc.smtp_error)}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()))
        raise SendError(f"the SMTP server {where} refused the address {recipient!r}: {_reply(code, reply)}") from None
    except smtplib.SMTPSenderRefused as exc:
        raise SendError(f"the SMTP server {where} refused the sender {sender!r}: {_reply(exc.smtp_code, exc.smtp_error)}") from None
    except smtplib.SMTPResponseException as exc:
        raise SendError(f"the SMTP server {where} said: {_reply(exc.smtp_code, exc.smtp_error)}") from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise SendError(f"sending through {where} failed: {exc}") from None


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(message.split())}"
