"""`check --format text|json|github` and `--strict`: the same problems, for people and for machines."""

from __future__ import annotations

import io
import json
from pathlib import Path

from conftest import copy_site, newpower

from newpower_site.core.diagnostics import Diagnostic, error, warning
from newpower_site.cli.report import as_github, as_json, repository_path
from newpower_site.core.diagnostics import fails


def expected_lines(site: Path) -> list[str]:
    return (site / "expected-errors.txt").read_text(encoding="utf-8").splitlines()


def test_json_has_one_object_per_diagnostic_with_every_field(tmp_path: Path) -> None:
    site = copy_site("bad-front-matter", tmp_path)
    run = newpower("check", "--site", site, "--format", "json")
    assert run.code == 1
    objects = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(objects) == len(expected_lines(site))
    assert all(set(o) == {"path", "line", "column", "level", "message", "hint"} for o in objects)
    typo = next(o for o in objects if o["path"] == "content/articles/typo.md" and "tittle" in o["message"])
    assert typo == {
        "path": "content/articles/typo.md", "line": 2, "column": None, "level": "error",
        "message": "unknown key 'tittle'; did you mean 'title'?", "hint": "did you mean 'title'?",
    }
    # The text lines are exactly the contract's, rebuilt from the JSON.
    assert [f"{o['path']}:{o['line']}: {o['level']}: {o['message']}" for o in objects] == expected_lines(site)


def test_github_prints_workflow_commands_on_stdout(tmp_path: Path) -> None:
    site = copy_site("bad-front-matter", tmp_path)
    run = newpower("check", "--site", site.name, "--format", "github", cwd=tmp_path)
    assert run.code == 1
    lines = run.stdout.splitlines()
    assert len(lines) == len(expected_lines(site))
    assert all(line.startswith("::error file=bad-front-matter/content/") for line in lines), "paths from the repository root"
    assert (
        "::error file=bad-front-matter/content/voices/no-quote.md,line=4,title=newpower check::"
        "'movement': 'trade-unions' is not one of the movements in site.yaml (trade-union); did you mean 'trade-union'?"
    ) in lines


def test_yaml_syntax_errors_know_their_column(tmp_path: Path) -> None:
    site = copy_site("bad-front-matter", tmp_path)
    (site / "content/articles/typo.md").write_text("---\ntitle: x\n  date: 2026-01-01\n---\nText.\n", encoding="utf-8")
    run = newpower("check", "--site", site, "--format", "json")
    problem = next(json.loads(line) for line in run.stdout.splitlines() if "typo.md" in line)
    assert (problem["line"], problem["column"]) == (3, 7)
    github = newpower("check", "--site", site, "--format", "github", cwd=site)
    assert "::error file=content/articles/typo.md,line=3,col=7,title=newpower check::invalid YAML" in github.stdout


def with_a_warning(tmp_path: Path) -> Path:
    """A good site plus one Markdown file where no kind lives: a warning, not an error."""
    site = copy_site("realistic", tmp_path)
    (site / "content/drafts").mkdir()
    (site / "content/drafts/idea.md").write_text("---\ntitle: Idea\n---\nLater.\n", encoding="utf-8")
    return site


def test_warnings_pass_unless_strict(tmp_path: Path) -> None:
    site = with_a_warning(tmp_path)
    run = newpower("check", "--site", site)
    assert run.code == 0, run.stderr
    assert "content/drafts/idea.md:1: warning: not read" in run.stderr
    strict = newpower("check", "--site", site, "--strict", "--format", "github")
    assert strict.code == 1
    assert strict.stdout.startswith("::warning file=")
    assert "--strict makes warnings fail" in strict.stderr


def test_strict_build_writes_nothing(tmp_path: Path) -> None:
    site = with_a_warning(tmp_path)
    run = newpower("build", "--site", site, "--strict")
    assert run.code == 1
    assert "build failed with 3 warnings under --strict" in run.stderr, run.stderr  # with the email check's portrait warning and the voice's raw HTML: every problem in one run
    assert not (site / "output").exists()
    assert newpower("build", "--site", site).code == 0
    assert (site / "output/index.html").is_file()


def test_json_keeps_stdout_machine_readable_on_success(tmp_path: Path) -> None:
    site = with_a_warning(tmp_path)
    run = newpower("check", "--site", site, "--format", "json")
    assert run.code == 0
    objects = [json.loads(line) for line in run.stdout.splitlines()]
    assert {o["level"] for o in objects} == {"warning"}
    assert "content/drafts/idea.md" in {o["path"] for o in objects}
    assert run.stderr.startswith("checked ")


def test_github_escapes_what_would_end_a_command() -> None:
    diagnostic = error("content/a,b:c.md", 3, "100% wrong\nsecond line", column=2)
    line = as_github(diagnostic, Path("."))
    assert line == "::error file=content/a%2Cb%3Ac.md,line=3,col=2,title=newpower check::100%25 wrong%0Asecond line"


def test_a_hint_not_in_the_message_is_added_for_github() -> None:
    line = as_github(Diagnostic("site.yaml", 0, "no title", hint="add title: ..."), Path("."))
    assert line == "::error file=site.yaml,title=newpower check::no title (add title: ...)"
    assert json.loads(as_json(warning("a.md", 0, "m")))["line"] is None


def test_fails() -> None:
    assert fails([error("a", 1, "x")], strict=False)
    assert not fails([warning("a", 1, "x")], strict=False)
    assert fails([warning("a", 1, "x")], strict=True)
    assert not fails([], strict=True)


def test_repository_path_outside_the_working_folder_stays_site_relative(tmp_path: Path) -> None:
    assert repository_path("content/a.md", tmp_path / "site", cwd=tmp_path) == "site/content/a.md"
    assert repository_path("content/a.md", tmp_path / "site", cwd=tmp_path / "elsewhere") == "content/a.md"


def test_an_item_that_exists_but_failed_has_errors_and_its_cause_comes_first(tmp_path: Path) -> None:
    """A newsletter featuring a broken voice said the voice "does not exist", and sorted by path it came first."""
    site = copy_site("realistic", tmp_path)
    voice = site / "content/voices/dee-okafor.md"
    voice.write_text(voice.read_text(encoding="utf-8").replace("movement:", "movement: nowhere\nold_movement:", 1), encoding="utf-8")
    run = newpower("check", "--site", site)
    assert run.code == 1
    lines = run.stderr.splitlines()
    cause = next(i for i, line in enumerate(lines) if line.startswith("content/voices/dee-okafor.md:"))
    effect = next(i for i, line in enumerate(lines) if line.startswith("content/newsletters/march-2026.md:"))
    assert cause < effect, lines
    assert lines[effect].endswith("error: featured item 'voices/dee-okafor' has errors (see above) (content/voices/dee-okafor.md)")


def test_what_follows_from_another_problem_is_listed_after_every_cause() -> None:
    from newpower_site.cli.report import in_order

    effect = error("content/a.md", 1, "featured item has errors (see above)", follows=True)
    causes = [error("content/z.md", 3, "bad"), warning("content/m.md", 2, "odd")]
    assert in_order([effect, *causes]) == [causes[1], causes[0], effect]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_on_a_terminal_only_and_never_with_no_color() -> None:
    from newpower_site.cli.report import ReportStyle, wants_colour, write_report

    problems = [error("content/a.md", 3, "bad"), warning("content/b.md", 1, "odd")]
    assert wants_colour(_Terminal(), {}) and not wants_colour(io.StringIO(), {}), "piped or redirected: no colour"
    assert not wants_colour(_Terminal(), {"NO_COLOR": "1"}) and not wants_colour(_Terminal(), {"TERM": "dumb"})
    shown = _Terminal()
    write_report(problems, ReportStyle(colour=True), io.StringIO(), shown)
    assert shown.getvalue().splitlines() == ["content/a.md:3: \033[1;31merror\033[0m: bad", "content/b.md:1: \033[1;33mwarning\033[0m: odd"]
    plain = io.StringIO()
    write_report(problems, ReportStyle(colour=False), io.StringIO(), plain)
    assert plain.getvalue().splitlines() == ["content/a.md:3: error: bad", "content/b.md:1: warning: odd"]


def test_a_real_terminal_gets_colour_and_no_color_turns_it_off(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    site = copy_site("bad-front-matter", tmp_path)
    for environ, coloured in (({}, True), ({"NO_COLOR": "1"}, False)):
        leader, follower = pty.openpty()
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")} | environ
        done = subprocess.run([sys.executable, "-m", "newpower_site", "check", "--site", str(site)], stderr=follower,
                              stdout=subprocess.DEVNULL, env=env, timeout=120)
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        os.close(leader)
        assert done.returncode == 1
        assert (b"\x1b[1;31merror\x1b[0m" in seen) is coloured, seen[:200]
    piped = newpower("check", "--site", site)
    assert "\x1b[" not in piped.stderr and ": error: " in piped.stderr
