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
    "image",  # a path relative to the file, a site path, or an absolute https URL
    "url",  # an absolute http(s) URL
    "language",
    "timezone",
    "vocabulary",  # mapping of key -> label
    "email",  # the email settings block
]


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: FieldType
    required: bool = False
    help: str = ""
    vocabulary: str | None = None  # "topics" or "movements" for key types
    max_length: int | None = None
    alt_field: str | None = None  # for images: the alt text field it needs
    default: object = None


@dataclass(frozen=True, slots=True)
class Kind:
    name: str  # article, voice, newsletter, page
    folder: str  # folder under content/
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


_TOPICS = Field("topics", "key_list", vocabulary="topics", help="keys of the topics in site.yaml")
_DRAFT = Field("draft", "bool", default=False, help="true keeps it off the site unless --drafts is given")

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
    ),
)

NEWSLETTER = Kind(
    "newsletter",
    "newsletters",
    (
        Field("title", "text", required=True, help="the issue's title, also the email subject line"),
        Field("date", "date", required=True, help="the issue's date"),
        Field("preheader", "text", required=True, max_length=150, help="the inbox preview line, at most 150 characters"),
        Field("number", "int", help="issue number"),
        Field("featured", "refs", help="articles/SLUG or voices/SLUG, in order"),
        _DRAFT,
    ),
)

PAGE = Kind(
    "page",
    "pages",
    (
        Field("title", "text", required=True, help="the page's title"),
        Field("summary", "text", help="plain text description for search engines and link previews"),
        _DRAFT,
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
        Field("subscribe_url", "url", help="where the subscribe form or link goes"),
    ),
)

EMAIL_KEYS = ("provider", "postal_address", "from", "unsubscribe", "utm")
UTM_KEYS = ("source", "medium", "campaign")  # campaign defaults to the slug
