"""Issue 14, the output folder and the caches, tried as an attacker would.

The folder beside the output may be shared (a CI workspace, /tmp) and
`.newpower-cache/` may be reached by a hostile contribution: what is planted
there must never write outside the output, be published, be run or delete
someone's folder. Each test plants what an attacker would and looks at the
victim afterwards.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import copy_site, newpower, tree_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newpower_site.core.sealed import read_sealed, write_sealed
from newpower_site.write import folder
from newpower_site.write.folder import MANIFEST, MANIFEST_HEADER, recover_interrupted_commit, recover_interrupted_swap, remove_stale_staging

DEAD = 2**22 + 4242  # the PID of no running process
IS_ROOT = os.getuid() == 0


@pytest.fixture
def built(tmp_path: Path) -> Path:
    site = copy_site("realistic", tmp_path)
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    return site


def plant_journal(beside: Path, names: list[str], payload: bytes = b"planted") -> Path:
    """A commit folder as the unguarded code read it: a JSON list of names and the new files by index."""
    planted = beside / f".output.commit-{DEAD}"
    planted.mkdir()
    for index, _ in enumerate(names):
        (planted / str(index)).write_bytes(payload)
    (planted / "journal").write_text(json.dumps(names), encoding="utf-8")
    return planted


# -- finding 1: planted commit journals and set-aside outputs -----------------------------------------


def test_a_planted_journal_never_writes_outside_the_output(built: Path, tmp_path: Path) -> None:
    victim, other = tmp_path / "victim", tmp_path / "absolute-victim"
    victim.write_text("precious", encoding="utf-8")
    other.write_text("precious too", encoding="utf-8")
    planted = plant_journal(built, ["../../victim", str(other), "index.html"])
    before = tree_bytes(built / "output")
    run = newpower("build", "--site", built)
    assert run.code == 0, run.stderr
    assert victim.read_text(encoding="utf-8") == "precious"
    assert other.read_text(encoding="utf-8") == "precious too"
    assert tree_bytes(built / "output") == before, "nothing of the planted journal is published"
    assert planted.is_dir() and (planted / "0").read_bytes() == b"planted", "not ours: never deleted either"
    assert f"{planted}: warning: left alone" in run.stderr


def test_a_planted_journal_is_left_alone_by_a_no_cache_build_too(built: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious", encoding="utf-8")
    plant_journal(built, ["../../victim"])
    run = newpower("build", "--site", built, "--no-cache")
    assert run.code == 0, run.stderr
    assert victim.read_text(encoding="utf-8") == "precious"


@pytest.mark.parametrize("name", ["../victim", "/victim", "a/../../victim", "", "./index.html", "not-in-the-manifest.html"])
def test_a_journal_sealed_by_this_user_is_still_replayed_only_inside_the_manifest(tmp_path: Path, name: str) -> None:
    """Even a journal that passes the seal names only files the output's manifest expects."""
    out = tmp_path / "site" / "output"
    out.mkdir(parents=True)
    (out / "index.html").write_bytes(b"home")
    folder.write_manifest(out, ["index.html"])
    victim = tmp_path / "site" / "victim"
    victim.write_bytes(b"precious")
    planted = out.parent / f".output.commit-{DEAD}"
    planted.mkdir()
    write_sealed(planted / folder.MARKER, folder._MARKS["commit"])
    (planted / "0").write_bytes(b"planted")
    write_sealed(planted / folder.JOURNAL, json.dumps([[name, folder._file_digest(b"planted")]]).encode())
    warnings = recover_interrupted_commit(out)
    assert victim.read_bytes() == b"precious" and (out / "index.html").read_bytes() == b"home"
    assert not (tmp_path / "victim").exists() and not Path("/victim").exists()
    assert [w.level for w in warnings] == ["warning"] and "not replayed" in warnings[0].message


def test_a_journal_whose_new_file_was_swapped_for_a_link_is_not_replayed(tmp_path: Path) -> None:
    out = tmp_path / "output"
    out.mkdir()
    (out / "index.html").write_bytes(b"home")
    folder.write_manifest(out, ["index.html"])
    secret = tmp_path / "secret"
    secret.write_bytes(b"a key")
    real_apply = folder._apply_journal
    try:
        folder._apply_journal = lambda *args: (_ for _ in ()).throw(KeyboardInterrupt)  # killed before any rename
        with pytest.raises(KeyboardInterrupt):
            folder.commit_files(out, {"index.html": b"new home"})
    finally:
        folder._apply_journal = real_apply
    left = out.parent / f".output.commit-{os.getpid()}"
    (left / "0").unlink()
    (left / "0").symlink_to(secret)
    warnings = recover_interrupted_commit(out)
    assert (out / "index.html").read_bytes() == b"home" and not (out / "index.html").is_symlink()
    assert "not the one the journal names" in warnings[0].message


def test_a_copied_journal_fails_its_seal(tmp_path: Path) -> None:
    """The seal covers the file itself: a byte-for-byte copy (planted, committed, restored) is not ours."""
    original = tmp_path / "journal"
    write_sealed(original, b'[["index.html", "x"]]')
    assert read_sealed(original) == b'[["index.html", "x"]]'
    copy = tmp_path / "copy"
    copy.write_bytes(original.read_bytes())
    assert read_sealed(copy) is None
    original.write_bytes(original.read_bytes()[:-1] + b"]")  # the same length, rewritten in place: still the inode
    assert read_sealed(original) == b'[["index.html", "x"]]'
    data = bytearray(original.read_bytes())
    data[-3] ^= 1
    original.write_bytes(bytes(data))
    assert read_sealed(original) is None


@pytest.mark.skipif(not IS_ROOT, reason="making a file another user owns needs root")
def test_a_journal_owned_by_another_user_is_never_replayed(tmp_path: Path) -> None:
    out = tmp_path / "output"
    out.mkdir()
    (out / "index.html").write_bytes(b"home")
    folder.write_manifest(out, ["index.html"])
    planted = out.parent / f".output.commit-{DEAD}"
    planted.mkdir()
    write_sealed(planted / folder.MARKER, folder._MARKS["commit"])
    (planted / "0").write_bytes(b"planted")
    write_sealed(planted / folder.JOURNAL, json.dumps([["index.html", folder._file_digest(b"planted")]]).encode())
    for path in (planted, planted / folder.MARKER, planted / "0", planted / folder.JOURNAL):
        os.chown(path, 4321, 4321)
    warnings = recover_interrupted_commit(out)
    assert (out / "index.html").read_bytes() == b"home"
    assert planted.exists() and "left alone" in warnings[0].message


def test_a_planted_output_set_aside_is_never_put_in_place(built: Path) -> None:
    """With output/ missing (a fresh clone, a first build), a planted `.output.staging-old-PID` is not renamed in."""
    planted = built / f".output.staging-old-{DEAD}"
    (built / "output").rename(planted)  # a whole output, manifest and all, as the unguarded code wanted it
    (planted / "index.html").write_text("<p>planted</p>", encoding="utf-8")
    article = built / "content/articles/old-news.md"
    article.write_text(article.read_text(encoding="utf-8").replace("title:", "titel:"), encoding="utf-8")
    run = newpower("build", "--site", built)
    assert run.code == 1, "a build that fails, so nothing replaces what was renamed in"
    assert not (built / "output").exists()
    assert (planted / "index.html").read_text(encoding="utf-8") == "<p>planted</p>"
    assert f"{planted}: warning: left alone" in run.stderr


def test_an_output_set_aside_by_the_generator_is_put_back(tmp_path: Path) -> None:
    out = tmp_path / "output"
    folder.publish(out, {"index.html": b"old"})
    aside = folder.set_aside(out)
    assert recover_interrupted_swap(out) == []
    assert (out / "index.html").read_bytes() == b"old" and not aside.exists()
    assert set(folder.list_files(out)) == {"index.html", MANIFEST}, "the marker does not stay in the output"


def test_an_output_set_aside_with_a_file_its_manifest_does_not_name_is_not_put_back(tmp_path: Path) -> None:
    out = tmp_path / "output"
    folder.publish(out, {"index.html": b"old"})
    aside = folder.set_aside(out)
    (aside / "extra.html").write_bytes(b"added after")
    assert "left alone" in recover_interrupted_swap(out)[0].message
    assert not out.exists()


# -- finding 13: the stale-staging clean-up deletes only its own folders -----------------------------


def test_the_cleanup_keeps_a_users_folders_named_like_staging(built: Path) -> None:
    words = built / ".output.staging-notes"
    numbered = built / f".output.staging-{DEAD}"
    old = built / f".output.staging-old-{DEAD + 1}"
    for kept in (words, numbered, old):
        (kept / "drafts").mkdir(parents=True)
        (kept / "drafts/plan.txt").write_text("my work", encoding="utf-8")
    run = newpower("build", "--site", built)
    assert run.code == 0, run.stderr
    for kept in (words, numbered, old):
        assert (kept / "drafts/plan.txt").read_text(encoding="utf-8") == "my work", kept
    assert f"{numbered}: warning: left alone" in run.stderr and f"{old}: warning: left alone" in run.stderr


def test_the_cleanup_removes_what_a_killed_build_left(tmp_path: Path) -> None:
    out = tmp_path / "output"
    folder.publish(out, {"index.html": b"x"})
    killed_early = tmp_path / f".output.staging-{DEAD}"
    killed_early.mkdir()  # killed between mkdir and its manifest: nothing of value in it
    killed_late = tmp_path / f".output.staging-{DEAD + 1}"
    folder.start_staging(killed_late)
    (killed_late / "articles").mkdir()
    (killed_late / "articles/index.html").write_bytes(b"half")
    assert remove_stale_staging(out) == []
    assert not killed_early.exists() and not killed_late.exists()


def test_a_staging_folder_that_is_a_link_is_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "output"
    folder.publish(out, {"index.html": b"x"})
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / MANIFEST).write_text(MANIFEST_HEADER, encoding="utf-8")
    (target / "mine.txt").write_text("keep", encoding="utf-8")
    (tmp_path / f".output.staging-{DEAD}").symlink_to(target)
    remove_stale_staging(out)
    assert (target / "mine.txt").read_text(encoding="utf-8") == "keep"


# -- findings 2 and 3: the compiled-template and resized-image caches --------------------------------


def plant_template_code(site: Path, name: str, marker: str) -> Path:
    """A compiled-template entry as Jinja's own cache writes one, under the key and source checksum of
    the real `name`, whose code renders the template with `marker` added: what a hostile file would run."""
    import marshal
    import pickle

    import jinja2

    from newpower_site.render.templates import make_environment

    env = make_environment(site)
    source, filename, _ = env.loader.get_source(env, name)
    bucket = jinja2.BytecodeCache()
    code = env.compile(source.replace("</body>", f"<p>{marker}</p></body>"), name, filename)
    entry = site / ".newpower-cache/templates" / f"__jinja2_{bucket.get_cache_key(name, filename)}.cache"
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(jinja2.bccache.bc_magic + pickle.dumps(bucket.get_source_checksum(source), 2) + marshal.dumps(code))
    return entry


def test_planted_template_code_is_never_run(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    plant_template_code(site, "base.html", "PLANTED-CODE")
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    pages = {path: data for path, data in tree_bytes(site / "output").items() if path.endswith(".html")}
    assert len(pages) > 10 and not [path for path, data in pages.items() if b"PLANTED-CODE" in data]


def test_a_flipped_byte_in_a_compiled_template_is_a_miss(tmp_path: Path) -> None:
    import jinja2

    from newpower_site.render.templates import _TemplateCodeCache, make_environment

    site = copy_site("realistic", tmp_path)
    entries = site / ".newpower-cache/templates"
    env = make_environment(site, entries)
    source, filename, _ = env.loader.get_source(env, "page.html")
    code_cache = _TemplateCodeCache(entries)
    bucket = jinja2.bccache.Bucket(env, code_cache.get_cache_key("page.html", filename), code_cache.get_source_checksum(source))
    bucket.code = env.compile(source, "page.html", filename)
    code_cache.dump_bytecode(bucket)
    (entry,) = entries.iterdir()
    fresh = jinja2.bccache.Bucket(env, bucket.key, bucket.checksum)
    code_cache.load_bytecode(fresh)
    assert fresh.code is not None, "an entry this build wrote is used"
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 1
    entry.write_bytes(bytes(data))
    flipped = jinja2.bccache.Bucket(env, bucket.key, bucket.checksum)
    code_cache.load_bytecode(flipped)
    assert flipped.code is None
    entry.unlink()
    entry.symlink_to(tmp_path / "elsewhere")
    (tmp_path / "elsewhere").write_bytes(bytes(data))
    linked = jinja2.bccache.Bucket(env, bucket.key, bucket.checksum)
    code_cache.load_bytecode(linked)
    assert linked.code is None


def photo_site(tmp_path: Path) -> Path:
    """The realistic site with a raster photo in an article, so there are resized copies."""
    from PIL import Image

    site = copy_site("realistic", tmp_path)
    picture = Image.new("RGB", (1200, 800), (164, 35, 27))
    for x in range(0, 1200, 7):
        picture.putpixel((x, x * 800 // 1200), (242, 193, 78))
    picture.save(site / "content/images/photo.png")
    article = site / "content/articles/old-news.md"
    article.write_text(article.read_text(encoding="utf-8") + "\n![A red photo](../images/photo.png)\n", encoding="utf-8")
    return site


def media(out: Path) -> dict[str, bytes]:
    return {path: data for path, data in tree_bytes(out).items() if path.startswith("media/")}


def test_a_link_at_an_image_cache_name_never_publishes_its_target(tmp_path: Path) -> None:
    from PIL import Image

    site = photo_site(tmp_path)
    assert newpower("build", "--site", site, "--out", tmp_path / "first").code == 0  # a cached build fills the image cache
    expected = media(tmp_path / "first")
    assert expected
    secret = tmp_path / "secret"
    secret.write_bytes(b"root:x:0:0:SECRET-BYTES\n")
    entries = sorted((site / ".newpower-cache/images").iterdir())
    assert entries
    for entry in entries:
        entry.unlink()
        entry.symlink_to(secret)
    for flags in (["--no-cache"], []):
        out = tmp_path / f"out{len(flags)}"
        run = newpower("build", "--site", site, "--out", out, *flags)
        assert run.code == 0, run.stderr
        assert media(out) == expected, flags
        for path in media(out):
            with Image.open(out / path) as copy:
                copy.load()
    assert secret.read_bytes() == b"root:x:0:0:SECRET-BYTES\n"


def test_a_truncated_resized_image_is_made_again_not_published(tmp_path: Path) -> None:
    site = photo_site(tmp_path)
    assert newpower("build", "--site", site, "--out", tmp_path / "first").code == 0  # a cached build fills the image cache
    expected = media(tmp_path / "first")
    for entry in (site / ".newpower-cache/images").iterdir():
        entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])
    for flags in (["--no-cache"], []):
        out = tmp_path / f"second{len(flags)}"
        run = newpower("build", "--site", site, "--out", out, *flags)
        assert run.code == 0, run.stderr
        assert media(out) == expected, flags


def test_an_image_cache_folder_that_is_a_link_is_not_used(tmp_path: Path) -> None:
    site = photo_site(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (site / ".newpower-cache").mkdir()
    (site / ".newpower-cache/images").symlink_to(elsewhere)
    run = newpower("build", "--site", site, "--no-cache")
    assert run.code == 0, run.stderr
    assert media(site / "output") and list(elsewhere.iterdir()) == []


def test_image_and_template_code_can_run_with_no_cache_at_all(tmp_path: Path) -> None:
    """What --no-cache is to pass: render_outputs(code_cache=None, image_cache=False), which call these so."""
    from newpower_site.plan.images import Variant, render_variant
    from newpower_site.render.templates import make_environment

    site = photo_site(tmp_path)
    source = site / "content/images/photo.png"
    variant = Variant("media/photo-480.webp", source, "content/images/photo.png", "0" * 64, 480, 320, "WEBP")
    assert render_variant(variant, site, cache=False)[:4] == b"RIFF"
    make_environment(site).get_template("page.html")
    assert not (site / ".newpower-cache").exists()


def test_a_link_in_the_build_cache_is_not_followed(tmp_path: Path) -> None:
    from newpower_site.cache.store import read_checked, write_checked

    elsewhere = tmp_path / "elsewhere.pickle"
    write_checked(elsewhere, {"planted": True})
    assert read_checked(elsewhere) == {"planted": True}
    entry = tmp_path / ".newpower-cache/build/hashes.pickle"
    entry.parent.mkdir(parents=True)
    entry.symlink_to(elsewhere)
    assert read_checked(entry) is None
    os.mkfifo(tmp_path / "fifo.pickle")
    assert read_checked(tmp_path / "fifo.pickle") is None, "a FIFO is not waited on"


# -- property: what a journal may name -------------------------------------------------------------

NAME_PARTS = st.sampled_from(["..", ".", "", "a", "index.html", "b c", "\\", "/", "\x00", "é", "~", "%2e%2e"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.one_of(st.text(max_size=30), st.lists(NAME_PARTS, max_size=6).map("/".join)), max_size=4),
       garbage=st.binary(max_size=40))
def test_a_sealed_journal_only_ever_names_files_inside_the_output(tmp_path: Path, names: list[str], garbage: bytes) -> None:
    """Whatever a journal holds (names, or bytes that are no JSON at all), reading it never raises, and
    what it accepts is only ever a file below the output folder that the manifest names."""
    out = tmp_path / "output"
    out.mkdir(exist_ok=True)
    folder.write_manifest(out, ["index.html", "a/index.html"] + [n for n in names if "\n" not in n and "\r" not in n])
    planted = tmp_path / "commit"
    planted.mkdir(exist_ok=True)
    for payload in (json.dumps([[name, "0"] for name in names]).encode(), garbage):
        write_sealed(planted / folder.JOURNAL, payload)
        entries, why = folder._read_journal(planted, out)
        assert (entries is None) == bool(why)
        for name, _ in entries or []:
            target = Path(os.path.normpath(out / name))
            assert target.is_relative_to(out) and target != out, name
            assert name in folder.read_manifest(out)


def test_a_build_cache_committed_or_copied_in_is_never_unpickled(tmp_path: Path) -> None:
    """The build cache's pickles are sealed to their own files: a copy (a cache committed to the
    repository, restored from a backup, planted) reads as missing, so its code never runs."""
    import pickle

    from newpower_site.cache.store import read_checked, write_checked

    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('planted pickle ran')",))

    real = tmp_path / "real.pickle"
    write_checked(real, {"fine": 1})
    assert read_checked(real) == {"fine": 1}
    planted = tmp_path / "planted.pickle"
    data = real.read_bytes()
    planted.write_bytes(data[: len(data) - len(pickle.dumps({"fine": 1}, protocol=pickle.HIGHEST_PROTOCOL))]
                        + pickle.dumps(Boom()))
    assert read_checked(planted) is None
    copied = tmp_path / "copied.pickle"
    copied.write_bytes(data)  # the same bytes, another file
    assert read_checked(copied) is None


def test_a_snapshot_store_behind_a_link_is_not_read(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    assert newpower("build", "--site", site).code == 0
    store = next((site / ".newpower-cache/build").glob("snapshots-*.sqlite"))
    elsewhere = tmp_path / "elsewhere.sqlite"
    store.rename(elsewhere)
    store.symlink_to(elsewhere)
    with (site / "content/articles/bakery-buyout.md").open("a", encoding="utf-8") as handle:
        handle.write("\nA line after the link was planted.\n")
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    assert b"A line after the link was planted." in (site / "output/articles/bakery-buyout/index.html").read_bytes()
    assert not store.is_symlink()  # the next store was written in its place, not through the link
