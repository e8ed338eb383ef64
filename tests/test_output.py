"""output: which folders we refuse to replace, and publishing atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import tree_bytes

from newpower_site.write import folder as output
from newpower_site.write.folder import MANIFEST, list_files, publish, read_manifest, refuse_output_dir


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    (folder / "content" / "articles").mkdir(parents=True)
    (folder / "templates").mkdir()
    (folder / "site.yaml").write_text("title: T\n", encoding="utf-8")
    return folder


def refusal(out: Path, site: Path) -> str:
    problems = refuse_output_dir(out, site)
    assert len(problems) == 1, problems
    assert problems[0].level == "error" and problems[0].path == str(out)
    return problems[0].message


# -- refuse_output_dir ---------------------------------------------------------------


def test_missing_output_folder_is_fine(site: Path) -> None:
    assert refuse_output_dir(site / "output", site) == []
    assert refuse_output_dir(site.parent / "elsewhere" / "deep", site) == []


def test_empty_output_folder_is_fine(site: Path) -> None:
    (site / "output").mkdir()
    assert refuse_output_dir(site / "output", site) == []


def test_output_is_the_site_folder(site: Path) -> None:
    assert "is the site folder" in refusal(site, site)
    assert "is the site folder" in refusal(site / "content" / "..", site)


def test_output_contains_the_site_folder(site: Path) -> None:
    assert "contains the site folder" in refusal(site.parent, site)
    assert "contains the site folder" in refusal(Path("/"), site)


@pytest.mark.parametrize("inside", ["content", "content/articles", "content/out", "templates", "templates/out"])
def test_output_inside_content_or_templates(site: Path, inside: str) -> None:
    folder = inside.split("/")[0]
    assert f"is inside {folder}/" in refusal(site / inside, site)


def test_output_inside_content_through_a_symlink(site: Path, tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to(site / "content")
    assert "is inside content/" in refusal(tmp_path / "link" / "out", site)


def test_output_is_a_file(site: Path) -> None:
    (site / "output").write_text("not a folder", encoding="utf-8")
    assert "is not a folder" in refusal(site / "output", site)


def test_output_is_a_symlink_to_a_folder(site: Path, tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (site / "output").symlink_to(tmp_path / "real")
    assert "is not a folder" in refusal(site / "output", site)


def test_non_empty_output_without_manifest(site: Path) -> None:
    (site / "output").mkdir()
    (site / "output" / "notes.txt").write_text("mine", encoding="utf-8")
    message = refusal(site / "output", site)
    assert "files newpower did not write" in message and MANIFEST in message


def test_manifest_with_a_foreign_file_lists_it(site: Path) -> None:
    out = site / "output"
    publish(out, {"index.html": b"home", "articles/a/index.html": b"a"})
    assert refuse_output_dir(out, site) == []
    (out / "articles" / "mine.txt").write_text("hand-made", encoding="utf-8")
    (out / "zz.txt").write_text("hand-made", encoding="utf-8")
    message = refusal(out, site)
    assert "articles/mine.txt, zz.txt" in message
    assert "index.html" not in message


def test_many_foreign_files_are_summarised(site: Path) -> None:
    out = site / "output"
    publish(out, {"index.html": b"home"})
    for n in range(8):
        (out / f"f{n}.txt").write_text("x", encoding="utf-8")
    message = refusal(out, site)
    assert "f0.txt, f1.txt, f2.txt, f3.txt, f4.txt and 3 more" in message


def test_a_symlinked_folder_in_the_output_is_foreign(site: Path, tmp_path: Path) -> None:
    out = site / "output"
    publish(out, {"index.html": b"home"})
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "keep.txt").write_text("keep", encoding="utf-8")
    (out / "linked").symlink_to(tmp_path / "precious")
    assert "linked" in refusal(out, site)


def test_empty_folders_alone_do_not_count(site: Path) -> None:
    (site / "output" / "a" / "b").mkdir(parents=True)
    assert refuse_output_dir(site / "output", site) == []


# -- publish ---------------------------------------------------------------------------


def staging_leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.staging"))


def test_publish_writes_files_and_a_manifest(tmp_path: Path) -> None:
    out = tmp_path / "output"
    files = {"index.html": b"home", "articles/a/index.html": b"a", "feed.xml": b"<rss/>"}
    publish(out, files)
    written = tree_bytes(out)
    assert {k: v for k, v in written.items() if k != MANIFEST} == files
    assert read_manifest(out) == set(files)
    lines = (out / MANIFEST).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("#")
    assert lines[1:] == sorted(files)
    assert staging_leftovers(out) == []


def test_publish_creates_missing_parents(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "output"
    publish(out, {"index.html": b"x"})
    assert (out / "index.html").read_bytes() == b"x"


def test_publish_replaces_the_folder_whole(tmp_path: Path) -> None:
    out = tmp_path / "output"
    publish(out, {"index.html": b"old", "articles/gone/index.html": b"stale", "old.xml": b"stale"})
    publish(out, {"index.html": b"new", "articles/kept/index.html": b"k"})
    assert set(list_files(out)) == {"index.html", "articles/kept/index.html", MANIFEST}
    assert (out / "index.html").read_bytes() == b"new"
    assert not (out / "articles" / "gone").exists()
    assert read_manifest(out) == {"index.html", "articles/kept/index.html"}
    assert staging_leftovers(out) == []


def test_publish_removes_staging_folders_of_killed_builds(tmp_path: Path) -> None:
    out = tmp_path / "output"
    stale = tmp_path / ".output.staging-99999"
    output.start_staging(stale)  # as a build makes it, then is killed
    (stale / "x").mkdir(parents=True)
    unrelated = tmp_path / ".other.staging-1"
    unrelated.mkdir()
    publish(out, {"index.html": b"x"})
    assert not stale.exists()
    assert unrelated.exists()


def test_publish_that_fails_while_writing_leaves_the_previous_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "output"
    publish(out, {"index.html": b"old", "articles/a/index.html": b"a"})
    before = tree_bytes(out)
    real_write_tree = output.write_tree

    def write_some_then_fail(stage: Path, files: dict[str, bytes]) -> None:
        real_write_tree(stage, dict(list(files.items())[:2]))
        assert (stage / "index.html").exists()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output, "write_tree", write_some_then_fail)
    with pytest.raises(OSError):
        publish(out, {"index.html": b"new", "a.html": b"1", "b.html": b"2", "c.html": b"3"})
    assert tree_bytes(out) == before
    assert staging_leftovers(out) == []


def test_publish_that_fails_while_swapping_leaves_the_previous_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "output"
    publish(out, {"index.html": b"old"})
    before = tree_bytes(out)

    def fail(stage: Path, target: Path) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(output, "swap_in", fail)
    with pytest.raises(OSError):
        publish(out, {"index.html": b"new"})
    assert tree_bytes(out) == before
    assert staging_leftovers(out) == []


def test_fallback_swap_without_renameat2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "_exchange", lambda a, b: False)
    out = tmp_path / "output"
    publish(out, {"index.html": b"old", "stale.html": b"s"})
    publish(out, {"index.html": b"new"})
    assert set(list_files(out)) == {"index.html", MANIFEST}
    assert (out / "index.html").read_bytes() == b"new"
    assert staging_leftovers(out) == []


def test_fallback_swap_that_fails_puts_the_previous_output_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "output"
    publish(out, {"index.html": b"old"})
    before = tree_bytes(out)
    monkeypatch.setattr(output, "_exchange", lambda a, b: False)
    real_rename = os.rename

    def rename(src, dst) -> None:
        if Path(src).name.startswith(".output.staging-") and "old" not in Path(src).name:
            raise OSError(18, "Invalid cross-device link")
        real_rename(src, dst)

    monkeypatch.setattr(output.os, "rename", rename)
    with pytest.raises(OSError):
        publish(out, {"index.html": b"new"})
    assert tree_bytes(out) == before
    assert staging_leftovers(out) == []


def test_exchange_swaps_two_folders_where_supported(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("from a", encoding="utf-8")
    (b / "y").write_text("from b", encoding="utf-8")
    if not output._exchange(a, b):
        pytest.skip("renameat2 is not available here")
    assert (b / "x").read_text(encoding="utf-8") == "from a"
    assert (a / "y").read_text(encoding="utf-8") == "from b"


def test_read_manifest_ignores_comments_and_tolerates_garbage(tmp_path: Path) -> None:
    (tmp_path / MANIFEST).write_bytes(b"# header\na.html\n\nb/c.html\n")
    assert read_manifest(tmp_path) == {"a.html", "b/c.html"}
    (tmp_path / MANIFEST).write_bytes(b"\xff\xfe")
    assert read_manifest(tmp_path) == set()
    assert read_manifest(tmp_path / "missing") == set()


def test_list_files_is_sorted_and_relative(tmp_path: Path) -> None:
    for name in ("b/z.txt", "b/a.txt", "a.txt", "c/d/e.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert list(list_files(tmp_path)) == ["a.txt", "b/a.txt", "b/z.txt", "c/d/e.txt"]
