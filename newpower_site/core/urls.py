"""Every output path and URL, in one place.

Pages link with root-relative URLs that carry the base_url's path prefix
(`/archive/articles/x/`), so a site served under a prefix works and a preview
on another host still navigates. Feeds, the sitemap, canonical links and email
use absolute URLs, as SPEC.md requires.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from newpower_site.core.model import Image, Item

SECTION_OF_KIND = {"article": "articles", "voice": "voices", "newsletter": "newsletter", "page": ""}

# Top-level names that generated output uses; a page may not take them.
RESERVED_NAMES = frozenset(
    {"articles", "voices", "newsletter", "newsletters", "topics", "email", "static", "search", "page",
     "feed", "atom", "sitemap", "robots", "index", "404", "tags", "media"}
)


# Output folders and files the build itself makes, which an alias may not take:
# the search index is written after planning, so a clash there would go unseen.
GENERATED_FOLDERS = frozenset({"static", "pagefind", "email"})
GENERATED_FILES = frozenset(
    {"index.html", "404.html", "feed.xml", "atom.xml", "sitemap.xml", "robots.txt",
     "articles/index.html", "voices/index.html", "newsletter/index.html", "topics/index.html", "search/index.html"}
)
_ALIAS_FILE_EXTENSIONS = (".html", ".htm")


def alias_problem(path: str) -> str | None:
    """Why `path` cannot be an alias (an old URL path of an item), or None when it can.

    An alias is a path on this site, as a reader's old bookmark has it after
    the host: `/blog/2019/05/old-name/`. It becomes a file in the output
    folder, so nothing may lead out of it or into what the build makes;
    percent-escapes are read as a web server reads them (`%2E%2E` is `..`).
    """
    if not path.startswith("/") or path.startswith("//"):
        return "must be a path on this site starting with one /, such as /blog/2019/05/old-name/"
    decoded = unquote(path)
    if any(ch.isspace() or not ch.isprintable() for ch in decoded) or "\\" in decoded:
        return "must not contain spaces, control characters or backslashes"
    if "?" in path or "#" in path:
        return "must not have a ?query or #fragment: a static page answers a path only"
    segments = decoded.strip("/").split("/")
    if ":" in segments[0]:
        return "must be a path, not a URL with a scheme"
    if decoded != "/" and any(segment in ("", ".", "..") for segment in segments):
        return "must not contain '.', '..' or an empty segment"
    output = alias_output(path)
    if output in GENERATED_FILES or decoded.strip("/") in GENERATED_FILES or output.split("/", 1)[0] in GENERATED_FOLDERS:
        return f"is a page the site itself makes ({output}); choose the path the old site used"
    return None


def alias_output(path: str) -> str:
    """Where the redirect page of alias `path` is written: `/a/b/` and `/a/b` -> `a/b/index.html`; `/a/b.html` as is.

    Percent-escapes are decoded: a server looks for `/caf%C3%A9/` in a folder named `café`.
    """
    inner = unquote(path).strip("/")
    if not inner:
        return "index.html"
    if not unquote(path).endswith("/") and inner.lower().endswith(_ALIAS_FILE_EXTENSIONS):
        return inner
    return f"{inner}/index.html"


class Urls:
    def __init__(self, base_url: str):
        parts = urlsplit(base_url.rstrip("/"))
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.prefix = parts.path.rstrip("/")  # "" or "/archive"

    # output paths (relative to the output folder) -------------------------

    @staticmethod
    def item_output(item: Item) -> str:
        section = SECTION_OF_KIND[item.kind]
        return f"{section}/{item.slug}/index.html" if section else f"{item.slug}/index.html"

    @staticmethod
    def listing_output(section: str, page: int = 1) -> str:
        return f"{section}/index.html" if page == 1 else f"{section}/page/{page}/index.html"

    @staticmethod
    def topic_output(key: str, page: int = 1) -> str:
        return Urls.listing_output(f"topics/{key}", page)

    @staticmethod
    def topic_feed_output(key: str) -> str:
        return f"topics/{key}/feed.xml"

    @staticmethod
    def movement_output(key: str, page: int = 1) -> str:
        return Urls.listing_output(f"voices/movement/{key}", page)

    @staticmethod
    def alias_output(path: str) -> str:
        return alias_output(path)

    @staticmethod
    def search_output() -> str:
        return "search/index.html"

    @staticmethod
    def email_output(slug: str, extension: str) -> str:
        return f"email/{slug}.{extension}"

    @staticmethod
    def newsletter_feed_output() -> str:
        return "newsletter/feed.xml"

    # URLs ---------------------------------------------------------------------

    def for_output(self, output_path: str) -> str:
        """The URL path that serves an output file: `a/index.html` -> `/prefix/a/`."""
        if output_path == "index.html":
            return f"{self.prefix}/"
        if output_path.endswith("/index.html"):
            output_path = output_path[: -len("index.html")]
        return f"{self.prefix}/{output_path}"

    def home(self) -> str:
        return self.for_output("index.html")

    def item(self, item: Item) -> str:
        return self.for_output(self.item_output(item))

    def listing(self, section: str, page: int = 1) -> str:
        return self.for_output(self.listing_output(section, page))

    def topic(self, key: str, page: int = 1) -> str:
        return self.for_output(self.topic_output(key, page))

    def topic_feed(self, key: str) -> str:
        return self.for_output(self.topic_feed_output(key))

    def topics(self) -> str:
        return self.for_output("topics/index.html")

    def movement(self, key: str, page: int = 1) -> str:
        """The voices of one movement: a filter of the voices listing that needs no JavaScript."""
        return self.for_output(self.movement_output(key, page))

    def search(self) -> str:
        return self.for_output(self.search_output())

    def static(self, name: str) -> str:
        return self.for_output(f"static/{name}")

    def asset(self, output_path: str) -> str:
        return self.for_output(output_path)

    def image(self, image: Image) -> str:
        """An image's URL: remote ones as given, local ones under the prefix."""
        return image.src if image.is_remote else self.for_output(image.src)

    def feed(self) -> str:
        return self.for_output("feed.xml")

    def atom(self) -> str:
        return self.for_output("atom.xml")

    def sitemap(self) -> str:
        return self.for_output("sitemap.xml")

    def newsletter_feed(self) -> str:
        """The newsletter archive's own feed: issues only."""
        return self.for_output(self.newsletter_feed_output())

    def email_folder(self) -> str:
        """Where the email files are served (robots.txt keeps crawlers out: they hold raw merge tags)."""
        return self.for_output("email/")

    def absolute(self, url: str) -> str:
        """A root-relative URL (or an already absolute one) as an absolute URL."""
        if url.startswith(("http://", "https://", "mailto:")):
            return url
        if not url.startswith("/"):
            url = f"{self.prefix}/{url}"
        return self.origin + url

    def absolute_item(self, item: Item) -> str:
        return self.absolute(self.item(item))

    def is_site_url(self, url: str) -> bool:
        """True for an absolute URL of a page of this site (under the prefix)."""
        root = self.origin + self.prefix
        return url == root or url.startswith(root + "/") or url.startswith(root + "?") or url.startswith(root + "#")

    def tracked(self, url: str, utm: Mapping[str, str]) -> str:
        """`url` with utm_* parameters when it is a page of this site; others as given.

        Parameters already in the URL win, so an editor's own tracking stays.
        """
        if not utm or not self.is_site_url(url):
            return url
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        present = {key for key, _ in query}
        query += [(f"utm_{key}", value) for key, value in sorted(utm.items()) if f"utm_{key}" not in present]
        return urlunsplit(parts._replace(query=urlencode(query)))
