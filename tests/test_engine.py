"""The one engine: every command builds through it and reports the same problems; the package
it lives in is laid out as the pipeline, and the cache notices any change to any of its modules."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, copy_site

from newpower_site.cache.keys import generator_fingerprint
from newpower_site.engine.engine import build_site, check_site
from newpower_site.core.options import BuildOptions
from newpower_site.serve.server import Preview

PACKAGE = REPO / "newpower_site"
# The stages from the bottom up: a module may import from its own stage and those before it.
STAGES = ("core", "load", "plan", "email", "render", "write", "cache", "engine", "serve", "importers", "cli")


def newsletter(slug: str, date: str, paragraphs: int) -> str:
    body = "\n\n".join(
        f"Paragraph {n} of the long issue: the branch met again on Tuesday and the rota was agreed by everyone who works it."
        for n in range(paragraphs)
    )
    return f"---\ntitle: Issue {slug}\ndate: {date}\npreheader: What the branch decided this month.\n---\n\n{body}\n"


@pytest.fixture()
def bad_site(tmp_path: Path) -> Path:
    """A site with several independent problems at once: an email over Gmail's clip (an error),
    an email over the size budget, Markdown in the wrong folder and a link out of the site (warnings)."""
    site = copy_site("realistic", tmp_path)
    (site / "content/newsletters/long-issue.md").write_text(newsletter("long", "2026-02-01", 600), encoding="utf-8")
    (site / "content/newsletters/longish-issue.md").write_text(newsletter("longish", "2026-01-01", 330), encoding="utf-8")
    (site / "content/stray.md").write_text("---\ntitle: Stray\n---\nNot in a kind's folder.\n", encoding="utf-8")
    outside = tmp_path / "outside.txt"
    outside.write_text("not part of the site\n", encoding="utf-8")
    (site / "content/images/outside.txt").symlink_to(outside)
    return site


def problems(result) -> set[tuple[str, int, str, str]]:
    return {(d.path, d.line, d.level, d.message) for d in result.diagnostics}


def test_every_command_reports_the_same_problems(bad_site: Path, tmp_path: Path) -> None:
    options = BuildOptions(bad_site)
    checked = problems(check_site(options))
    built = problems(build_site(BuildOptions(bad_site, out_dir=tmp_path / "built"), search_index=False))
    uncached = problems(build_site(BuildOptions(bad_site, out_dir=tmp_path / "uncached"), cached=False, search_index=False))
    preview = Preview(options, say=lambda line: None, report=lambda diagnostics: None)
    served = problems(preview.rebuild())

    assert checked == built == uncached == served
    levels = {(path, level) for path, _, level, _ in checked}
    assert ("content/newsletters/long-issue.md", "error") in levels  # over Gmail's clip
    assert ("content/newsletters/longish-issue.md", "warning") in levels  # over the budget
    assert ("content/stray.md", "warning") in levels
    assert ("content/images/outside.txt", "warning") in levels
    assert not (tmp_path / "built").exists() and not (tmp_path / "uncached").exists()  # an error writes nothing


def test_the_cached_build_reports_the_same_problems_when_it_has_little_to_do(bad_site: Path, tmp_path: Path) -> None:
    """Warnings only: the build succeeds, and the next builds (nothing changed, one body edited) say the same."""
    (bad_site / "content/newsletters/long-issue.md").unlink()
    (bad_site / "content/images/outside.txt").unlink()  # a symbolic link sends every build down the full path
    out = tmp_path / "out"
    first = build_site(BuildOptions(bad_site, out_dir=out), search_index=False)
    assert first.ok and first.stats.path == "cold"
    with (bad_site / "content/articles/bakery-buyout.md").open("a", encoding="utf-8") as handle:
        handle.write("\nOne more line.\n")
    edited = build_site(BuildOptions(bad_site, out_dir=out), search_index=False)
    assert edited.stats.path == "quick"
    assert problems(edited) == problems(first) == problems(check_site(BuildOptions(bad_site)))


def test_editing_any_module_of_any_stage_changes_the_generator_fingerprint(tmp_path: Path) -> None:
    copy = tmp_path / "newpower_site"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "theme", "data"))
    before = generator_fingerprint(copy)
    modules = sorted(copy.rglob("*.py"))
    assert {m.parent.name for m in modules} >= set(STAGES)
    for module in modules:
        original = module.read_bytes()
        module.write_bytes(original + b"\n# an edit\n")
        assert generator_fingerprint(copy) != before, module.relative_to(copy)
        module.write_bytes(original)
    assert generator_fingerprint(copy) == before


def test_a_build_with_nothing_to_do_imports_no_stage_it_does_not_run(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    script = (
        "import sys, json\n"
        "from newpower_site.cli.main import main\n"
        f"code = main(['build', '--site', {str(site)!r}, '--quiet'])\n"
        "print(json.dumps([code, sorted(sys.modules)]))\n"
    )
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(first.stdout.splitlines()[-1])[0] == 0
    again = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    code, modules = json.loads(again.stdout.splitlines()[-1])
    assert code == 0
    loaded = set(modules)
    for stage in ("newpower_site.load.markdown", "newpower_site.load.content", "newpower_site.plan.outputs",
                  "newpower_site.render.renderer", "newpower_site.render.templates", "newpower_site.email.lint",
                  "newpower_site.write.search", "jinja2", "markdown_it", "PIL", "css_inline", "feedgen"):
        assert stage not in loaded, f"{stage} was imported by a build with nothing to do"


def test_package_init_files_are_empty() -> None:
    """An __init__ that imported its package's modules would load every stage for any import of one."""
    for init in sorted(PACKAGE.rglob("__init__.py")):
        if init.parent == PACKAGE:
            continue  # the package's own face: its version
        assert init.read_text(encoding="utf-8") == "", init


def _runtime_imports(module: Path) -> set[str]:
    """The package modules `module` imports when run (anywhere in it), leaving out TYPE_CHECKING blocks."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                   for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("newpower_site."):
            found.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.module == "newpower_site":
            found.update(f"newpower_site.{alias.name}" for alias in node.names if alias.name != "__version__")
    return found


def test_imports_point_down_the_pipeline_and_never_in_a_circle() -> None:
    graph: dict[str, set[str]] = {}
    for module in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(module.relative_to(REPO).with_suffix("").parts)
        graph[name] = _runtime_imports(module)
    for name, imported in graph.items():
        parts = name.split(".")
        if len(parts) < 3:
            continue
        for other in imported:
            stage = other.split(".")[1]
            assert STAGES.index(stage) <= STAGES.index(parts[1]), f"{name} imports {other}, a later stage"

    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for other in sorted(graph.get(node, ())):
            if state.get(other) == "open":
                raise AssertionError("import cycle: " + " -> ".join([*path, node, other]))
            if other not in state:
                visit(other, [*path, node])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_problems_of_different_stages_are_reported_in_one_run(tmp_path: Path) -> None:
    """A broken link (found loading) must not hide another issue's email over Gmail's clip (found after rendering)."""
    site = copy_site("realistic", tmp_path)
    (site / "content/newsletters/long-issue.md").write_text(newsletter("long", "2026-02-01", 600), encoding="utf-8")
    with (site / "content/articles/bakery-buyout.md").open("a", encoding="utf-8") as handle:
        handle.write("\nSee [the minutes](no-such-minutes.md).\n")
    for result in (check_site(BuildOptions(site)), build_site(BuildOptions(site), search_index=False),
                   build_site(BuildOptions(site, out_dir=tmp_path / "b"), cached=False, search_index=False)):
        found = {(d.path, d.level) for d in result.diagnostics}
        assert ("content/articles/bakery-buyout.md", "error") in found
        assert any(d.path == "content/newsletters/long-issue.md" and "Gmail clips" in d.message for d in result.diagnostics)
    assert not (site / "output").exists()


def test_check_answers_from_the_last_build_when_nothing_changed_and_writes_nothing(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    built = build_site(BuildOptions(site), search_index=False)
    assert built.ok and built.diagnostics  # the realistic site has a warning (a portrait email cannot show)
    answered = check_site(BuildOptions(site))
    assert answered.stats.path == "unchanged"
    assert problems(answered) == problems(built) == problems(check_site(BuildOptions(site), cached=False))
    assert answered.counts == built.counts
    with (site / "content/articles/bakery-buyout.md").open("a", encoding="utf-8") as handle:
        handle.write("\nSee [the minutes](no-such-minutes.md).\n")
    before = {p: p.stat().st_mtime_ns for p in sorted(site.rglob("*"))}
    edited = check_site(BuildOptions(site))
    assert edited.stats.path == "cold" and not edited.ok
    assert {p: p.stat().st_mtime_ns for p in sorted(site.rglob("*"))} == before  # not even the build cache is written


def test_no_cache_builds_use_none_of_the_cache_folder(tmp_path: Path) -> None:
    """--no-cache neither reads nor writes .newpower-cache/: not items, compiled templates or resized images."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")  # this repository's site has PNG portraits to resize
    shutil.copy(REPO / "site.yaml", site / "site.yaml")
    result = build_site(BuildOptions(site, out_dir=tmp_path / "out"), cached=False, search_index=False)
    assert result.ok, [d.format() for d in result.diagnostics]
    assert any(p.suffix in (".webp", ".jpg", ".png") and "/" in p.relative_to(tmp_path / "out").as_posix()
               for p in (tmp_path / "out").rglob("*"))
    assert not (site / ".newpower-cache").exists()


def test_a_link_to_an_item_with_errors_says_so_after_its_errors(tmp_path: Path) -> None:
    """One bad field must not make every link to the item say it "does not exist" (issue 15)."""
    site = copy_site("realistic", tmp_path)
    voice = site / "content/voices/sam-hughes.md"
    voice.write_text(voice.read_text(encoding="utf-8").replace("movement:", "movement: [", 1), encoding="utf-8")
    with (site / "content/articles/bakery-buyout.md").open("a", encoding="utf-8") as handle:
        handle.write("\nRead [Sam's interview](../voices/sam-hughes.md).\n")
    result = check_site(BuildOptions(site), cached=False)
    lines = [d.format() for d in sorted(result.diagnostics, key=lambda d: (d.follows, d.path, d.line))]
    link = next(line for line in lines if "bakery-buyout.md" in line and "sam-hughes.md" in line)
    assert "has errors (see above)" in link and "does not exist" not in link
    assert lines.index(link) > min(i for i, line in enumerate(lines) if line.startswith("content/voices/sam-hughes.md"))
