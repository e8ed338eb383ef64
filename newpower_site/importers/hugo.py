"""A Hugo site folder: `content/` with YAML, TOML or JSON front matter, and its settings.

A dated file is an article, an undated one a page (a section's `_index.md`
becomes a page named after the section; the site's own home `_index.md` is
skipped). Old addresses follow Hugo's rules: the file's `url:`, else the
site's `permalinks` for its section, else `/SECTION/SLUG/`; the file's own
`aliases:` are kept too. `{{< ref "x.md" >}}` and `relref` become the
target's old address, which the writer relinks to its `.md` file.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from newpower_site.core.slugs import slugify
from newpower_site.importers.frontsource import FrontMatterError, date_value, split_source, text_list, text_value, truthy
from newpower_site.importers.model import Archive, ImportedItem, Skip, SourceError, zone_of

MARKDOWN_EXTENSIONS = (".md", ".markdown", ".mdown", ".mkd")
CONFIG_NAMES = ("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml", "config.json")
_REF = re.compile(r"\{\{[<%]\s*(?:rel)?ref\s+\"?([^\"\s>%]+)\"?\s*[>%]\}\}")


def read_config(site: Path) -> dict[str, Any]:
    candidates = [site / name for name in CONFIG_NAMES] + [site / "config" / "_default" / name for name in CONFIG_NAMES]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        return {}
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
        raise SourceError(f"{path}: cannot read Hugo's settings: {exc}") from None
    return {str(k).lower(): v for k, v in data.items()} if isinstance(data, dict) else {}


def read_hugo(site: Path) -> Archive:
    if not site.is_dir():
        raise SourceError(f"{site}: no such folder (give the Hugo site's folder, the one with content/)")
    config = read_config(site)
    content = site / str(config.get("contentdir") or "content")
    if not content.is_dir():
        raise SourceError(f"{site}: not a Hugo site: it has no {content.name}/ folder")
    zone = zone_of(config.get("timezone"))
    permalinks = {str(k).lower(): str(v) for k, v in (config.get("permalinks") or {}).items()} if isinstance(config.get("permalinks"), dict) else {}
    items: list[ImportedItem] = []
    skipped: list[Skip] = []
    for path in sorted(p for p in content.rglob("*") if p.is_file()):
        relative = path.relative_to(content).as_posix()
        if any(part.startswith(".") for part in Path(relative).parts):
            continue
        if path.suffix.lower() not in MARKDOWN_EXTENSIONS:
            if path.suffix.lower() in (".html", ".htm") and not path.name.startswith("_"):
                skipped.append(Skip(f"content/{relative}", "HTML content file, not Markdown"))
            elif path.name.startswith("_") and path.suffix.lower() in (".html", ".htm"):
                skipped.append(Skip(f"content/{relative}", "not a page (a theme's partial or the home page)"))
            continue
        item, skip = _read(path, relative, zone, permalinks)
        items += [item] if item else []
        skipped += [skip] if skip else []
    items = _resolve_refs(items)
    params = config.get("params") if isinstance(config.get("params"), dict) else {}
    base = str(config.get("baseurl") or "")
    return Archive(
        title=str(config.get("title") or ""),
        base_url=base.rstrip("/") if base.startswith(("http://", "https://")) else "",
        description=str(params.get("description") or params.get("subtitle") or ""),
        items=tuple(items), skipped=tuple(skipped),
        timezone=str(config["timezone"]) if zone is not None else None,
        image_roots=(site / "static", site / "assets", content),
    )




def _read(path: Path, relative: str, zone, permalinks: dict[str, str]) -> tuple[ImportedItem | None, Skip | None]:
    origin = f"content/{relative}"
    if path.name.startswith("_") and path.stem != "_index":
        return None, Skip(origin, "not a page (a theme's partial or the home page)")
    try:
        data, body = split_source(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return None, Skip(origin, "not UTF-8 text")
    except FrontMatterError as exc:
        return None, Skip(origin, f"front matter not read ({exc})")
    parts = relative.split("/")
    section = parts[0] if len(parts) > 1 else ""
    is_list = path.stem == "_index"
    bundle = path.stem == "index"
    if is_list and len(parts) == 1:
        return None, Skip(origin, "the home page (this site makes its own)")
    title = str(data.get("title") or "").strip()
    if not title:
        return None, Skip(origin, "no title")
    name = parts[-2] if (is_list or bundle) and len(parts) > 1 else path.stem
    slug = slugify(str(data.get("slug") or name))
    date = date_value(data.get("date") or data.get("publishdate"), zone)
    kind = "article" if date is not None and not is_list else "page"
    if kind == "page" and not body.strip():
        return None, Skip(origin, "no content (a list page the theme fills in)")
    if kind == "page" and is_list:
        slug = slugify("-".join(parts[:-1]))
    old = _old_path(data, parts, section, slug, date, permalinks, is_list)
    aliases = tuple(_absolute(str(a), parts) for a in (data.get("aliases") or ()) if isinstance(a, str))
    terms = tuple(dict.fromkeys((*text_list(data.get("categories")), *text_list(data.get("tags")))))
    authors = text_list(data.get("authors")) or tuple(a for a in [str(data.get("author") or "").strip()] if a)
    image = data.get("image") or data.get("featured_image")
    images = data.get("images")
    if not image and isinstance(images, list) and images:
        image = images[0]
    item = ImportedItem(
        origin=origin, title=title, slug=slug, kind=kind, body=body, date=date,
        updated=date_value(data.get("lastmod"), zone), summary=text_value(data.get("summary") or data.get("description")),
        authors=authors, terms=terms, draft=truthy(data.get("draft")),
        old_paths=tuple(dict.fromkeys(p for p in (old, *aliases) if p)), folder=path.parent,
        image=str(image) if isinstance(image, str) else None,
        image_alt=text_value(data.get("image_alt") or data.get("imagealt") or data.get("alt")),
    )
    return item, None


def _absolute(alias: str, parts: list[str]) -> str:
    """Hugo reads an alias without a leading / as relative to the page's section."""
    if alias.startswith("/"):
        return alias
    return "/" + "/".join([*parts[:-1], alias]) if len(parts) > 1 else "/" + alias


def _old_path(data: dict[str, Any], parts: list[str], section: str, slug: str, date: str | None,
              permalinks: dict[str, str], is_list: bool) -> str | None:
    own = data.get("url")
    if isinstance(own, str) and own.strip():
        return _absolute(own.strip(), [""])
    if is_list:
        return "/" + "/".join(parts[:-1]) + "/"
    pattern = permalinks.get(section.lower())
    if pattern is None:
        return f"/{section}/{slug}/" if section else f"/{slug}/"
    moment = datetime.fromisoformat(date) if date else None
    values = {"section": section, "slug": slug, "title": slugify(str(data.get("title") or slug)),
              "filename": slug, "contentbasename": slug}
    if moment is not None:
        values.update({"year": f"{moment.year:04d}", "month": f"{moment.month:02d}", "day": f"{moment.day:02d}",
                       "monthname": moment.strftime("%B").lower(), "yearday": str(moment.timetuple().tm_yday)})
    result = re.sub(r":([a-z]+)", lambda m: values.get(m.group(1), m.group(0)), pattern)
    if re.search(r":[a-z]+", result):
        return None  # a placeholder this importer does not know: no alias rather than a wrong one
    return re.sub(r"/+", "/", "/" + result.lstrip("/"))


def _resolve_refs(items: list[ImportedItem]) -> list[ImportedItem]:
    by_file = {item.origin.removeprefix("content/"): item for item in items}
    by_name = {Path(item.origin).name: item for item in items}
    result = []
    for item in items:
        here = Path(item.origin.removeprefix("content/")).parent

        def swap(match: re.Match[str], here: Path = here) -> str:
            target = match.group(1).split("#", 1)
            wanted = target[0].lstrip("/")
            found = by_file.get(wanted) or by_file.get((here / wanted).as_posix()) or by_name.get(Path(wanted).name)
            if found is None or not found.old_paths:
                return match.group(0)
            return found.old_paths[0] + (f"#{target[1]}" if len(target) > 1 else "")

        body = _REF.sub(swap, item.body)
        result.append(item if body == item.body else replace(item, body=body))
    return result
