"""The output folder promises of SPEC.md, through the real command line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO, copy_site, newpower, tree_bytes

from newpower_site.write.folder import start_staging


def test_failed_build_leaves_previous_output_byte_identical(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    assert newpower("build", "--site", site).code == 0
    before = tree_bytes(site / "output")
    article = site / "content/articles/old-news.md"
    article.write_text(article.read_text(encoding="utf-8").replace("title:", "titel:"), encoding="utf-8")
    run = newpower("build", "--site", site)
    assert run.code == 1
    assert "content/articles/old-news.md:2: error: unknown key 'titel'; did you mean 'title'?" in run.stderr
    assert tree_bytes(site / "output") == before
    assert not list(tmp_path.rglob(".output.staging-*"))


def test_successful_build_leaves_nothing_stale(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    assert newpower("build", "--site", site).code == 0
    assert (site / "output/articles/old-news/index.html").exists()
    (site / "content/articles/old-news.md").unlink()
    (site / "content/pages/about.md").write_text(
        (site / "content/pages/about.md").read_text(encoding="utf-8").replace("[our town](../articles/old-news.md)", "our town"),
        encoding="utf-8",
    )
    assert newpower("build", "--site", site).code == 0
    assert not (site / "output/articles/old-news").exists()
    manifest = (site / "output/.newpower-output").read_text(encoding="utf-8")
    assert "articles/old-news/index.html" not in manifest
    assert "articles/bakery-buyout/index.html" in manifest


def refused(site: Path, out: Path, expected: str) -> None:
    run = newpower("build", "--site", site, "--out", out)
    assert run.code == 1, run.stdout
    assert expected in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_refuses_the_site_folder_itself(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    before = tree_bytes(site)
    refused(site, site, "the output folder is the site folder")
    assert tree_bytes(site) == before


def test_refuses_a_folder_containing_the_site(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    refused(site, tmp_path, "the output folder contains the site folder")
    assert (site / "site.yaml").exists()


def test_refuses_content_and_templates(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    refused(site, site / "content" / "out", "inside content/")
    (site / "templates").mkdir()
    refused(site, site / "templates" / "out", "inside templates/")
    assert not (site / "content" / "out").exists()


def test_refuses_a_folder_with_foreign_files(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    out = tmp_path / "elsewhere"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"years of work")
    refused(site, out, "holds files newpower did not write")
    assert (out / "thesis.docx").read_bytes() == b"years of work"


def test_refuses_a_previous_output_with_a_file_added_by_hand(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    assert newpower("build", "--site", site).code == 0
    (site / "output" / "CNAME").write_text("example.org\n")
    refused(site, site / "output", "CNAME")
    assert (site / "output" / "CNAME").read_text() == "example.org\n"


def test_check_writes_nothing(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    before = tree_bytes(tmp_path)
    run = newpower("check", "--site", site)
    assert run.code == 0, run.stderr
    assert run.stdout.startswith("checked 3 articles, 2 voices, 1 newsletter issue, 2 pages")
    assert tree_bytes(tmp_path) == before


def test_a_killed_build_leaves_the_old_output_and_its_leftovers_are_cleared(tmp_path: Path) -> None:
    """A build killed mid-write has only touched its staging folder; the next build removes it."""
    site = copy_site("realistic", tmp_path)
    assert newpower("build", "--site", site).code == 0
    before = tree_bytes(site / "output")
    writer = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"],
    )
    try:
        alive = site / f".output.staging-{writer.pid}"
        alive.mkdir()
        (alive / "index.html").write_text("half-written", encoding="utf-8")
        dead = site / ".output.staging-999999999"
        start_staging(dead)  # as a build makes it
        (dead / "index.html").write_text("half-written", encoding="utf-8")
        assert tree_bytes(site / "output") == before
        assert newpower("build", "--site", site).code == 0
        assert not dead.exists(), "a killed build's staging folder is removed"
        assert alive.exists(), "a running build's staging folder is left to it"
    finally:
        writer.kill()
        writer.wait()
    assert tree_bytes(site / "output") == before


def test_check_writes_nothing_even_with_images_to_resize(tmp_path: Path) -> None:
    """This repository's site has a PNG portrait that a build resizes into the cache; check must not."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "site.yaml", site / "site.yaml")
    before = tree_bytes(tmp_path)
    run = newpower("check", "--site", site)
    assert run.code == 0, run.stderr
    assert tree_bytes(tmp_path) == before and not (site / ".newpower-cache").exists()
