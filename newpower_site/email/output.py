"""The three email files of an issue, from one EmailIssue: .html, .txt and .eml."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from newpower_site.core.layout import EMAIL_TEMPLATE
from newpower_site.email.html import inline_css
from newpower_site.email.issue import EmailIssue, build_email_issue
from newpower_site.email.mergetags import neutralise_html
from newpower_site.email.mime import render_eml
from newpower_site.email.text import render_email_text
from newpower_site.core.urls import Urls

EMAIL_PRODUCERS = frozenset({"email-html", "email-text", "email-eml"})

RenderTemplate = Callable[[str, Mapping[str, Any]], str]


def email_for(context: Mapping[str, Any], urls: Urls) -> EmailIssue:
    """`provider` in the context (from `newpower email --provider`) overrides site.yaml's."""
    return build_email_issue(context["issue"], context["site"], urls, context["subscribe_link"], context.get("provider"))


def email_html(email: EmailIssue, render: RenderTemplate) -> str:
    """After inlining (which would decode character references), merge tags from content are neutralised; then the footer's own tag goes in."""
    return email.unsubscribe.write_tag(neutralise_html(inline_css(render(EMAIL_TEMPLATE, {"email": email}))))


def render_email_output(output: Any, urls: Urls, render: RenderTemplate) -> bytes:
    email = email_for(output.context, urls)
    if output.producer == "email-text":
        return render_email_text(email).encode("utf-8")
    html = email_html(email, render)
    if output.producer == "email-html":
        return html.encode("utf-8")
    return render_eml(email, html, render_email_text(email))
