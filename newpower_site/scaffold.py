"""`newpower new`: start a new item, or a new site, with valid front matter.

The file it writes builds as it is (every required key has a value an editor
will recognise as a placeholder), so an editor sees their draft in the
preview at once and replaces the placeholders at leisure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from newpower_site.config import CONFIG_FILE, SiteConfig
from newpower_site.schema import KIND_BY_NAME
from newpower_site.slugs import slugify

KINDS = ("article", "voice", "newsletter", "page")


@dataclass(frozen=True, slots=True)
class Scaffold:
    path: Path  # the file to write
    text: str


def quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def scaffold_item(kind: str, title: str, site_dir: Path, config: SiteConfig, now: datetime) -> Scaffold:
    slug = slugify(title)
    folder = KIND_BY_NAME[kind].folder
    today = now.astimezone(config.timezone).date().isoformat()
    if kind == "article":
        front = [f"title: {quoted(title)}", f"date: {today}", 'summary: "One or two sentences that say what this is about."', "authors: []", "topics: []", "draft: true"]
        body = "Write the first paragraph here. It is the summary on cards and in feeds unless you set `summary`.\n\n## A heading\n\nMore text.\n"
    elif kind == "voice":
        movement = next(iter(config.movements), "MOVEMENT-KEY")
        front = [
            f"name: {quoted(title)}", 'role: "Their role, Their organisation"', f"movement: {movement}", f"date: {today}",
            'quote: "The sentence from the interview that says it best."', 'location: "Town"', "topics: []", "draft: true",
        ]
        body = "## What does power mean to you?\n\nTheir answer, in their words.\n\n## What has changed where you are?\n\nTheir answer.\n\n## What would you tell someone starting out?\n\nTheir answer.\n"
    elif kind == "newsletter":
        existing = sorted((site_dir / "content" / folder).glob("*.md"))
        front = [
            f"title: {quoted(title)}", f"date: {today}", 'preheader: "The line people see in their inbox before they open the email."',
            f"number: {len(existing) + 1}", "featured: []", "draft: true",
        ]
        body = "Dear members,\n\nThe editor's introduction to this issue.\n"
    else:
        front = [f"title: {quoted(title)}", "draft: true"]
        body = "The page's text.\n"
    text = "---\n" + "\n".join(front) + "\n---\n\n" + body
    return Scaffold(site_dir / "content" / folder / f"{slug}.md", text)


def scaffold_site(title: str, site_dir: Path) -> list[Scaffold]:
    config = f"""# Settings of this site: see the newpower-site README for every key.
title: {quoted(title)}
base_url: https://example.org
description: "One sentence about this site."
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
  provider: generic
  postal_address: "Your organisation, street, town, postcode"
"""
    files = [Scaffold(site_dir / CONFIG_FILE, config)]
    files += [Scaffold(site_dir / "content" / KIND_BY_NAME[k].folder / ".keep", "") for k in KINDS]
    files.append(Scaffold(site_dir / ".gitignore", "output/\n"))
    return files


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
