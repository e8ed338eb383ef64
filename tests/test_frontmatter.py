"""frontmatter: bytes -> text -> (front matter, body), with file line numbers."""

from __future__ import annotations

import pytest

from newpower_site.load.frontmatter import SplitFile, decode_source, split_front_matter

PATH = "content/articles/x.md"


def split(raw: bytes | str) -> tuple[SplitFile | None, list]:
    """Decode then split, as content.py does."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    text, problems = decode_source(raw, PATH)
    if text is None:
        return None, problems
    return split_front_matter(text, PATH)


def refused(raw: bytes | str):
    result, problems = split(raw)
    assert result is None
    assert len(problems) == 1, problems
    assert problems[0].path == PATH and problems[0].level == "error"
    return problems[0]


ARTICLE = "---\ntitle: A\ntopics:\n  - workplace\n  - community\n---\nFirst line.\n\nSecond.\n"


def test_lines_count_from_the_top_of_the_file() -> None:
    result, problems = split(ARTICLE)
    assert problems == []
    assert result.front_matter.key_lines == {"title": 2, "topics": 3}
    assert result.front_matter.item_lines == {"topics": [4, 5]}
    assert result.front_matter.start_line == 2
    assert result.body == "First line.\n\nSecond.\n"
    assert result.body_first_line == 7
    assert ARTICLE.split("\n")[result.body_first_line - 1] == "First line."


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_lone_cr_give_the_same_lines_as_lf(newline: str) -> None:
    result, problems = split(ARTICLE.replace("\n", newline))
    assert problems == []
    assert result.front_matter.key_lines == {"title": 2, "topics": 3}
    assert result.front_matter.item_lines == {"topics": [4, 5]}
    assert result.body == "First line.\n\nSecond.\n"
    assert result.body_first_line == 7


def test_bom_is_dropped() -> None:
    result, problems = split(b"\xef\xbb\xbf" + ARTICLE.encode())
    assert problems == []
    assert result.front_matter.values["title"] == "A"
    assert result.front_matter.key_lines["title"] == 2


def test_decode_source_normalises_line_endings() -> None:
    assert decode_source(b"a\r\nb\rc\n", PATH) == ("a\nb\nc\n", [])


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        (b"---\ntitle: A\nsummary: caf\xe9\n---\n", 3),
        (b"\xff---\n", 1),
        (b"---\r\ntitle: A\r\nsummary: \xc3\r\n---\r\n", 3),
        (b"---\rtitle: A\rsummary: \x80\r---\r", 3),
        (b"---\ntitle: A\n---\n\nbody\nmore \xed\xa0\x80 text\n", 6),  # an encoded surrogate
    ],
)
def test_invalid_utf8_points_at_the_line_of_the_bad_byte(raw: bytes, line: int) -> None:
    problem = refused(raw)
    assert problem.line == line
    assert "UTF-8" in problem.message


def test_invalid_utf8_names_the_byte() -> None:
    assert "0xe9" in refused(b"---\ntitle: caf\xe9\n---\n").message


@pytest.mark.parametrize(("raw", "line"), [(b"---\ntitle: A\x00\n---\n", 2), (b"---\ntitle: A\n---\n\nbo\x00dy\n", 5)])
def test_nul_byte_is_refused_with_its_line(raw: bytes, line: int) -> None:
    problem = refused(raw)
    assert problem.line == line
    assert "NUL" in problem.message


@pytest.mark.parametrize("raw", ["", "\n\n", "   \n", "\ufeff"])
def test_empty_file(raw: str) -> None:
    problem = refused(raw)
    assert problem.line == 1
    assert "empty" in problem.message


@pytest.mark.parametrize("raw", ["# Just Markdown\n\nNo front matter.\n", "title: A\n---\n", " ---\ntitle: A\n---\n"])
def test_no_front_matter(raw: str) -> None:
    problem = refused(raw)
    assert problem.line == 1
    assert "must start with front matter" in problem.message


def test_unclosed_front_matter() -> None:
    problem = refused("---\ntitle: A\n\nBody text without a closing fence.\n")
    assert problem.line == 1
    assert "not closed" in problem.message


@pytest.mark.parametrize("yaml_text", ["- a\n- b\n", "just a sentence\n", "42\n"])
def test_front_matter_that_is_not_a_mapping(yaml_text: str) -> None:
    problem = refused(f"---\n{yaml_text}---\nbody\n")
    assert problem.line == 2
    assert "must be a mapping" in problem.message


def test_empty_front_matter_is_an_empty_mapping() -> None:
    result, problems = split("---\n---\nbody\n")
    assert problems == []
    assert result.front_matter.values == {}
    assert (result.body, result.body_first_line) == ("body\n", 3)


def test_yaml_document_end_marker_closes_front_matter() -> None:
    result, problems = split("---\ntitle: A\n...\nbody\n")
    assert problems == []
    assert result.front_matter.values == {"title": "A"}
    assert (result.body, result.body_first_line) == ("body\n", 4)


def test_only_the_first_closing_fence_counts() -> None:
    result, _ = split("---\ntitle: A\n---\nBody\n\n---\n\nafter a rule\n")
    assert result.front_matter.values == {"title": "A"}
    assert result.body == "Body\n\n---\n\nafter a rule\n"


def test_duplicate_keys_are_reported_but_the_file_is_split() -> None:
    result, problems = split("---\ntitle: A\ndate: 2026-01-01\ntitle: B\n---\nbody\n")
    assert [(p.line, p.message) for p in problems] == [(4, "duplicate key 'title' (first on line 2)")]
    assert result is not None and result.body_first_line == 6


def test_python_tag_is_refused_with_its_file_line() -> None:
    problem = refused("---\ntitle: A\nsummary: !!python/object/apply:os.system ['echo pwned']\n---\n")
    assert problem.line == 3
    assert "not allowed" in problem.message


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["---", 'a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 9)]
    lines += ["---", "body"]
    problem = refused("\n".join(lines))
    assert problem.line == 2
    assert "aliases" in problem.message


def test_dates_stay_strings() -> None:
    result, _ = split("---\ndate: 2026-03-01\nupdated: 2026-03-01T09:30:00+01:00\n---\n")
    assert result.front_matter.values == {"date": "2026-03-01", "updated": "2026-03-01T09:30:00+01:00"}


def test_yaml_error_line_is_a_file_line() -> None:
    problem = refused("---\ntitle: A\nsummary: x\n  broken: indent\n---\nbody\n")
    assert problem.line == 4


def test_control_character_in_front_matter_is_an_error_with_its_line() -> None:
    problem = refused("---\ntitle: A\nquote: bell\x07\n---\n")
    assert problem.line == 3
    assert "U+0007" in problem.message


def test_body_without_trailing_newline() -> None:
    result, _ = split("---\ntitle: A\n---")
    assert result.body == "" and result.body_first_line == 4
