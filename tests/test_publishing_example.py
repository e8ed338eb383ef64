"""examples/github-pages.yml, run as GitHub would run its build job, twice: the second run reuses the first's cache.

The workflow's own steps are read from the YAML and played in order: the
checkout is a fresh copy of a test site at the same path (new files, new
mtimes and inodes, as on a runner), `actions/cache` restores what the last
run saved under a matching key and saves its paths when the job ends, every
`run:` command runs in bash with `${{ ... }}` filled in, and the actions
that only talk to GitHub (setup-python, Pages, upload) are skipped. If the
example stopped keeping the cache, or kept the wrong folder, the second
build renders every item again and the test fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from conftest import REPO, SITES

EXAMPLE = REPO / "examples" / "github-pages.yml"
BASE_URL = "https://owner.github.io/site/"
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class Runner:
    """One simulated runner: a workspace path every run checks out into, and the repository's cache store."""

    root: Path
    site: Path
    saved: dict[str, Path] = field(default_factory=dict)  # cache key -> saved copy, in save order
    reports: list[dict[str, str]] = field(default_factory=list)  # per run: step name -> its stdout

    @property
    def workspace(self) -> Path:
        return self.root / "work" / "site"

    def run_job(self, run_id: int, steps: list[dict], event: str = "push") -> dict[str, str]:
        shutil.rmtree(self.workspace, ignore_errors=True)
        shutil.copytree(self.site, self.workspace)  # actions/checkout: a fresh clone at the same path
        context: dict[str, str] = {"runner.os": "Linux", "github.run_id": str(run_id), "github.event_name": event}
        report: dict[str, str] = {}
        to_save: list[tuple[str, list[str]]] = []
        for step in steps:
            if "if" in step and not condition(step["if"], context):
                continue
            action = step.get("uses", "").split("@")[0]
            if action == "actions/cache":
                key, paths = fill(step["with"]["key"], context), step["with"]["path"].split()
                restore_keys = [fill(line, context) for line in step["with"].get("restore-keys", "").splitlines() if line.strip()]
                if not self.restore(key, restore_keys, paths):
                    to_save.append((key, paths))  # like actions/cache: saved at the job's end when the key missed
            elif action == "actions/configure-pages":
                context[f"steps.{step['id']}.outputs.base_url"] = BASE_URL
            elif "run" in step and not step["run"].startswith("pip install"):  # the test's environment has the generator
                report[step["name"]] = self.shell(fill(step["run"], context), step.get("id"), context)
        for key, paths in to_save:
            self.save(key, paths)
        self.reports.append(report)
        return report

    def restore(self, key: str, restore_keys: list[str], paths: list[str]) -> bool:
        """True on an exact hit; a restore key matches the newest saved key it begins."""
        found = key if key in self.saved else next((k for k in reversed(self.saved) if any(k.startswith(p) for p in restore_keys)), None)
        if found is not None:
            for path in paths:
                if (self.saved[found] / path).exists():
                    shutil.copytree(self.saved[found] / path, self.workspace / path)  # new inodes, as tar makes them
        return found == key

    def save(self, key: str, paths: list[str]) -> None:
        target = self.root / "cache-store" / str(len(self.saved))
        for path in paths:
            if (self.workspace / path).exists():
                shutil.copytree(self.workspace / path, target / path)
        self.saved[key] = target

    def shell(self, command: str, step_id: str | None, context: dict[str, str]) -> str:
        shim = self.root / "bin"
        if not shim.exists():  # `newpower` as installed, but this checkout's code
            shim.mkdir()
            (shim / "newpower").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m newpower_site "$@"\n')
            (shim / "newpower").chmod(0o755)
        outputs = self.root / "github-output"
        outputs.write_text("")
        env = {**os.environ, "PATH": f"{shim}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               "PYTHONPATH": str(REPO), "GITHUB_OUTPUT": str(outputs), "NO_COLOR": "1"}
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", command], cwd=self.workspace, env=env, check=False,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        for line in outputs.read_text().splitlines():
            name, _, value = line.partition("=")
            context[f"steps.{step_id}.outputs.{name}"] = value
        return done.stdout


def fill(text: str, context: dict[str, str]) -> str:
    """`${{ name }}` replaced by its value; a skipped step's output is empty, as on GitHub;
    any other name the simulation does not know fails the test."""
    def value(match: re.Match) -> str:
        name = match.group(1)
        assert name in context or name.startswith("steps."), f"the test does not know {name!r}"
        return context.get(name, "")

    return _EXPRESSION.sub(value, text)


def condition(text: str, context: dict[str, str]) -> bool:
    match = re.fullmatch(r"\s*([\w.]+)\s*(==|!=)\s*'([^']*)'\s*", text)
    assert match, f"the test does not know the condition {text!r}"
    equal = context[match.group(1)] == match.group(3)
    return equal if match.group(2) == "==" else not equal


def build_steps() -> list[dict]:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["jobs"]["build"]["steps"]


def rendered_items(report: dict[str, str]) -> int:
    """How many items the build step's own summary line says it rendered (the rest came from the cache)."""
    (build,) = [out for name, out in report.items() if out.startswith("built ")]
    match = re.search(r"\(rendered (\d+) items? and (\d+) files?", build)
    assert match, build
    return int(match.group(1))


def test_the_second_run_of_the_example_workflow_reuses_the_first_runs_cache(tmp_path: Path) -> None:
    runner = Runner(tmp_path, SITES / "realistic")
    steps = build_steps()
    first = runner.run_job(1, steps)
    second = runner.run_job(2, steps)
    assert rendered_items(first) == 8  # the site's six published items and two held back, all rendered
    assert rendered_items(second) == 0  # every item came from the restored cache
    assert (runner.workspace / "output" / "index.html").is_file()
    assert BASE_URL.rstrip("/") in (runner.workspace / "output" / "feed.xml").read_text(encoding="utf-8")


def test_a_pull_requests_second_run_reuses_its_first(tmp_path: Path) -> None:
    """A pull request builds with site.yaml's base_url, not the Pages address, and item bodies hold
    absolute links: its first run renders them again, its next runs reuse its own cache."""
    runner = Runner(tmp_path, SITES / "realistic")
    steps = build_steps()
    runner.run_job(1, steps)
    assert rendered_items(runner.run_job(2, steps, event="pull_request")) == 8
    assert rendered_items(runner.run_job(3, steps, event="pull_request")) == 0


def test_a_generator_upgrade_restores_nothing(tmp_path: Path) -> None:
    """The key names the generator: another one's saved cache matches neither the key nor a restore key."""
    (cache_step,) = [s for s in build_steps() if s.get("uses", "").startswith("actions/cache@")]
    (naming,) = [s for s in build_steps() if "steps." + str(s.get("id")) + ".outputs." in cache_step["with"]["key"]]
    assert "newpower --version" in naming["run"] and "pip freeze" in naming["run"]

    def keys(generator: str) -> tuple[str, list[str]]:
        context = {"runner.os": "Linux", "github.run_id": "7", f"steps.{naming['id']}.outputs.key": generator}
        restore = [fill(line, context) for line in cache_step["with"]["restore-keys"].splitlines() if line.strip()]
        return fill(cache_step["with"]["key"], context), restore

    old_key, _ = keys("newpower-0.1.0-aaaa")
    new_key, new_restore = keys("newpower-0.2.0-bbbb")
    assert old_key != new_key and not any(old_key.startswith(prefix) for prefix in new_restore)
    assert any(keys("newpower-0.1.0-aaaa")[0].startswith(prefix) for prefix in keys("newpower-0.1.0-aaaa")[1])
