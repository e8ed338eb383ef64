"""The email lint: CSS checked against the caniemail snapshot, and the size budget."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newpower_site.email import lint as emaillint
from newpower_site.email.lint import (
    SIZE_ERROR_BYTES,
    SIZE_WARNING_BYTES,
    caniemail_source,
    check_email_size,
    lint_css_text,
    lint_template_css,
)

HERE = Path(__file__).parent
FIXTURE = HERE / "emaillint" / "bad-template.html"
SHOWN = "templates/email/bad-template.html"
REFRESH_SCRIPT = HERE.parent / "scripts" / "refresh_caniemail.py"

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])

GMAIL, OUTLOOK, APPLE, YAHOO = "Gmail", "Outlook (Windows)", "Apple Mail", "Yahoo Mail"


def line_of(snippet: str) -> int:
    """The fixture's line holding `snippet` (exactly one)."""
    lines = [number for number, text in enumerate(FIXTURE.read_text(encoding="utf-8").splitlines(), 1) if snippet in text]
    assert len(lines) == 1, (snippet, lines)
    return lines[0]


def unsupported(prop: str, client: str) -> str:
    return f"CSS property '{prop}' is not supported in {client} (caniemail)"


def found(text: str) -> set[tuple[int, str]]:
    return {(d.line, d.message) for d in lint_css_text(text, SHOWN)}


# -- the fixture template ------------------------------------------------------------------


def test_fixture_template_warns_at_the_template_lines() -> None:
    diagnostics = lint_template_css(FIXTURE, SHOWN)
    assert all(d.level == "warning" and d.path == SHOWN for d in diagnostics)
    expected = {
        # a <style> block css-inline will inline: every client counts
        (line_of(".card { border-radius"), unsupported("border-radius", OUTLOOK)),
        (line_of("box-shadow: 0 1px"), unsupported("box-shadow", GMAIL)),
        (line_of("box-shadow: 0 1px"), unsupported("box-shadow", OUTLOOK)),
        (line_of("box-shadow: 0 1px"), unsupported("box-shadow", YAHOO)),
        # the progressive block: only what no client supports
        (
            line_of("resize: both"),
            "CSS property 'resize' is not supported in Gmail, Outlook (Windows), Apple Mail or Yahoo Mail (caniemail)",
        ),
        # inside <!--[if mso]>: Outlook only
        (line_of("<!--[if mso]><style>"), unsupported("border-radius", OUTLOOK)),
        # a style attribute with a Jinja expression between its declarations
        (line_of("{{ extra_style }} max-height"), unsupported("max-height", OUTLOOK)),
        # layout the issue forbids
        (line_of("position: relative"), "CSS 'position:relative' is not allowed in email: Gmail and Outlook ignore position; use tables"),
        (
            line_of("display: flex;"),
            "CSS 'display:flex' is not allowed in email: Gmail and Outlook cannot lay out flex or grid; use tables",
        ),
        # the second line of a style attribute that spans two
        (line_of("text-shadow: 0 0 1px"), unsupported("text-shadow", GMAIL)),
        (line_of("text-shadow: 0 0 1px"), unsupported("text-shadow", OUTLOOK)),
        (line_of("--brand: #c00"), "CSS variable '--brand' is not allowed in email: Gmail, Outlook and Yahoo drop CSS variables"),
        (line_of("--brand: #c00"), "CSS 'var()' in 'color' is not allowed in email: Gmail, Outlook and Yahoo drop CSS variables"),
    }
    assert {(d.line, d.message) for d in diagnostics} == expected


def test_warning_reads_path_line_property_and_client() -> None:
    first = lint_template_css(FIXTURE, SHOWN)[0]
    assert first.format() == f"{SHOWN}:{line_of('.card { border-radius')}: warning: {unsupported('border-radius', OUTLOOK)}"
    assert first.column == FIXTURE.read_text(encoding="utf-8").splitlines()[first.line - 1].index("border-radius") + 1
    assert first.hint == "see https://www.caniemail.com/features/css-border-radius/"


def test_what_the_fixture_does_not_warn_about() -> None:
    messages = "\n".join(f"{d.line}: {d.message}" for d in lint_template_css(FIXTURE, SHOWN))
    # the preheader: Outlook hides it (mso-hide: all), so its max-height and overflow need no Outlook support
    assert f"{line_of('mso-hide: all')}:" not in messages
    # prefers-color-scheme, @media and cursor in the progressive block: Apple Mail or Outlook has them
    assert "prefers-color-scheme" not in messages and "@media" not in messages and "cursor" not in messages
    # the bulletproof button's border-radius is inside <!--[if !mso]><!-->, which Outlook never reads
    assert f"{line_of('Read more')}:" not in messages
    # a plain comment, a style="..." inside another attribute's value, and an allowed property
    assert "transform" not in messages
    assert f"{line_of('box-shadow: 0 0 1px red')}:" not in messages
    assert f"{line_of('--brand')}: {unsupported('max-height', OUTLOOK)}" not in messages
    # partial support counts as supported: padding is partial in Outlook
    assert "padding" not in messages


def test_unreadable_template_is_a_diagnostic_not_an_exception(tmp_path: Path) -> None:
    [diagnostic] = lint_template_css(tmp_path / "missing.html", "templates/email/missing.html")
    assert diagnostic.path == "templates/email/missing.html" and diagnostic.level == "warning"
    (tmp_path / "latin1.html").write_bytes(b'<p style="color: red">\xe9</p>')
    assert lint_template_css(tmp_path / "latin1.html", "x.html")[0].line == 0


# -- smaller cases --------------------------------------------------------------------------


def test_longhands_are_checked_as_their_shorthand() -> None:
    assert found('<td style="border-top-left-radius: 4px">') == {(1, unsupported("border-top-left-radius", OUTLOOK))}
    assert found('<td style="PADDING-LEFT: 4px; font-family: Georgia, serif">') == set()


def test_functions_at_rules_and_media_features() -> None:
    assert (1, f"CSS function 'rgba()' is not supported in {OUTLOOK} (caniemail)") in found('<p style="color: rgba(0,0,0,.5)">')
    sheet = (
        "<style>\n@media (prefers-color-scheme: dark) { p { color: #fff } }\n@import url(x.css);\n@font-face { font-family: X; }\n</style>"
    )
    messages = found(sheet)
    assert (2, f"CSS at-rule '@media' is not supported in {OUTLOOK} (caniemail)") in messages
    assert (2, f"CSS media feature 'prefers-color-scheme' is not supported in {GMAIL} (caniemail)") in messages
    assert (3, "CSS '@import' is not allowed in email: Gmail and Yahoo drop external stylesheets; inline the styles") in messages
    assert (4, "CSS '@font-face' is not allowed in email: Gmail and Yahoo drop web fonts; use a system font stack") in messages


def test_forbidden_layout_is_flagged_even_in_progressive_blocks() -> None:
    sheet = "<style data-progressive>\n.a { display: grid }\n.b { position: absolute }\n.c { display: inline-flex !important }\n</style>"
    assert [line for line, _ in sorted(found(sheet))] == [2, 3, 4]
    assert not any("not allowed" in message for _, message in found('<p style="position: static">'))


def test_conditional_comments_choose_the_clients() -> None:
    radius = '<a style="border-radius: 4px">'
    assert found(radius) == {(1, unsupported("border-radius", OUTLOOK))}
    for revealed in ("<!--[if !mso]><!-->", "<!--[if !mso]><!-- -->", "<!--[if !mso]> <!-- -->"):
        assert found(f"{revealed}{radius}<!--<![endif]-->\n{radius}") == {(2, unsupported("border-radius", OUTLOOK))}
    # downlevel-hidden: Outlook alone reads it; a negated one nobody reads
    assert found('<!--[if gte mso 9]><p style="box-shadow: 0 0 1px red"><![endif]-->') == {(1, unsupported("box-shadow", OUTLOOK))}
    assert found(f"<!--[if !mso]>{radius}<![endif]-->") == set()


def test_allow_comment_covers_its_line_and_the_next_only() -> None:
    text = '{# emaillint: allow max-height, opacity #}\n<p style="max-height: 0; opacity: 0">\n<p style="opacity: 0">'
    assert found(text) == {(3, unsupported("opacity", OUTLOOK))}


# -- the size budget --------------------------------------------------------------------------


def test_size_budget_boundaries() -> None:
    source = "content/newsletters/2026-10.md"
    assert (SIZE_WARNING_BYTES, SIZE_ERROR_BYTES) == (80 * 1024, 102 * 1024)
    assert check_email_size(source, 1, 0) == []
    assert check_email_size(source, 1, 80 * 1024 - 1) == []
    [at_80] = check_email_size(source, 1, 80 * 1024)
    assert (at_80.level, at_80.path, at_80.line) == ("warning", source, 1)
    assert at_80.format() == f"{source}:1: warning: email HTML is 80.0 KB (81920 bytes), over the 80 KB budget (Gmail clips at 102 KB)"
    [just_under] = check_email_size(source, 1, 102 * 1024 - 1)
    assert just_under.level == "warning" and "101.9 KB" in just_under.message
    [at_102] = check_email_size(source, 0, 102 * 1024)
    assert (at_102.level, at_102.path) == ("error", source)
    assert at_102.format().startswith(f"{source}: error: email HTML is 102.0 KB (104448 bytes): Gmail clips an email at 102 KB")


@PROPERTY
@given(st.integers(min_value=0, max_value=10**9))
def test_size_levels_rise_with_size(size: int) -> None:
    levels = [d.level for d in check_email_size("content/newsletters/x.md", 1, size)]
    expected = [] if size < SIZE_WARNING_BYTES else ["warning"] if size < SIZE_ERROR_BYTES else ["error"]
    assert levels == expected


# -- the snapshot -------------------------------------------------------------------------------


def snapshot() -> dict:
    return json.loads(emaillint.SNAPSHOT.read_text(encoding="utf-8"))


def test_snapshot_has_the_four_clients_for_padding_and_flags_display_flex() -> None:
    data = snapshot()
    assert set(data["clients"]) == {"gmail", "outlook-windows", "apple-mail", "yahoo"}
    padding = data["features"]["css-padding"]
    assert set(padding["support"]) == set(data["clients"])
    assert all(status in ("y", "a", "n", "u") for status in padding["support"].values())
    assert {"padding", "padding-left"} <= set(padding["match"])
    flex = data["features"]["css-display-flex"]
    assert flex["kind"] == "pair" and flex["match"] == [["display", "flex"]]
    assert flex["support"]["outlook-windows"] == "n"
    assert found('<div style="display:flex">')  # and the linter flags it


def test_snapshot_says_where_it_came_from() -> None:
    source = caniemail_source()
    assert source["package"] == "caniemail (npm)" and source["version"] and source["data_last_update"]


def test_snapshot_is_package_data() -> None:
    assert emaillint.SNAPSHOT.parent.parent == Path(emaillint.__file__).parent
    assert emaillint.SNAPSHOT.is_file()


def load_refresh_script():
    spec = importlib.util.spec_from_file_location("refresh_caniemail", REFRESH_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_refresh_takes_each_platforms_latest_version_and_the_worst_platform() -> None:
    refresh = load_refresh_script()
    raw = {
        "last_update_date": "2026-01-01",
        "data": [
            {
                "slug": "css-example",
                "title": "example",
                "category": "css",
                "keywords": "example-left, unrelated",
                "url": "https://www.caniemail.com/features/css-example/",
                "notes_by_num": {"1": "Partial. Only on table cells."},
                "stats": {
                    "apple-mail": {"macos": {"9.0": "n", "16.80": "y"}, "ios": {"12.2": "y"}},
                    "gmail": {"desktop-webmail": {"2019-05": "y"}, "android": {"2019-05": "n"}, "mobile-webmail": {"2020-02": "n"}},
                    "outlook": {"windows": {"2016": "n", "2019": "a #1"}, "macos": {"16.80": "n"}},
                    "yahoo": {},
                },
            },
            {"slug": "html-example", "title": "<example>", "category": "html", "stats": {}},
        ],
    }
    data = refresh.build_snapshot(raw, {"package": "test", "version": "0"})
    assert list(data["features"]) == ["css-example"]
    feature = data["features"]["css-example"]
    assert feature["match"] == ["example", "example-left"]
    # 16.80 is newer than 9.0; Gmail's Android app counts, its mobile webmail does not; Outlook for Mac does not
    assert feature["support"] == {"apple-mail": "y", "gmail": "n", "outlook-windows": "a", "yahoo": "u"}
    assert feature["notes"] == {"outlook-windows": ["Partial. Only on table cells."]}
    assert data["source"]["data_last_update"] == "2026-01-01"


# -- never raises ---------------------------------------------------------------------------------

MARKUP_PIECES = st.sampled_from(
    [
        "<",
        ">",
        "/",
        '"',
        "'",
        "=",
        ";",
        ":",
        "{",
        "}",
        "(",
        ")",
        "@",
        "\n",
        " ",
        "!",
        "-",
        "#",
        "<style>",
        "</style>",
        "<style data-progressive>",
        "<script>",
        "</script>",
        "<td ",
        'style="',
        "style='",
        "<!--",
        "-->",
        "<!--[if mso]>",
        "<![endif]-->",
        "<!--[if !mso]><!-->",
        "<!--<![endif]-->",
        "{{",
        "}}",
        "{%",
        "%}",
        "{#",
        "#}",
        "{# emaillint: allow ",
        "/*",
        "*/",
        "display",
        "flex",
        "position",
        "--x",
        "var(",
        "@media",
        "@import",
        "@font-face",
        "padding-left",
        "border-radius",
        "mso-hide: all",
        "prefers-color-scheme",
        "rgba(",
        "!important",
        "é",
        "\x00",
    ]
)


@PROPERTY
@given(st.text())
def test_lint_never_raises_on_arbitrary_text(text: str) -> None:
    for diagnostic in lint_css_text(text, SHOWN):
        assert 1 <= diagnostic.line <= text.count("\n") + 1


@PROPERTY
@given(st.lists(MARKUP_PIECES, max_size=60).map("".join))
def test_lint_never_raises_on_markup_like_text(text: str) -> None:
    for diagnostic in lint_css_text(text, SHOWN):
        assert diagnostic.level == "warning"
        assert 1 <= diagnostic.line <= text.count("\n") + 1
        assert diagnostic.column >= 1
