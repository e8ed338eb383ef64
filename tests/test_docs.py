"""The docs tell the truth: their links resolve, their pictures are small PNGs that are shown, their errors are real."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from conftest import REPO, newpower

DOCS = REPO / "docs"
IMAGES = DOCS / "images"
PAGES = [REPO / "README.md", *sorted(DOCS.glob("*.md"))]
SCREENSHOTS = ("home.png", "voice.png", "email.png", "error-terminal.png", "subscribe.png", "subscribe-phone.png", "serve-error.png")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)  # code shows examples, not links
    text = re.sub(r"`[^`]*`", "", text)
    return re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r'<img src="([^"]+)"', text)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    for target in links(page):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"{page.name}: {target} does not exist"


@pytest.mark.parametrize("name", SCREENSHOTS)
def test_screenshots_are_small_pngs_shown_in_the_readme_or_docs(name: str) -> None:
    image = IMAGES / name
    data = image.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) < 200_000, f"{name} is {len(data)} bytes: keep screenshots under 200 KB"
    shown_in = [page.name for page in PAGES if any(target.endswith(f"images/{name}") for target in links(page))]
    assert shown_in, f"{name} is not shown anywhere"


def test_the_readme_links_the_docs() -> None:
    readme = links(REPO / "README.md")
    for doc in ("docs/editing.md", "docs/reference.md", "docs/publishing.md"):
        assert doc in readme


def test_the_error_quoted_in_the_editing_guide_is_what_check_prints(tmp_path: Path) -> None:
    """The guide's example is the screenshot's site: the same mistakes, the same lines."""
    spec = importlib.util.spec_from_file_location("make_screenshots", DOCS / "make_screenshots.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    site = module.broken_site(tmp_path)
    run = newpower("check", "--site", site)
    assert run.code == 1
    guide = (DOCS / "editing.md").read_text(encoding="utf-8")
    quoted = re.findall(r"^(content/\S+:\d+: error: .+)$", guide, flags=re.MULTILINE)
    assert quoted
    for line in quoted:
        assert line in run.stderr.splitlines()


def test_the_readme_points_to_the_contract_shipped_in_the_repository() -> None:
    assert "docs/spec.md" in links(REPO / "README.md")
    assert "shared folder" not in (REPO / "README.md").read_text(encoding="utf-8"), "nothing outside the repository"
    assert (DOCS / "spec.md").read_text(encoding="utf-8").startswith("# newpower-site — the contract")


SHARED_SPEC = REPO.parent / "shared" / "SPEC.md"


@pytest.mark.skipif(not SHARED_SPEC.is_file(), reason="no shared SPEC.md beside this checkout to compare with")
def test_the_shipped_contract_is_in_step_with_the_shared_one() -> None:
    assert (DOCS / "spec.md").read_text(encoding="utf-8") == SHARED_SPEC.read_text(encoding="utf-8")


def test_the_make_targets_the_readme_names_exist() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme.splitlines()[3:5] == ["make build   # sets up .venv, installs newpower-site and builds this site into output/",
                                        "make test    # sets up the test tools and runs the whole test suite"]
    for target in re.findall(r"^make (\w+) ", readme, flags=re.MULTILINE):
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE), target
