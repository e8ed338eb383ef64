"""The `newpower-check` pre-commit hook, run by the real pre-commit in a real site repository.

pre-commit clones a hook repository at a commit and pip-installs it into its
own environment. So that the test exercises this working tree (uncommitted
changes included) rather than the last commit, it installs from a snapshot
repository holding just what packaging needs. One environment serves every
test in the session; building it is the slow part (about half a minute).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SITES

PACKAGE_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "newpower_site", "templates")


def git(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="session")
def git_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """No global git settings (signing, hooks paths) and one pre-commit cache for the session."""
    env = dict(os.environ)
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Editor", GIT_AUTHOR_EMAIL="editor@example.org",
        GIT_COMMITTER_NAME="Editor", GIT_COMMITTER_EMAIL="editor@example.org",
        PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")),
    )
    return env


@pytest.fixture(scope="session")
def hook_repository(tmp_path_factory: pytest.TempPathFactory, git_env: dict[str, str]) -> tuple[Path, str]:
    """A git repository with this working tree's package and hook manifest; returns (path, commit)."""
    snapshot = tmp_path_factory.mktemp("newpower-site")
    for name in PACKAGE_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, snapshot / name, ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
        else:
            shutil.copy2(source, snapshot / name)
    for args in (("init", "-q"), ("add", "."), ("commit", "-q", "-m", "snapshot")):
        assert git(*args, cwd=snapshot, env=git_env).returncode == 0
    return snapshot, git("rev-parse", "HEAD", cwd=snapshot, env=git_env).stdout.strip()


@pytest.fixture
def site_repository(tmp_path: Path, hook_repository: tuple[Path, str], git_env: dict[str, str]) -> Path:
    """A site's git repository whose .pre-commit-config.yaml uses the hook, installed as a git hook."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "realistic", site)
    path, rev = hook_repository
    (site / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {path}\n    rev: {rev}\n    hooks:\n      - id: newpower-check\n", encoding="utf-8"
    )
    assert git("init", "-q", cwd=site, env=git_env).returncode == 0
    install = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=site, env=git_env, capture_output=True, text=True, check=False)
    assert install.returncode == 0, install.stdout + install.stderr
    return site


def commit(site: Path, env: dict[str, str], message: str) -> subprocess.CompletedProcess[str]:
    assert git("add", ".", cwd=site, env=env).returncode == 0
    done = git("commit", "-m", message, cwd=site, env=env)
    done.stdout += done.stderr  # git shows a hook's output on stderr
    return done


def test_the_hook_passes_a_good_site_and_blocks_a_bad_file(site_repository: Path, git_env: dict[str, str]) -> None:
    good = commit(site_repository, git_env, "A good site")
    print(good.stdout)
    assert good.returncode == 0, good.stdout
    assert "newpower check" in good.stdout and "Passed" in good.stdout

    bad = site_repository / "content/articles/typo.md"
    bad.write_text("---\ntittle: A typo\ndate: 2026-01-05\n---\nText.\n", encoding="utf-8")
    blocked = commit(site_repository, git_env, "A typo")
    print(blocked.stdout)
    assert blocked.returncode != 0, "the commit must not happen"
    assert "newpower check" in blocked.stdout and "Failed" in blocked.stdout
    assert "content/articles/typo.md:2: error: unknown key 'tittle'; did you mean 'title'?" in blocked.stdout
    log = git("log", "--format=%s", cwd=site_repository, env=git_env).stdout.splitlines()
    assert log == ["A good site"]

    bad.write_text("---\ntitle: A typo no more\ndate: 2026-01-05\n---\nText.\n", encoding="utf-8")
    fixed = commit(site_repository, git_env, "Fixed")
    assert fixed.returncode == 0, fixed.stdout


def test_the_hook_ignores_commits_that_do_not_touch_the_site(site_repository: Path, git_env: dict[str, str]) -> None:
    (site_repository / "content/articles/typo.md").write_text("---\ntittle: x\n---\n", encoding="utf-8")
    assert git("add", ".", cwd=site_repository, env=git_env).returncode == 0
    assert git("commit", "-q", "--no-verify", "-m", "broken, hook skipped", cwd=site_repository, env=git_env).returncode == 0
    (site_repository / "notes.txt").write_text("minutes of the meeting\n", encoding="utf-8")
    run = commit(site_repository, git_env, "Notes only")
    assert run.returncode == 0, run.stdout
    assert "(no files to check)Skipped" in run.stdout
