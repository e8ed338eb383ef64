"""The site folder -> a Library of published, rendered items.

Reading happens in three passes, because links and `featured:` refer to other
items: first every file is read and checked on its own, then what is
published is decided (drafts, future dates), then bodies are rendered with
every link resolved against the published set.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from newpower_site.core.layout import CONFIG_FILE
from newpower_site.core.siteconfig import SiteConfig
from newpower_site.load.config import field_context
from newpower_site.core.diagnostics import Diagnostic, error, warning
from newpower_site.load.fields import check_fields
from newpower_site.load.frontmatter import decode_source, split_front_matter
from newpower_site.load.links import CONTENT_ROOT, LinkProblem, LinkTargets, check_fragments, resolve_image
from newpower_site.load.markdown import MarkdownRenderer
from newpower_site.core.model import Article, Asset, Image, Item, Library, Newsletter, Page, Term, Voice, sort_newest_first
from newpower_site.load.placeholders import item_placeholder_warnings, site_placeholder_warnings
from newpower_site.load.schema import KIND_BY_FOLDER, Kind
from newpower_site.load.svg import svg_problems
from newpower_site.core.slugs import is_valid_slug, slugify
from newpower_site.core.theme import static_files
from newpower_site.core.urls import RESERVED_NAMES, Urls

THEME_STATIC = "static"


@dataclass(frozen=True, slots=True)
class Selection:
    """Which items count as published in this run."""

    now: datetime
    drafts: bool = False
    future: bool = False

    def publishes(self, item: Item) -> bool:
        if item.draft and not self.drafts:
            return False
        return self.future or item.date is None or item.date <= self.now


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A content file: its site-relative name (for messages) and where it is."""

    source: str  # site-relative path with forward slashes
    path: Path


# Markdown file names as editors' tools save them; the slug is the name without it.
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
# A content file larger than this is an error: no article needs it, and parsing it would take minutes and gigabytes.
MAX_SOURCE_BYTES = 2 * 1024 * 1024
# Characters a file name must not hold: they cannot be shown on one line of a report or in a URL safely.
_UNSAFE_NAME_CHARACTERS = frozenset(map(chr, [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]))


def ignored_name(name: str) -> bool:
    return name.startswith(("_", "."))


def markdown_slug(name: str) -> str | None:
    """The slug of a Markdown file name ('a.markdown' -> 'a'), or None for any other file."""
    for suffix in MARKDOWN_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return None


def shown_name(name: str) -> str:
    """A file name as it can be printed on one line: control characters, line separators and undecodable bytes escaped."""
    return "".join(ascii(ch)[1:-1] if ch in _UNSAFE_NAME_CHARACTERS or "\udc80" <= ch <= "\udcff" else ch for ch in name)


def _unsafe_name(name: str) -> bool:
    """Control characters, line breaks, U+2028/U+2029, or bytes that are not UTF-8 (os.walk's surrogate escapes)."""
    return any(ch in _UNSAFE_NAME_CHARACTERS or "\ud800" <= ch <= "\udfff" for ch in name)


def walk_sources(site_dir: Path, folder: str) -> tuple[list[SourceFile], list[Diagnostic]]:
    """Every regular file under `folder`, sorted, that a build reads.

    Skipped, each with a warning or error naming it: `_`/`.` names (silently),
    links that leave the site (the folder itself included: a `content/` that
    links elsewhere would publish its whole target), anything not a regular
    file (reading a FIFO waits for ever), names that cannot be printed or put
    in a URL safely, and files directly in a kind's folder that are not
    Markdown (they would be published raw). Two Markdown files with one slug
    are an error naming both.
    """
    root = site_dir / folder
    found: list[SourceFile] = []
    problems: list[Diagnostic] = []
    if not root.is_dir():
        return found, problems
    site_real = site_dir.resolve()
    try:
        root_real = root.resolve(strict=True)
    except (OSError, RuntimeError):
        return found, [warning(folder, 0, "symbolic link that loops back on itself: not followed")]
    if not root_real.is_relative_to(site_real):
        return found, [warning(folder, 0, "symbolic link to outside the site folder: not followed, nothing in it is read")]
    slugs: dict[str, str] = {}  # folder/slug -> the first source with it
    for current, dirs, files in os.walk(root, followlinks=False):
        here = Path(current)
        for name in [d for d in dirs if _unsafe_name(d) and not ignored_name(d)]:
            problems.append(error(f"{here.relative_to(site_dir).as_posix()}/{shown_name(name)}", 0,
                                  "folder name holds a control character, a line break or bytes that are not UTF-8: rename it"))
        dirs[:] = sorted(d for d in dirs if not ignored_name(d) and not _unsafe_name(d))
        for name in sorted(files) + [d for d in dirs if (here / d).is_symlink()]:
            path = here / name
            if ignored_name(name):
                continue
            if _unsafe_name(name):
                shown = f"{here.relative_to(site_dir).as_posix()}/{shown_name(name)}"
                problems.append(error(shown, 0, "file name holds a control character, a line break or bytes that are not UTF-8: "
                                      "it cannot be shown or published safely; rename it"))
                continue
            source = path.relative_to(site_dir).as_posix()
            if path.is_symlink():
                try:
                    real = path.resolve()
                except (OSError, RuntimeError):  # a loop of links: Python 3.11 raises RuntimeError
                    problems.append(warning(source, 0, "symbolic link that loops back on itself: not followed"))
                    continue
                if not real.is_relative_to(site_real):
                    problems.append(warning(source, 0, "symbolic link to outside the site folder: not followed"))
                    continue
                if path.is_dir():
                    continue  # linked folders inside the site are reached by their real path
            try:
                mode = path.stat().st_mode
            except OSError as exc:
                problems.append(warning(source, 0, f"cannot read: {exc.strerror}"))
                continue
            if not stat.S_ISREG(mode):
                problems.append(warning(source, 0, "not a regular file (a FIFO, socket or device): not read"))
                continue
            parent = source.rpartition("/")[0]
            slug = markdown_slug(name)
            if slug is None and parent.removeprefix(CONTENT_ROOT + "/") in KIND_BY_FOLDER:
                problems.append(warning(source, 0, f"not read: only Markdown ({', '.join(MARKDOWN_SUFFIXES)}) is read in {parent}/, "
                                        "and this file is not published"))
                continue
            if slug is not None:
                first = slugs.setdefault(f"{parent}/{slug}", source)
                if first != source:
                    problems.append(error(source, 0, f"{source} and {first} have the same slug {slug!r}: keep one of them"))
                    continue
            found.append(SourceFile(source, path))
    return found, problems


def read_items(files: list[tuple[SourceFile, Kind]], config: SiteConfig) -> list[tuple[Item | None, list[Diagnostic]]]:
    """Read and check each file on its own (buildcache's ItemCache does the same, reusing what it can)."""
    return [read_item(file, kind, config) for file, kind in files]


def render_items(items: list[Item], targets: LinkTargets, urls: Urls) -> list[tuple[Item, list[Diagnostic]]]:
    """Render each published item's body, in order."""
    renderer = MarkdownRenderer.create()
    return [_render_item(item, renderer, targets, urls) for item in items]


def load_library(
    site_dir: Path, config: SiteConfig, selection: Selection, urls: Urls, memo: Any = None
) -> tuple[Library, list[Diagnostic]]:
    """`memo`, when given, reads and renders in place of read_items and render_items (itemcache.py)."""
    files, problems = walk_sources(site_dir, CONTENT_ROOT)
    items: list[Item] = []
    assets: list[Asset] = []
    to_read: list[tuple[SourceFile, Kind]] = []
    for file in files:
        relative = file.source[len(CONTENT_ROOT) + 1 :]
        folder, _, name = relative.rpartition("/")
        if markdown_slug(name) is None:
            svg_refusals = _svg_refusals(file) if name.lower().endswith(".svg") else []
            problems += svg_refusals
            if not svg_refusals:
                assets.append(Asset(file.source, relative))
            continue
        kind = KIND_BY_FOLDER.get(folder)
        if kind is None:
            problems.append(warning(file.source, 1, f"not read: Markdown belongs in content/{{{','.join(KIND_BY_FOLDER)}}}/"))
            continue
        to_read.append((file, kind))
    failed: set[str] = set()  # files that exist but could not be read: links to them say so, not "does not exist"
    for (file, _), (item, item_problems) in zip(to_read, (memo.read_items if memo else read_items)(to_read, config), strict=True):
        problems += item_problems
        if item is not None:
            items.append(item)
        else:
            failed.add(file.source)
    problems += _check_page_slugs(items, assets) + _check_aliases(items, assets)

    published = [item for item in items if selection.publishes(item)]
    static_paths = frozenset(f"{THEME_STATIC}/{p}" for p in theme_static_names(site_dir))
    targets = LinkTargets(
        pages={item.source: urls.item(item) for item in published},
        unpublished=frozenset(item.source for item in items if not selection.publishes(item)),
        assets={asset.source: asset.path for asset in assets},
        static_paths=static_paths,
        failed=frozenset(failed),
    )
    rendered: list[Item] = []
    for item, item_problems in (memo.render_items if memo else render_items)(published, targets, urls):
        problems += item_problems
        rendered.append(item)
    problems += check_fragments(rendered)
    library, featured_problems = _assemble(rendered, tuple(assets), {i.source for i in items}, failed)
    problems += featured_problems + _email_settings_needed(config, library) + _placeholders_left(site_dir, config, rendered)
    problems += _menu_links_missing(site_dir, config, rendered)
    return replace(library, held_back=len(items) - len(published)), problems


def _email_settings_needed(config: SiteConfig, library: Library) -> list[Diagnostic]:
    """Every published issue but a web-only one is also an email, and bulk email must carry a postal address."""
    emailed = [issue for issue in library.newsletters if not issue.web_only]
    if not emailed or config.email is not None:
        return []
    first = emailed[-1].source
    return [error(CONFIG_FILE, 1, f"newsletter issues (such as {first}) are also sent as email, which needs an "
                  "`email:` block with provider and postal_address (bulk email must show a postal address)")]


def _menu_links_missing(site_dir: Path, config: SiteConfig, published: list[Item]) -> list[Diagnostic]:
    """A `menu:` entry naming a content file that is not published would be a dead link in every page's menu."""
    sources = {item.source for item in published}
    problems = []
    for label, link in config.menu:
        if link.endswith(".md") and f"{CONTENT_ROOT}/{link.removeprefix(CONTENT_ROOT + '/')}" not in sources:
            line = next((n for n, text in enumerate(_text_lines(site_dir / CONFIG_FILE), start=1) if link in text), 1)
            problems.append(error(CONFIG_FILE, line, f"menu: {label!r} links to {link}, which does not exist or is not published"))
    return problems


def _text_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def _placeholders_left(site_dir: Path, config: SiteConfig, items: list[Item]) -> list[Diagnostic]:
    email = config.email
    settings = [("base_url", config.base_url), ("description", config.description)]
    if email is not None:
        settings += [("email.postal_address", email.postal_address), ("email.unsubscribe", email.unsubscribe)]
    return site_placeholder_warnings(site_dir, settings) + item_placeholder_warnings(site_dir, items)


def theme_static_names(site_dir: Path) -> list[str]:
    """Static file names the theme provides (the site's override included)."""
    return sorted(static_files(site_dir))


def read_item(file: SourceFile, kind: Kind, config: SiteConfig) -> tuple[Item | None, list[Diagnostic]]:
    try:
        raw = _read_regular_file(file.path)
    except OSError as exc:
        return None, [error(file.source, 0, f"cannot read the file: {exc.strerror}")]
    except _TooLarge as exc:
        return None, [error(file.source, 0, f"the file is {exc.size / 2**20:.1f} MB, over the {MAX_SOURCE_BYTES // 2**20} MB a content file "
                            "may hold: split it, or move large data out of the Markdown")]
    text, problems = decode_source(raw, file.source)
    if text is None:
        return None, problems
    split, problems = split_front_matter(text, file.source)
    if split is None:
        return None, problems
    slug = markdown_slug(file.path.name) or file.path.stem
    if not is_valid_slug(slug):
        problems.append(error(file.source, 1, f"file name {slug!r} is not a valid slug: use lower-case a-z, 0-9 and hyphens, e.g. {slugify(slug)}.md"))
    values, field_problems = check_fields(split.front_matter, kind, file.source, field_context(config))
    problems += field_problems
    if problems:
        return None, problems
    common: dict[str, Any] = dict(
        slug=slug,
        source=file.source,
        date=values.get("date"),
        draft=bool(values.get("draft")),
        markdown=split.body.encode("utf-8"),
        body_line=split.body_first_line,
        typographic=config.typographic_punctuation,
        key_lines=MappingProxyType(dict(split.front_matter.key_lines)),
        aliases=values.get("aliases") or (),
        alias_lines=tuple(split.front_matter.item_lines.get("aliases", ())),
    )
    topics = tuple(Term(key, config.topics[key]) for key in values.get("topics") or ())
    if kind.name == "article":
        item: Item = Article(
            **common, kind="article", title=values["title"], summary=values["summary"] or "", topics=topics,
            updated=values["updated"], authors=values["authors"] or (),
            image=_image(values, "image", "image_alt"),
        )
    elif kind.name == "voice":
        item = Voice(
            **common, kind="voice", title=values["name"], name=values["name"], role=values["role"],
            movement=Term(values["movement"], config.movements[values["movement"]]), quote=values["quote"],
            location=values["location"], portrait=_image(values, "portrait", "portrait_alt"), topics=topics,
        )
    elif kind.name == "newsletter":
        item = Newsletter(
            **common, kind="newsletter", title=values["title"], preheader=values["preheader"] or "",
            web_only=bool(values["web_only"]),
            number=values["number"], featured_refs=values["featured"] or (),
            featured_lines=tuple(split.front_matter.item_lines.get("featured", ())),
        )
    else:
        item = Page(**common, kind="page", title=values["title"], summary=values["summary"] or "")
    if item.kind == "article" and item.updated and item.date and item.updated < item.date:  # type: ignore[attr-defined]
        line = split.front_matter.line_of("updated")
        return None, [error(file.source, line, "'updated' is earlier than 'date'")]
    return item, []


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


def _read_regular_file(path: Path) -> bytes:
    """The bytes of `path` if it is a regular file of at most MAX_SOURCE_BYTES.

    Opened without blocking and checked on the open descriptor, so a file
    swapped for a FIFO after the walk cannot hang the build, and a file that
    grows while read is cut at the bound rather than read without end.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if info.st_size > MAX_SOURCE_BYTES:
            raise _TooLarge(info.st_size)
        data = handle.read(MAX_SOURCE_BYTES + 1)
    if len(data) > MAX_SOURCE_BYTES:
        raise _TooLarge(len(data))
    return data


def _svg_refusals(file: SourceFile) -> list[Diagnostic]:
    """An SVG under content/ is published on the site's origin: refused if it could run or load anything (load/svg.py)."""
    try:
        return svg_problems(_read_regular_file(file.path), file.source)
    except OSError as exc:
        return [error(file.source, 0, f"cannot read the file: {exc.strerror}")]
    except _TooLarge as exc:
        return [error(file.source, 0, f"the SVG is {exc.size / 2**20:.1f} MB, over the {MAX_SOURCE_BYTES // 2**20} MB a content file may hold")]


def _image(values: dict[str, Any], key: str, alt_key: str) -> Image | None:
    return Image(values[key], values[alt_key]) if values.get(key) else None


def _check_page_slugs(items: list[Item], assets: list[Asset]) -> list[Diagnostic]:
    taken = RESERVED_NAMES | {asset.path.split("/", 1)[0] for asset in assets}
    return [
        error(item.source, 1, f"a page cannot be called {item.slug!r}: /{item.slug}/ is used by the site itself; rename the file")
        for item in items
        if item.kind == "page" and item.slug in taken
    ]


def _check_aliases(items: list[Item], assets: list[Asset]) -> list[Diagnostic]:
    """An alias may not take the address of an item, a copied file or another alias: each clash names both files."""
    taken: dict[str, tuple[str, str]] = {Urls.item_output(item): (item.source, "the address of") for item in items}
    taken.update({asset.path: (asset.source, "the address of") for asset in assets})
    problems = []
    for item in items:
        for index, alias in enumerate(item.aliases):
            output = Urls.alias_output(alias)
            line = item.alias_lines[index] if index < len(item.alias_lines) else item.key_lines.get("aliases", 1)
            folder = output.removesuffix("/index.html")  # `/x.jpg` would be a folder where a file is
            other, what = taken.get(output) or taken.get(folder) or (None, "")
            if other == item.source and what == "the address of":
                problems.append(error(item.source, line, f"alias {alias!r} is this item's own address; remove it"))
            elif other is not None:
                problems.append(error(item.source, line, f"alias {alias!r} is {what} {other} ({output}); keep it in one file only"))
            else:
                taken[output] = (item.source, "already an alias in")
    return problems


def _render_item(item: Item, renderer: MarkdownRenderer, targets: LinkTargets, urls: Urls) -> tuple[Item, list[Diagnostic]]:
    body, problems = renderer.render(
        item.kind, item.markdown, item.source, item.body_line, targets, urls, typographic=item.typographic
    )
    changes: dict[str, Any] = {"body": body, "markdown": b""}  # the source is not needed again: rendering starts from the parsed item
    if not item.summary and item.kind != "voice":
        changes["summary"] = body.first_paragraph
    if item.kind == "voice" and not item.summary:
        changes["summary"] = item.quote  # type: ignore[attr-defined]
    for key in ("image", "portrait"):
        image = getattr(item, key, None)
        if image is not None:
            try:
                changes[key] = replace(image, src=resolve_image(image.src, item.source, targets))
            except LinkProblem as problem:
                problems.append(error(item.source, item.key_lines.get(key, 1), f"{key}: {problem}"))
    return replace(item, **changes), problems


def _assemble(items: list[Item], assets: tuple[Asset, ...], existing: set[str], failed: set[str] = frozenset()) -> tuple[Library, list[Diagnostic]]:
    """Sort each collection and resolve every newsletter's `featured` list.

    `failed`: sources that exist but could not be read; an issue featuring one
    is told so ("has errors"), not that it does not exist.
    """
    by_ref = {item.ref: item for item in items}
    problems: list[Diagnostic] = []
    newsletters = []
    for issue in (i for i in items if isinstance(i, Newsletter)):
        featured = []
        for index, ref in enumerate(issue.featured_refs):
            line = issue.featured_lines[index] if index < len(issue.featured_lines) else issue.key_lines.get("featured", 1)
            target = by_ref.get(ref)
            if target is None and f"content/{ref}.md" in failed:
                problems.append(error(issue.source, line, f"featured item {ref!r} has errors (see above) (content/{ref}.md)", follows=True))
            elif target is None:
                state = "is a draft or dated in the future" if any(f"content/{ref}{suffix}" in existing for suffix in MARKDOWN_SUFFIXES) else "does not exist"
                problems.append(error(issue.source, line, f"featured item {ref!r} {state} (content/{ref}.md)"))
            else:
                featured.append(target)
        newsletters.append(replace(issue, featured=tuple(featured)))
    library = Library(
        articles=sort_newest_first(i for i in items if isinstance(i, Article)),
        voices=sort_newest_first(i for i in items if isinstance(i, Voice)),
        newsletters=sort_newest_first(newsletters),
        pages=tuple(sorted((i for i in items if isinstance(i, Page)), key=lambda p: (p.title.lower(), p.slug))),
        assets=assets,
    )
    return library, problems
