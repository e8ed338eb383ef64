"""The cold build's shortcuts: workers write their own files, an issue's email is made once for its three files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newpower_site.core import pool
from newpower_site.engine.engine import plan
from newpower_site.core.options import BuildOptions
from newpower_site.render.renderer import render_outputs
from newpower_site.write.writers import FileSink
from tests.conftest import copy_site


def test_the_sink_writes_files_and_folders_below_its_root(tmp_path: Path) -> None:
    sink = FileSink(os.fspath(tmp_path))
    sink("a/b/index.html", b"<p>one</p>")
    sink("a/c/index.html", b"<p>two</p>")
    sink("top.txt", b"three")
    assert (tmp_path / "a/b/index.html").read_bytes() == b"<p>one</p>"
    assert (tmp_path / "a/c/index.html").read_bytes() == b"<p>two</p>"
    assert (tmp_path / "top.txt").read_bytes() == b"three"


def test_the_sink_never_makes_its_root_again(tmp_path: Path) -> None:
    """A worker still writing after its build was killed and the staging folder removed must not bring it back."""
    root = tmp_path / "stage"
    root.mkdir()
    sink = FileSink(os.fspath(root))
    sink("a/index.html", b"x")
    (root / "a/index.html").unlink()
    (root / "a").rmdir()
    root.rmdir()
    with pytest.raises(OSError):
        sink("b/c/index.html", b"y")
    assert not root.exists()


def _site_outputs(tmp_path: Path):
    site = copy_site("realistic", tmp_path)
    _, urls, outputs, problems = plan(BuildOptions(site))
    assert urls is not None and not [p for p in problems if p.level == "error"]
    return site, urls, [o for o in outputs if o.producer != "image"]


@pytest.mark.parametrize("parallel", [False, True])
def test_a_sink_gets_every_rendered_file_and_nothing_comes_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                parallel: bool) -> None:
    monkeypatch.setattr(pool, "MIN_ITEMS", 1)  # the realistic site is small: use the pool anyway
    monkeypatch.setattr(pool, "BATCH", 4)
    site, urls, outputs = _site_outputs(tmp_path)
    expected = {o.path: data for o, data in render_outputs(outputs, urls, site, [], parallel=False)}
    stage = tmp_path / "stage"
    stage.mkdir()
    problems: list = []
    returned = list(render_outputs(outputs, urls, site, problems, parallel=parallel, sink=FileSink(os.fspath(stage))))
    assert returned == [] and problems == []
    written = {p.relative_to(stage).as_posix(): p.read_bytes() for p in stage.rglob("*") if p.is_file()}
    assert written == expected


def test_a_write_that_fails_is_a_located_error(tmp_path: Path) -> None:
    site, urls, outputs = _site_outputs(tmp_path)
    stage = tmp_path / "stage"  # never made: every write fails
    problems: list = []
    list(render_outputs(outputs[:3], urls, site, problems, parallel=False, sink=FileSink(os.fspath(stage))))
    assert [p.format().split(": error: ")[0] for p in problems] == [o.path for o in outputs[:3]]
    assert all("cannot write the output" in p.format() for p in problems)


def test_an_issues_eml_holds_the_same_html_and_text_as_its_own_files(tmp_path: Path) -> None:
    import email
    import email.policy

    site, urls, outputs = _site_outputs(tmp_path)
    mails = [o for o in outputs if o.producer.startswith("email-")]
    assert len(mails) >= 3
    files = {o.path: data for o, data in render_outputs(mails, urls, site, [], parallel=False)}
    for eml_path in [p for p in files if p.endswith(".eml")]:
        message = email.message_from_bytes(files[eml_path], policy=email.policy.SMTP)
        stem = eml_path.removesuffix(".eml")
        parts = {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}
        for kind, extension in (("text/html", ".html"), ("text/plain", ".txt")):  # the message's lines end in CRLF
            assert parts[kind].replace("\r\n", "\n") == files[stem + extension].decode("utf-8").replace("\r\n", "\n")
