"""The commands as an editor meets them: help, version, new, build, check."""

from __future__ import annotations

import re
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import REPO, copy_site, newpower


@pytest.mark.parametrize("command", [[], ["build"], ["check"], ["new"]])
def test_help(command: list[str]) -> None:
    run = newpower(*command, "--help")
    assert run.code == 0
    assert "usage: newpower" in run.stdout


def test_version() -> None:
    run = newpower("--version")
    assert run.code == 0 and run.stdout.startswith("newpower-site ")


def test_unknown_command_is_a_usage_error() -> None:
    run = newpower("bulid")
    assert run.code == 2 and "invalid choice" in run.stderr


def test_missing_site_yaml_is_a_clear_error(tmp_path: Path) -> None:
    run = newpower("build", "--site", tmp_path)
    assert run.code == 1
    assert run.stderr.startswith("site.yaml: error: no site.yaml in")
    assert "Traceback" not in run.stderr


def test_a_new_site_from_scratch_builds(tmp_path: Path) -> None:
    """What the README promises a newcomer: make a site, add items, build it."""
    site = tmp_path / "my-site"
    assert newpower("new", "site", "Our Branch", "--site", site).code == 0
    runs = [
        newpower("new", "article", "Why we’re organising: the café workers", "--site", site),
        newpower("new", "voice", "Asha Patel", "--site", site),
        newpower("new", "newsletter", "December update", "--site", site),
        newpower("new", "page", "About us", "--site", site),
    ]
    assert [r.code for r in runs] == [0, 0, 0, 0], [r.stderr for r in runs]
    article = site / "content/articles/why-were-organising-the-cafe-workers.md"
    assert runs[0].stdout.strip() == f"created {article}"
    today = datetime.now(ZoneInfo("Europe/London")).date().isoformat()
    assert f"date: {today}" in article.read_text(encoding="utf-8")
    assert 'title: "Why we’re organising: the café workers"' in article.read_text(encoding="utf-8")

    # New items are drafts: a plain build publishes none of them yet.
    build = newpower("build", "--site", site)
    assert build.code == 0, build.stderr
    assert build.stdout.startswith("built 0 articles, 0 voices, 0 newsletter issues, 0 pages:")
    assert "(4 draft or future items left out: --drafts, --future)" in build.stdout, "the editor learns why"
    drafts = newpower("build", "--site", site, "--drafts")
    assert drafts.code == 0, drafts.stderr
    assert drafts.stdout.startswith("built 1 article, 1 voice, 1 newsletter issue, 1 page:")
    assert "left out" not in drafts.stdout
    assert (site / "output/voices/asha-patel/index.html").is_file()
    assert (site / "output/about-us/index.html").is_file()


def test_new_never_overwrites(tmp_path: Path) -> None:
    site = tmp_path / "s"
    assert newpower("new", "site", "S", "--site", site).code == 0
    assert newpower("new", "page", "About", "--site", site).code == 0
    page = site / "content/pages/about.md"
    page.write_text("---\ntitle: Mine\n---\nPrecious words.\n", encoding="utf-8")
    run = newpower("new", "page", "About", "--site", site)
    assert run.code == 1 and "already exists" in run.stderr
    assert "Precious words." in page.read_text(encoding="utf-8")
    assert newpower("new", "site", "S", "--site", site).code == 1


def test_new_proposes_the_next_issue_number(tmp_path: Path) -> None:
    site = tmp_path / "s"
    newpower("new", "site", "S", "--site", site)
    newpower("new", "newsletter", "One", "--site", site)
    newpower("new", "newsletter", "Two", "--site", site)
    assert "number: 2" in (site / "content/newsletters/two.md").read_text(encoding="utf-8")


def fill_in_site_yaml(site: Path) -> None:
    """Replace what `new site` left as placeholders, as a new organisation would."""
    from newpower_site.load import placeholders

    config = site / "site.yaml"
    text = config.read_text(encoding="utf-8")
    for placeholder, mine in ((placeholders.SITE_BASE_URL, "https://branch.example.net"), (placeholders.SITE_DESCRIPTION, "Our branch."),
                              (placeholders.SITE_POSTAL_ADDRESS, "1 High Street, Leeds"), (placeholders.SITE_UNSUBSCRIBE, "[unsubscribe]")):
        text = text.replace(placeholder, mine)
    config.write_text(text, encoding="utf-8")


def test_quiet_prints_nothing_on_success(tmp_path: Path) -> None:
    site = tmp_path / "s"
    newpower("new", "site", "S", "--site", site)
    fill_in_site_yaml(site)
    run = newpower("build", "--site", site, "--quiet")
    assert (run.code, run.stdout, run.stderr) == (0, "", "")


def test_new_site_makes_a_folder_named_after_the_title(tmp_path: Path) -> None:
    run = newpower("new", "site", "Test Org", cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert (tmp_path / "test-org/site.yaml").is_file() and not (tmp_path / "site.yaml").exists()
    assert "created test-org/site.yaml" in run.stdout and "newpower serve --site test-org" in run.stdout
    assert newpower("build", "--site", tmp_path / "test-org").code == 0


def test_new_site_never_fills_a_folder_that_is_not_empty_unless_told(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("precious", encoding="utf-8")
    run = newpower("new", "site", "Mine", "--site", mine)
    assert run.code == 1 and run.stderr.startswith(f"newpower new site: error: {mine} is not empty (notes.txt)"), run.stderr
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    forced = newpower("new", "site", "Mine", "--site", mine, "--force")
    assert forced.code == 0, forced.stderr
    assert (mine / "site.yaml").is_file() and (mine / "notes.txt").read_text(encoding="utf-8") == "precious"
    fresh_clone = tmp_path / "clone"
    (fresh_clone / ".git").mkdir(parents=True)
    (fresh_clone / "README.md").write_text("# Our site\n", encoding="utf-8")
    assert newpower("new", "site", "Clone", "--site", fresh_clone).code == 0, "a fresh repository's own files do not count"


def test_placeholders_left_by_new_are_warnings_and_errors_under_strict(tmp_path: Path) -> None:
    site = tmp_path / "s"
    assert newpower("new", "site", "S", "--site", site).code == 0
    built = newpower("build", "--site", site)
    assert built.code == 0, built.stderr
    assert "site.yaml:4: warning: base_url is still the placeholder `newpower new site` wrote ('https://example.org/replace-me')" in built.stderr
    assert "email.postal_address is still the placeholder" in built.stderr and "email.unsubscribe is still the placeholder" in built.stderr
    fill_in_site_yaml(site)
    assert newpower("new", "voice", "Asha Patel", "--site", site).code == 0
    voice = site / "content/voices/asha-patel.md"
    voice.write_text(voice.read_text(encoding="utf-8").replace("draft: true", "draft: false"), encoding="utf-8")
    strict = newpower("build", "--site", site, "--strict")
    assert strict.code == 1 and not (site / "output/voices/asha-patel").exists()
    lines = [line for line in strict.stderr.splitlines() if "asha-patel.md" in line]
    assert any(line.startswith("content/voices/asha-patel.md:") and "'quote' is still the placeholder" in line for line in lines), lines
    assert any("still has the text `newpower new` wrote (\"Write the member's answer here\")" in line for line in lines), lines
    assert "site.yaml" not in strict.stderr, "what was filled in is not reported"


@pytest.mark.parametrize("entry", ["build.py", "-m"])
def test_without_the_libraries_it_says_what_to_run_instead(tmp_path: Path, entry: str) -> None:
    import subprocess
    import venv

    bare = tmp_path / "bare"
    venv.create(bare, with_pip=False)  # a Python with none of the dependencies, as the system's often is
    python = bare / "bin" / "python"
    command = [str(python), str(REPO / "build.py")] if entry == "build.py" else [str(python), "-m", "newpower_site", "build"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert "does not have the libraries newpower-site needs (missing: jinja2" in done.stderr
    assert "make build" in done.stderr and ". .venv/bin/activate" in done.stderr


def test_build_py_builds_this_repository(tmp_path: Path) -> None:
    import subprocess

    done = subprocess.run([sys.executable, str(REPO / "build.py"), "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", "this repository's own content has no warnings"
    assert (tmp_path / "out/index.html").is_file()


@pytest.mark.parametrize("value", ["example.org/x", "ftp://example.org", "https://example.org/?q=1", "https://"])
def test_a_bad_base_url_override_is_refused(tmp_path: Path, value: str) -> None:
    run = newpower("build", "--site", REPO, "--out", tmp_path / "out", "--base-url", value)
    assert run.code == 2 and "argument --base-url" in run.stderr and "absolute http(s) URL" in run.stderr
    assert not (tmp_path / "out").exists()


def test_new_never_names_a_file_the_build_would_refuse(tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert newpower("new", "site", "Names", "--site", site).code == 0
    reserved = newpower("new", "page", "Search", "--site", site)
    assert reserved.code == 1 and "a page cannot be called 'search': /search/ is used by the site itself" in reserved.stderr
    no_latin = newpower("new", "voice", "李小龙", "--site", site)
    assert no_latin.code == 1 and "give one with --slug" in no_latin.stderr
    bad = newpower("new", "page", "About", "--slug", "About Us", "--site", site)
    assert bad.code == 1 and "e.g. about-us" in bad.stderr
    assert not list((site / "content").rglob("*.md")), "nothing written after a refusal"
    named = newpower("new", "voice", "李小龙", "--slug", "li-xiaolong", "--site", site)
    assert named.code == 0, named.stderr
    assert 'name: "李小龙"' in (site / "content/voices/li-xiaolong.md").read_text(encoding="utf-8")
    assert newpower("check", "--site", site, "--drafts").code == 0


def test_the_library_check_reads_the_dependencies_from_the_project_itself() -> None:
    """A hand-kept list drifted (it still named markdown-it-py after the parser changed, so a fresh
    venv refused to run): the check takes pyproject.toml's list, and this venv has all of it."""
    import tomllib

    from newpower_site.cli.needs import missing_dependencies, required_distributions

    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    names = {re.match(r"[A-Za-z0-9._-]+", d).group(0).lower() for d in declared}
    assert {n.lower() for n in required_distributions()} == names
    assert missing_dependencies() == []


def test_the_summary_says_what_a_cached_build_reused(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    first = newpower("build", "--site", site)
    assert first.code == 0, first.stderr
    assert "no earlier output to reuse)" in first.stdout and "the rest from the cache" not in first.stdout
    with (site / "content/articles/bakery-buyout.md").open("a", encoding="utf-8") as handle:
        handle.write("\nOne more line.\n")
    time.sleep(2.1)  # out of the racy window: a save within 2 s of a build's look is checked again by the next
    second = newpower("build", "--site", site)
    assert re.search(r"\(rendered 1 item and \d+ files?, the rest from the cache\)", second.stdout), second.stdout
    third = newpower("build", "--site", site)
    assert third.stdout.rstrip().endswith("(nothing changed)"), third.stdout


def _subparsers(parser):  # argparse keeps a command's parser in its subparsers action's choices
    import argparse

    return next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction)).choices


def _parsed(parser, line: list[str]) -> dict:
    values = vars(parser.parse_args(line))
    run = values.pop("run")
    return {**values, "run": run.__qualname__}


LINES = [
    ["build", "-q"], ["build", "--site", "s", "--out", "o", "--no-cache", "--strict", "--format", "json", "--drafts"],
    ["build", "--base-url", "https://preview.example.org/pr-7", "--quick-search"], ["serve", "--port", "0", "--open"],
    ["check", "--future", "--format", "github"], ["new", "voice", "Asha Patel", "--slug", "asha"], ["new", "site", "S", "--force"],
    ["email", "2026-11", "--text", "--provider", "buttondown"], ["send-test", "2026-11", "--to", "a@example.org", "--timeout", "5"],
    ["import", "hugo", "old-site", "--dry-run"], ["cache", "export", "carried"], ["cache", "import", "carried", "-q"],
]


def test_a_line_naming_a_command_is_parsed_by_that_command_alone_as_by_the_whole_parser() -> None:
    """main() builds only the named command's parser (a build with nothing to do starts sooner): the same
    help, the same values, for every command, and every other line gets the whole parser."""
    from newpower_site.cli.main import COMMANDS, make_parser, named_command

    whole = make_parser()
    assert tuple(_subparsers(whole)) == COMMANDS, "COMMANDS names every command, in the order of --help"
    for command in COMMANDS:
        alone = make_parser(command)
        assert list(_subparsers(alone)) in ([command], ["email", "send-test"])
        assert _subparsers(alone)[command].format_help() == _subparsers(whole)[command].format_help()
        assert alone.format_usage() == whole.format_usage()
    for line in LINES:
        assert named_command(line) == line[0]
        assert _parsed(make_parser(line[0]), line) == _parsed(whole, line), line
    cache_actions = _subparsers(_subparsers(whole)["cache"])
    assert {name: p.format_help() for name, p in _subparsers(_subparsers(make_parser("cache"))["cache"]).items()} == {
        name: p.format_help() for name, p in cache_actions.items()}
    for line in (["--help"], ["--version"], ["bulid"], ["-q", "build"], []):
        assert named_command(line) is None


@pytest.mark.parametrize("line", [["build", "--bogus"], ["build", "--format", "xml"], ["new", "poem", "T"], ["cache"],
                                  ["email"], ["serve", "--port", "99999"]])
def test_a_wrong_line_naming_a_command_fails_as_before(line: list[str]) -> None:
    from newpower_site.cli.main import make_parser

    def failure(parser) -> tuple[int, str]:
        import contextlib
        import io

        err = io.StringIO()
        with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exited:
            parser.parse_args(line)
        return exited.value.code, err.getvalue()

    code, message = failure(make_parser(line[0]))
    assert code == 2 and message
    assert (code, message) == failure(make_parser())
