"""examples/github-pages.yml cannot run here, so its structure is checked: the right steps, in order."""

from __future__ import annotations

import re
import shlex

import yaml
from conftest import REPO

from newpower_site.cli.main import make_parser

WORKFLOW = REPO / "examples/github-pages.yml"


def load() -> dict:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads a bare `on:` key as true
    return workflow


def step_index(steps: list[dict], predicate) -> int:
    return next(i for i, step in enumerate(steps) if predicate(step))


def uses(action: str):
    return lambda step: step.get("uses", "").split("@")[0] == action


def runs(command: str):
    return lambda step: step.get("run", "").startswith(command)


def test_it_runs_on_a_push_to_main_and_checks_pull_requests() -> None:
    workflow = load()
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert "pull_request" in workflow["on"]
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


def test_build_checks_then_builds_then_uploads_output() -> None:
    steps = load()["jobs"]["build"]["steps"]
    order = [
        step_index(steps, uses("actions/checkout")),
        step_index(steps, uses("actions/setup-python")),
        step_index(steps, runs("pip install")),
        step_index(steps, runs("newpower check --format github")),
        step_index(steps, runs("newpower build")),
        step_index(steps, uses("actions/upload-pages-artifact")),
    ]
    assert order == sorted(order), "checkout, setup-python, install, check, build, upload: in that order"
    assert steps[step_index(steps, uses("actions/setup-python"))]["with"]["python-version"] == "3.11"
    assert steps[order[-1]]["with"]["path"].rstrip("/") == "output"
    assert steps[order[-1]]["if"] == "github.event_name != 'pull_request'", "a pull request is checked, never deployed"
    for step in steps:
        assert "@" in step.get("uses", "@"), "actions are pinned to a version"


def test_the_newpower_commands_are_ones_the_cli_accepts() -> None:
    steps = load()["jobs"]["build"]["steps"]
    parser = make_parser()
    commands = [step["run"] for step in steps if step.get("run", "").startswith("newpower ")]
    assert [shlex.split(c)[1] for c in commands] == ["cache", "check", "build", "cache"], "take the cache, check, build, keep the cache"
    for command in commands:
        # GitHub fills ${{ ... }} in before the shell runs: a Pages URL, or nothing on a pull request.
        for value in ("https://example.github.io/repo/", ""):
            args = parser.parse_args(shlex.split(re.sub(r"\$\{\{[^}]*\}\}", value, command))[1:])
            assert args.run.__name__ in ("run_check", "run_build", "run_import", "run_export")
    assert parser.parse_args(shlex.split(commands[1])[1:]).format == "github"
    assert "--base-url" in commands[2]


def test_deploy_publishes_the_uploaded_site_to_pages() -> None:
    deploy = load()["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["if"] == "github.event_name != 'pull_request'"
    assert [step["uses"].split("@")[0] for step in deploy["steps"]] == ["actions/deploy-pages"]


def test_publishing_docs_cover_every_host() -> None:
    text = (REPO / "docs/publishing.md").read_text(encoding="utf-8")
    for host in ("GitHub Pages", "Netlify", "Cloudflare Pages", "S3", "rsync", "--base-url"):
        assert host in text
    assert "examples/github-pages.yml" in text
