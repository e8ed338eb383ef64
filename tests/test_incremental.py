"""The build cache is never stale: after each kind of change, an incremental build
writes exactly the bytes a cold build (`--no-cache`) writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import copy_site, newpower, tree_bytes

from newpower_site.cache.store import read_checked, write_checked


def built(site: Path) -> dict[str, bytes]:
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    return tree_bytes(site / "output")


def cold(site: Path, tmp_path: Path) -> dict[str, bytes]:
    out = tmp_path / "cold-output"
    run = newpower("build", "--site", site, "--out", out, "--no-cache")
    assert run.code == 0, run.stderr
    files = tree_bytes(out)
    for path in sorted(out.rglob("*"), reverse=True):  # the next cold build starts empty
        path.unlink() if path.is_file() else path.rmdir()
    out.rmdir()
    return files


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the realistic site, built with the cache; the tests below change it in turn."""
    site = copy_site("realistic", tmp_path_factory.mktemp("incremental"))
    built(site)
    assert (site / ".newpower-cache/build").is_dir()
    return site


def test_a_build_with_nothing_changed_matches_a_cold_build(site: Path, tmp_path: Path) -> None:
    assert built(site) == cold(site, tmp_path)


def test_an_edited_item(site: Path, tmp_path: Path) -> None:
    edit(site / "content/articles/bakery-buyout.md", "title:", "title: Edited,")
    after = built(site)
    assert after == cold(site, tmp_path)
    assert b"Edited," in after["articles/bakery-buyout/index.html"]


def test_a_renamed_item_leaves_no_old_page(site: Path, tmp_path: Path) -> None:
    source = site / "content/voices/sam-hughes.md"
    linking = [p for p in (site / "content").rglob("*.md") if "sam-hughes.md" in p.read_text(encoding="utf-8") and p != source]
    for path in linking:
        edit(path, "sam-hughes.md", "sam-hughes-renamed.md")
    source.rename(source.with_name("sam-hughes-renamed.md"))
    for path in (site / "content/newsletters").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("voices/sam-hughes\n", "voices/sam-hughes-renamed\n"), encoding="utf-8")
    after = built(site)
    assert after == cold(site, tmp_path)
    assert "voices/sam-hughes-renamed/index.html" in after
    assert not any(p.startswith("voices/sam-hughes/") for p in after)


def test_a_deleted_item_leaves_no_page(site: Path, tmp_path: Path) -> None:
    (site / "content/articles/old-news.md").unlink()
    for path in (site / "content").rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        if "old-news.md" in text:
            path.write_text(text.replace("(../articles/old-news.md)", "(https://example.org/)"), encoding="utf-8")
    after = built(site)
    assert after == cold(site, tmp_path)
    assert not any(p.startswith("articles/old-news/") for p in after)


def test_a_template_change_reaches_every_page_that_uses_it(site: Path, tmp_path: Path) -> None:
    theme = Path(__file__).parent.parent / "templates"
    (site / "templates").mkdir(exist_ok=True)
    base = (theme / "base.html").read_text(encoding="utf-8")
    assert "</footer>" in base
    (site / "templates/base.html").write_text(base.replace("</footer>", "<p>incremental-marker</p></footer>", 1), encoding="utf-8")
    after = built(site)
    assert after == cold(site, tmp_path)
    pages = [p for p in after if p.endswith(".html") and not p.startswith("email/")]
    assert all(b"incremental-marker" in after[p] for p in pages if b"</footer>" in after[p])


def test_a_config_change_rerenders_everything(site: Path, tmp_path: Path) -> None:
    edit(site / "site.yaml", "per_page:", "per_page: 1\n# was:")
    after = built(site)
    assert after == cold(site, tmp_path)
    assert "articles/page/2/index.html" in after


def test_a_torn_cache_file_is_rebuilt(site: Path, tmp_path: Path) -> None:
    cache = site / ".newpower-cache/build"
    for path in cache.glob("*.pickle"):
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])  # as a build killed mid-write would leave it
        assert read_checked(path) is None
    edit(site / "content/pages/about.md", "title:", "title: Torn,")
    assert built(site) == cold(site, tmp_path)


def test_checked_cache_files_round_trip(tmp_path: Path) -> None:
    write_checked(tmp_path / "x.pickle", {"a": (1, "b")})
    assert read_checked(tmp_path / "x.pickle") == {"a": (1, "b")}
    (tmp_path / "x.pickle").write_bytes((tmp_path / "x.pickle").read_bytes()[:-1] + b"?")
    assert read_checked(tmp_path / "x.pickle") is None


def test_a_failed_build_after_a_cached_one_leaves_the_output(site: Path) -> None:
    before = built(site)
    edit(site / "content/pages/about.md", "title:", "titel:")
    run = newpower("build", "--site", site)
    assert run.code == 1
    assert "content/pages/about.md:2: error:" in run.stderr
    assert tree_bytes(site / "output") == before
    edit(site / "content/pages/about.md", "titel:", "title:")
    assert built(site) == before


def test_an_output_file_edited_by_hand_does_not_survive(site: Path, tmp_path: Path) -> None:
    """SPEC: a successful build replaces the output whole; nothing stale survives, cache or not."""
    built(site)
    page = site / "output/voices/dee-okafor/index.html"
    with page.open("a", encoding="utf-8") as handle:
        handle.write("<!-- edited by hand -->\n")
    assert built(site) == cold(site, tmp_path), "a build with nothing changed in the sources"
    with page.open("a", encoding="utf-8") as handle:
        handle.write("<!-- edited by hand again -->\n")
    edit(site / "content/articles/council-listens.md", "title:", "title: Again,")
    after = built(site)
    assert after == cold(site, tmp_path), "a build after an edit elsewhere"
    assert b"edited by hand" not in after["voices/dee-okafor/index.html"]
