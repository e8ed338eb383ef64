"""`newpower new`: start a new item, or a new site, with front matter that teaches.

The file it writes builds as it is (every required key has a value an editor
will recognise as a placeholder, and it is a draft), so an editor sees their
draft in the preview at once. Every field of the kind is written out with a
comment above it saying what it is for, taken from the schema, so nobody needs
the reference open to know what a voice or an issue can say.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from newpower_site.load import placeholders
from newpower_site.core.layout import CONFIG_FILE
from newpower_site.core.siteconfig import SiteConfig
from newpower_site.load.content import markdown_slug, read_item, walk_sources
from newpower_site.core.dates import MONTHS
from newpower_site.core.model import Item, Newsletter
from newpower_site.load.schema import KIND_BY_NAME, KINDS, Field, Kind
from newpower_site.core.slugs import is_valid_slug, slugify
from newpower_site.core.urls import RESERVED_NAMES

_INTRODUCTIONS = {
    "article": "An article: an essay or a report.",
    "voice": "A member voice: an interview, in the member's own words. Publish it only with the member's\n"
    "# consent to the final text (and to the portrait, if any): show them the preview first.",
    "newsletter": "A newsletter issue: the web archive page and the email are both made from this file.",
    "page": "A stand-alone page, such as About or Subscribe.",
}

_VOICE_BODY = f"""\
## What got you involved?

{placeholders.VOICE_ANSWER}, in their words. Each `##` line is a question;
the text under it is the answer. Tidy the transcript, but keep their voice.

## What has changed where you work or live?

{placeholders.VOICE_LATER_ANSWER} Use the strongest sentence as the `quote` above.

## What would you say to someone thinking of getting involved?

{placeholders.VOICE_LATER_ANSWER} Three to six questions is a good length.
"""


@dataclass(frozen=True, slots=True)
class Scaffold:
    """A file `newpower new` is about to write: where, and what."""

    path: Path  # the file to write
    text: str


def quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def explain(field: Field, config: SiteConfig) -> str:
    """The comment above a field: required or optional, and what it is for."""
    need = "required" if field.required else "optional"
    text = f"# {field.name} ({need}): {field.help}"
    vocabulary = {"topics": config.topics, "movements": config.movements}.get(field.vocabulary or "")
    if vocabulary is not None:
        which = "any of" if field.type == "key_list" else "one of"
        text += f"; {which}: {', '.join(vocabulary)}" if vocabulary else f" (none yet: add {field.vocabulary} to site.yaml)"
    if field.type == "image":
        text += "\n#   e.g. ../images/photo.jpg (a file under content/images/) or an https:// address"
    return text


def front_matter(kind: Kind, values: Mapping[str, str], config: SiteConfig) -> str:
    """Every field of `kind`, each under its comment; fields without a value are left empty (YAML null)."""
    lines = ["---", f"# {_INTRODUCTIONS[kind.name]}", "# Lines starting with # are notes for you: they never appear on the site.", ""]
    for field in kind.fields:
        lines.append(explain(field, config))
        value = values.get(field.name, "")
        lines.append(f"{field.name}: {value}".rstrip())
    lines.append("---")
    return "\n".join(lines) + "\n\n"


class ScaffoldError(Exception):
    """A new file that could not be named; the message says what to do instead."""


def file_slug(kind: str, title: str, slug: str | None = None) -> str:
    """The new file's slug: `--slug` when given, else made from the title; never one a build would refuse."""
    chosen = slug if slug is not None else slugify(title, fallback="")
    if not chosen:
        raise ScaffoldError(f"cannot make a file name from {title!r} (only a-z, 0-9 and hyphens are used): give one with --slug")
    if not is_valid_slug(chosen):
        raise ScaffoldError(f"--slug {chosen!r}: use lower-case a-z, 0-9 and hyphens, e.g. {slugify(chosen, 'my-page')}")
    if kind == "page" and chosen in RESERVED_NAMES:
        raise ScaffoldError(f"a page cannot be called {chosen!r}: /{chosen}/ is used by the site itself; choose another title or --slug")
    return chosen


def scaffold_item(kind: str, title: str | None, site_dir: Path, config: SiteConfig, now: datetime, slug: str | None = None) -> Scaffold:
    """The new file for `kind`. Only a newsletter issue may go without a title: it proposes the month's."""
    if kind == "newsletter":
        return scaffold_newsletter(title, site_dir, config, now, slug)
    today = now.astimezone(config.timezone).date()
    if not title:
        raise ValueError(f"a new {kind} needs a title")
    if kind == "article":
        values = {"title": quoted(title), "date": today.isoformat(), "authors": "[]", "topics": "[]", "draft": "true"}
        body = f"{placeholders.ARTICLE_BODY} It is the summary on cards and in feeds unless you set `summary`.\n\n## A heading\n\nMore text.\n"
    elif kind == "voice":
        values = {
            "name": quoted(title), "role": quoted(placeholders.VOICE_ROLE),
            "movement": next(iter(config.movements), "MOVEMENT-KEY"), "date": today.isoformat(),
            "quote": quoted(placeholders.VOICE_QUOTE), "topics": "[]", "draft": "true",
        }
        body = _VOICE_BODY
    else:
        values = {"title": quoted(title), "draft": "true"}
        body = f"{placeholders.PAGE_BODY}\n"
    text = front_matter(KIND_BY_NAME[kind], values, config) + body
    return Scaffold(site_dir / "content" / KIND_BY_NAME[kind].folder / f"{file_slug(kind, title, slug)}.md", text)


def _read_items(site_dir: Path, config: SiteConfig, folder: str) -> list[Item]:
    """Every readable item of one folder, drafts included; files with problems are skipped (check reports them)."""
    files, _ = walk_sources(site_dir, f"content/{folder}")
    kind = next(k for k in KIND_BY_NAME.values() if k.folder == folder)
    items = []
    for file in files:
        if markdown_slug(file.path.name) is not None:
            item, _ = read_item(file, kind, config)
            if item is not None:
                items.append(item)
    return items


def next_month(day: date) -> tuple[int, int]:
    return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)


def scaffold_newsletter(title: str | None, site_dir: Path, config: SiteConfig, now: datetime, slug: str | None = None) -> Scaffold:
    """Propose the next issue: its number, its month, and what was published since the last issue.

    The month is this month, or the one after the last issue's when this
    month already has one. The articles and voices published since the last
    issue are listed as commented-out `featured` entries: the editor removes
    the `#` from the ones the issue features, in the order they want.
    """
    today = now.astimezone(config.timezone).date()
    issues = [item for item in _read_items(site_dir, config, "newsletters") if isinstance(item, Newsletter)]
    numbers = [issue.number for issue in issues if issue.number]
    number = max(numbers) + 1 if numbers else len(issues) + 1
    sent = sorted((i for i in issues if not i.draft and i.date and i.date <= now), key=lambda i: i.date)
    last = sent[-1] if sent else None
    year, month = (today.year, today.month)
    if last and last.date and (last.date.astimezone(config.timezone).year, last.date.astimezone(config.timezone).month) >= (year, month):
        year, month = next_month(last.date.astimezone(config.timezone).date())
    month_title = f"{MONTHS[month - 1]} {year}"
    # The date matches the month: an issue for a later month is dated its first day, not today.
    issue_date = today if (year, month) == (today.year, today.month) else date(year, month, 1)

    def since_last(item: Item) -> bool:
        return last is None or last.date is None or item.date is None or item.date > last.date

    recent = [item for folder in ("articles", "voices") for item in _read_items(site_dir, config, folder) if since_last(item)]
    candidates = sorted((i for i in recent if not i.draft and i.date and i.date <= now), key=lambda i: (i.date, i.ref))
    waiting = sorted((i for i in recent if i.draft), key=lambda i: i.ref)
    since = f"since the last issue ({last.title}, {last.date.date().isoformat()})" if last and last.date else "so far"
    if candidates:
        width = max(len(i.ref) for i in candidates)
        notes = [f"# Published {since}; remove the # in front of each one to feature, in the order you want:"]
        notes += [f"#  - {item.ref.ljust(width)}  # {item.title}, {item.date.date().isoformat()}" for item in candidates]
        featured = ""
    else:
        notes = [f"# Nothing has been published {since}; add articles/SLUG or voices/SLUG lines as - items."]
        featured = "[]"
    if waiting:
        notes.append("# Waiting as drafts (set draft: false in each to publish it, then feature it here):")
        notes += [f"#    {item.ref}  # {item.title}" for item in waiting]
    featured_notes = "\n".join(notes)
    values = {
        "title": quoted(title or month_title),
        "date": issue_date.isoformat(),
        "preheader": quoted(placeholders.ISSUE_PREHEADER),
        "number": str(number),
        "featured": featured,
        "draft": "true",
    }
    text = front_matter(KIND_BY_NAME["newsletter"], values, config)
    if candidates:  # the commented entries go under `featured:`, where the editor will uncomment them
        text = text.replace("\nfeatured:\n", "\nfeatured:\n" + featured_notes + "\n", 1)
    else:
        text = text.replace("\nfeatured: []\n", "\n" + featured_notes + "\nfeatured: []\n", 1)
    body = f"Dear members,\n\n{placeholders.ISSUE_BODY}: what it is about and why it matters now.\n"
    name = file_slug("newsletter", title or "", slug) if (title or slug) else f"{year}-{month:02d}"
    return Scaffold(site_dir / "content" / "newsletters" / f"{name}.md", text + body)


def scaffold_site(title: str, site_dir: Path) -> list[Scaffold]:
    config = f"""# Settings of this site: see the newpower-site README and docs/reference.md for every key.
# The build warns about every value below that is still a placeholder.
title: {quoted(title)}
base_url: {placeholders.SITE_BASE_URL}
description: {quoted(placeholders.SITE_DESCRIPTION)}
language: en-GB
timezone: Europe/London
per_page: 10
feed_items: 20
topics:
  workplace: Power at work
  community: Community power
  public-services: Public services
movements:
  trade-union: Trade unions
  co-operative: Co-operatives
  local-government: Local government
  community: Community organising
email:
  # Your mailing tool: mailchimp, buttondown, listmonk or campaign-monitor (docs/email.md);
  # or generic for any other, with `unsubscribe` set to that tool's unsubscribe merge tag.
  provider: generic
  unsubscribe: {quoted(placeholders.SITE_UNSUBSCRIBE)}
  postal_address: {quoted(placeholders.SITE_POSTAL_ADDRESS)}
"""
    files = [Scaffold(site_dir / CONFIG_FILE, config)]
    files += [Scaffold(site_dir / "content" / kind.folder / ".keep", "") for kind in KINDS]
    files.append(Scaffold(site_dir / ".gitignore", "output/\n.newpower-cache/\n"))
    return files


# What may already be in a folder `new site` fills without --force: a fresh `git init` or clone's own files.
EMPTY_ENOUGH = frozenset({".git", ".gitignore", ".gitattributes", "README.md", "LICENSE"})


def site_folder_name(title: str) -> str:
    """`new site "Test Org"` makes test-org/, as `hugo new site X` makes X/."""
    name = slugify(title, fallback="")
    if not name:
        raise ScaffoldError(f"cannot make a folder name from {title!r} (only a-z, 0-9 and hyphens are used): name one with --site")
    return name


def refuse_a_full_folder(site_dir: Path, force: bool) -> None:
    """A folder that holds anything but a fresh repository's files is not filled unless --force says so."""
    if site_dir.exists() and not site_dir.is_dir():
        raise ScaffoldError(f"{site_dir} is a file, not a folder: name another with --site")
    if force or not site_dir.is_dir():
        return
    present = sorted(entry.name for entry in site_dir.iterdir() if entry.name not in EMPTY_ENOUGH)
    if present:
        shown = ", ".join(present[:3]) + (", …" if len(present) > 3 else "")
        raise ScaffoldError(f"{site_dir} is not empty ({shown}): name a new folder with --site, or add --force to "
                            "add the site's files beside what is there (nothing is overwritten)")


def write_new(scaffolds: list[Scaffold]) -> list[Path]:
    """Write files that do not exist yet; never overwrite. Returns what was written."""
    clashes = [s.path for s in scaffolds if s.path.exists() and s.text]
    if clashes:
        raise FileExistsError(clashes[0])
    written = []
    for scaffold in scaffolds:
        if scaffold.path.exists():
            continue
        scaffold.path.parent.mkdir(parents=True, exist_ok=True)
        with open(scaffold.path, "x", encoding="utf-8") as handle:
            handle.write(scaffold.text)
        written.append(scaffold.path)
    return written
