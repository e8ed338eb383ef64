"""The newsletter as a complete MIME message (.eml): text first, HTML second.

Mail programs and providers that import a message, and `send-test`, take
this file as it is. It is deterministic: its Date is the issue's date, its
Message-ID and MIME boundary derive from its content, so two builds match.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from newpower_site.email.issue import EmailIssue, header_text
from newpower_site.email.mergetags import neutralise_text

UNDISCLOSED = "undisclosed-recipients:;"


def build_message(email: EmailIssue, html: str, text: str, to: str = UNDISCLOSED) -> EmailMessage:
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = header_text(neutralise_text(email.subject))  # providers fill in merge tags in the subject too
    message["From"] = email.sender
    message["To"] = to
    if email.issue.date is not None:
        message["Date"] = format_datetime(email.issue.date)
    host = urlsplit(email.site.base_url).hostname or "localhost"
    message["Message-ID"] = f"<newsletter-{email.issue.slug}@{host}>"
    message["List-Unsubscribe"] = email.unsubscribe.header
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    digest = hashlib.sha256((text + html).encode("utf-8")).hexdigest()[:24]
    message.set_boundary(f"=_newpower_{digest}")
    return message


TEST_MARK = "[Test]"


def test_message(email: EmailIssue, html: str, text: str, to: str, now: datetime) -> EmailMessage:
    """The message `send-test` sends: the build's, marked as a test, dated now, with a Message-ID of its own.

    The .eml keeps the issue's date and a Message-ID made from its content, so
    two builds match; a test send must not. Gmail drops a message whose
    Message-ID it has seen, so a second test with the .eml's ID never arrives.
    """
    message = build_message(email, html, text, to=to)
    message.replace_header("Subject", f"{TEST_MARK} {header_text(email.subject)}")
    if "Date" in message:
        message.replace_header("Date", format_datetime(now))
    else:
        message["Date"] = format_datetime(now)
    host = urlsplit(email.site.base_url).hostname or "localhost"
    message.replace_header("Message-ID", make_msgid("newsletter-test", domain=host))
    return message


def render_eml(email: EmailIssue, html: str, text: str) -> bytes:
    return build_message(email, html, text).as_bytes(policy=policy.SMTP)
