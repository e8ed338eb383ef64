"""The hostile content catalogue: one test per case, each through a real build.

Every case ends one of two ways: the site builds and the hostile text is
harmless in every output, or the build stops with PATH:LINE: error: lines,
exit status 1 and no traceback. Cases already kept as test sites
(tests/sites/bad-*) are named here and checked against their expected line.
Memory is measured, time is not: a slow case fails only by the hang guard.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from conftest import SITES, Run, copy_site, newpower
from test_fuzz_site import HOSTILE, TEXT_FIELDS, build_in_memory, compare, write_site

from newpower_site.write.lock import lock_path

LIMIT = 300  # seconds: the hang guard of a case, not a speed check
ARTICLE = "content/articles/hostile.md"


def site_with(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    """The realistic test site plus `files` (site path -> text or bytes)."""
    site = copy_site("realistic", tmp_path)
    for relative, data in files.items():
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return site


def article(body: str, front: str = "title: Hostile\ndate: 2026-01-01\n") -> str:
    return f"---\n{front}---\n{body}"


def builds(site: Path) -> Run:
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    assert "Traceback" not in run.stderr
    return run


def fails_with(site: Path, *expected: str) -> Run:
    run = newpower("build", "--site", site)
    assert run.code == 1, run.stdout
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    for line in expected:
        assert line in run.stderr, run.stderr
    assert not (site / "output").exists(), "a failed build writes nothing"
    return run


def expected_error(site: str, path: str) -> str:
    """The expected-errors.txt line of a bad-* test site for `path`."""
    lines = (SITES / site / "expected-errors.txt").read_text(encoding="utf-8").splitlines()
    return next(line for line in lines if line.startswith(path + ":"))


def page(site: Path, url_path: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((site / "output" / url_path / "index.html").read_bytes())


def peak_memory_of_build(site: Path) -> int:
    """Peak resident memory (bytes) of `newpower build` and its pool, measured in a process of its own."""
    probe = (
        "import resource, sys\n"
        "from newpower_site.cli.main import main\n"
        "code = main(['build', '--site', sys.argv[1], '--quiet'])\n"
        "peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(code, peak * 1024)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(site)], capture_output=True, text=True, timeout=LIMIT, check=False)
    code, peak = done.stdout.split()
    assert code == "0", done.stderr
    return int(peak)


# -- Markdown built to break parsers -------------------------------------------------------------------


@pytest.mark.parametrize("name, body", [
    ("block quotes", ">" * 5000 + " deep\n"),
    ("lists", "".join("  " * i + "- x\n" for i in range(5000))),
    ("emphasis", "*" * 5000 + "x" + "*" * 5000 + "\n"),
    ("raw HTML", "<div>" * 5000 + "x" + "</div>" * 5000 + "\n"),
    ("links in links", "[a](" * 5000 + "https://example.org" + ")" * 5000 + "\n"),
])
def test_markdown_nested_5000_deep(tmp_path: Path, name: str, body: str) -> None:
    site = site_with(tmp_path, {ARTICLE: article(body)})
    run = newpower("build", "--site", site)
    assert "Traceback" not in run.stderr and "RecursionError" not in run.stderr and "internal error" not in run.stderr
    if run.code == 0:
        assert page(site, "articles/hostile").xpath("//main"), "the page is whole"
    else:
        assert f"{ARTICLE}:" in run.stderr


def test_20000_unmatched_brackets(tmp_path: Path) -> None:
    body = "[" * 20000 + "\n\n" + "](" * 20000 + "\n\n" + "![" * 10000 + "\n\n" + "]" * 20000 + "\n"
    site = site_with(tmp_path, {ARTICLE: article(body)})
    builds(site)
    text = page(site, "articles/hostile").text_content()
    assert "[" * 20000 in text, "shown as text"


def test_an_article_near_the_size_bound_builds_in_bounded_memory(tmp_path: Path) -> None:
    """Content files are bounded at 2 MB (content.MAX_SOURCE_BYTES); one just under it still builds, in bounded memory."""
    words = ["power", "workers", "union", "council", "members", "share", "tenants", "budget", "community"]
    paragraphs = [" ".join(words[(n + i) % len(words)] for i in range(80)) + f" *n{n}* [link](https://example.org/{n})." for n in range(3120)]
    body = "\n\n".join(paragraphs) + "\n\nThe very end.\n"
    assert 1.85 * 1024 * 1024 < len(body.encode()) < 2 * 1024 * 1024
    site = site_with(tmp_path, {ARTICLE: article(body)})
    peak = peak_memory_of_build(site)
    print(f"1.9 MB article: peak memory {peak / 2**20:.0f} MB")
    assert peak < 1024 * 2**20, f"{peak / 2**20:.0f} MB for a 1.9 MB article"  # generous
    assert "The very end." in page(site, "articles/hostile").text_content()


def test_a_5_mb_article_is_an_error_naming_it(tmp_path: Path) -> None:
    site = site_with(tmp_path, {ARTICLE: article("A paragraph of words.\n\n" * 250_000)})
    fails_with(site, f"{ARTICLE}: error: the file is 5.5 MB, over the 2 MB a content file may hold")


# -- YAML ----------------------------------------------------------------------------------------------

ALIAS_BOMB = """title: Laughs
date: 2026-01-01
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_yaml_alias_bomb(tmp_path: Path) -> None:
    assert expected_error("bad-yaml", "content/articles/alias.md").endswith("YAML anchors and aliases (& and *) are not allowed here")
    site = site_with(tmp_path, {ARTICLE: article("Boom.\n", ALIAS_BOMB)})
    fails_with(site, f"{ARTICLE}:4: error: YAML anchors and aliases (& and *) are not allowed here")


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system ['touch pwned']", "!!python/name:os.system", "!!python/object:__main__.X {}",
                                 "!!binary aGVsbG8=", "!<tag:yaml.org,2002:python/tuple> [1]"])
def test_yaml_python_and_other_tags(tmp_path: Path, tag: str) -> None:
    assert "python/object/apply:os.system" in expected_error("bad-yaml", "content/articles/python-tag.md")
    site = site_with(tmp_path, {ARTICLE: article("Body.\n", f"title: {tag}\ndate: 2026-01-01\n")})
    run = fails_with(site, f"{ARTICLE}:2: error: YAML tag ")
    assert "is not allowed: write plain values" in run.stderr
    assert not (site / "pwned").exists() and not Path("pwned").exists()


# -- bytes and line endings ----------------------------------------------------------------------------


def test_invalid_utf8(tmp_path: Path) -> None:
    line = expected_error("bad-encoding", "content/articles/latin-1.md")
    site = site_with(tmp_path, {ARTICLE: b"---\ntitle: Caf\xe9\ndate: 2026-01-01\n---\n\xff\xfe\n"})
    fails_with(site, f"{ARTICLE}:2: error: not valid UTF-8 (byte 0xe9); save the file as UTF-8")
    assert line.endswith("save the file as UTF-8")


def test_byte_order_mark(tmp_path: Path) -> None:
    site = site_with(tmp_path, {ARTICLE: "\ufeff" + article("Text after a BOM.\n", "title: Marked\ndate: 2026-01-01\n")})
    builds(site)
    assert page(site, "articles/hostile").xpath("string(//h1)") == "Marked"
    assert "\ufeff" not in (site / "output/articles/hostile/index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["CRLF", "lone CR"])
def test_crlf_and_lone_cr_line_endings(tmp_path: Path, newline: str) -> None:
    text = article("First paragraph.\n\nSecond, with [a link](../voices/dee-okafor.md).\n", "title: Endings\ndate: 2026-01-01\ntopics: [workplace]\n")
    site = site_with(tmp_path, {ARTICLE: text.replace("\n", newline)})
    builds(site)
    paragraphs = page(site, "articles/hostile").xpath("//main//p/text()")
    assert "First paragraph." in paragraphs and "\r" not in (site / "output/articles/hostile/index.html").read_text(encoding="utf-8")
    broken = text.replace("topics:", "topix:").replace("\n", newline)
    site2 = site_with(tmp_path / "two", {ARTICLE: broken})
    fails_with(site2, f"{ARTICLE}:4: error: unknown key 'topix'")  # lines counted as the editor sees them
    assert expected_error("bad-encoding", "content/articles/lone-cr.md").startswith("content/articles/lone-cr.md:4:")


def test_nul_bytes(tmp_path: Path) -> None:
    site = site_with(tmp_path, {ARTICLE: b"---\ntitle: Nul\ndate: 2026-01-01\n---\n\nText\x00here\n"})
    fails_with(site, f"{ARTICLE}:6: error: the file contains a NUL byte")


# -- names and links on disk -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["with space.md", "Capital.md", "café.md", "日本.md", "-.md"])
def test_file_names_with_spaces_capitals_or_non_ascii_letters(tmp_path: Path, name: str) -> None:
    site = site_with(tmp_path, {f"content/articles/{name}": article("Body.\n")})
    run = fails_with(site, f"content/articles/{name}:1: error: file name ")
    assert "is not a valid slug: use lower-case a-z, 0-9 and hyphens" in run.stderr


def test_symbolic_links_out_of_the_site_are_never_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "static").mkdir(parents=True)
    (outside / "secret.md").write_text(article("SECRET-TEXT\n"), encoding="utf-8")
    (outside / "static" / "key.txt").write_text("SECRET-KEY", encoding="utf-8")
    site = copy_site("realistic", tmp_path)
    (site / "content/articles/leak.md").symlink_to(outside / "secret.md")
    (site / "content/more").symlink_to(outside, target_is_directory=True)
    (site / "content/images/passwd").symlink_to("/etc/passwd")
    (site / "templates/static").mkdir(parents=True)
    (site / "templates/static/key.txt").symlink_to(outside / "static" / "key.txt")
    (site / "templates/static/outside").symlink_to(outside / "static", target_is_directory=True)
    run = builds(site)
    assert "content/articles/leak.md: warning: symbolic link to outside the site folder: not followed" in run.stderr
    everything = b"".join(p.read_bytes() for p in (site / "output").rglob("*") if p.is_file())
    assert b"SECRET-TEXT" not in everything and b"SECRET-KEY" not in everything and b"root:x:0:0" not in everything


# -- text that tries to become markup ----------------------------------------------------------------------

FIELD_KEYS = [f"{kind}.{name}" for kind, names in TEXT_FIELDS.items() for name in names]
PLAIN_BODIES = dict.fromkeys(["article", "voice", "newsletter", "page"], "Plain words.\n")


def hostile_and_plain(tmp_path: Path, value: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The fuzzing site (test_fuzz_site) with `value` in every text field of every kind and of site.yaml, and with plain words."""
    write_site(tmp_path / "hostile", dict.fromkeys(FIELD_KEYS, value), PLAIN_BODIES, "../images/a.png", "../images/a.png")
    write_site(tmp_path / "plain", dict.fromkeys(FIELD_KEYS, "Plain words"), PLAIN_BODIES, "../images/a.png", "../images/a.png")
    files, problems = build_in_memory(tmp_path / "hostile")
    assert files is not None, [p.format() for p in problems]
    plain, _ = build_in_memory(tmp_path / "plain")
    assert plain is not None
    return files, plain


def test_a_title_containing_end_title_and_script(tmp_path: Path) -> None:
    value = "</title><script>alert(1)</script>"
    files, plain = hostile_and_plain(tmp_path, value)
    compare(files, plain)  # the same elements and attributes in every page, feed and email
    root = lxml.html.fromstring(files["articles/hello/index.html"])
    assert root.xpath("string(//title)").startswith(value)
    assert root.xpath("string(//h1)") == value
    carrying = [s for s in root.xpath("//script") if "alert" in (s.text or "")]
    assert [s.get("type") for s in carrying] == ["application/ld+json"], "only as data, in the JSON-LD"
    assert json.loads(carrying[0].text)["headline"] == value
    assert value.upper() in files["email/issue-1.txt"].decode("utf-8").replace("\u2060", "")  # a word joiner after '<' (Campaign Monitor's tags)


@pytest.mark.parametrize("value", ["x\" onmouseover=\"alert(1)", "x' onfocus='alert(1)' autofocus='", "x` onclick=`alert(1)", 'x"/><svg onload=alert(1)>'])
def test_attribute_breaking_quotes_in_every_front_matter_field(tmp_path: Path, value: str) -> None:
    files, plain = hostile_and_plain(tmp_path, value)
    compare(files, plain)
    for path, data in files.items():
        if path.endswith(".html"):
            root = lxml.html.fromstring(data)
            assert not root.xpath("//@onmouseover | //@onfocus | //@onclick | //@onload | //svg[@onload]"), path


@pytest.mark.parametrize("value", HOSTILE[:14])
def test_hostile_strings_in_every_field_of_every_kind(tmp_path: Path, value: str) -> None:
    files, plain = hostile_and_plain(tmp_path, value)
    compare(files, plain)


# -- URLs that run code ----------------------------------------------------------------------------------


def test_javascript_and_data_urls_in_links(tmp_path: Path) -> None:
    assert expected_error("bad-links", "content/articles/links.md").startswith("content/articles/links.md:5:")
    body = "[a](javascript:alert(1))\n\n[b](&#106;aVaScRiPt:alert(1))\n\n[c](data:text/html,<script>alert(1)</script>)\n\n<https://ok.example>\n"
    site = site_with(tmp_path, {ARTICLE: article(body)})
    fails_with(site, f"{ARTICLE}:5: error: broken link: javascript: links are not allowed",
               f"{ARTICLE}:7: error: broken link: javascript: links are not allowed",
               f"{ARTICLE}:9: error: broken link: data: links are not allowed")


def test_javascript_and_data_urls_in_images(tmp_path: Path) -> None:
    body = "![a](javascript:alert(1))\n\n![b](data:image/svg+xml;base64,PHN2Zz4=)\n\n<img src=\"javascript:alert(1)\" alt=\"c\">\n"
    site = site_with(tmp_path, {ARTICLE: article(body)})
    run = fails_with(site, f"{ARTICLE}:5: error: ", f"{ARTICLE}:9: error: raw HTML uses a javascript: URL")
    assert f"{ARTICLE}:7:" not in run.stderr  # a data: image in an image runs no code: kept (issue 13)


@pytest.mark.parametrize("field, value", [("image", "javascript:alert(1)"), ("image", "data:image/png;base64,AAAA"), ("image", " JavaScript:x.png"),
                                          ("portrait", "javascript:alert(1)"), ("portrait", "data:image/svg+xml,<svg onload=alert(1)>")])
def test_javascript_and_data_urls_in_image_fields(tmp_path: Path, field: str, value: str) -> None:
    if field == "image":
        files = {ARTICLE: article("Body.\n", f"title: Pic\ndate: 2026-01-01\nimage: '{value}'\nimage_alt: A picture\n")}
        where = ARTICLE
    else:
        where = "content/voices/hostile.md"
        files = {where: article("## Q?\n\nA.\n", f"name: Pat\nrole: Steward\nmovement: trade-union\ndate: 2026-01-01\nquote: Hi\n"
                                                 f"portrait: '{value}'\nportrait_alt: Pat\n")}
    site = site_with(tmp_path, files)
    fails_with(site, f"{where}:{4 if field == 'image' else 7}: error: '{field}': ", "URLs are not allowed; use a file path or an https URL")


# -- regressions found by the fuzzing of this issue -------------------------------------------------------


def test_rss_descriptions_are_escaped_html(tmp_path: Path) -> None:
    """RSS readers show <description> as HTML: a plain-text summary or site description must be escaped there."""
    files, _ = hostile_and_plain(tmp_path, '<img src=x onerror="alert(1)">')
    import lxml.etree

    rss = lxml.etree.fromstring(files["feed.xml"])
    for description in rss.iter("description"):
        assert not lxml.html.fragment_fromstring(description.text, create_parent="div").xpath("//img"), description.text
    atom = files["atom.xml"].decode("utf-8")
    assert "&lt;img src=x onerror=" in atom, "Atom's subtitle and summary are text: escaped once, as text"


def test_a_root_relative_link_above_the_site_is_refused(tmp_path: Path) -> None:
    site = site_with(tmp_path, {ARTICLE: article("[up](/../../etc/passwd) and [ok](/articles/)\n")})
    fails_with(site, f"{ARTICLE}:5: error: broken link: '/../../etc/passwd' points above the site's root")


def test_a_site_title_that_is_no_mail_header_still_makes_the_email(tmp_path: Path) -> None:
    import email
    import email.policy

    files, _ = hostile_and_plain(tmp_path, 'Us: "<a@b>", (c)\r\nBcc: victim@example.org')
    message = email.message_from_bytes(files["email/issue-1.eml"], policy=email.policy.default)
    assert message["From"].addresses[0].addr_spec == "newsletter@example.org"
    assert message["Bcc"] is None and "\n" not in message["Subject"]


def test_an_email_from_that_is_not_one_address_is_an_error(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace('from: "Riverside Commons <letters@example.org>"',
                                                                 'from: "Riverside <a@example.org>, b@example.org"'), encoding="utf-8")
    fails_with(site, "site.yaml:18: error: email.from must be one email address")
    assert not lock_path(site / "output").exists()


def test_a_symbolic_link_loop_without_the_cache(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    (site / "content/articles/loop.md").symlink_to("loop.md")
    run = newpower("build", "--site", site, "--no-cache")
    assert run.code == 0, run.stderr
    assert "content/articles/loop.md: warning: symbolic link that loops back on itself: not followed" in run.stderr


def test_a_symbolic_link_loop_with_the_cache(tmp_path: Path) -> None:
    site = copy_site("realistic", tmp_path)
    (site / "content/articles/loop.md").symlink_to("loop.md")
    for path in [site, *site.rglob("*")]:
        os.utime(path, (1_600_000_000, 1_600_000_000), follow_symlinks=False)  # not edited just now: the cache looks at every entry
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
