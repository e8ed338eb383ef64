"""links: where an editor's link or image leads, and which schemes are refused."""

from __future__ import annotations

import re

import pytest

from newpower_site.load.links import LinkProblem, LinkTargets, Location, locate, resolve_image, resolve_link, unsafe_scheme
from newpower_site.load.links import _read_target, plainly_web
from newpower_site.core.urls import Urls

TARGETS = LinkTargets(
    pages={
        "content/voices/asha-patel.md": "/archive/voices/asha-patel/",
        "content/articles/one.md": "/archive/articles/one/",
        "content/pages/about.md": "/archive/about/",
    },
    unpublished=frozenset({"content/articles/draft.md", "content/voices/later.md"}),
    assets={
        "content/images/asha.jpg": "images/asha.jpg",
        "content/images/Logo.PNG": "images/Logo.PNG",
        "content/files/report.pdf": "files/report.pdf",
        "content/images/café.jpg": "images/café.jpg",
    },
    static_paths=frozenset({"static/logo.svg", "static/site.css"}),
)
URLS = Urls("https://example.org/archive")
SOURCE = "content/articles/one.md"


def link(target: str, source: str = SOURCE) -> str:
    return resolve_link(target, source, TARGETS, URLS)


def refused_link(target: str, source: str = SOURCE) -> str:
    with pytest.raises(LinkProblem) as caught:
        resolve_link(target, source, TARGETS, URLS)
    return str(caught.value)


# -- content links -------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "url"),
    [
        ("../voices/asha-patel.md", "/archive/voices/asha-patel/"),
        ("../voices/asha-patel.md#what-changed", "/archive/voices/asha-patel/#what-changed"),
        ("../voices/asha-patel.md?ref=mail", "/archive/voices/asha-patel/?ref=mail"),
        ("../voices/asha-patel.md?ref=mail#top", "/archive/voices/asha-patel/?ref=mail#top"),
        ("one.md", "/archive/articles/one/"),
        ("./one.md", "/archive/articles/one/"),
        ("../articles/../voices/./asha-patel.md", "/archive/voices/asha-patel/"),
        ("../pages/about.md", "/archive/about/"),
        ("  ../pages/about.md  ", "/archive/about/"),
        ("../voices/asha%2Dpatel.md", "/archive/voices/asha-patel/"),
    ],
)
def test_relative_md_links_become_page_urls(target: str, url: str) -> None:
    assert link(target) == url


def test_locate_says_what_kind_of_target() -> None:
    assert locate("../voices/asha-patel.md#q", SOURCE, TARGETS) == Location("page", "/archive/voices/asha-patel/", "#q")
    assert locate("../images/asha.jpg", SOURCE, TARGETS) == Location("file", "images/asha.jpg")
    assert locate("https://example.com/x", SOURCE, TARGETS) == Location("external", "https://example.com/x")


def test_link_from_a_page_in_another_folder() -> None:
    assert link("../articles/one.md", "content/pages/about.md") == "/archive/articles/one/"


@pytest.mark.parametrize("target", ["../../site.yaml", "../../../etc/passwd", "..", "../../content/articles/one.md/../../../x"])
def test_links_outside_content_are_refused(target: str) -> None:
    assert "points outside the content folder" in refused_link(target)


@pytest.mark.parametrize(("target", "source"), [("draft.md", "content/articles/one.md"), ("../voices/later.md#q", "content/pages/about.md")])
def test_link_to_an_unpublished_item_is_refused(target: str, source: str) -> None:
    message = refused_link(target, source)
    assert "is a draft or dated in the future" in message
    assert repr(target) in message


def test_link_to_a_missing_file_names_the_resolved_path() -> None:
    assert refused_link("../voices/nobody.md") == "'../voices/nobody.md' links to content/voices/nobody.md, which does not exist"


def test_link_to_a_folder_is_refused() -> None:
    assert "does not exist" in refused_link("../voices/")


@pytest.mark.parametrize("target", ["", "   "])
def test_empty_link(target: str) -> None:
    assert refused_link(target) == "empty link target"


# -- files ----------------------------------------------------------------------------


def test_asset_link_gets_its_output_url_with_the_prefix() -> None:
    assert link("../files/report.pdf") == "/archive/files/report.pdf"
    assert link("../files/report.pdf#page=2") == "/archive/files/report.pdf#page=2"


def test_percent_encoded_asset_link() -> None:
    assert locate("../images/caf%C3%A9.jpg", SOURCE, TARGETS) == Location("file", "images/café.jpg")


@pytest.mark.parametrize(
    ("target", "url"),
    [("/", "/archive/"), ("/about/", "/archive/about/"), ("/feed.xml", "/archive/feed.xml"), ("/static/logo.svg", "/archive/static/logo.svg")],
)
def test_root_relative_links_get_the_path_prefix(target: str, url: str) -> None:
    assert link(target) == url


def test_root_relative_links_without_a_prefix() -> None:
    assert resolve_link("/about/", SOURCE, TARGETS, Urls("https://example.org")) == "/about/"


def test_missing_static_file_is_refused() -> None:
    assert "static file that does not exist" in refused_link("/static/nope.css")


# -- external links and schemes ------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["https://example.com/a?b=c#d", "http://example.com", "mailto:editor@example.org", "tel:+442071234567", "#footnote", "//cdn.example.org/x"]
)
def test_external_links_are_kept(target: str) -> None:
    assert link(target) == target


@pytest.mark.parametrize(
    ("target", "scheme"),
    [
        ("javascript:alert(1)", "javascript"),
        ("JaVaScRiPt:alert(1)", "javascript"),
        ("java\tscript:alert(1)", "javascript"),
        ("java\nscript:alert(1)", "javascript"),
        (" javascript:alert(1)", "javascript"),
        ("\x01javascript:alert(1)", "javascript"),
        ("vbscript:msgbox(1)", "vbscript"),
        ("VBScript:msgbox(1)", "vbscript"),
        ("data:text/html;base64,PHNjcmlwdD4=", "data"),
        ("file:///etc/passwd", "file"),
    ],
)
def test_unsafe_schemes_are_refused(target: str, scheme: str) -> None:
    assert unsafe_scheme(target) == scheme
    assert refused_link(target) == f"{scheme}: links are not allowed"
    with pytest.raises(LinkProblem):
        resolve_image(target, SOURCE, TARGETS)


@pytest.mark.parametrize("url", ["https://x.org", "HTTP://x.org", "mailto:a@b.org", "tel:1", "ftp://example.org/x", "blob:https://example.org/x", "/a:b", "a/b:c", "../x.md", "#a:b", "?a=b:c", ""])
def test_safe_or_schemeless_urls(url: str) -> None:
    assert unsafe_scheme(url) is None


# -- images -------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["https://images.example.org/a.jpg", "https://images.example.org/photo?id=3", "http://example.org/a.png"])
def test_remote_images_are_kept(target: str) -> None:
    assert resolve_image(target, SOURCE, TARGETS) == target


@pytest.mark.parametrize(
    ("target", "path"),
    [
        ("../images/asha.jpg", "images/asha.jpg"),
        ("/images/asha.jpg", "images/asha.jpg"),
        ("../images/Logo.PNG", "images/Logo.PNG"),
        ("/static/logo.svg", "static/logo.svg"),
    ],
)
def test_local_images_become_output_paths(target: str, path: str) -> None:
    assert resolve_image(target, SOURCE, TARGETS) == path


@pytest.mark.parametrize(
    "target",
    ["../voices/asha-patel.md", "../files/report.pdf", "/static/site.css", "mailto:a@b.org", "//cdn.example.org/a.jpg", "#top", "/about/"],
)
def test_non_image_targets_are_refused_as_images(target: str) -> None:
    with pytest.raises(LinkProblem, match="is not an image file"):
        resolve_image(target, SOURCE, TARGETS)


@pytest.mark.parametrize("target", ["../images/none.jpg", "../drafts/x.png"])
def test_missing_image(target: str) -> None:
    with pytest.raises(LinkProblem, match="does not exist"):
        resolve_image(target, SOURCE, TARGETS)


def test_image_outside_content() -> None:
    with pytest.raises(LinkProblem, match="outside the content folder"):
        resolve_image("../../secret.jpg", SOURCE, TARGETS)


# -- which schemes are refused, which are typos --------------------------------------------------------

from newpower_site.core.model import Body, Heading, Page  # noqa: E402
from newpower_site.load.links import check_fragments, scheme_typo  # noqa: E402


@pytest.mark.parametrize("url", ["irc://irc.libera.chat/x", "ircs://x", "ftp://x/y", "sms:+44", "geo:1,2", "matrix:r/x:y", "xmpp:a@b", "magnet:?xt=1", "webcal://x"])
def test_schemes_that_run_no_code_are_kept(url: str) -> None:
    assert unsafe_scheme(url) is None and scheme_typo(url) is None
    assert resolve_link(url, SOURCE, TARGETS, URLS) == url


@pytest.mark.parametrize(
    ("url", "meant"),
    [
        ("hhttps://example.org/a", "https://example.org/a"),
        ("htps://example.org/a", "https://example.org/a"),
        ("ttps://example.org/a", "https://example.org/a"),
        ("htp://example.org/a", "http://example.org/a"),
        ("http//example.org/a", "http://example.org/a"),
        ("HTTPS//example.org/a", "https://example.org/a"),
        ("https:/example.org/a", "https://example.org/a"),
    ],
)
def test_a_misspelt_http_scheme_is_named_with_its_fix(url: str, meant: str) -> None:
    assert scheme_typo(url) == meant
    with pytest.raises(LinkProblem, match=f"misspelt scheme: did you mean '{re.escape(meant)}'"):
        resolve_link(url, SOURCE, TARGETS, URLS)


def test_data_is_refused_except_as_an_image() -> None:
    assert unsafe_scheme("data:image/png;base64,AA", image=True) is None
    assert unsafe_scheme("da\tta:IMAGE/gif;base64,AA", image=True) is None
    assert unsafe_scheme("data:image/png;base64,AA") == "data"
    assert unsafe_scheme("data:text/html,x", image=True) == "data"


def _page(source: str, anchors: tuple[str, ...], links: tuple[tuple[int, str, str, str], ...] = ()) -> Page:
    body = Body(headings=tuple(Heading(2, a, a) for a in anchors), anchors=anchors, fragment_links=links)
    return Page(kind="page", slug="x", source=source, title="T", body=body)


def test_fragment_links_must_name_an_id_of_their_page() -> None:
    target = _page("content/pages/b.md", ("what-changed", "why"))
    linking = _page("content/pages/a.md", ("here",), (
        (3, "b.md#what-changed", "content/pages/b.md", "what-changed"),
        (4, "b.md#wat-changed", "content/pages/b.md", "wat-changed"),
        (5, "#here", "", "here"),
        (6, "#nowhere-near", "", "nowhere-near"),
    ))
    problems = check_fragments([linking, target])
    assert [(p.path, p.line) for p in problems] == [("content/pages/a.md", 4), ("content/pages/a.md", 6)]
    assert problems[0].message == (
        "broken link: 'b.md#wat-changed': content/pages/b.md has no heading or anchor with the id 'wat-changed': did you mean #what-changed?"
    )
    assert problems[1].message.endswith("this page has no heading or anchor with the id 'nowhere-near' (its ids: here)")


# -- the quick test for plain web links agrees with the full reading ------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://example.com/a?b=c#d", "http://example.com", "https://example.com/a b", "https://ex\tample.com/",
        "https://[::1]/", "https://[::1", "https://::1]/", "https://exämple.org/", "https://example.org/café",
        "https://example.org/\uff03", "https:/example.org", "https:example.org", "http//example.org", "https//example.org",
        "HTTPS://example.org", "hhttps://example.org", "htps://example.org", "https://", "http://",
        "https://example.org/javascript:alert(1)", "https://user@example.org:99999/",
    ],
)
def test_plain_web_links_are_told_as_the_full_reading_tells_them(target: str) -> None:
    """plainly_web is a shortcut: where it says yes, the full reading says 'external, as written'."""
    if plainly_web(target):
        assert _read_target(target, "content/articles", False) == ("external", target, "")
    for image in (False, True):
        try:
            full: object = _read_target(target, "content/articles", image)
        except LinkProblem as problem:
            full = type(problem)
        try:
            got: object = locate(target, SOURCE, TARGETS, image=image)
            got = ("external", got.target, "") if got.kind == "external" else got  # type: ignore[union-attr]
        except LinkProblem as problem:
            got = type(problem)
        if full == ("external", target, ""):
            assert got == full
        else:
            assert got != ("external", target, "") and not plainly_web(target)


def test_plain_web_link_shortcut_is_taken_for_ordinary_links() -> None:
    assert plainly_web("https://docs.example.com/2012/12/residents-public-pay?x=1#top")
    assert not plainly_web("https://[::1")
    assert not plainly_web("https://exämple.org/")
    with pytest.raises(LinkProblem, match="not a valid URL"):
        locate("https://[::1", SOURCE, TARGETS)
