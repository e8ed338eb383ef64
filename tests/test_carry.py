"""`newpower cache export` / `import`: the build cache carried through a folder a CI cache keeps."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import copy_site, newpower

from newpower_site.cache.carry import MAGIC, export_cache, import_cache


def built(tmp_path: Path) -> Path:
    site = copy_site("realistic", tmp_path)
    assert newpower("build", "--site", site).code == 0
    return site


def test_a_cache_copied_as_it_is_is_not_used_but_one_carried_is(tmp_path: Path) -> None:
    site = built(tmp_path / "a")
    copied = copy_site("realistic", tmp_path / "copied")
    shutil.copytree(site / ".newpower-cache", copied / ".newpower-cache")  # as an archive restores it: new inodes
    assert "(rendered 8 items" in newpower("build", "--site", copied).stdout
    carried = export_cache(site, tmp_path / "carried")
    assert carried.files > 0 and carried.skipped == 0
    fresh = copy_site("realistic", tmp_path / "fresh")
    assert import_cache(tmp_path / "carried", fresh).files == carried.files
    assert "(rendered 0 items" in newpower("build", "--site", fresh).stdout


def test_a_carried_file_altered_on_the_way_is_left_out(tmp_path: Path) -> None:
    site = built(tmp_path / "a")
    export_cache(site, tmp_path / "carried")
    victims = sorted(p for p in (tmp_path / "carried").rglob("*.pickle"))
    data = victims[0].read_bytes()
    assert data.startswith(MAGIC)
    victims[0].write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    fresh = copy_site("realistic", tmp_path / "fresh")
    result = import_cache(tmp_path / "carried", fresh)
    assert result.skipped == 1
    assert not (fresh / ".newpower-cache" / victims[0].relative_to(tmp_path / "carried")).exists()


def test_export_replaces_only_a_folder_it_made(tmp_path: Path) -> None:
    site = built(tmp_path / "a")
    run = newpower("cache", "export", site / "content", "--site", site)
    assert run.code == 1 and run.stderr.startswith(f"{site / 'content'}: error: not a folder")
    assert (site / "content" / "articles").is_dir()
    assert newpower("cache", "export", tmp_path / "carried", "--site", site).code == 0
    assert newpower("cache", "export", tmp_path / "carried", "--site", site).code == 0  # its own: replaced


def test_import_of_a_missing_folder_is_a_cold_start(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    run = newpower("cache", "import", tmp_path / "none", "--site", site)
    assert run.code == 0 and run.stdout.startswith("imported 0 cache files")
