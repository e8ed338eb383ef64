"""An Archive -> files in a site folder: front matter + body, images, site.yaml.

Planning and writing are apart: `plan_import` works out every file (and
every reason not to write one) as data, which `--dry-run` prints and
`write_import` writes. Nothing that exists is ever overwritten: an item whose
file is there already is skipped, an image already there with other bytes
is not copied, so a second run of the same import writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from newpower_site.core.layout import CONFIG_FILE, CONTENT_ROOT
from newpower_site.core.slugs import slugify
from newpower_site.core.urls import SECTION_OF_KIND, alias_problem
from newpower_site.importers.htmlmd import plain_text
from newpower_site.importers.model import Archive, ImportedItem, Skip, SourceError, url_path
from newpower_site.load.yamlsafe import load_mapping

TargetKind = Literal["articles", "newsletters"]
FOLDER_OF_KIND = {"article": "articles", "newsletter": "newsletters", "page": "pages"}
IMAGES_FOLDER = f"{CONTENT_ROOT}/images"
PREHEADER_LENGTH = 150
PAGE_NAMES_TAKEN = frozenset({"articles", "voices", "newsletter", "newsletters", "topics", "email", "static", "search", "page",
                              "feed", "atom", "sitemap", "robots", "index", "404", "tags", "media", "images", "pagefind"})

_MD_IMAGE = re.compile(r"!\[([^\]\n]*)\]\(\s*<?([^)\s>]+)>?((?:\s+\"[^\"]*\")?)\s*\)")
_MD_LINK = re.compile(r"(?<!!)(\[[^\]\n]*\]\(\s*)<?([^)\s>]+)>?((?:\s+\"[^\"]*\")?\s*\))")
_REF_DEFINITION = re.compile(r"^( {0,3}\[[^\]\n]+\]:[ \t]*)<?(\S+?)>?([ \t]+.*)?$", re.M)
_HTML_URL = re.compile(r"""(<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*)(["'])(.*?)\2""", re.I | re.S)
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})")


@dataclass(frozen=True, slots=True)
class PlannedFile:
    """A Markdown file the import will write."""

    path: str  # site-relative
    text: str
    item: ImportedItem
    kind: str  # article | newsletter | page


@dataclass(frozen=True, slots=True)
class PlannedImage:
    """A picture the import will copy under content/images/."""

    source: Path
    path: str  # site-relative, under content/images/


@dataclass(slots=True)
class ImportPlan:
    """Everything an import would write, made in full before any file is, so that a clash writes nothing."""

    site_dir: Path
    files: list[PlannedFile] = field(default_factory=list)
    images: list[PlannedImage] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    config_text: str | None = None  # the new site.yaml, when it changes
    config_is_new: bool = False
    config_before: str | None = None  # site.yaml as planning read it
    topics_added: dict[str, str] = field(default_factory=dict)
    vocabulary_by_hand: str = ""  # topic lines to add to site.yaml by hand, when it could not be edited safely
    images_missing: list[str] = field(default_factory=list)  # references to images found nowhere
    images_to_old_site: int = 0  # site-root images not found here, linked to the old site instead

    def counts(self) -> Counter[str]:
        return Counter(f.kind for f in self.files)


def plan_import(archive: Archive, site_dir: Path, target: TargetKind = "articles") -> ImportPlan:
    plan = ImportPlan(site_dir)
    plan.skipped += archive.skipped
    config_path = site_dir / CONFIG_FILE
    try:
        existing_config = config_path.read_text(encoding="utf-8") if config_path.is_file() else None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{config_path}: cannot read the site's settings: {exc}") from None
    plan.config_before = existing_config
    vocabulary = _existing_topics(existing_config)

    placed: dict[int, tuple[str, str]] = {}  # index -> (kind, site-relative path)
    taken: set[str] = set()
    for index, item in enumerate(archive.items):
        kind = "newsletter" if item.kind == "article" and target == "newsletters" else item.kind
        folder = FOLDER_OF_KIND[kind]
        slug = item.slug
        if kind == "page" and slug in PAGE_NAMES_TAKEN:
            slug = f"{slug}-page"
        path = f"{CONTENT_ROOT}/{folder}/{slug}.md"
        number = 2
        # Two items of the source with one slug, or a file of the site's own there already: the next
        # free name (-2, -3). A file this import wrote on an earlier run is the item's own: kept, and skipped.
        while path in taken or _taken_by_another(site_dir / path, item.origin):
            path = f"{CONTENT_ROOT}/{folder}/{slug}-{number}.md"
            number += 1
        taken.add(path)
        placed[index] = (kind, path)

    by_old_path: dict[str, str] = {}
    for index, item in enumerate(archive.items):
        if not item.draft:  # a link to a draft would be an error: those keep their old address
            for old in item.old_paths:
                by_old_path.setdefault(_link_key(old), placed[index][1])
    for spelling, origin in archive.link_aliases.items():
        owner = next((i for i, item in enumerate(archive.items) if item.origin == origin and not item.draft), None)
        if owner is not None:
            by_old_path.setdefault(_link_key(spelling), placed[owner][1])

    images: dict[Path, str] = {}
    for index, item in enumerate(archive.items):
        kind, path = placed[index]
        if (site_dir / path).exists():
            plan.skipped.append(Skip(item.origin, f"{path} already exists"))  # written by an earlier run of this import
            continue
        body = _rewrite_body(item, path, archive, by_old_path, images, plan)
        topics: list[str] = []
        if kind == "article":
            for label in item.terms:
                key = topic_key(label)
                if not key:
                    continue
                if key not in vocabulary:
                    vocabulary[key] = label
                    plan.topics_added[key] = label
                if key not in topics:
                    topics.append(key)
        image = None
        if item.image and item.image_alt and kind == "article":
            image = _image_reference(item.image, item, path, archive, images, plan)
        new_path = _new_url_path(kind, Path(path).stem)
        aliases = [old for old in dict.fromkeys(item.old_paths) if old.rstrip("/") != new_path.rstrip("/") and alias_problem(old) is None]
        body = body if body.startswith("\n") else "\n" + body
        text = front_matter(item, kind, topics, image, aliases) + body.rstrip("\n") + "\n"
        plan.files.append(PlannedFile(path, text, item, kind))

    for source, path in sorted(images.items(), key=lambda pair: pair[1]):
        target_file = site_dir / path
        if target_file.exists():
            continue  # the same bytes (a second run): nothing to do; other bytes: reported below
        plan.images.append(PlannedImage(source, path))

    if plan.topics_added or existing_config is None:
        _plan_config(plan, archive, existing_config)
    return plan


def _origin_comment(origin: str) -> str:
    return "# imported from " + "".join(ch if ch.isprintable() else "?" for ch in origin)


def _taken_by_another(path: Path, origin: str) -> bool:
    """Is `path` a file that is not this item's, as an earlier run of the same import wrote it?"""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(8192)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return f"\n{_origin_comment(origin)}\n" not in head


def topic_key(label: str) -> str:
    """A category's or tag's topic key: its slug, or for a label with no Latin letters (`パイソン`) a stable `topic-` name."""
    key = slugify(label, fallback="")
    if key or not label.strip():
        return key
    return "topic-" + hashlib.sha1(label.strip().encode("utf-8")).hexdigest()[:6]


def _new_url_path(kind: str, slug: str) -> str:
    section = SECTION_OF_KIND[kind]
    return f"/{section}/{slug}/" if section else f"/{slug}/"


# -- bodies: links and images --------------------------------------------------------------------

def _link_key(path: str) -> str:
    path = unquote(path.split("#", 1)[0])
    path = re.sub(r"/index\.html?$", "/", path)
    return path.rstrip("/") or "/"


def _relative(from_file: str, to_file: str) -> str:
    return posixpath.relpath(to_file, posixpath.dirname(from_file))


def _outside_code(text: str, rewrite) -> str:
    """Apply `rewrite` to the Markdown outside fenced code blocks: code is kept byte for byte."""
    out: list[str] = []
    prose: list[str] = []
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        match = _FENCE.match(line)
        if fence is None:
            if match:
                out.append(rewrite("".join(prose)))
                prose = []
                fence = match.group(2)
                out.append(line)
            else:
                prose.append(line)
        else:
            out.append(line)
            if match and match.group(2)[0] == fence[0] and len(match.group(2)) >= len(fence) and not line[match.end():].strip():
                fence = None
    out.append(rewrite("".join(prose)))
    return "".join(out)


def _rewrite_body(item: ImportedItem, path: str, archive: Archive, by_old_path: dict[str, str],
                  images: dict[Path, str], plan: ImportPlan) -> str:
    def link(url: str) -> str:
        old = url_path(url, archive.base_url)
        if old is None:
            return url
        target = by_old_path.get(_link_key(old))
        if target is None:
            if url.startswith("/") and archive.base_url:
                return archive.base_url.rstrip("/") + url  # a page of the old site not imported: it may still be there
            return url
        fragment = url.split("#", 1)[1] if "#" in url else ""
        return _relative(path, target) + (f"#{fragment}" if fragment else "")

    def image(url: str) -> str:
        return _image_reference(url, item, path, archive, images, plan)

    def rewrite(text: str) -> str:
        text = _MD_IMAGE.sub(lambda m: f"![{m.group(1)}]({image(m.group(2))}{m.group(3)})", text)
        text = _MD_LINK.sub(lambda m: f"{m.group(1)}{link(m.group(2))}{m.group(3)}", text)
        text = _REF_DEFINITION.sub(lambda m: f"{m.group(1)}{link(m.group(2))}{m.group(3) or ''}", text)
        return _HTML_URL.sub(
            lambda m: f"{m.group(1)}{m.group(2)}{(image if m.group(0).lower().startswith('<img') else link)(m.group(3))}{m.group(2)}", text,
        )

    return _outside_code(item.body, rewrite)


_MARKERS = re.compile(r"^(?:\{(?:static|attach|filename)\}|\|(?:static|filename|attach)\|)")


def _image_reference(url: str, item: ImportedItem, path: str, archive: Archive, images: dict[Path, str], plan: ImportPlan) -> str:
    """A local image found in the source is copied under content/images/ and linked relatively; others stay."""
    marked = _MARKERS.match(url)
    bare = url[marked.end():] if marked else url
    parts = urlsplit(bare)
    if parts.scheme or bare.startswith("//"):
        old = url_path(bare, archive.base_url)
        if old is None:
            return url  # another site's image
        bare = old
    found = _find_image(unquote(urlsplit(bare).path), item, archive, marked is not None)
    if found is None:
        if bare.startswith("/") and archive.base_url.startswith(("http://", "https://")):
            plan.images_to_old_site += 1
            return archive.base_url.rstrip("/") + bare
        plan.images_missing.append(f"{item.origin}: {url}")
        return url
    source, relative = found
    target = images.get(source)
    if target is None:
        target = f"{IMAGES_FOLDER}/{relative}"
        existing = plan.site_dir / target
        if existing.exists() and existing.read_bytes() != source.read_bytes():
            stem, dot, extension = target.rpartition(".")
            target = f"{stem}-imported.{extension}" if dot else f"{target}-imported"
        images[source] = target
    return _relative(path, target)


def _find_image(path: str, item: ImportedItem, archive: Archive, from_root: bool) -> tuple[Path, str] | None:
    if not path:
        return None
    candidates: list[Path] = []
    if path.startswith("/") or from_root:
        candidates += [root / path.lstrip("/") for root in archive.image_roots]
    if not path.startswith("/") and item.folder is not None:
        candidates.append(item.folder / path)
    for candidate in candidates:
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError):
            continue
        if not resolved.is_file():
            continue
        for root in (*archive.image_roots, *([item.folder] if item.folder else [])):
            root = root.resolve()
            if resolved.is_relative_to(root):
                relative = resolved.relative_to(root).as_posix()
                return resolved, relative.removeprefix("images/")
    return None


# -- front matter -----------------------------------------------------------------------------------

def yaml_text(value: str) -> str:
    """A YAML double-quoted scalar: JSON's string syntax is YAML's, once every unprintable character is escaped."""
    quoted = json.dumps(value, ensure_ascii=False)
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}" for ch in quoted)


def _yaml_list(values) -> str:
    return "[" + ", ".join(yaml_text(v) for v in values) + "]"


def preheader_of(item: ImportedItem) -> str:
    source = item.summary or _first_paragraph(item.body) or item.title
    text = plain_text(source)
    if len(text) <= PREHEADER_LENGTH:
        return text
    cut = text[: PREHEADER_LENGTH - 1].rsplit(" ", 1)[0]
    return cut + "…"


def _first_paragraph(body: str) -> str:
    for block in re.split(r"\n\s*\n", body):
        block = block.strip()
        if block and not block.startswith(("#", "```", "~~~", "<", "!", "|", "-", "*", ">")):
            return re.sub(r"[*_`\[\]]|\(\S+\)", "", block)
    return ""


def front_matter(item: ImportedItem, kind: str, topics: list[str], image: str | None, aliases: list[str]) -> str:
    lines = ["---", f"title: {yaml_text(item.title)}"]
    if kind != "page":
        lines.append(f"date: {item.date}")
    if kind == "article":
        if item.updated and item.date and item.updated > item.date:
            lines.append(f"updated: {item.updated}")
        if item.summary:
            lines.append(f"summary: {yaml_text(plain_text(item.summary))}")
        if item.authors:
            lines.append(f"authors: {_yaml_list(item.authors)}")
        if topics:
            lines.append(f"topics: {_yaml_list(topics)}")
        if image:
            lines += [f"image: {yaml_text(image)}", f"image_alt: {yaml_text(item.image_alt or '')}"]
    elif kind == "newsletter":
        lines.append(f"preheader: {yaml_text(preheader_of(item))}")
        lines.append("web_only: true  # sent by another tool before the import: no email from this site")
    elif item.summary:
        lines.append(f"summary: {yaml_text(plain_text(item.summary))}")
    if item.draft:
        lines.append("draft: true")
    if aliases:
        lines.append("aliases:  # the old addresses: each redirects here")
        lines += [f"  - {yaml_text(alias)}" for alias in aliases]
    lines.append(_origin_comment(item.origin))
    lines.append("---")
    return "\n".join(lines) + "\n"


# -- site.yaml ----------------------------------------------------------------------------------------

_TOPICS_LINE = re.compile(r"^topics:[ \t]*(#.*)?$", re.M)


def _existing_topics(text: str | None) -> dict[str, str]:
    if text is None:
        return {}
    mapping, _ = load_mapping(text, CONFIG_FILE)
    topics = mapping.values.get("topics") if mapping is not None else None
    return {str(k): str(v) for k, v in topics.items()} if isinstance(topics, dict) else {}


def _plan_config(plan: ImportPlan, archive: Archive, existing: str | None) -> None:
    topic_lines = [f"  {key}: {yaml_text(label)}" for key, label in sorted(plan.topics_added.items())]
    if existing is None:
        plan.config_is_new = True
        plan.config_text = new_site_yaml(archive, topic_lines)
        return
    if not topic_lines:
        return
    updated = _insert_topics(existing, topic_lines)
    if updated is None:
        plan.vocabulary_by_hand = "topics:\n" + "\n".join(topic_lines) + "\n"
        return
    plan.config_text = updated


def _insert_topics(text: str, topic_lines: list[str]) -> str | None:
    """site.yaml with the new topics added, comments and all kept; None when its `topics:` is not a block we can extend."""
    lines = text.split("\n")
    match = _TOPICS_LINE.search(text)
    if match is None:
        if re.search(r"^topics\s*:", text, re.M):
            return None  # `topics: {}` or a flow mapping: not edited by hand here
        body = text if text.endswith("\n") or not text else text + "\n"
        result = body + "topics:  # added by newpower import\n" + "\n".join(topic_lines) + "\n"
    else:
        start = text[: match.start()].count("\n")
        end = start + 1
        last_entry = start
        while end < len(lines) and (not lines[end].strip() or lines[end][:1] in (" ", "\t")):
            if lines[end].strip() and not lines[end].strip().startswith("#"):
                last_entry = end
            end += 1
        indent = re.match(r"[ \t]*", lines[last_entry]).group(0) if last_entry > start else "  "
        new = [indent + line.lstrip() for line in topic_lines]
        result = "\n".join(lines[: last_entry + 1] + new + lines[last_entry + 1 :])
    mapping, problems = load_mapping(result, CONFIG_FILE)
    if mapping is None or problems or not isinstance(mapping.values.get("topics"), dict):
        return None
    return result


def new_site_yaml(archive: Archive, topic_lines: list[str]) -> str:
    base_url = archive.base_url.rstrip("/")
    lines = ["# Made by newpower import from the old site's settings; every key is explained in docs/reference.md."]
    lines.append(f"title: {yaml_text(archive.title or 'Imported archive')}")
    if base_url.startswith(("http://", "https://")):
        lines.append(f"base_url: {yaml_text(base_url)}")
    else:
        lines.append('base_url: "https://example.org"  # the old site gave no absolute address: put this site\'s here')
    description = plain_text(archive.description) if archive.description else ""
    lines.append(f"description: {yaml_text(description or 'An archive brought across with newpower import.')}")
    if archive.timezone:
        lines.append(f"timezone: {yaml_text(archive.timezone)}")
    if topic_lines:
        lines.append("topics:  # the old site's categories and tags, each a topic")
        lines += topic_lines
    return "\n".join(lines) + "\n"


def _replace_config(target: Path, plan: ImportPlan) -> None:
    """site.yaml with the topics added, swapped in whole (a crash leaves the old one), and only if unchanged since planning."""
    if target.read_text(encoding="utf-8") != plan.config_before:
        raise FileExistsError(0, "changed while importing", str(target))
    temporary = target.with_name(f".{target.name}.import-{os.getpid()}")
    try:
        with open(temporary, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(plan.config_text or "")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


# -- writing ------------------------------------------------------------------------------------------

def write_import(plan: ImportPlan) -> list[str]:
    """Write what `plan` holds, never over an existing file; returns the site-relative paths written."""
    written: list[str] = []
    for image in plan.images:
        target = plan.site_dir / image.path
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as handle:  # x: never over a file that appeared meanwhile
            handle.write(image.source.read_bytes())
        written.append(image.path)
    for planned in plan.files:
        target = plan.site_dir / planned.path
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(planned.text)
        written.append(planned.path)
    if plan.config_text is not None:
        target = plan.site_dir / CONFIG_FILE
        if plan.config_is_new:
            with open(target, "x", encoding="utf-8", newline="\n") as handle:
                handle.write(plan.config_text)
        else:
            _replace_config(target, plan)
        written.append(CONFIG_FILE)
    return written
