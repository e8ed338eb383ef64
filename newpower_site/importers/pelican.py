"""A Pelican content folder: Markdown files with metadata headers.

Pelican's Markdown reader takes `Key: value` lines at the top of the file,
up to the first blank line; a value goes on over lines indented by four
spaces (`Summary:` then an indented paragraph). `Tags:` and `Authors:` are
comma-separated (`;` when a name has a comma in it, as `Author, First`).
Old addresses follow the settings' `ARTICLE_URL` and `PAGE_URL` patterns.

The settings file is Python; it is read with `ast`, taking only plain
assignments of literals (strings, numbers, lists, tuples, dicts), and never
run: an import must not execute another site's code.
"""

from __future__ import annotations

import ast
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from newpower_site.core.slugs import slugify
from newpower_site.importers.model import Archive, ImportedItem, Skip, SourceError, iso_date, zone_of

MARKDOWN_EXTENSIONS = (".md", ".markdown", ".mkd", ".mdown")
OTHER_FORMATS = {".rst": "reStructuredText", ".html": "HTML", ".htm": "HTML", ".ipynb": "a notebook"}
DEFAULTS: dict[str, Any] = {
    "ARTICLE_URL": "{slug}.html",
    "PAGE_URL": "pages/{slug}.html",
    "PAGE_PATHS": ["pages"],
    "ARTICLE_EXCLUDES": [],
    "STATIC_PATHS": ["images"],
    "USE_FOLDER_AS_CATEGORY": True,
    "FILENAME_METADATA": r"(?P<date>\d{4}-\d{2}-\d{2}).*",
    "DEFAULT_CATEGORY": "misc",
    "SITEURL": "",
    "SITENAME": "",
    "SITESUBTITLE": "",
    "DESCRIPTION": "",
    "TIMEZONE": None,
    "DEFAULT_DATE": None,
    "AUTHOR": None,
}
_HEADER = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):[ \t]*(.*)$")
_CONTINUATION = re.compile(r"^(?: {4}|\t)(.*)$")


def read_settings(path: Path | None) -> tuple[dict[str, Any], list[str]]:
    """Pelican's defaults updated by the literal assignments of `path`; returns them and the names not understood."""
    settings = dict(DEFAULTS)
    unread: list[str] = []
    if path is None:
        return settings, unread
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except FileNotFoundError:
        raise SourceError(f"{path}: the settings file does not exist") from None
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as exc:
        raise SourceError(f"{path}: cannot read the settings: {exc}") from None
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if not name.isupper():
                continue
            try:
                settings[name] = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                unread.append(name)  # computed from code: Pelican's default stays
    return settings, unread


def parse_headers(text: str) -> tuple[dict[str, str], str]:
    """(metadata with lower-case keys, the body after the header block).

    A file whose first line is not `Key: value` has no headers: all of it is
    the body, as Pelican reads it.
    """
    lines = text.split("\n")
    metadata: dict[str, str] = {}
    key: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            break
        continued = _CONTINUATION.match(line)
        header = _HEADER.match(line)
        if key is not None and continued and not header:
            metadata[key] = (metadata[key] + "\n" + continued.group(1).strip()).strip()
        elif header:
            key = header.group(1).lower()
            value = header.group(2).strip()
            metadata[key] = value if key not in metadata or key not in ("tags", "authors") else metadata[key] + ", " + value
        else:
            if index == 0:
                return {}, text
            break
        index += 1
    if not metadata:
        return {}, text
    body = "\n".join(lines[index:]).lstrip("\n")
    return metadata, body


def split_list(value: str, names: bool = False) -> tuple[str, ...]:
    """`foo, bar, foo` -> ('foo', 'bar'); names use `;` when there is one (`Author, First; Author, Second`)."""
    separator = ";" if names and ";" in value else ","
    return tuple(dict.fromkeys(part.strip() for part in value.split(separator) if part.strip()))


def read_pelican(source: Path, settings_path: Path | None = None) -> Archive:
    if not source.is_dir():
        raise SourceError(f"{source}: no such folder (give Pelican's content folder, the PATH of pelicanconf.py)")
    settings, unread = read_settings(settings_path)
    zone = zone_of(settings.get("TIMEZONE"))
    default_date = _default_date(settings.get("DEFAULT_DATE"))
    page_folders = tuple(str(p).strip("/") for p in settings.get("PAGE_PATHS") or ())
    items: list[ImportedItem] = []
    skipped: list[Skip] = [Skip(str(settings_path), f"setting {name} is computed, not a literal: Pelican's default used") for name in unread]
    files = sorted(p for p in source.rglob("*") if p.is_file())
    for path in files:
        relative = path.relative_to(source).as_posix()
        if any(part.startswith(".") for part in Path(relative).parts):
            continue
        extension = path.suffix.lower()
        if extension not in MARKDOWN_EXTENSIONS:
            if extension in OTHER_FORMATS:
                skipped.append(Skip(relative, f"{OTHER_FORMATS[extension]}, not Markdown (convert it first: pandoc does)"))
            continue
        is_page = any(relative == f or relative.startswith(f + "/") for f in page_folders)
        item, skip = _read_file(path, relative, is_page, settings, zone, default_date)
        if item is not None:
            items.append(item)
        if skip is not None:
            skipped.append(skip)
    items = _resolve_intersite_links(items, source)
    return Archive(
        title=str(settings.get("SITENAME") or ""),
        base_url=str(settings.get("SITEURL") or ""),
        description=str(settings.get("DESCRIPTION") or settings.get("SITESUBTITLE") or ""),
        items=tuple(items),
        skipped=tuple(skipped),
        timezone=settings.get("TIMEZONE") if zone is not None else None,
        image_roots=(source,),
    )




def _default_date(value: Any) -> datetime | str | None:
    if isinstance(value, (tuple, list)):
        try:
            return datetime(*value)
        except (TypeError, ValueError):
            return None
    return value if value == "fs" else None


def _read_file(path: Path, relative: str, is_page: bool, settings: dict[str, Any], zone, default_date) -> tuple[ImportedItem | None, Skip | None]:
    try:
        text = path.read_text(encoding="utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return None, Skip(relative, "not UTF-8 text")
    except OSError as exc:
        return None, Skip(relative, f"cannot be read: {exc.strerror}")
    metadata, body = parse_headers(text)
    pattern = settings.get("FILENAME_METADATA")
    if isinstance(pattern, str):
        try:
            found = re.match(pattern, path.stem)
        except re.error:
            found = None
        if found:
            for key, value in found.groupdict().items():
                if value:
                    metadata.setdefault(key, value)
    title = metadata.get("title", "").strip()
    if not title:
        return None, Skip(relative, "no Title: header" if text.strip() else "empty file")
    status = metadata.get("status", "published").strip().lower()
    if status == "skip":
        return None, Skip(relative, "Status: skip")
    date_text = metadata.get("date")
    date = iso_date(date_text, zone) if date_text else None
    if date_text and date is None:
        return None, Skip(relative, f"Date: {date_text!r} is not a date this importer reads (YYYY-MM-DD HH:MM)")
    if date is None and not is_page:
        if isinstance(default_date, datetime):
            date = iso_date(default_date, zone)
        elif default_date == "fs":
            date = iso_date(datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0), zone)
        else:
            return None, Skip(relative, "no Date: header (and no DEFAULT_DATE in the settings)")
    slug = slugify(metadata.get("slug") or title)
    category = metadata.get("category") or (relative.split("/")[0] if "/" in relative and settings.get("USE_FOLDER_AS_CATEGORY") else "")
    authors = split_list(metadata.get("authors") or metadata.get("author") or str(settings.get("AUTHOR") or ""), names=True)
    terms = tuple(dict.fromkeys(t for t in (category, *split_list(metadata.get("tags", ""))) if t))
    url_pattern = settings.get("PAGE_URL" if is_page else "ARTICLE_URL")
    old = _old_path(url_pattern, slug, date, category, metadata, authors)
    item = ImportedItem(
        origin=relative, title=title, slug=slug, kind="page" if is_page else "article", body=body,
        date=date, updated=iso_date(metadata["modified"], zone) if metadata.get("modified") else None,
        summary=metadata.get("summary") or None, authors=authors, terms=terms,
        draft=status == "draft", old_paths=(old,) if old else (), folder=path.parent,
    )
    return item, None


def _old_path(pattern: Any, slug: str, date: str | None, category: str, metadata: dict[str, str], authors: tuple[str, ...]) -> str | None:
    if not isinstance(pattern, str) or not pattern:
        return None
    moment = datetime.fromisoformat(date) if date else None
    fields = {
        "slug": slug, "date": moment, "category": slugify(category or "misc"), "lang": metadata.get("lang", "en"),
        "author": slugify(authors[0]) if authors else "", **{k: v for k, v in metadata.items() if k not in ("date", "slug", "category")},
    }
    try:
        path = pattern.format(**fields)
    except (KeyError, IndexError, ValueError, AttributeError, TypeError):
        return None
    return "/" + path.lstrip("/")


_INTERSITE = re.compile(r"(\{filename\}|\|filename\|)([^)\s\"'#]+)")


def _resolve_intersite_links(items: list[ImportedItem], source: Path) -> list[ImportedItem]:
    """`{filename}other.md` (Pelican's link to another file) becomes that item's old address, which the writer relinks."""
    by_file = {(source / item.origin).resolve(): item for item in items}
    result = []
    for item in items:
        def swap(match: re.Match[str], item: ImportedItem = item) -> str:
            target = match.group(2)
            base = source if target.startswith("/") else (item.folder or source)
            found = by_file.get((base / target.lstrip("/")).resolve())
            if found is None or not found.old_paths:
                return match.group(0)
            return found.old_paths[0]
        body = _INTERSITE.sub(swap, item.body)
        result.append(item if body == item.body else _with_body(item, body))
    return result


def _with_body(item: ImportedItem, body: str) -> ImportedItem:
    from dataclasses import replace

    return replace(item, body=body)
