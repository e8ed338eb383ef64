"""Write a synthetic, spec-shaped site of N items: `python benchmarks/gen_corpus.py N DIR`.

Deterministic: the same N gives the same bytes. Items are about 5 KB of Markdown
with what real articles use: headings, emphasis, lists, links to other items by
file path, footnotes, tables, block quotes and typographic quotes. Of N items,
about 80% are articles, 15% member voices, 5% newsletter issues (each featuring
earlier items), plus two pages.

`gen_corpus.py archive DIR` writes another shape: the archive of a
long-running weekly link newsletter (669 issues, ~30 KB each, hundreds of
links in most and up to ~1,600 in a few), as the importer leaves it
(`web_only: true`: sent by another tool, no email made).
"""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta
from pathlib import Path

WORDS = (
    "power workers union council members share tenants budget community co-operative vote rota shift care "
    "hospital estate solar panels energy library branch steward meeting democracy ownership pay contract "
    "public services residents organise campaign local town city region committee agreement wages housing "
    "rent landlord repair school transport bus depot warehouse scanner data rights decision plan money "
    "year month week morning evening people families children neighbours trust history future present "
    "story change work time place voice hand room table question answer reason result"
).split()
TOPICS = ("workplace", "community", "public-services")
MOVEMENTS = ("trade-union", "co-operative", "local-government", "community")
FIRST = "Asha Dee Sam Grace Marek Rhian Tariq Morag Ruth Helen Owen Priya Kwame Lena Tom Ines".split()
LAST = "Patel Okafor Hughes Nowak Howells Hussain Sinclair Marsh Evans Shah Mensah Kowalski Byrne Silva".split()
START = date(2010, 1, 4)

SITE_YAML = """title: The New Power Project (benchmark)
base_url: https://bench.example.org
description: A synthetic site for timing builds.
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
  provider: mailchimp
  postal_address: "The New Power Project, 12 Example Yard, London N1 0XX, United Kingdom"
"""


def sentence(rng: random.Random, words: int | None = None) -> str:
    chosen = [rng.choice(WORDS) for _ in range(words or rng.randint(8, 20))]
    text = " ".join(chosen)
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, links: list[str], note: list[int]) -> str:
    parts = [sentence(rng) for _ in range(rng.randint(3, 6))]
    roll = rng.random()
    if roll < 0.25 and links:
        target = rng.choice(links)
        parts[1] = f"As [{rng.choice(WORDS)} {rng.choice(WORDS)}]({target}) showed, " + parts[1][0].lower() + parts[1][1:]
    elif roll < 0.4:
        parts[0] = f"“{parts[0][:-1]},” she said. " + f"It's *{rng.choice(WORDS)}* and **{rng.choice(WORDS)}**."
    elif roll < 0.5:
        note[0] += 1
        parts[-1] = parts[-1][:-1] + f".[^n{note[0]}]"
    elif roll < 0.55:
        parts[2 % len(parts)] += f" See <https://example.org/{rng.choice(WORDS)}> or ~~{rng.choice(WORDS)}~~ `{rng.choice(WORDS)}`."
    return " ".join(parts)


def body(rng: random.Random, links: list[str], target_bytes: int, question_headings: bool = False) -> str:
    blocks: list[str] = []
    note = [0]
    size = 0
    while size < target_bytes:
        roll = rng.random()
        if question_headings and (not blocks or roll < 0.18):
            block = f"## {sentence(rng, rng.randint(4, 8))[:-1]}?"
        elif roll < 0.08:
            block = f"## {sentence(rng, rng.randint(2, 5))[:-1]}"
        elif roll < 0.16:
            block = "\n".join(f"- {sentence(rng, rng.randint(4, 10))}" for _ in range(rng.randint(3, 5)))
        elif roll < 0.2:
            block = "\n".join(f"{n}. {sentence(rng, rng.randint(4, 10))}" for n in range(1, rng.randint(3, 5)))
        elif roll < 0.24:
            block = "> " + sentence(rng, rng.randint(12, 24))
        elif roll < 0.26:
            rows = [f"| {rng.choice(WORDS)} | {rng.randint(1, 999)} | {rng.randint(1, 99)}% |" for _ in range(rng.randint(2, 4))]
            block = "\n".join(["| item | number | share |", "|---|---:|---:|", *rows])
        else:
            block = paragraph(rng, links, note)
        blocks.append(block)
        size += len(block) + 2
    blocks += [f"[^n{n}]: {sentence(rng, 8)}" for n in range(1, note[0] + 1)]
    return "\n\n".join(blocks) + "\n"


def title(rng: random.Random) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7)))
    return text[0].upper() + text[1:]


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generate(n: int, site: Path) -> None:
    rng = random.Random(n * 7919 + 1)
    n_voices = max(1, n * 15 // 100)
    n_news = max(1, n * 5 // 100)
    n_articles = max(1, n - n_voices - n_news)
    for folder in ("articles", "voices", "newsletters", "pages"):
        (site / "content" / folder).mkdir(parents=True, exist_ok=True)
    (site / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    span = (date(2026, 10, 31) - START).days
    articles = [f"a{i:05d}-{rng.choice(WORDS)}" for i in range(n_articles)]
    voices = [f"v{i:05d}-{rng.choice(FIRST).lower()}" for i in range(n_voices)]
    written: list[str] = []  # refs of earlier items, for links and featured lists

    def when(i: int, count: int) -> date:
        return START + timedelta(days=span * i // max(1, count))

    def links_from(folder: str) -> list[str]:
        return [f"../{ref}.md" for ref in rng.sample(written, min(len(written), 4))] if written else []

    for i, slug in enumerate(articles):
        topics = rng.sample(TOPICS, rng.randint(1, 2))
        authors = ", ".join(quoted(f"{first} {rng.choice(LAST)}") for first in rng.sample(FIRST, rng.randint(1, 2)))
        front = [
            "---", f"title: {quoted(title(rng))}", f"date: {when(i, n_articles).isoformat()}",
            f"authors: [{authors}]", f"topics: [{', '.join(topics)}]", "---", "",
        ]
        text = "\n".join(front) + body(rng, links_from("articles"), 4600)
        (site / "content/articles" / f"{slug}.md").write_text(text, encoding="utf-8")
        written.append(f"articles/{slug}")
    for i, slug in enumerate(voices):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        front = [
            "---", f"name: {quoted(name)}", f"role: {quoted('Shop steward, ' + rng.choice(LAST) + ' branch')}",
            f"movement: {rng.choice(MOVEMENTS)}", f"date: {when(i, n_voices).isoformat()}",
            f"quote: {quoted(sentence(rng, 16))}", f"location: {quoted(rng.choice(LAST) + 'ton')}",
            f"topics: [{rng.choice(TOPICS)}]", "---", "",
        ]
        text = "\n".join(front) + f"*{sentence(rng, 20)}*\n\n" + body(rng, links_from("voices"), 4400, question_headings=True)
        (site / "content/voices" / f"{slug}.md").write_text(text, encoding="utf-8")
    voice_refs = [f"voices/{slug}" for slug in voices]
    for i in range(n_news):
        day = when(i, n_news)
        pool = [r for r in written + voice_refs if r.startswith("articles/")][: max(1, (i + 1) * len(articles) // n_news)]
        featured = rng.sample(pool, min(len(pool), 3)) + rng.sample(voice_refs[: max(1, (i + 1) * len(voices) // n_news)], 1)
        front = [
            "---", f"title: {quoted(f'Issue {i + 1}: ' + title(rng))}", f"date: {day.isoformat()}",
            f"preheader: {quoted(sentence(rng, 14))}", f"number: {i + 1}", "featured:",
            *[f"  - {ref}" for ref in featured], "---", "",
        ]
        text = "\n".join(front) + "Dear friends,\n\n" + body(rng, [f"../{r}.md" for r in featured], 2500)
        (site / "content/newsletters" / f"n{i:05d}.md").write_text(text, encoding="utf-8")
    for slug, heading in (("about", "About us"), ("subscribe", "Subscribe")):
        text = f"---\ntitle: {quoted(heading)}\n---\n\n" + body(rng, [], 1500)
        (site / "content/pages" / f"{slug}.md").write_text(text, encoding="utf-8")


# -- the archive of a long-running weekly link newsletter ---------------------------------------------

ARCHIVE_ISSUES = 669
ARCHIVE_START = date(2012, 1, 6)
SECTIONS = ("Articles and tutorials", "Projects and tools", "Talks and videos", "From the community", "Jobs", "Events")
HOSTS = tuple(f"{name}.example.{tld}" for name in (
    "blog", "news", "dev", "labs", "notes", "journal", "weekly", "docs", "research", "press", "forum", "code",
) for tld in ("org", "net", "com"))


def link(rng: random.Random, year: int) -> str:
    """An outside address shaped like a real post's: host, date path and a slug of words."""
    slug = "-".join(rng.choice(WORDS) for _ in range(rng.randint(2, 4)))
    return f"https://{rng.choice(HOSTS)}/{year}/{rng.randint(1, 12):02d}/{slug}"


def short_title(rng: random.Random) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 5)))
    return text[0].upper() + text[1:]


def link_count(rng: random.Random) -> int:
    """Most issues carry a few hundred links; about one in twenty-five is a bumper issue of up to ~1,600."""
    return rng.randint(1200, 1600) if rng.random() < 0.04 else rng.randint(120, 330)


def archive_issue(rng: random.Random, number: int, day: date) -> str:
    """One issue: an intro, sections of linked items with a line each, and an "in brief" run of bare links."""
    links = link_count(rng)
    listed = links * 7 // 10 if links < 1000 else 400
    intro = (f"Welcome to issue {number}. {sentence(rng)} [{title(rng)}]({link(rng, day.year)}) {sentence(rng)} "
             + (f"Last week's issue is [here](../newsletters/issue-{number - 1:04d}.md). " if number > 1 else "")
             + sentence(rng))
    blocks = [intro]
    per_section = max(1, listed // len(SECTIONS))
    for heading in SECTIONS:
        blocks.append(f"## {heading}")
        blocks.append("\n".join(
            f"- [{short_title(rng)}]({link(rng, day.year)}) — {sentence(rng, rng.randint(4, 9))}"
            + (f" (`{rng.choice(WORDS)}`)" if rng.random() < 0.1 else "")
            for _ in range(per_section)
        ))
    brief = links - 1 - per_section * len(SECTIONS)
    blocks.append("## In brief")
    for start in range(0, brief, 12):
        run_ = [f"[{rng.choice(WORDS)} {rng.choice(WORDS)}]({link(rng, day.year)})" for _ in range(min(12, brief - start))]
        blocks.append(", ".join(run_) + ".")
    blocks.append(f"Thanks for reading. {sentence(rng)}")
    return "\n\n".join(blocks) + "\n"


def generate_archive(site: Path, issues: int = ARCHIVE_ISSUES) -> None:
    """The archive of a weekly link newsletter, imported: `issues` web-only issues a week apart, ~30 KB each."""
    rng = random.Random(669)
    (site / "content/newsletters").mkdir(parents=True, exist_ok=True)
    (site / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    for i in range(issues):
        number, day = i + 1, ARCHIVE_START + timedelta(weeks=i)
        front = [
            "---", f"title: {quoted(f'Issue {number}: ' + title(rng))}", f"date: {day.isoformat()}",
            f"number: {number}", "web_only: true", "---", "",
        ]
        text = "\n".join(front) + archive_issue(rng, number, day)
        (site / "content/newsletters" / f"issue-{number:04d}.md").write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not (argv[0].isdigit() or argv[0] == "archive"):
        print("usage: gen_corpus.py N DIR | gen_corpus.py archive DIR", file=sys.stderr)
        return 2
    site = Path(argv[1])
    if site.exists() and any(site.iterdir()):
        print(f"gen_corpus.py: {site} is not empty", file=sys.stderr)
        return 2
    if argv[0] == "archive":
        generate_archive(site)
    else:
        generate(int(argv[0]), site)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
