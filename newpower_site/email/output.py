"""The three email files of an issue, from one EmailIssue: .html, .txt and .eml."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from newpower_site.core.layout import EMAIL_TEMPLATE
from newpower_site.core.urls import Urls

if TYPE_CHECKING:  # the email stage loads with the first email rendered: a build that renders none starts quicker
    from newpower_site.email.issue import EmailIssue

EMAIL_PRODUCERS = frozenset({"email-html", "email-text", "email-eml"})

RenderTemplate = Callable[[str, Mapping[str, Any]], str]


def email_for(context: Mapping[str, Any], urls: Urls) -> EmailIssue:
    """`provider` in the context (from `newpower email --provider`) overrides site.yaml's."""
    from newpower_site.email.issue import build_email_issue

    return build_email_issue(context["issue"], context["site"], urls, context["subscribe_link"], context.get("provider"))


def email_html(email: EmailIssue, render: RenderTemplate) -> str:
    """After inlining (which would decode character references), merge tags from content are neutralised; then the footer's own tag goes in."""
    from newpower_site.email.html import inline_css
    from newpower_site.email.mergetags import neutralise_html

    return email.unsubscribe.write_tag(neutralise_html(inline_css(render(EMAIL_TEMPLATE, {"email": email}))))


class EmailParts:
    """One issue's email, its HTML and its text, each made once for the issue's three files.

    The .eml holds the HTML and the text again; rendered one after the other
    (plan/outputs.py puts them so), the three files share the work. It keeps
    the last issue only, and lives as long as one render loop.
    """

    def __init__(self) -> None:
        self.context: Any = None
        self.email: EmailIssue | None = None
        self.html: str | None = None
        self.text: str | None = None

    def of(self, context: Any, urls: Urls) -> EmailParts:
        if context is not self.context:
            self.context, self.email, self.html, self.text = context, email_for(context, urls), None, None
        return self

    def html_of(self, render: RenderTemplate) -> str:
        if self.html is None:
            assert self.email is not None
            self.html = email_html(self.email, render)
        return self.html

    def text_of(self) -> str:
        if self.text is None:
            from newpower_site.email.text import render_email_text

            assert self.email is not None
            self.text = render_email_text(self.email)
        return self.text


def render_email_output(output: Any, urls: Urls, render: RenderTemplate, parts: EmailParts | None = None) -> bytes:
    issue = (parts or EmailParts()).of(output.context, urls)
    if output.producer == "email-text":
        return issue.text_of().encode("utf-8")
    html = issue.html_of(render)
    if output.producer == "email-html":
        return html.encode("utf-8")
    from newpower_site.email.mime import render_eml

    assert issue.email is not None
    return render_eml(issue.email, html, issue.text_of())
