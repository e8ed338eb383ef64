"""The search index: Pagefind reads only item pages, and the index is the one it makes of the whole site."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from newpower_site.write import search


def index_files(folder: Path) -> dict[str, bytes]:
    """Pagefind names its files by their content: equal listings mean equal indexes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_index_of_item_pages_is_the_index_of_the_whole_site(realistic_build: Path, tmp_path: Path) -> None:
    out = shutil.copytree(realistic_build, tmp_path / "output")
    shutil.rmtree(out / search.INDEX_FOLDER)
    marked = {p.relative_to(out).as_posix() for p in out.rglob("*.html") if search.BODY_MARK in p.read_bytes()}
    read = {p.relative_to(out).as_posix() for pattern in search.ITEM_FOLDERS for p in out.glob(f"{pattern}/index.html")}
    assert marked and marked <= read, "every page with a body to index is shown to Pagefind"
    assert len(read) < len(list(out.rglob("*.html"))), "listing, topic and email pages are not"

    executable = search.pagefind_executable()
    assert executable is not None
    subprocess.run([str(executable), "--site", str(out), "--output-subdir", "whole", "--silent"], check=True, timeout=300)
    search.index_for_search(out)
    assert index_files(out / search.INDEX_FOLDER) == index_files(out / "whole")


def test_a_theme_that_marks_no_body_is_indexed_whole(tmp_path: Path) -> None:
    out = tmp_path / "output"
    for path, text in {"index.html": "Home of otters", "articles/otters/index.html": "All about otters"}.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(f"<!doctype html><html lang='en'><head><title>{text}</title></head><body><p>{text}</p></body></html>")
    assert not search._item_pages_marked(out)
    search.index_for_search(out)
    pages = [p for p in (out / search.INDEX_FOLDER).rglob("*.pf_fragment")]
    assert len(pages) == 2, "the home page is in the index too, as before"
