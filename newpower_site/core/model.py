"""The site's content as typed data: what templates, feeds and email receive.

Items are frozen; stages that add to them (Markdown rendering, resolving a
newsletter's featured items) make new copies with `dataclasses.replace`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from operator import attrgetter
from typing import TYPE_CHECKING

from newpower_site.core.counts import Counts

if TYPE_CHECKING:
    from newpower_site.core.siteconfig import SiteConfig


@dataclass(frozen=True, slots=True)
class Term:
    """A topic or a movement: a key of a site.yaml vocabulary and its label."""

    key: str
    label: str


@dataclass(frozen=True, slots=True)
class Image:
    """A picture and its alt text (required: an image without one is an error at load)."""

    src: str  # an absolute http(s) URL, or an output path such as images/x.jpg
    alt: str

    @property
    def is_remote(self) -> bool:
        return self.src.startswith(("http://", "https://"))


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading of a body, with the id its anchor links to (the table of contents, #fragment checks)."""

    level: int
    id: str
    text: str


@dataclass(frozen=True, slots=True, init=False)
class Body:
    """A Markdown body rendered once and shared by web, feed and email.

    The HTML is kept as UTF-8 bytes: a str holding one curly quote takes two
    bytes a character, and pickling one (the cache, the process pool) pins a
    UTF-8 copy to it besides. At 10,000 items that is over 100 MB.
    """

    utf8: bytes  # the HTML
    first_paragraph: str  # plain text
    headings: tuple[Heading, ...]
    anchors: tuple[str, ...]  # every id in the body (headings, footnotes, raw HTML): what a #fragment may name
    fragment_links: tuple[tuple[int, str, str, str], ...]  # (file line, href, target source or "" for this page, fragment)

    def __init__(
        self, html: str | bytes = "", first_paragraph: str = "", headings: tuple[Heading, ...] = (),
        anchors: tuple[str, ...] = (), fragment_links: tuple[tuple[int, str, str, str], ...] = (),
    ):
        """`html` as text, or as UTF-8 already (the Markdown stage's, as cmark writes it)."""
        object.__setattr__(self, "utf8", html if isinstance(html, bytes) else html.encode("utf-8"))
        object.__setattr__(self, "first_paragraph", first_paragraph)
        object.__setattr__(self, "headings", headings)
        object.__setattr__(self, "anchors", anchors)
        object.__setattr__(self, "fragment_links", fragment_links)

    @property
    def html(self) -> str:
        return self.utf8.decode("utf-8")


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """What every kind of content shares: its file, its address (slug), its head and its rendered body."""

    kind: str  # "article" | "voice" | "newsletter" | "page"
    slug: str
    source: str  # site-relative path of the Markdown file
    title: str
    date: datetime | None = None
    draft: bool = False
    summary: str = ""
    body: Body = field(default_factory=Body)
    markdown: bytes = b""  # the body's Markdown in UTF-8 (half a str's size); b"" once rendered into `body`
    body_line: int = 1  # file line where the body starts
    typographic: bool = True  # site.yaml typographic_punctuation, which the body is rendered with
    topics: tuple[Term, ...] = ()
    key_lines: Mapping[str, int] = field(default_factory=dict)  # front matter key -> file line
    aliases: tuple[str, ...] = ()  # old URL paths, each published as a redirect to the item
    alias_lines: tuple[int, ...] = ()  # file line of each alias

    @property
    def html(self) -> str:
        return self.body.html

    @property
    def description(self) -> str:
        """What the item says of itself to search engines, shared links and feed readers."""
        return self.summary

    @property
    def ref(self) -> str:
        """How a newsletter's `featured:` names this item: `articles/SLUG`."""
        return f"{self.kind}s/{self.slug}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Article(Item):
    """An article: a dated piece with its authors, and a picture listings and shared links may show."""

    updated: datetime | None = None
    authors: tuple[str, ...] = ()
    image: Image | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Voice(Item):
    """A member voice: `title` is the member's name; the body is the interview."""

    name: str
    role: str
    movement: Term
    quote: str
    location: str | None = None
    portrait: Image | None = None

    @property
    def initials(self) -> str:
        words = [w for w in self.name.replace("-", " ").split() if w[:1].isalpha()]
        letters = (words[0][0] + (words[-1][0] if len(words) > 1 else "")) if words else "?"
        return letters.upper()

    @property
    def questions(self) -> tuple[Heading, ...]:
        return tuple(h for h in self.body.headings if h.level == 2)


Featurable = Article | Voice


@dataclass(frozen=True, slots=True, kw_only=True)
class Newsletter(Item):
    """A monthly issue: the body is the editor's introduction."""

    preheader: str  # "" only for a web-only issue
    number: int | None = None
    web_only: bool = False  # an archived issue: on the web, never made into an email
    featured_refs: tuple[str, ...] = ()
    featured_lines: tuple[int, ...] = ()  # file line of each featured_refs entry
    featured: tuple[Featurable, ...] = ()  # resolved from featured_refs

    @property
    def description(self) -> str:
        """The preheader: an issue's first paragraph is its greeting ("Dear friends,"), the preheader the line written to be read first."""
        return self.preheader or self.summary


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(Item):
    """A standing page (about, subscribe): in the menu, in no listing or feed."""


@dataclass(frozen=True, slots=True)
class Asset:
    """A non-Markdown file under content/ (an image, a PDF), copied as is."""

    source: str  # site-relative path
    path: str  # output-relative path


@dataclass(frozen=True, slots=True)
class Library:
    """Every published item, each collection sorted newest first (pages by title)."""

    articles: tuple[Article, ...] = ()
    voices: tuple[Voice, ...] = ()
    newsletters: tuple[Newsletter, ...] = ()
    pages: tuple[Page, ...] = ()
    assets: tuple[Asset, ...] = ()
    held_back: int = 0  # drafts and future items left out of this run

    def dated(self) -> tuple[Item, ...]:
        """Articles, voices and newsletters together, newest first: the feed order."""
        return merge_newest_first(self.articles, self.voices, self.newsletters)

    def newest(self, count: int, keep: Callable[[Item], bool] | None = None) -> tuple[Item, ...]:
        """The first `count` of dated() that `keep` keeps, merged from each collection's first ones
        rather than from the whole archive (the feeds want 20 of 10,000)."""
        runs = (tuple(islice(run if keep is None else filter(keep, run), count)) for run in (self.articles, self.voices, self.newsletters))
        return merge_newest_first(*runs)[:count]

    def all_items(self) -> tuple[Item, ...]:
        return (*self.articles, *self.voices, *self.newsletters, *self.pages)

    def counts(self) -> Counts:
        return Counts(len(self.articles), len(self.voices), len(self.newsletters), len(self.pages), self.held_back)


@dataclass(frozen=True, slots=True)
class Site:
    """What a build reads: site.yaml's settings and every published item."""

    config: SiteConfig
    library: Library


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # where an undated item sorts


def sort_newest_first(items):
    """Newest first; ties broken by kind and slug so every build orders alike (undated items as of 1970).

    Two stable sorts on the values themselves, by name and then by date,
    give the order of one sort by (-timestamp, kind, slug) without taking
    a timestamp of every date (most of the sort's time over 10,000 items).
    Dates naive and aware together cannot be compared: then the timestamps.
    """
    by_name = sorted(items, key=_kind_and_slug)
    try:
        return tuple(sorted(by_name, key=_date_or_epoch, reverse=True))
    except TypeError:
        return tuple(sorted(by_name, key=lambda i: -i.date.timestamp() if i.date else 0))


def merge_newest_first(*runs):
    """sort_newest_first of `runs` together, each already in that order (a Library's collections).

    One pass comparing the runs' heads, where sorting the lot again takes
    ~30 ms at 10,000 items every time a feed, the home page or the topics
    want articles, voices and issues as one list. Dates naive and aware
    together: the sort itself, which then orders by timestamp.
    """
    items = [item for run in runs for item in run]
    if len({(item.date or _EPOCH).utcoffset() is None for item in items}) > 1:
        return sort_newest_first(items)
    merged: list = []
    for run in runs:
        merged = _merge_two(merged, run) if merged else list(run)
    return tuple(merged)


def _merge_two(left, right) -> list:
    """Two newest-first runs as one; a tie (the same date, kind and slug: never two items) keeps `left` first."""
    merged, i, j = [], 0, 0
    while i < len(left) and j < len(right):
        a, b = left[i], right[j]
        a_date, b_date = a.date or _EPOCH, b.date or _EPOCH
        if b_date > a_date or (b_date == a_date and (b.kind, b.slug) < (a.kind, a.slug)):
            merged.append(b)
            j += 1
        else:
            merged.append(a)
            i += 1
    merged += left[i:]
    merged += right[j:]
    return merged


_kind_and_slug = attrgetter("kind", "slug")


def _date_or_epoch(item):
    return item.date or _EPOCH
