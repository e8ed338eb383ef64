"""The site folder -> a Library of published, rendered items.

Reading happens in three passes, because links and `featured:` refer to other
items: first every file is read and checked on its own, then what is
published is decided (drafts, future dates), then bodies are rendered with
every link resolved against the published set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from newpower_site.load.config import CONFIG_FILE, SiteConfig
from newpower_site.core.diagnostics import Diagnostic, error, warning
from newpower_site.load.fields import check_fields
from newpower_site.load.frontmatter import decode_source, split_front_matter
from newpower_site.load.links import CONTENT_ROOT, LinkProblem, LinkTargets, resolve_image
from newpower_site.load.markdown import MarkdownRenderer
from newpower_site.core.model import Article, Asset, Image, Item, Library, Newsletter, Page, Term, Voice, sort_newest_first
from newpower_site.load.placeholders import item_placeholder_warnings, site_placeholder_warnings
from newpower_site.load.schema import KIND_BY_FOLDER, Kind
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
    source: str  # site-relative path with forward slashes
    path: Path


def ignored_name(name: str) -> bool:
    return name.startswith(("_", "."))


def walk_sources(site_dir: Path, folder: str) -> tuple[list[SourceFile], list[Diagnostic]]:
    """Every file under `folder`, sorted, skipping `_`/`.` names and links that leave the site."""
    root = site_dir / folder
    found: list[SourceFile] = []
    problems: list[Diagnostic] = []
    if not root.is_dir():
        return found, problems
    site_real = site_dir.resolve()
    for current, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not ignored_name(d))
        here = Path(current)
        for name in sorted(files) + [d for d in dirs if (here / d).is_symlink()]:
            path = here / name
            source = path.relative_to(site_dir).as_posix()
            if ignored_name(name):
                continue
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
        if not name.endswith(".md"):
            assets.append(Asset(file.source, relative))
            continue
        kind = KIND_BY_FOLDER.get(folder)
        if kind is None:
            problems.append(warning(file.source, 1, f"not read: Markdown belongs in content/{{{','.join(KIND_BY_FOLDER)}}}/"))
            continue
        to_read.append((file, kind))
    for item, item_problems in (memo.read_items if memo else read_items)(to_read, config):
        problems += item_problems
        if item is not None:
            items.append(item)
    problems += _check_page_slugs(items, assets) + _check_aliases(items, assets)

    published = [item for item in items if selection.publishes(item)]
    static_paths = frozenset(f"{THEME_STATIC}/{p}" for p in theme_static_names(site_dir))
    targets = LinkTargets(
        pages={item.source: urls.item(item) for item in published},
        unpublished=frozenset(item.source for item in items if not selection.publishes(item)),
        assets={asset.source: asset.path for asset in assets},
        static_paths=static_paths,
    )
    rendered: list[Item] = []
    for item, item_problems in (memo.render_items if memo else render_items)(published, targets, urls):
        problems += item_problems
        rendered.append(item)
    failed = {file.source for file, _ in to_read} - {item.source for item in items}
    library, featured_problems = _assemble(rendered, tuple(assets), {i.source for i in items}, failed)
    problems += featured_problems + _email_settings_needed(config, library) + _placeholders_left(site_dir, config, rendered)
    problems += _menu_links_missing(site_dir, config, rendered)
    return replace(library, held_back=len(items) - len(published)), problems


def _email_settings_needed(config: SiteConfig, library: Library) -> list[Diagnostic]:
    """Every published issue is also an email, and bulk email must carry a postal address."""
    if not library.newsletters or config.email is not None:
        return []
    first = library.newsletters[-1].source
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
        raw = file.path.read_bytes()
    except OSError as exc:
        return None, [error(file.source, 0, f"cannot read the file: {exc.strerror}")]
    text, problems = decode_source(raw, file.source)
    if text is None:
        return None, problems
    split, problems = split_front_matter(text, file.source)
    if split is None:
        return None, problems
    slug = file.path.name[: -len(".md")]
    if not is_valid_slug(slug):
        problems.append(error(file.source, 1, f"file name {slug!r} is not a valid slug: use lower-case a-z, 0-9 and hyphens, e.g. {slugify(slug)}.md"))
    values, field_problems = check_fields(split.front_matter, kind, file.source, config.field_context())
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
            **common, kind="newsletter", title=values["title"], preheader=values["preheader"],
            number=values["number"], featured_refs=values["featured"] or (),
            featured_lines=tuple(split.front_matter.item_lines.get("featured", ())),
        )
    else:
        item = Page(**common, kind="page", title=values["title"], summary=values["summary"] or "")
    if item.kind == "article" and item.updated and item.date and item.updated < item.date:  # type: ignore[attr-defined]
        line = split.front_matter.line_of("updated")
        return None, [error(file.source, line, "'updated' is earlier than 'date'")]
    return item, []


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
    body, problems = renderer.render(item.kind, item.markdown.decode("utf-8"), item.source, item.body_line, targets, urls)
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
                state = "is a draft or dated in the future" if f"content/{ref}.md" in existing else "does not exist"
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
