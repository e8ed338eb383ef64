"""Each tests/sites/bad-* folder holds one class of mistake and the exact
stderr lines it must produce: clear PATH:LINE errors, exit 1, no traceback,
and no output written."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SITES, copy_site, newpower

BAD_SITES = sorted(p.name for p in SITES.glob("bad-*"))


@pytest.mark.parametrize("name", BAD_SITES)
def test_bad_site_reports_every_problem_and_writes_nothing(name: str, tmp_path: Path) -> None:
    site = copy_site(name, tmp_path)
    expected = (site / "expected-errors.txt").read_text(encoding="utf-8").splitlines()
    run = newpower("build", "--site", site)
    assert run.code == 1
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert lines[:-1] == expected
    assert lines[-1].startswith("newpower: build failed with")
    assert not (site / "output").exists()


@pytest.mark.parametrize("name", BAD_SITES)
def test_check_reports_the_same_problems(name: str, tmp_path: Path) -> None:
    site = copy_site(name, tmp_path)
    expected = (site / "expected-errors.txt").read_text(encoding="utf-8").splitlines()
    run = newpower("check", "--site", site)
    lines = run.stderr.splitlines()
    assert (run.code, lines[:-1]) == (1, expected)
    assert lines[-1] == f"newpower: check failed with {len(expected)} error{'s' if len(expected) != 1 else ''}"  # as build ends


def test_every_bad_site_has_expected_errors() -> None:
    assert len(BAD_SITES) >= 8
    for name in BAD_SITES:
        lines = (SITES / name / "expected-errors.txt").read_text(encoding="utf-8").splitlines()
        assert lines, name
        for line in lines:
            path, line_number, level, _ = line.split(":", 3)
            assert (SITES / name / path).exists(), line
            assert line_number.isdigit() and int(line_number) >= 1, line
            assert level == " error"


def test_symlink_outside_the_site_is_not_followed(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Secret\ndate: 2026-01-01\n---\nDo not publish.\n", encoding="utf-8")
    (site / "content" / "articles" / "leak.md").symlink_to(secret)
    (site / "content" / "images" / "passwd").symlink_to("/etc/passwd")
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    assert "content/articles/leak.md: warning: symbolic link to outside the site folder: not followed" in run.stderr
    assert "content/images/passwd: warning:" in run.stderr
    assert not (site / "output" / "articles" / "leak").exists()
    assert not (site / "output" / "images" / "passwd").exists()


def test_unexpected_error_shows_no_traceback_unless_debug(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    (site / "templates").mkdir()
    (site / "templates" / "page.html").write_text("{{ page.no_such_field }}", encoding="utf-8")
    run = newpower("build", "--site", site)
    assert run.code == 1
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if ": error:" in line]
    assert len(errors) == 1, "two pages use page.html; the bug is reported once"
    assert errors[0].startswith("templates/page.html:1: error:") and "no_such_field" in errors[0]


def test_template_syntax_error_names_the_template_line(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    (site / "templates").mkdir()
    (site / "templates" / "page.html").write_text("<p>\n{% if page %}\n", encoding="utf-8")
    run = newpower("build", "--site", site)
    assert run.code == 1
    assert "templates/page.html:" in run.stderr and "error: template syntax" in run.stderr
    assert "Traceback" not in run.stderr
