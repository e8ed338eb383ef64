"""A Jekyll site folder: `_posts/`, `_drafts/`, pages and output collections, `_config.yml`.

Old addresses follow Jekyll's permalink rules (the site's `permalink:`, a
collection's, or the file's own), plus `redirect_from:` (jekyll-redirect-from).
The Liquid a post body may hold is turned into Markdown where it has a
meaning here: `{% highlight x %}` blocks become fenced code (their lines
kept byte for byte), `{% post_url %}` and `{% link %}` become the target's
old address (which the writer relinks to its `.md` file), and `{{ site.baseurl }}`
is dropped.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from newpower_site.core.slugs import slugify
from newpower_site.importers.frontsource import FrontMatterError, date_value, split_source, text_list, text_value, truthy
from newpower_site.importers.htmlmd import fenced_block
from newpower_site.importers.model import Archive, ImportedItem, Skip, SourceError, zone_of

MARKDOWN_EXTENSIONS = (".md", ".markdown", ".mkd", ".mkdn", ".mdown")
PERMALINK_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
_POST_NAME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})-(.+)$")
_NOT_SOURCE = ("node_modules", "vendor", "_site", ".git", ".jekyll-cache", ".sass-cache")
_HIGHLIGHT = re.compile(r"\{%-?\s*highlight\s+([\w+#.-]+)[^%]*-?%\}\n?(.*?)\n?\{%-?\s*endhighlight\s*-?%\}", re.S)
_POST_URL = re.compile(r"\{%-?\s*post_url\s+([^\s%]+)\s*-?%\}")
_LINK = re.compile(r"\{%-?\s*link\s+([^\s%]+)\s*-?%\}")
_BASEURL = re.compile(r"\{\{-?\s*site\.baseurl\s*-?\}\}")
_RAW = re.compile(r"\{%-?\s*(?:end)?raw\s*-?%\}")


def read_config(site: Path) -> dict[str, Any]:
    path = site / "_config.yml"
    if not path.is_file():
        path = site / "_config.yaml"
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
        raise SourceError(f"{path}: cannot read Jekyll's settings: {exc}") from None
    return data if isinstance(data, dict) else {}


def read_jekyll(site: Path) -> Archive:
    if not site.is_dir():
        raise SourceError(f"{site}: no such folder (give the Jekyll site's folder, the one with _config.yml)")
    config = read_config(site)
    if not (site / "_posts").is_dir() and not config:
        raise SourceError(f"{site}: not a Jekyll site: it has neither _posts/ nor _config.yml")
    zone = zone_of(config.get("timezone"))
    site_permalink = str(config.get("permalink") or "date")
    items: list[ImportedItem] = []
    skipped: list[Skip] = []
    defaults = [d for d in config.get("defaults") or () if isinstance(d, dict) and isinstance(d.get("values"), dict)]
    posts = _markdown_files(site / "_posts") + _markdown_files(site / "_drafts")
    for path in posts:
        item, skip = _read(path, site, "post", zone, PERMALINK_STYLES.get(site_permalink, site_permalink), defaults, draft_folder="_drafts")
        items += [item] if item else []
        skipped += [skip] if skip else []
    collections = config.get("collections") if isinstance(config.get("collections"), dict) else {}
    for name, settings in sorted(collections.items()):
        settings = settings if isinstance(settings, dict) else {}
        if name == "posts" or not truthy(settings.get("output")):
            continue
        pattern = str(settings.get("permalink") or f"/{name}/:path:output_ext")
        for path in _markdown_files(site / f"_{name}"):
            item, skip = _read(path, site, "page", zone, pattern, defaults, collection=name)
            items += [item] if item else []
            skipped += [skip] if skip else []
    for path in _page_files(site):
        item, skip = _read(path, site, "page", zone, "/:path:output_ext" if site_permalink not in ("pretty",) else "/:path/", defaults)
        items += [item] if item else []
        skipped += [skip] if skip else []
    items = _resolve_liquid_links(items, site)
    url = str(config.get("url") or "").rstrip("/") + "/" + str(config.get("baseurl") or "").strip("/")
    return Archive(
        title=str(config.get("title") or ""),
        base_url=url.rstrip("/") if config.get("url") else "",
        description=str(config.get("description") or config.get("tagline") or "").strip(),
        items=tuple(items), skipped=tuple(skipped),
        timezone=str(config["timezone"]) if zone is not None else None,
        image_roots=(site,),
    )




def _markdown_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in MARKDOWN_EXTENSIONS
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def _page_files(site: Path) -> list[Path]:
    found = []
    for path in sorted(site.rglob("*")):
        relative = path.relative_to(site)
        if not path.is_file() or path.suffix.lower() not in MARKDOWN_EXTENSIONS:
            continue
        if any(part.startswith(("_", ".")) or part in _NOT_SOURCE for part in relative.parts):
            continue
        found.append(path)
    return found


def _defaults_for(defaults: list[dict], relative: str, kind: str) -> dict[str, Any]:
    """The values of Jekyll's `defaults:` whose scope (path prefix, type) takes in this file, later ones winning."""
    merged: dict[str, Any] = {}
    for entry in defaults:
        scope = entry.get("scope") if isinstance(entry.get("scope"), dict) else {}
        prefix = str(scope.get("path") or "").strip("/")
        if prefix and not (relative == prefix or relative.startswith(prefix + "/")):
            continue
        if scope.get("type") and scope["type"] != kind:
            continue
        merged.update({str(k).lower(): v for k, v in entry["values"].items()})
    return merged


def _read(path: Path, site: Path, what: str, zone, pattern: str, defaults: list[dict], draft_folder: str = "",
          collection: str = "") -> tuple[ImportedItem | None, Skip | None]:
    relative = path.relative_to(site).as_posix()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, Skip(relative, "not UTF-8 text")
    try:
        own, body = split_source(text)
    except FrontMatterError as exc:
        return None, Skip(relative, f"front matter not read ({exc})")
    if not own and what == "page" and not collection:
        return None, Skip(relative, "no front matter (Jekyll copies such a file as it is)")
    kind = collection or ("posts" if what == "post" else "pages")
    if relative.startswith("_drafts/"):
        kind = "drafts"
    data = {**_defaults_for(defaults, relative, kind if kind != "drafts" else "posts"), **own}
    stem = path.stem
    if what == "page" and stem == "index" and path.parent == site:
        return None, Skip(relative, "the home page (this site makes its own)")
    named = _POST_NAME.match(stem) if what == "post" else None
    name_slug = named.group(4) if named else stem
    title = str(data.get("title") or "").strip()
    if not title and (what == "post" or collection):  # Jekyll titles a document after its file name
        title = " ".join(word.capitalize() for word in re.split(r"[-_\s]+", name_slug) if word)
    if not title:
        return None, Skip(relative, "no title")
    date = date_value(data.get("date"), zone) if data.get("date") is not None else None
    if date is None and named:
        date = f"{int(named.group(1)):04d}-{int(named.group(2)):02d}-{int(named.group(3)):02d}"
    if what == "post" and date is None:
        return None, Skip(relative, "no date (neither in the front matter nor in the file name)")
    if what == "page" and not body.strip():
        return None, Skip(relative, "no content (a page the theme fills in, such as an archive)")
    body = _markdown_of_liquid(body)
    slug = slugify(str(data.get("slug") or name_slug))
    categories = text_list(data.get("categories") or data.get("category"))
    tags = text_list(data.get("tags"))
    authors = text_list(data.get("authors")) or tuple(a for a in [str(data.get("author") or "").strip()] if a)
    own = data.get("permalink")
    old = _permalink(str(own) if own else pattern, slug, date, categories, relative, path)
    redirects = text_list(data.get("redirect_from")) if not isinstance(data.get("redirect_from"), str) else (data["redirect_from"],)
    image, alt = _image(data)
    item = ImportedItem(
        origin=relative, title=title, slug=slug, kind="article" if what == "post" else "page", body=body,
        date=date, updated=date_value(data.get("last_modified_at"), zone), summary=text_value(data.get("excerpt") or data.get("description")),
        authors=authors, terms=tuple(dict.fromkeys((*categories, *tags))),
        draft=(draft_folder and relative.startswith(draft_folder + "/")) or data.get("published") is False or truthy(data.get("draft")),
        old_paths=tuple(dict.fromkeys(p for p in (old, *(_absolute(r) for r in redirects)) if p)),
        folder=path.parent, image=image, image_alt=alt,
    )
    return item, None


def _image(data: dict[str, Any]) -> tuple[str | None, str | None]:
    value = data.get("image")
    prefix = str(data.get("img_path") or data.get("media_subpath") or "").rstrip("/")
    if isinstance(value, dict):
        path, alt = value.get("path") or value.get("src"), value.get("alt")
    else:
        path, alt = value, data.get("image_alt")
    if not isinstance(path, str) or not path.strip():
        return None, None
    path = path.strip()
    if prefix and not path.startswith(("/", "http://", "https://")):
        path = f"{prefix}/{path}"
    return path, (str(alt).strip() if alt else None)


def _absolute(path: str) -> str:
    return path if path.startswith("/") else "/" + path


def _permalink(pattern: str, slug: str, date: str | None, categories: tuple[str, ...], relative: str, path: Path) -> str | None:
    moment = datetime.fromisoformat(date) if date else None
    inner = relative.split("/", 1)[1] if relative.startswith("_") and "/" in relative else relative
    values = {
        "categories": "/".join(slugify(c) for c in categories),
        "title": slug, "slug": slug, "name": slug,
        "path": inner.rsplit(".", 1)[0], "basename": path.stem,
        "output_ext": ".html",
    }
    if moment is not None:
        values.update({
            "year": f"{moment.year:04d}", "month": f"{moment.month:02d}", "day": f"{moment.day:02d}",
            "i_month": str(moment.month), "i_day": str(moment.day), "short_year": f"{moment.year % 100:02d}",
            "hour": f"{moment.hour:02d}", "minute": f"{moment.minute:02d}", "second": f"{moment.second:02d}",
            "y_day": f"{moment.timetuple().tm_yday:03d}", "week": f"{moment.isocalendar().week:02d}",
            "short_day": moment.strftime("%a"),
        })
    result = re.sub(r":([a-z_]+)", lambda m: values.get(m.group(1), m.group(0)), pattern)
    if re.search(r":[a-z_]+", result.replace("://", "")):
        return None  # a placeholder this importer does not know: no alias rather than a wrong one
    result = re.sub(r"/+", "/", "/" + result.lstrip("/"))
    if result.endswith("/index.html"):
        result = result[: -len("index.html")]
    return result


def _markdown_of_liquid(body: str) -> str:
    body = _HIGHLIGHT.sub(lambda match: fenced_block(match.group(2), match.group(1)), body)
    body = _BASEURL.sub("", body)
    return _RAW.sub("", body)


def _resolve_liquid_links(items: list[ImportedItem], site: Path) -> list[ImportedItem]:
    by_name = {Path(item.origin).stem: item for item in items if item.origin.startswith(("_posts/", "_drafts/"))}
    by_path = {item.origin: item for item in items}
    result = []
    for item in items:
        def post_url(match: re.Match[str]) -> str:
            target = by_name.get(match.group(1).rsplit("/", 1)[-1])
            return target.old_paths[0] if target and target.old_paths else match.group(0)

        def link(match: re.Match[str]) -> str:
            target = by_path.get(match.group(1).lstrip("/"))
            return target.old_paths[0] if target and target.old_paths else match.group(0)

        body = _LINK.sub(link, _POST_URL.sub(post_url, item.body))
        result.append(item if body == item.body else replace(item, body=body))
    return result
