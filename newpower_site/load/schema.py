"""The field tables of SPEC.md as data: one place that says which keys exist.

Validation (fields.py), the scaffolding of `newpower new` and the reference
docs all read these tables, so a field is added in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldType = Literal[
    "text",  # a non-empty single string
    "date",  # YYYY-MM-DD or ISO 8601 datetime
    "bool",
    "int",
    "text_list",  # list of non-empty strings
    "key",  # one key of a site.yaml vocabulary
    "key_list",  # list of keys of a site.yaml vocabulary
    "refs",  # list of `articles/SLUG` or `voices/SLUG`
    "paths",  # list of site-relative URL paths (`/blog/2019/05/old-name/`)
    "image",  # a path relative to the file, a site path, or an absolute https URL
    "url",  # an absolute http(s) URL without query or fragment (a base to build URLs on)
    "link_url",  # an absolute http(s) URL to link to as it is: query and fragment allowed
    "language",
    "timezone",
    "vocabulary",  # mapping of key -> label
    "email",  # the email settings block
    "menu",  # list of {label, link}
    "wording",  # mapping of WORDING keys -> sentences
    "subscribe",  # the sign-up form block
]


@dataclass(frozen=True, slots=True)
class Field:
    """A front matter key a kind of content takes, and how it is checked."""

    name: str
    type: FieldType
    required: bool = False
    help: str = ""
    vocabulary: str | None = None  # "topics" or "movements" for key types
    max_length: int | None = None
    alt_field: str | None = None  # for images: the alt text field it needs
    default: object = None
    required_unless: str | None = None  # a bool field that, when true, makes this one optional


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of content (article, voice, newsletter, page): its folder and its keys."""

    name: str  # article, voice, newsletter, page
    folder: str  # folder under content/
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


_TOPICS = Field("topics", "key_list", vocabulary="topics", help="keys of the topics in site.yaml")
_DRAFT = Field("draft", "bool", default=False, help="true keeps it off the site unless --drafts is given")
_ALIASES = Field(
    "aliases", "paths",
    help="old URL paths of this item, such as /blog/2019/05/old-name/; each becomes a small page that redirects here",
)

ARTICLE = Kind(
    "article",
    "articles",
    (
        Field("title", "text", required=True, help="the headline"),
        Field("date", "date", required=True, help="publication date: YYYY-MM-DD or an ISO 8601 datetime"),
        Field("updated", "date", help="date of the last substantive change"),
        Field("summary", "text", help="plain text; default: the first paragraph"),
        Field("authors", "text_list", help="list of names"),
        _TOPICS,
        Field("image", "image", alt_field="image_alt", help="lead image: a path such as ../images/x.jpg, or an https URL"),
        Field("image_alt", "text", help="describes the image for people who cannot see it; required with image"),
        _DRAFT,
        _ALIASES,
    ),
)

VOICE = Kind(
    "voice",
    "voices",
    (
        Field("name", "text", required=True, help="the member's name"),
        Field("role", "text", required=True, help='e.g. "Shop steward, Unite"'),
        Field("movement", "key", required=True, vocabulary="movements", help="a key of the movements in site.yaml"),
        Field("date", "date", required=True, help="publication date"),
        Field("quote", "text", required=True, help="the pull quote shown on cards and in the newsletter"),
        Field("location", "text", help="where the member is based"),
        Field("portrait", "image", alt_field="portrait_alt", help="a photo of the member, with their consent"),
        Field("portrait_alt", "text", help="describes the portrait; required with portrait"),
        _TOPICS,
        _DRAFT,
        _ALIASES,
    ),
)

NEWSLETTER = Kind(
    "newsletter",
    "newsletters",
    (
        Field("title", "text", required=True, help="the issue's title, also the email subject line"),
        Field("date", "date", required=True, help="the issue's date"),
        Field(
            "preheader", "text", required=True, required_unless="web_only", max_length=150,
            help="the inbox preview line, at most 150 characters",
        ),
        Field("number", "int", help="issue number"),
        Field("featured", "refs", help="articles/SLUG or voices/SLUG, in order"),
        Field(
            "web_only", "bool", default=False,
            help="true for an archived issue that is never sent: no email is made or checked, and preheader is optional",
        ),
        _DRAFT,
        _ALIASES,
    ),
)

PAGE = Kind(
    "page",
    "pages",
    (
        Field("title", "text", required=True, help="the page's title"),
        Field("summary", "text", help="plain text description for search engines and link previews"),
        _DRAFT,
        _ALIASES,
    ),
)

KINDS: tuple[Kind, ...] = (ARTICLE, VOICE, NEWSLETTER, PAGE)
KIND_BY_FOLDER = {kind.folder: kind for kind in KINDS}
KIND_BY_NAME = {kind.name: kind for kind in KINDS}

EMAIL_PROVIDERS = ("mailchimp", "buttondown", "listmonk", "campaign-monitor", "generic")

SITE = Kind(
    "site",
    "",
    (
        Field("title", "text", required=True, help="the site's name"),
        Field("base_url", "url", required=True, help="absolute http(s) URL where the site lives; a path prefix is allowed"),
        Field("description", "text", required=True, help="one sentence about the site, for feeds and search engines"),
        Field("language", "language", default="en-GB", help="BCP 47 language tag"),
        Field("timezone", "timezone", default="Europe/London", help="IANA zone for dates without an offset"),
        Field("per_page", "int", default=10, help="items per listing page"),
        Field("feed_items", "int", default=20, help="items in each feed"),
        Field("topics", "vocabulary", default={}, help="the controlled vocabulary for topics: KEY: Label"),
        Field("movements", "vocabulary", default={}, help="the controlled vocabulary for voices' movement: KEY: Label"),
        Field(
            "email", "email",
            help="provider (" + " | ".join(EMAIL_PROVIDERS) + "), postal_address (required), from, "
            "unsubscribe (the generic provider's merge tag) and utm (source, medium, campaign; off unless given)",
        ),
        Field("subscribe_url", "link_url", help="where the subscribe form or link goes: any absolute http(s) URL, query string included"),
        Field("menu", "menu", help="the main menu, in order: a list of `label` and `link` (see below); default: "
              "Newsletter, Articles, Voices, Topics, About (when there is an about page), Search"),
        Field("wording", "wording", help="the theme's own sentences (see below); each has a neutral default"),
        Field("subscribe", "subscribe", help="the sign-up form of your mailing tool, shown on the subscribe page, "
              "in the footer and under every newsletter issue (see below)"),
        Field(
            "typographic_punctuation", "bool", default=True,
            help="true: curly quotes and apostrophes, -- and --- as en and em dashes, ... as an ellipsis, in prose only; false: as typed",
        ),
    ),
)

# A menu entry's `link`: a section of the site, a content file, or an absolute URL.
MENU_SECTIONS = ("home", "newsletter", "articles", "voices", "topics", "search")
MENU_KEYS = ("label", "link")

# The theme's sentences (site.yaml `wording:`). The defaults are neutral, for any
# organisation; this project's own site.yaml states its wording.
WORDING = (
    Field("tagline", "text", default="Newsletter, articles and member voices", help="the line above the site's name on the home page"),
    Field("articles_intro", "text", default="Every article, newest first.", help="under the heading of the articles listing"),
    Field("voices_intro", "text", default="Members in their own words.", help="under the heading of the voices listing and on the home page"),
    Field("movement_intro", "text", default="Voices from {movement}.",
          help="under the heading of the voices of one movement; {movement} is the movement's label"),
    Field("newsletter_intro", "text", default="Every issue, newest first.", help="under the heading of the newsletter archive"),
    Field("topics_intro", "text", default="Everything published, by topic.", help="under the heading of the topics page"),
    Field("subscribe_pitch", "text", default="Every new issue in your inbox, as soon as it is out.",
          help="beside the sign-up form in the footer and under each issue"),
    Field("subscribe_button", "text", default="Get the newsletter", help="the sign-up button's words in the footer and on the home page"),
)
WORDING_KEYS = tuple(f.name for f in WORDING)

# site.yaml `subscribe:`: what each mailing tool's sign-up form needs.
SUBSCRIBE_PROVIDERS: dict[str, tuple[tuple[str, str], ...]] = {
    "mailchimp": (("action", "the form action URL of Mailchimp's embedded form: https://….list-manage.com/subscribe/post?u=…&id=…"),),
    "buttondown": (("username", "your Buttondown username (the form posts to buttondown.com/api/emails/embed-subscribe/USERNAME)"),),
    "listmonk": (("url", "your listmonk's root URL, e.g. https://lists.example.org"), ("lists", "the UUIDs of the public lists to sign up to")),
    "campaign-monitor": (("action", "the form action URL of Campaign Monitor's subscribe form: https://….createsend.com/t/…/s/LISTCODE/"),),
    "link": (("url", "a sign-up page of your own or your tool's: a button goes there, no form"),),
}
SUBSCRIBE_OPTIONAL = {"campaign-monitor": (("email_field", "the email field's name, when not cm-LISTCODE-LISTCODE"),)}
SUBSCRIBE_KEYS = ("provider", "action", "username", "url", "lists", "email_field")

EMAIL_KEYS = ("provider", "postal_address", "from", "unsubscribe", "utm")
UTM_KEYS = ("source", "medium", "campaign")  # campaign defaults to the slug
