"""A build with nothing to do: it loads no stage and reads no more of the cache than it needs, and
still notices everything a cold build would see differently (an output file edited or added by
hand, a template, site.yaml, a content file saved within the racy window)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, copy_site, tree_bytes

from newpower_site.cache.keys import OUTPUT_LIBRARIES, generator_fingerprint, library_versions
from newpower_site.cache.store import read_checked, write_checked
from newpower_site.core.options import BuildOptions
from newpower_site.engine.engine import build_site
from newpower_site.write.marks import OutputMarks, as_noted, check_beside

# What a build with nothing to do must not import: the stages and the libraries behind them.
STAGE_MODULES = ("jinja2", "cmarkgfm", "yaml", "feedgen", "lxml", "PIL", "nh3", "html5lib", "sqlite3", "smtplib", "ssl",
                 "importlib.metadata", "newpower_site.load.content", "newpower_site.render.renderer", "newpower_site.cache.items",
                 "newpower_site.cache.snapshots", "newpower_site.email.checks",
                 "hashlib")  # it loads OpenSSL's libcrypto, for a BLAKE2b that core/hashing.py takes from _blake2


def settled(site: Path) -> Path:
    """Every source dated a minute ago: a file saved within 2 s of a build makes the next one take the full path."""
    past = time.time() - 60
    for path in [site / "site.yaml", *(site / "content").rglob("*"), *(site / "templates").rglob("*")]:
        os.utime(path, (past, past), follow_symlinks=False)
    return site


def build(site: Path, out: Path):
    result = build_site(BuildOptions(site, out_dir=out), search_index=False)
    assert result.ok, [d.format() for d in result.diagnostics]
    return result


def cold(site: Path, out: Path) -> dict[str, bytes]:
    result = build_site(BuildOptions(site, out_dir=out), cached=False, search_index=False)
    assert result.ok
    return tree_bytes(out)


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    site = settled(copy_site("realistic", tmp_path))
    build(site, site / "output")
    assert build(site, site / "output").stats.path == "unchanged"
    return site


def modules_after(site: Path, builds: int, *flags: str) -> tuple[list[str], set[str]]:
    """(what it printed, the modules it loaded) of a fresh process that ran `newpower build` `builds` times."""
    script = (
        "import json, sys\nfrom newpower_site.cli.main import main\n"
        f"for _ in range({builds}): assert main(['build', *{list(flags)!r}, '--site', {str(site)!r}]) == 0\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    return lines[:-1], set(json.loads(lines[-1]))


def test_a_build_with_nothing_to_do_loads_no_stage(tmp_path: Path) -> None:
    site = settled(copy_site("realistic", tmp_path))
    _, first = modules_after(site, 2, "--quiet")
    # The cold build loads, plans and renders in a forked child (engine._full), and makes the search index here:
    assert "newpower_site.write.search" in first, "the first build (cold) imported what it ran in this process"
    printed, loaded = modules_after(site, 1)
    assert printed[0].endswith("(nothing changed)"), printed
    assert not loaded & {*STAGE_MODULES, "newpower_site.write.search"}, sorted(loaded & {*STAGE_MODULES, "newpower_site.write.search"})

    # `python -m newpower_site` (what the benchmarks run) checks the libraries only when one fails to import
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "newpower_site", "build", "--site", str(site)],
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0 and done.stdout.rstrip().endswith("(nothing changed)"), done.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "newpower_site.cli.main" in imported
    assert not imported & set(STAGE_MODULES), sorted(imported & set(STAGE_MODULES))


def test_an_output_file_edited_by_hand_after_a_build_with_nothing_to_do_is_noticed(site: Path, tmp_path: Path) -> None:
    page = site / "output/voices/dee-okafor/index.html"
    stat = page.stat()
    original = page.read_bytes()
    page.write_bytes(original.replace(b"<html", b"<HTML", 1))  # the same size, a new mtime
    assert page.stat().st_size == stat.st_size
    assert build(site, site / "output").stats.path != "unchanged"
    assert tree_bytes(site / "output") == cold(site, tmp_path / "cold")
    assert page.read_bytes() == original


def test_a_file_added_to_the_output_after_a_build_with_nothing_to_do_is_refused(site: Path) -> None:
    (site / "output/voices/dee-okafor/notes.txt").write_text("mine\n")
    result = build_site(BuildOptions(site), search_index=False)
    assert not result.ok and any("voices/dee-okafor/notes.txt" in d.message for d in result.diagnostics)
    assert (site / "output/voices/dee-okafor/notes.txt").read_text() == "mine\n"


def test_a_template_or_site_yaml_edited_after_a_build_with_nothing_to_do_is_noticed(site: Path, tmp_path: Path) -> None:
    (site / "templates").mkdir()
    theme = REPO / "templates"
    (site / "templates/voice.html").write_text((theme / "voice.html").read_text(encoding="utf-8").replace(
        "</article>", "<p>Own theme</p></article>", 1), encoding="utf-8")
    settled(site)
    assert build(site, site / "output").stats.path != "unchanged"
    assert b"Own theme" in (site / "output/voices/dee-okafor/index.html").read_bytes()
    assert build(site, site / "output").stats.path == "unchanged"
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("title: ", "title: Renamed ", 1), encoding="utf-8")
    settled(site)
    assert build(site, site / "output").stats.path != "unchanged"
    assert tree_bytes(site / "output") == cold(site, tmp_path / "cold")


def test_a_content_edit_within_the_racy_window_is_noticed(site: Path, tmp_path: Path) -> None:
    """A file saved just before a build, then again with the same size and (a coarse clock) the same
    mtime: its signature cannot tell, so a build that saw it this new does not trust it later."""
    source = site / "content/articles/bakery-buyout.md"
    text = source.read_text(encoding="utf-8")
    assert "twelve bakers" in text
    saved = time.time_ns()
    source.write_text(text, encoding="utf-8")
    os.utime(source, ns=(saved, saved))
    assert build(site, site / "output").stats.path != "unchanged", "a file saved within 2 s of the look proves nothing"
    source.write_text(text.replace("twelve bakers", "TWELVE BAKERS", 1), encoding="utf-8")
    os.utime(source, ns=(saved, saved))
    time.sleep(2.1)  # no longer racy itself: only what the last build noted tells
    assert build(site, site / "output").stats.path != "unchanged"
    assert b"TWELVE BAKERS" in (site / "output/articles/bakery-buyout/index.html").read_bytes()
    assert tree_bytes(site / "output") == cold(site, tmp_path / "cold")


def test_output_marks_are_kept_packed_and_still_notice_every_touch(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "a/b").mkdir(parents=True)
    (out / "a/b/index.html").write_text("page")
    (out / "feed.xml").write_text("feed")

    def marks() -> OutputMarks:
        folders = {name: os.stat(out / name).st_mtime_ns for name in ("", "a", "a/b")}
        files = {name: (os.stat(out / name).st_size, os.stat(out / name).st_mtime_ns) for name in ("a/b/index.html", "feed.xml")}
        return OutputMarks((1, 2, 3), folders, files)

    noted = marks()
    write_checked(tmp_path / "marks.pickle", noted)
    kept = read_checked(tmp_path / "marks.pickle")
    assert isinstance(kept, OutputMarks) and kept == noted and kept.manifest == (1, 2, 3)
    root = os.fspath(out) + os.sep
    assert as_noted(root, kept)
    kept.file_stats["feed.xml"] = (0, 0)  # unpacked, changed, packed again
    assert read_checked(tmp_path / "marks.pickle") == noted
    write_checked(tmp_path / "changed.pickle", kept)
    assert read_checked(tmp_path / "changed.pickle").file_stats["feed.xml"] == (0, 0)
    assert not as_noted(root, kept)

    old = os.stat(out / "a/b/index.html").st_mtime_ns
    (out / "a/b/index.html").write_text("edit")  # same size
    os.utime(out / "a/b/index.html", ns=(old + 1, old + 1))
    assert not as_noted(root, noted)
    noted = marks()
    (out / "a/b/extra.html").write_text("x")
    assert not as_noted(root, noted), "a file added to a folder changes the folder's mtime"
    noted = marks()
    (out / "feed.xml").unlink()
    assert not as_noted(root, noted)


def test_library_versions_come_from_the_installed_metadata_folders(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, names in ((first, ["Jinja2-3.1.4.dist-info", "css_inline-0.24.0.dist-info", "jinja2_extras-1.0.dist-info"]),
                          (second, ["jinja2-2.0.dist-info", "PyYAML-6.0-py3.11.egg-info", "lxml-5.0.dist-info"])):
        for name in names:
            (folder / name).mkdir(parents=True)
    found = library_versions([str(first), str(tmp_path / "missing"), str(second)])
    assert found == {"jinja2": "Jinja2-3.1.4", "css-inline": "css_inline-0.24.0", "PyYAML": "PyYAML-6.0-py3.11", "lxml": "lxml-5.0"}
    before = generator_fingerprint(search_path=[str(first), str(second)])
    (first / "lxml-5.1.dist-info").mkdir()  # an upgrade (first on the path)
    assert generator_fingerprint(search_path=[str(first), str(second)]) != before

    from importlib import metadata

    for name, stem in library_versions(sys.path).items():  # this Python's: the versions importlib.metadata reads
        assert stem.endswith("-" + metadata.version(name)), (name, stem)
    assert set(library_versions(sys.path)) == set(OUTPUT_LIBRARIES)


def noted_output(tmp_path: Path) -> tuple[str, OutputMarks]:
    """A small output folder and the marks a build would have noted of it."""
    out = tmp_path / "out"
    (out / "a/b").mkdir(parents=True)
    (out / "a/b/index.html").write_text("page")
    (out / "feed.xml").write_text("feed")
    folders = {name: os.stat(out / name).st_mtime_ns for name in ("", "a", "a/b")}
    files = {name: (os.stat(out / name).st_size, os.stat(out / name).st_mtime_ns) for name in ("a/b/index.html", "feed.xml")}
    write_checked(tmp_path / "marks.pickle", OutputMarks((1, 2, 3), folders, files))
    kept = read_checked(tmp_path / "marks.pickle")  # packed, as a build reads them
    assert isinstance(kept, OutputMarks)
    return os.fspath(out) + os.sep, kept


def edit_in_place(path: Path) -> None:
    """The same size, a new mtime: only the file's own stat tells."""
    old = os.stat(path).st_mtime_ns
    path.write_text(path.read_text().upper())
    os.utime(path, ns=(old + 1, old + 1))


def forked_answer(root: str, marks: OutputMarks, forked: bool = True) -> bool:
    forked = forked and len(os.sched_getaffinity(0)) > 1  # on one core the files are stat'ed here
    check = check_beside(root, marks)
    assert (check.pid is not None) == forked, "the files' half ran in a child" if forked else "no child was forked"
    return check.result()


def test_the_forked_check_of_the_output_notices_an_edit_in_place_and_a_file_added_or_removed(tmp_path: Path) -> None:
    root, marks = noted_output(tmp_path)
    assert forked_answer(root, marks)
    edit_in_place(Path(root) / "a/b/index.html")  # the child's half: no folder changed
    assert not forked_answer(root, marks)
    root, marks = noted_output(tmp_path / "added")
    (Path(root) / "a/b/notes.txt").write_text("mine")  # the parent's half: only the folder's mtime tells
    assert not forked_answer(root, marks)
    root, marks = noted_output(tmp_path / "removed")
    (Path(root) / "feed.xml").unlink()
    assert not forked_answer(root, marks)


def test_without_fork_or_with_a_child_that_dies_the_output_is_checked_here(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from newpower_site.write import marks as marks_module

    def dies(root: str, marks: OutputMarks) -> int:
        os.kill(os.getpid(), signal.SIGKILL)
        return 0

    root, marks = noted_output(tmp_path)
    page = Path(root) / "a/b/index.html"
    with monkeypatch.context() as patched:
        patched.setattr(marks_module, "_check_files_in_child", dies)
        assert forked_answer(root, marks)
        edit_in_place(page)
        assert not forked_answer(root, marks), "a dead child's half is done here, not taken as 'untouched'"
    root, marks = noted_output(tmp_path / "nofork")
    with monkeypatch.context() as patched:
        patched.delattr(os, "fork")
        assert forked_answer(root, marks, forked=False)
        edit_in_place(Path(root) / "feed.xml")
        assert not forked_answer(root, marks, forked=False)
    root, marks = noted_output(tmp_path / "failing")
    with monkeypatch.context() as patched:
        def no_more_processes() -> int:
            raise BlockingIOError(11, "Resource temporarily unavailable")

        patched.setattr(os, "fork", no_more_processes)
        assert forked_answer(root, marks, forked=False)
        edit_in_place(Path(root) / "feed.xml")
        assert not forked_answer(root, marks, forked=False)
    root, marks = noted_output(tmp_path / "one-core")
    with monkeypatch.context() as patched:
        patched.setattr(os, "sched_getaffinity", lambda pid: {0})
        assert forked_answer(root, marks, forked=False)
    root, marks = noted_output(tmp_path / "threads")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert forked_answer(root, marks, forked=False), "a threaded process is not forked"
    finally:
        stop.set()
        thread.join()


def test_the_forked_check_writes_nothing_and_runs_no_exit_handler_of_the_parent(tmp_path: Path) -> None:
    """The child ends with os._exit: what the parent had buffered, and its atexit handlers, come out once."""
    root, _ = noted_output(tmp_path)
    script = (
        "import atexit, sys\nfrom newpower_site.cache.store import read_checked\n"
        "from newpower_site.write.marks import check_beside\n"
        "atexit.register(lambda: print('exit handler'))\n"
        "sys.stdout.write('buffered\\n')\n"
        f"check = check_beside({root!r}, read_checked(__import__('pathlib').Path({str(tmp_path / 'marks.pickle')!r})))\n"
        "assert check.pid is not None or len(__import__('os').sched_getaffinity(0)) < 2\n"
        "print('untouched' if check.result() else 'touched')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "PYTHONUNBUFFERED": ""})
    assert done.returncode == 0, done.stderr
    assert done.stdout == "buffered\nuntouched\nexit handler\n"


def test_the_state_unpickles_its_output_and_source_tables_only_when_asked(site: Path) -> None:
    from newpower_site.cache.state import OutputState, read_state

    (state_file,) = [p for p in (site / ".newpower-cache/build").glob("output-*.pickle") if ".tables-" not in p.name]
    state = read_state(state_file)
    assert isinstance(state, OutputState) and state._deferred is not None, "read from the cache, the tables wait"
    assert state.outputs["voices/dee-okafor/index.html"] and "content/voices/dee-okafor.md" in {
        Path(path).relative_to(site).as_posix() for path in state.sources}
    assert state._deferred is None
    state.outputs["extra.html"] = "changed"
    write_checked(state_file.with_name("copy.pickle"), state)  # a changed table is pickled again, not the old blob
    again = read_checked(state_file.with_name("copy.pickle"))
    assert again == state and again.outputs["extra.html"] == "changed"
    untouched = read_state(state_file)
    write_checked(state_file.with_name("copy.pickle"), untouched)  # never asked for: its tables go with it whole
    assert read_checked(state_file.with_name("copy.pickle")) == read_state(state_file) != again


def test_only_a_build_that_wrote_nothing_leaves_its_objects_out_of_the_last_collection(tmp_path: Path) -> None:
    """A build with nothing to do freezes what is alive (the exit's collections walked it all, for
    longer than the rest of the exit); a build that wrote files keeps the exit's usual collections."""
    site = settled(copy_site("realistic", tmp_path))
    script = (
        "import gc\nfrom newpower_site.cli.main import main\n"
        f"assert main(['build', '--quiet', '--site', {str(site)!r}]) == 0\n"
        "print(gc.get_freeze_count())\n"
        f"assert main(['build', '--quiet', '--site', {str(site)!r}]) == 0\n"
        "print(gc.get_freeze_count())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    wrote, unchanged = map(int, done.stdout.split())
    assert wrote == 0 and unchanged > 1000


def test_the_source_walk_notes_every_entry_and_files_a_build_reads(tmp_path: Path) -> None:
    from newpower_site.cache.store import RACY_SIGNATURE, look_at_tree

    root = tmp_path / "content"
    (root / "articles/_drafts").mkdir(parents=True)
    (root / "articles/one.md").write_text("one")
    (root / "articles/_drafts/two.md").write_text("two")
    (root / "articles/.one.md.swp").write_text("swap")
    (root / "pages").mkdir()
    (root / "pages/about.md").symlink_to(root / "articles/one.md")
    past = time.time() - 60
    for path in [*root.rglob("*"), root]:
        os.utime(path, (past, past), follow_symlinks=False)
    look = look_at_tree([root])
    one = os.stat(root / "articles/one.md")
    assert look.files == {str(root / "articles/one.md"): (one.st_size, one.st_mtime_ns, one.st_ino),
                          str(root / "pages/about.md"): (one.st_size, one.st_mtime_ns, one.st_ino)}  # a link: its target's
    assert look.links and not look.racy
    assert look_at_tree([root]).digest == look.digest
    os.utime(root / "articles/_drafts/two.md", (past + 1, past + 1))  # skipped by the build, still in the digest
    assert look_at_tree([root]).digest != look.digest
    touched = look_at_tree([root]).digest
    os.rename(root / "articles/_drafts/two.md", root / "articles/_drafts/twa.md")  # the same signature under another name
    os.utime(root / "articles/_drafts", (past, past))
    assert look_at_tree([root]).digest not in (touched, look.digest)
    (root / "articles/three.md").write_text("three")  # just saved: racy
    fresh = look_at_tree([root])
    assert fresh.racy and fresh.files[str(root / "articles/three.md")] == RACY_SIGNATURE


def test_the_state_keeps_its_tables_in_a_file_of_their_own_that_a_build_with_nothing_to_do_never_reads(site: Path) -> None:
    """`outputs` and `sources` (half the state's bytes at 10,000 items) are a file beside the state file:
    read only when a build needs them, replaced with each state, and a state whose file is gone reuses
    nothing of the output, yet builds what a cold build does."""
    from newpower_site.cache import state as state_module
    from newpower_site.cache.state import BuildCache

    folder = site / ".newpower-cache/build"
    tables = sorted(folder.glob("output-*.tables-*.pickle"))
    assert len(tables) == 1
    cache = BuildCache(site)
    cache.open(site / "output", "swap")
    assert cache.state is not None and isinstance(cache.state._deferred, str), "read from the cache: a key, not the tables"
    assert cache.state.outputs and cache.state.sources and not cache.state.tables_lost

    read = []
    real = state_module.read_sealed
    state_module.read_sealed = lambda path: read.append(path) or real(path)
    try:
        assert build(site, site / "output").stats.path == "unchanged"
    finally:
        state_module.read_sealed = real
    assert read == []

    (site / "content/articles/council-listens.md").write_text(
        (site / "content/articles/council-listens.md").read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    settled(site)
    assert build(site, site / "output").stats.path in ("quick", "head", "incremental")
    assert sorted(folder.glob("output-*.tables-*.pickle")) != tables and len(list(folder.glob("output-*.tables-*.pickle"))) == 1

    for lost in folder.glob("output-*.tables-*.pickle"):
        lost.unlink()
    (site / "content/articles/council-listens.md").write_text(
        (site / "content/articles/council-listens.md").read_text(encoding="utf-8") + "\nAnd another.\n", encoding="utf-8")
    settled(site)
    result = build(site, site / "output")
    assert result.stats.path == "cold", "without the fingerprints nothing of the output is reused"
    assert tree_bytes(site / "output") == cold(site, site.parent / "cold")
    assert build(site, site / "output").stats.path == "unchanged"
