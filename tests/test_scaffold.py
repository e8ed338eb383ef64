"""`newpower new` writes files that teach: every field explained, and a newsletter issue proposed from the site."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import yaml
from conftest import newpower

from newpower_site.load.config import load_config
from newpower_site.cli.scaffold import scaffold_item
from newpower_site.load.schema import KIND_BY_NAME


def new_site(tmp_path: Path) -> Path:
    site = tmp_path / "s"
    assert newpower("new", "site", "Our Branch", "--site", site).code == 0
    return site


def front_matter_text(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("---\n")[1]


def test_a_new_voice_explains_every_field_and_sketches_the_interview(tmp_path: Path) -> None:
    site = new_site(tmp_path)
    assert newpower("new", "voice", "Asha Patel", "--site", site).code == 0
    path = site / "content/voices/asha-patel.md"
    text = front_matter_text(path)
    lines = text.splitlines()
    for field in KIND_BY_NAME["voice"].fields:
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{field.name}:"))
        comment = next(line for line in reversed(lines[:at]) if not line.startswith("#   "))
        need = "required" if field.required else "optional"
        assert comment == f"# {field.name} ({need}): {field.help}" or comment.startswith(f"# {field.name} ({need}): {field.help};"), field.name
    values = yaml.safe_load(text)
    assert values["name"] == "Asha Patel" and values["draft"] is True and values["movement"] == "trade-union"
    assert "consent" in text
    body = path.read_text(encoding="utf-8").split("---\n", 2)[2]
    assert len(re.findall(r"^## .+\?$", body, flags=re.MULTILINE)) == 3, "three example questions"
    check = newpower("check", "--site", site, "--drafts")
    assert check.code == 0, check.stderr
    assert "content/voices/asha-patel.md" in check.stderr and "placeholder" in check.stderr, "published as it is, it would be warned about"


def test_a_voice_needs_a_name(tmp_path: Path) -> None:
    site = new_site(tmp_path)
    run = newpower("new", "voice", "--site", site)
    assert run.code == 2 and 'newpower new voice "' in run.stderr


def publish(site: Path, folder: str, slug: str, front: str) -> None:
    (site / "content" / folder / f"{slug}.md").write_text(f"---\n{front}---\nText.\n", encoding="utf-8")


def test_a_new_newsletter_proposes_number_month_and_what_to_feature(tmp_path: Path) -> None:
    site = new_site(tmp_path)
    publish(site, "newsletters", "2026-10", 'title: "October 2026"\ndate: 2026-10-05\npreheader: p\nnumber: 6\nfeatured: [articles/old]\n')
    publish(site, "articles", "old", "title: Before the last issue\ndate: 2026-10-01\n")
    publish(site, "articles", "fresh", "title: Fresh news\ndate: 2026-10-20\n")
    publish(site, "voices", "asha", "name: Asha\nrole: Steward\nmovement: trade-union\ndate: 2026-11-02\nquote: Q\n")
    publish(site, "articles", "unfinished", "title: A draft\ndate: 2026-10-21\ndraft: true\n")
    publish(site, "articles", "later", "title: Not out yet\ndate: 2030-01-01\n")
    config, _ = load_config(site)
    assert config is not None

    scaffold = scaffold_item("newsletter", None, site, config, datetime(2026, 11, 25, 12, tzinfo=UTC))
    assert scaffold.path == site / "content/newsletters/2026-11.md", "this month has no issue yet"
    values = yaml.safe_load(scaffold.text.split("---\n")[1])
    assert (values["title"], values["number"], values["featured"], values["draft"]) == ("November 2026", 7, None, True)
    commented = re.findall(r"^#  - (\S+)\s+# (.+)$", scaffold.text, flags=re.MULTILINE)
    assert commented == [("articles/fresh", "Fresh news, 2026-10-20"), ("voices/asha", "Asha, 2026-11-02")]
    assert "since the last issue (October 2026, 2026-10-05)" in scaffold.text

    # Once November has its issue, the next one is December's.
    publish(site, "newsletters", "2026-11", 'title: "November 2026"\ndate: 2026-11-03\npreheader: p\nnumber: 7\n')
    scaffold = scaffold_item("newsletter", None, site, config, datetime(2026, 11, 25, 12, tzinfo=UTC))
    assert scaffold.path.name == "2026-12.md"
    assert yaml.safe_load(scaffold.text.split("---\n")[1])["title"] == "December 2026"
    assert "Nothing has been published since the last issue" in scaffold.text


def test_the_proposed_newsletter_passes_check_and_featuring_works_by_uncommenting(tmp_path: Path) -> None:
    site = new_site(tmp_path)
    publish(site, "articles", "fresh", "title: Fresh news\ndate: 2026-10-20\n")
    run = newpower("new", "newsletter", "--site", site)
    assert run.code == 0, run.stderr
    (path,) = (site / "content/newsletters").glob("*.md")
    assert re.fullmatch(r"\d{4}-\d{2}\.md", path.name)
    check = newpower("check", "--site", site, "--drafts")
    assert check.code == 0 and "error" not in check.stderr, check.stderr
    path.write_text(path.read_text(encoding="utf-8").replace("#  - articles/fresh", "  - articles/fresh"), encoding="utf-8")
    assert newpower("check", "--site", site, "--drafts").code == 0
    built = newpower("build", "--site", site, "--drafts")
    assert built.code == 0, built.stderr
    issue = (site / "output/newsletter" / path.stem / "index.html").read_text(encoding="utf-8")
    assert "Fresh news" in issue


def test_the_proposed_issue_is_dated_in_its_own_month_and_names_waiting_drafts(tmp_path: Path) -> None:
    """After December's issue it proposed "January 2027" dated 2026-12-01, and said nothing was published, with a draft waiting."""
    site = new_site(tmp_path)
    config, _ = load_config(site)
    publish(site, "newsletters", "2026-12", 'title: "December 2026"\ndate: 2026-12-01\npreheader: p\nnumber: 8\n')
    publish(site, "articles", "in-progress", "title: Still being written\ndate: 2026-12-05\ndraft: true\n")
    scaffold = scaffold_item("newsletter", None, site, config, datetime(2026, 12, 10, 12, tzinfo=UTC))
    values = yaml.safe_load(scaffold.text.split("---\n")[1])
    assert (scaffold.path.name, values["title"], str(values["date"])) == ("2027-01.md", "January 2027", "2027-01-01")
    assert "Nothing has been published since the last issue (December 2026, 2026-12-01)" in scaffold.text
    assert "# Waiting as drafts (set draft: false in each to publish it, then feature it here):" in scaffold.text
    assert "#    articles/in-progress  # Still being written" in scaffold.text
    this_month = scaffold_item("newsletter", None, site, config, datetime(2027, 1, 3, 12, tzinfo=UTC))
    assert str(yaml.safe_load(this_month.text.split("---\n")[1])["date"]) == "2027-01-03", "today, when the month is this one"
