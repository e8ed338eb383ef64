"""What to write: every output file with its template, context and inputs.

The plan is data. Tests can assert on it without rendering, and because each
output names the source files it depends on, an incremental build or a live
preview can re-render only what an edit touches.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from newpower_site.core.layout import CONFIG_FILE, EMAIL_TEMPLATE
from newpower_site.core.model import Image, Item, Site, Term, merge_newest_first
from newpower_site.core.urls import Urls
from newpower_site.plan.chrome import menu_links, signup_form
from newpower_site.plan.images import build_catalog
from newpower_site.plan.sharing import Sharing

MANIFEST_NAME = "site.webmanifest"
MANIFEST_ICONS = ("icon-192.png", "icon-512.png", "favicon.svg")

Producer = Literal["manifest", "template", "rss", "atom", "sitemap", "robots", "copy", "image", "email-html", "email-text", "email-eml"]

SHARED_CONTEXT = ("images", "sharing", "site", "urls", "pages", "subscribe_link", "menu", "signup")  # in every page's context (snapshots.py keeps them once)
HOME_ARTICLES = 6
HOME_VOICES = 4
SECTION_HEADINGS = {"articles": "Articles", "voices": "Member voices", "newsletter": "Newsletter archive"}  # intros: site.yaml `wording`


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed a page names in its head, for feed readers to find."""

    title: str
    url: str


@dataclass(frozen=True, slots=True)
class PageMeta:
    """What a page's head says of it: title, description, canonical URL, kind and feeds."""

    title: str | None
    description: str
    canonical: str
    kind: str
    section: str = ""
    feeds: tuple[FeedLink, ...] = ()
    noindex: bool = False
    image: Image | None = None  # what a shared link shows (Open Graph); None: the site's default
    draft: bool = False  # a draft shown by --drafts: the page says so, and asks search engines to leave it


@dataclass(frozen=True, slots=True)
class PageLink:
    """A page number of a pager."""

    number: int
    url: str
    current: bool


@dataclass(frozen=True, slots=True)
class Pagination:
    """A listing page's place among its pages, and the pager's links."""

    page: int
    total: int
    prev_url: str | None
    next_url: str | None
    pages: tuple[PageLink, ...]


@dataclass(frozen=True, slots=True)
class TopicCount:
    """A topic and how many items it has (the topics page)."""

    term: Term
    count: int


@dataclass(frozen=True, slots=True)
class Output:
    """One file to write: how it is made (producer, template, context) and what it depends on."""

    path: str  # relative to the output folder, forward slashes
    producer: Producer
    template: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()  # site-relative source paths it depends on
    source: Path | None = None  # for copies
    lastmod: Any = None  # datetime for the sitemap, when the page has one


@dataclass(frozen=True, slots=True)
class SitePlanner:
    """What every page of one site shares, and how one page is planned: the parts of plan_site use it."""

    site: Site
    urls: Urls
    common: Mapping[str, Any]  # in every page's context
    site_feeds: tuple[FeedLink, ...]
    newsletter_feed: FeedLink
    # A listing page its caller already has (path, its items -> True), left out of the plan: the head path
    # (cache/heads.py) keeps the pages of a listing that show what they showed, and plans only the rest.
    settled: Callable[[str, tuple[Item, ...]], bool] | None = None

    def wanted(self, output_of: Callable[[int], str]) -> Callable[[int, tuple[Item, ...]], bool] | None:
        """paginate's test of a page numbered n with these items: every page, unless some are settled."""
        settled = self.settled
        if settled is None:
            return None
        return lambda number, chunk: not settled(output_of(number), chunk)

    def page(self, path: str, template: str, meta: PageMeta, inputs: Sequence[Item], lastmod: Any = None, **context: Any) -> Output:
        return Output(
            path, "template", template, {**self.common, "meta": meta, **context},
            inputs=page_inputs(inputs), lastmod=lastmod,
        )

    def meta(self, title: str | None, description: str, path: str, kind: str, section: str = "", feeds: tuple = (),
             image: Image | None = None) -> PageMeta:
        return PageMeta(title, description, self.urls.absolute(self.urls.for_output(path)), kind, section, self.site_feeds + feeds, image=image)

    def feed(self, path: str, title: str, items: Sequence[Item], self_url: str, home_url: str, inputs: Sequence[Item] | None = None) -> Output:
        """An RSS feed of `items`; `inputs` (default: the items) are what it depends on."""
        context = {"site": self.site.config, "title": title, "items": items, "self_url": self.urls.absolute(self_url),
                   "home_url": self.urls.absolute(home_url)}
        return Output(path, "rss", context=context, inputs=page_inputs(items if inputs is None else inputs))


def page_inputs(items: Sequence[Item]) -> tuple[str, ...]:
    """What a page showing `items` depends on: their sources and site.yaml, sorted."""
    return tuple(sorted({i.source for i in items} | {CONFIG_FILE}))


def plan_site(site: Site, urls: Urls, static: Mapping[str, Path], site_dir: Path, email_provider: str | None = None) -> list[Output]:
    """Every output of the site, in a stable order; `email_provider` (`newpower email --provider`)
    renders the emails with that provider's tags."""
    library, config = site.library, site.config
    subscribe_page = next((p for p in library.pages if p.slug == "subscribe"), None)
    images = build_catalog(site, urls, static, site_dir)
    common = {
        "images": images,
        "sharing": Sharing(config, urls, images),
        "site": config,
        "urls": urls,
        "pages": library.pages,
        "subscribe_link": config.subscribe_url or (urls.item(subscribe_page) if subscribe_page else None),
        "menu": menu_links(config, urls, library.pages),
        "signup": signup_form(config.subscribe),
    }
    planner = site_planner(site, urls, common)
    outputs = [
        plan_home(planner),
        *plan_item_pages(planner),
        *plan_listings(planner),
        *plan_voice_filters(planner),
        planner.page(urls.search_output(), "search.html", planner.meta("Search", f"Search {config.title}.", urls.search_output(), "search", "search"), []),
        *plan_topics(planner),
        Output("404.html", "template", "404.html", {**common, "meta": PageMeta(
            "Page not found", config.description, urls.absolute(urls.home()), "404", noindex=True, feeds=planner.site_feeds)}, inputs=(CONFIG_FILE,)),
        *plan_feeds(planner),
        *email_outputs(library.newsletters, common, urls, email_provider),
        *plan_files(site, static, site_dir, images),
    ]
    return outputs + plan_discovery(outputs, urls)


def site_planner(site: Site, urls: Urls, common: Mapping[str, Any]) -> SitePlanner:
    config = site.config
    site_feeds = (FeedLink(f"{config.title} (RSS)", urls.feed()), FeedLink(f"{config.title} (Atom)", urls.atom()))
    return SitePlanner(site, urls, common, site_feeds, FeedLink(f"Newsletter: {config.title}", urls.newsletter_feed()))


# The producers of plan_site whose outputs show many items, chosen by their order, dates, topics or
# movements: the head path (cache/heads.py) plans these again after a head edit, and no others but
# the edited items' own pages.
COLLECTIONS = ("home", "listings", "voice filters", "topics", "feeds")


def plan_collections(planner: SitePlanner) -> list[Output]:
    """The outputs of COLLECTIONS, as plan_site plans them."""
    return [plan_home(planner), *plan_listings(planner), *plan_voice_filters(planner), *plan_topics(planner), *plan_feeds(planner)]


def plan_home(planner: SitePlanner) -> Output:
    library, config = planner.site.library, planner.site.config
    latest = library.newsletters[0] if library.newsletters else None
    home_articles = library.articles[:HOME_ARTICLES]
    home_voices = library.voices[:HOME_VOICES]
    return planner.page(
        "index.html", "home.html", planner.meta(None, config.description, "index.html", "home"),
        [*home_articles, *home_voices, *([latest, *latest.featured] if latest else [])],
        lastmod=max((i.date for i in library.newest(1)), default=None),
        latest_newsletter=latest, recent_articles=home_articles, voices=home_voices,
    )


def plan_item_pages(planner: SitePlanner) -> list[Output]:
    """One page per published item; a draft shown by --drafts says so and asks search engines to leave it."""
    library = planner.site.library
    neighbours = issue_neighbours(library.newsletters)
    outputs = []
    for item in library.all_items():
        outputs += plan_item_page(planner, item, neighbours.get(item.slug) if item.kind == "newsletter" else None)
    return outputs


def plan_item_page(planner: SitePlanner, item: Item, neighbours: tuple[Item | None, Item | None] | None = None) -> list[Output]:
    """One item's page and its redirects; a newsletter's `neighbours` are its (older, newer) issues."""
    config, urls = planner.site.config, planner.urls
    path = urls.item_output(item)
    section = {"article": "articles", "voice": "voices", "newsletter": "newsletter"}.get(item.kind, item.slug)
    feeds = tuple(FeedLink(f"{t.label}: {config.title}", urls.topic_feed(t.key)) for t in item.topics)
    if item.kind == "newsletter":
        feeds = (planner.newsletter_feed,)
    description = item.description or config.description
    name = {"article": "article", "voice": "voice", "newsletter": "issue", "page": "page"}[item.kind]
    extra = {name: item}
    inputs = [item, *getattr(item, "featured", ())]
    if item.kind == "newsletter":
        older, newer = neighbours or (None, None)
        extra.update(previous_issue=older, next_issue=newer)
        inputs += [i for i in (older, newer) if i is not None]
    item_meta = replace(
        planner.meta(item.title, description, path, item.kind, section, feeds, getattr(item, "image", None) or getattr(item, "portrait", None)),
        noindex=item.draft, draft=item.draft,
    )
    page = planner.page(path, f"{item.kind}.html", item_meta, inputs, lastmod=getattr(item, "updated", None) or item.date, **extra)
    return [page, *redirect_outputs(item, planner.urls, planner.common)]


def plan_listings(planner: SitePlanner) -> list[Output]:
    """The paginated listings of articles, voices and newsletter issues."""
    library, config, urls = planner.site.library, planner.site.config, planner.urls
    outputs = []
    listings = {"articles": library.articles, "voices": library.voices, "newsletter": library.newsletters}
    for section, items in listings.items():
        heading, intro = SECTION_HEADINGS[section], config.wording[f"{section}_intro"]
        section_feeds = (planner.newsletter_feed,) if section == "newsletter" else ()
        wanted = planner.wanted(lambda n, s=section: urls.listing_output(s, n))
        for number, chunk, pagination in paginate(items, config.per_page, lambda n, s=section: urls.listing(s, n), wanted):
            path = urls.listing_output(section, number)
            title = heading if number == 1 else f"{heading}, page {number}"
            outputs.append(planner.page(
                path, "listing.html", planner.meta(title, intro, path, "listing", section, section_feeds), chunk,
                section=section, heading=heading, intro=intro, items=chunk, pagination=pagination,
                section_feed=planner.newsletter_feed if section == "newsletter" else None,
            ))
    return outputs


def plan_topics(planner: SitePlanner) -> list[Output]:
    """Each topic's paginated page and feed, then the page of all topics."""
    library, config, urls = planner.site.library, planner.site.config, planner.urls
    outputs = []
    topic_counts = []
    by_topic: dict[str, list[Item]] = {}  # each topic's items, newest first: one merge, not one sort a topic
    for item in merge_newest_first(library.articles, library.voices):
        topics = item.topics  # each a Term of site.yaml's vocabulary (load/content.py), so its key names it
        if len(topics) == 1:
            by_topic.setdefault(topics[0].key, []).append(item)
            continue
        for key in dict.fromkeys(topic.key for topic in topics):
            by_topic.setdefault(key, []).append(item)
    for key, label in config.topics.items():
        term = Term(key, label)
        tagged = tuple(by_topic.get(key, ()))
        topic_counts.append(TopicCount(term, len(tagged)))
        feed = (FeedLink(f"{label}: {config.title}", urls.topic_feed(key)),)
        wanted = planner.wanted(lambda n, k=key: urls.topic_output(k, n))
        for number, chunk, pagination in paginate(tagged, config.per_page, lambda n, k=key: urls.topic(k, n), wanted):
            path = urls.topic_output(key, number)
            title = label if number == 1 else f"{label}, page {number}"
            outputs.append(planner.page(
                path, "topic.html", planner.meta(title, f"Everything on {label.lower()}.", path, "topic", "topics", feed),
                chunk, topic=term, items=chunk, pagination=pagination,
            ))
        in_feed = tuple(i for i in tagged if not i.draft)[: config.feed_items]
        outputs.append(planner.feed(urls.topic_feed_output(key), f"{label}: {config.title}", in_feed, urls.topic_feed(key),
                                    urls.topic(key), inputs=tagged))
    outputs.append(planner.page(
        "topics/index.html", "topics.html", planner.meta("Topics", "Browse by topic.", "topics/index.html", "topics", "topics"),
        [i for i in (*library.articles, *library.voices) if i.topics], topics=tuple(topic_counts),
    ))
    return outputs


def plan_feeds(planner: SitePlanner) -> list[Output]:
    """The site's RSS and Atom feeds and the newsletter archive's feed.

    Feeds never carry a draft: a --drafts build is a preview, and a feed reader keeps what it saw.
    """
    library, config, urls = planner.site.library, planner.site.config, planner.urls
    newest = library.newest(config.feed_items, keep=lambda i: not i.draft)
    feed_context = {"site": config, "title": config.title, "items": newest, "home_url": urls.absolute(urls.home())}
    feed_inputs = tuple(sorted({i.source for i in newest} | {CONFIG_FILE}))
    issues = tuple(i for i in library.newsletters if not i.draft)[: config.feed_items]
    return [
        Output("feed.xml", "rss", context={**feed_context, "self_url": urls.absolute(urls.feed())}, inputs=feed_inputs),
        Output("atom.xml", "atom", context={**feed_context, "self_url": urls.absolute(urls.atom())}, inputs=feed_inputs),
        planner.feed(urls.newsletter_feed_output(), planner.newsletter_feed.title, issues, urls.newsletter_feed(), urls.listing("newsletter")),
    ]


def plan_files(site: Site, static: Mapping[str, Path], site_dir: Path, images: Any) -> list[Output]:
    """The theme's static files, the web manifest, content files copied as they are, and resized images."""
    outputs = [Output(f"static/{name}", "copy", source=path, inputs=(path.as_posix(),)) for name, path in static.items()]
    if MANIFEST_NAME not in static:  # a theme's own manifest wins; else one from site.yaml
        icons = tuple(name for name in MANIFEST_ICONS if name in static)
        outputs.append(Output(f"static/{MANIFEST_NAME}", "manifest", context={"site": site.config, "icons": icons}, inputs=(CONFIG_FILE,)))
    for asset in site.library.assets:
        outputs.append(Output(asset.path, "copy", source=site_dir / asset.source, inputs=(asset.source,)))
    for variant in images.variants():
        outputs.append(Output(variant.path, "image", context={"variant": variant}, source=variant.source, inputs=(variant.input,)))
    return outputs


def plan_discovery(outputs: list[Output], urls: Urls) -> list[Output]:
    """sitemap.xml lists the pages worth finding from a search engine (not the 404, the search form
    or anything marked noindex); robots.txt points to it and keeps robots out of the raw emails."""
    listed = [o for o in outputs if o.producer == "template" and o.context["meta"].kind not in ("404", "search", "redirect") and not o.context["meta"].noindex]
    robots = {"sitemap": urls.absolute(urls.sitemap()), "disallowed": (urls.email_folder(),)}
    return [
        Output("sitemap.xml", "sitemap", context={"pages": listed}, inputs=(CONFIG_FILE,)),
        Output("robots.txt", "robots", context=robots, inputs=(CONFIG_FILE,)),
    ]


def issue_neighbours(newsletters: Sequence[Item]) -> dict[str, tuple[Item | None, Item | None]]:
    """Each issue's older and newer neighbour (`newsletters` is newest first)."""
    return {
        issue.slug: (newsletters[n + 1] if n + 1 < len(newsletters) else None, newsletters[n - 1] if n > 0 else None)
        for n, issue in enumerate(newsletters)
    }


REDIRECT_TEMPLATE = "redirect.html"


def redirect_outputs(item: Item, urls: Urls, common: Mapping[str, Any]) -> list[Output]:
    """A small page at each of the item's old paths (`aliases:`) that sends the reader on to it.

    A static host cannot answer with an HTTP redirect, so the page does it
    the way Hugo's aliases do: a meta refresh, a canonical link (search
    engines move the old address's standing to the new one) and a visible
    link for a reader whose browser does not follow the refresh. It is in
    no sitemap, feed or search index.
    """
    target = urls.item(item)
    canonical = urls.absolute(target)
    meta = PageMeta(item.title, item.description, canonical, "redirect", noindex=True)
    return [
        Output(urls.alias_output(alias), "template", REDIRECT_TEMPLATE,
               {**common, "meta": meta, "target": target, "title": item.title}, inputs=(item.source, CONFIG_FILE))
        for alias in item.aliases
    ]


def plan_voice_filters(planner: SitePlanner) -> list[Output]:
    """/voices/movement/KEY/: the voices listing filtered by movement, pre-rendered so it needs no JavaScript."""
    site, urls = planner.site, planner.urls
    voices = site.library.voices
    heading = SECTION_HEADINGS["voices"]
    outputs = []
    for key, label in site.config.movements.items():
        term = Term(key, label)
        chosen = tuple(v for v in voices if v.movement.key == term.key)
        intro = site.config.wording["movement_intro"].replace("{movement}", term.label.lower())
        wanted = planner.wanted(lambda n, k=term.key: urls.movement_output(k, n))
        for number, chunk, pagination in paginate(chosen, site.config.per_page, lambda n, k=term.key: urls.movement(k, n), wanted):
            path = urls.movement_output(term.key, number)
            title = f"{heading}: {term.label}" + (f", page {number}" if number > 1 else "")
            outputs.append(planner.page(
                path, "listing.html", planner.meta(title, intro, path, "listing", "voices"), chunk,
                section="voices", heading=f"{heading}: {term.label}", intro=intro, items=chunk, pagination=pagination,
                movement=term,
            ))
    return outputs


def paginate(items: Sequence[Any], per_page: int, url_of,
             wanted: Callable[[int, tuple], bool] | None = None) -> list[tuple[int, tuple, Pagination]]:
    """Split `items` into pages; an empty listing still gets its first page. `wanted(number, items)`
    false leaves that page out (SitePlanner.settled)."""
    total = max(1, math.ceil(len(items) / per_page))
    url = [""] + [url_of(n) for n in range(1, total + 1)]  # each page's URL once, not once a pager that links it
    result = []
    for number in range(1, total + 1):
        chunk = tuple(items[(number - 1) * per_page : number * per_page])
        if wanted is not None and not wanted(number, chunk):
            continue
        pagination = Pagination(
            page=number,
            total=total,
            prev_url=url[number - 1] if number > 1 else None,
            next_url=url[number + 1] if number < total else None,
            pages=tuple(PageLink(n, url[n], n == number) for n in pager_window(number, total)),
        )
        result.append((number, chunk, pagination))
    return result


PAGER_REACH = 2  # page links either side of the current one


def pager_window(page: int, total: int) -> list[int]:
    """The page numbers a pager shows: the first, the last, and those near `page`.

    A thousand-page archive lists at most seven numbers, not a thousand (the
    template marks each gap with an ellipsis), so no listing page grows with
    the size of the archive.
    """
    near = range(max(1, page - PAGER_REACH), min(total, page + PAGER_REACH) + 1)
    return sorted({1, total, *near})


EMAIL_FORMATS = (("html", "email-html"), ("txt", "email-text"), ("eml", "email-eml"))


def email_outputs(newsletters: Sequence[Item], common: Mapping[str, Any], urls: Urls, provider: str | None = None) -> list[Output]:
    """/email/SLUG.html, .txt and .eml for every published issue that is not web-only."""
    outputs = []
    for issue in (i for i in newsletters if not getattr(i, "web_only", False)):
        inputs = tuple(sorted({issue.source, *(i.source for i in getattr(issue, "featured", ())), CONFIG_FILE, f"templates/{EMAIL_TEMPLATE}"}))
        context = {"site": common["site"], "issue": issue, "subscribe_link": common["subscribe_link"]}
        if provider:
            context["provider"] = provider
        for extension, producer in EMAIL_FORMATS:
            outputs.append(Output(urls.email_output(issue.slug, extension), producer, context=context, inputs=inputs))
    return outputs
