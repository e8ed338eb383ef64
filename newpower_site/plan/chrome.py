"""The site's chrome as data: the main menu and the sign-up form, from site.yaml.

Both are worked out once per build and handed to every page, so templates
only lay them out. Each mailing tool's form fields are named here, from that
tool's own embed code (docs/email.md cites where each comes from).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from newpower_site.core.model import Page
from newpower_site.core.urls import Urls
from newpower_site.core.siteconfig import SiteConfig, Subscribe

DEFAULT_MENU = (("Newsletter", "newsletter"), ("Articles", "articles"), ("Voices", "voices"), ("Topics", "topics"))
ABOUT_PAGE = "pages/about.md"


@dataclass(frozen=True, slots=True)
class MenuLink:
    """A link of the site's menu."""

    label: str
    url: str
    section: str = ""  # the PageMeta.section it stands for ("" for an outside URL)


@dataclass(frozen=True, slots=True)
class SignupForm:
    """A form that posts a reader's address straight to the mailing tool: it works without JavaScript."""

    provider: str
    action: str  # where the form posts; for `link`, the page the button goes to
    email_field: str = ""  # the name the tool expects for the address
    hidden: tuple[tuple[str, str], ...] = ()  # fields the tool's own embed code sends (lists, honeypots)

    @property
    def is_link(self) -> bool:
        return self.provider == "link"


def menu_links(config: SiteConfig, urls: Urls, pages: Sequence[Page]) -> tuple[MenuLink, ...]:
    """site.yaml's `menu`, or the default: the four sections, About when there is an about page, and Search."""
    entries = config.menu
    if not entries:
        about = [("About", ABOUT_PAGE)] if any(p.slug == "about" for p in pages) else []
        entries = (*DEFAULT_MENU, *about, ("Search", "search"))
    by_source = {page.source.removeprefix("content/"): page for page in pages}
    links = []
    for label, link in entries:
        if link.startswith(("http://", "https://")):
            links.append(MenuLink(label, link))
        elif link == "home":
            links.append(MenuLink(label, urls.home(), "home"))
        elif link == "topics":
            links.append(MenuLink(label, urls.topics(), "topics"))
        elif link == "search":
            links.append(MenuLink(label, urls.search(), "search"))
        elif link in ("newsletter", "articles", "voices"):
            links.append(MenuLink(label, urls.listing(link), link))
        else:  # a content file; load/content.py has reported one that is not published
            page = by_source.get(link.removeprefix("content/"))
            if page is not None:
                links.append(MenuLink(label, urls.item(page), page.slug))
            else:
                links.extend(_published_item_link(label, link, urls))
    return tuple(links)


def _published_item_link(label: str, link: str, urls: Urls) -> list[MenuLink]:
    """A menu entry naming an article, voice or issue: its URL follows from its path alone."""
    folder, _, name = link.removeprefix("content/").partition("/")
    section = {"articles": "articles", "voices": "voices", "newsletters": "newsletter"}.get(folder)
    if section is None:
        return []
    return [MenuLink(label, urls.for_output(f"{section}/{name.removesuffix('.md')}/index.html"), "")]


def signup_form(subscribe: Subscribe | None) -> SignupForm | None:
    """The fields each tool's embed code posts; None without `subscribe:`."""
    if subscribe is None:
        return None
    if subscribe.provider == "mailchimp":
        # Mailchimp's embedded form: EMAIL, and a honeypot b_U_ID that must stay empty.
        query = parse_qs(urlsplit(subscribe.action).query)
        u, list_id = query.get("u", [""])[0], query.get("id", [""])[0]
        honeypot = ((f"b_{u}_{list_id}", ""),) if u and list_id else ()
        return SignupForm("mailchimp", subscribe.action, "EMAIL", honeypot)
    if subscribe.provider == "buttondown":
        return SignupForm("buttondown", f"https://buttondown.com/api/emails/embed-subscribe/{subscribe.username}", "email",
                          (("embed", "1"),))
    if subscribe.provider == "listmonk":
        # listmonk's form generator: email, an empty nonce (its honeypot) and one `l` per list UUID.
        hidden = (("nonce", ""), *(("l", uuid) for uuid in subscribe.lists))
        return SignupForm("listmonk", f"{subscribe.url.rstrip('/')}/subscription/form", "email", hidden)
    if subscribe.provider == "campaign-monitor":
        code = [part for part in urlsplit(subscribe.action).path.split("/") if part][-1:] or [""]
        return SignupForm("campaign-monitor", subscribe.action, subscribe.email_field or f"cm-{code[0]}-{code[0]}")
    return SignupForm("link", subscribe.url)
