"""yamlsafe.load_mapping: safe YAML with the file line of every key and item."""

from __future__ import annotations


import pytest

from newpower_site.load.yamlsafe import MAX_DEPTH, LocatedMapping, load_mapping


def load(text: str, first_line: int = 2) -> tuple[LocatedMapping | None, list]:
    return load_mapping(text, "content/articles/x.md", first_line=first_line)


def only_problem(text: str, first_line: int = 2):
    mapping, problems = load(text, first_line)
    assert mapping is None
    assert len(problems) == 1, problems
    assert problems[0].path == "content/articles/x.md"
    assert problems[0].level == "error"
    assert "\n" not in problems[0].message
    return problems[0]


def test_key_and_item_lines_count_from_first_line() -> None:
    mapping, problems = load("title: A\ntopics:\n  - workplace\n  - community\nemail:\n  provider: x\n  postal_address: y\n")
    assert problems == []
    assert mapping.values == {
        "title": "A",
        "topics": ["workplace", "community"],
        "email": {"provider": "x", "postal_address": "y"},
    }
    assert mapping.key_lines == {"title": 2, "topics": 3, "email": 6}
    assert mapping.item_lines == {"topics": [4, 5]}
    assert mapping.nested_key_lines == {"email": {"provider": 7, "postal_address": 8}}


def test_first_line_shifts_every_line() -> None:
    mapping, _ = load("a: 1\nb:\n  - x\n", first_line=10)
    assert mapping.key_lines == {"a": 10, "b": 11}
    assert mapping.item_lines == {"b": [12]}


def test_flow_list_items_share_the_key_line() -> None:
    mapping, _ = load("a: 1\ntopics: [workplace, community]\n")
    assert mapping.item_lines["topics"] == [3, 3]


def test_line_of_falls_back_to_key_then_start() -> None:
    mapping, _ = load("a: 1\ntopics:\n  - x\n  - y\n")
    assert mapping.line_of("topics", 1) == 5
    assert mapping.line_of("topics", 7) == 3  # no such item: the key's line
    assert mapping.line_of("topics") == 3
    assert mapping.line_of("missing") == 2  # the mapping's first line


def test_empty_text_is_an_empty_mapping() -> None:
    mapping, problems = load("")
    assert problems == []
    assert mapping.values == {} and mapping.start_line == 2


def test_comments_only_is_an_empty_mapping() -> None:
    mapping, problems = load("# nothing here\n")
    assert problems == [] and mapping.values == {}


@pytest.mark.parametrize("text", ["- a\n- b\n", "just some text\n", "42\n"])
def test_non_mapping_is_refused(text: str) -> None:
    problem = only_problem(text)
    assert problem.line == 2
    assert "mapping" in problem.message


def test_dates_stay_text() -> None:
    mapping, _ = load("date: 2026-03-01\nupdated: 2026-03-01T09:30:00Z\nwhen: 2026-03-01 09:30:00\n")
    assert mapping.values == {"date": "2026-03-01", "updated": "2026-03-01T09:30:00Z", "when": "2026-03-01 09:30:00"}


def test_plain_scalars_keep_their_types() -> None:
    mapping, _ = load("n: 3\nf: 1.5\nb: true\nz: null\ns: '3'\n")
    assert mapping.values == {"n": 3, "f": 1.5, "b": True, "z": None, "s": "3"}


def test_duplicate_key_names_both_lines_and_keeps_the_first() -> None:
    mapping, problems = load("title: A\ndate: 2026-01-01\ntitle: B\n")
    assert [(p.line, p.message) for p in problems] == [(4, "duplicate key 'title' (first on line 2)")]
    assert mapping.values["title"] == "A"


def test_complex_key_is_refused_with_its_line() -> None:
    mapping, problems = load("a: 1\n? [x, y]\n: 2\n")
    assert [p.line for p in problems] == [3]
    assert "plain text" in problems[0].message
    assert mapping.values == {"a": 1}


@pytest.mark.parametrize(
    "value",
    [
        "!!python/object:os.system x",
        "!!python/object/apply:os.system ['echo hi']",
        "!!python/name:os.system",
        "!!binary aGVsbG8=",
        "!!set {a, b}",
        "!!timestamp 2026-03-01",
        "!custom x",
    ],
)
def test_tags_are_refused(value: str) -> None:
    problem = only_problem(f"title: A\nother: {value}\n")
    assert problem.line == 3
    assert "tag" in problem.message and "not allowed" in problem.message


def test_plain_explicit_tags_are_fine() -> None:
    mapping, problems = load("a: !!str 3\nb: !!int '4'\n")
    assert problems == [] and mapping.values == {"a": "3", "b": 4}


def test_bad_value_for_a_plain_tag_is_an_error_not_a_crash() -> None:
    mapping, problems = load("a: 1\nb: !!int abc\n")
    assert [p.line for p in problems] == [3]
    assert "'b'" in problems[0].message
    assert "b" not in mapping.values


def test_anchor_is_refused_with_its_line() -> None:
    problem = only_problem("a: 1\nb: &x 2\nc: *x\n")
    assert problem.line == 3
    assert "anchors and aliases" in problem.message


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ['lol0: &lol0 "lol"']
    for n in range(1, 10):
        refs = ", ".join([f"*lol{n - 1}"] * 10)
        lines.append(f"lol{n}: &lol{n} [{refs}]")
    problem = only_problem("\n".join(lines) + "\n")  # refused before any expansion, so it returns at once
    assert problem.line == 2 and "aliases" in problem.message


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    problem = only_problem("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert problem.line == 2
    assert "nested" in problem.message or "nesting depth" in problem.message


def test_nesting_up_to_the_limit_is_fine() -> None:
    depth = MAX_DEPTH - 1  # the top-level mapping is one level
    mapping, problems = load("a: " + "[" * depth + "1" + "]" * depth + "\n")
    assert problems == []
    value = mapping.values["a"]
    for _ in range(depth):
        (value,) = value
    assert value == 1


def test_syntax_error_points_at_its_line() -> None:
    problem = only_problem("title: A\nsummary: x\n  bad: indent\n")
    assert problem.line == 4
    assert problem.message.startswith("invalid YAML:")


def test_unclosed_flow_list_points_at_a_line_within_the_text() -> None:
    problem = only_problem("title: A\ntopics: [a, b\nfoo: bar\n")
    assert 2 <= problem.line <= 5
    assert problem.message.startswith("invalid YAML:")


@pytest.mark.parametrize("char", ["\x07", "\x1b", "\ud800", "\ufffe"])
def test_control_character_is_one_line_with_its_line(char: str) -> None:
    problem = only_problem(f"title: A\nsummary: B\nquote: x{char}y\n")
    assert problem.line == 4
    assert f"U+{ord(char):04X}" in problem.message


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_unicode_line_separators_do_not_shift_later_lines(separator: str) -> None:
    # YAML counts these as line breaks; editors (and split_front_matter) do not.
    mapping, problems = load(f'quote: "one{separator}two"\ntitle: A\ntopics:\n  - x\n')
    assert problems == []
    assert mapping.key_lines == {"quote": 2, "title": 3, "topics": 4}
    assert mapping.item_lines["topics"] == [5]


def test_unicode_line_separator_does_not_shift_error_lines() -> None:
    problem = only_problem('quote: "one\u2028two"\ntitle: A\ntitle: [\n')
    assert problem.line in (4, 5)  # the broken line or the end of the text, never beyond
    mapping, problems = load('quote: "one\u2028two"\ntitle: A\ntitle: B\n')
    assert [p.line for p in problems] == [4]


# -- mistakes in plain words, at the line where they start ---------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from newpower_site.load.frontmatter import split_front_matter  # noqa: E402


def front_matter_problems(text: str) -> list[str]:
    split, problems = split_front_matter(text, "a.md")
    assert split is None
    return [p.format() for p in problems]


@pytest.mark.parametrize("quote", ['"', "'"])
def test_an_unclosed_quote_is_reported_where_it_opens(quote: str) -> None:
    """It was reported at the closing ---, in the parser's words ("found unexpected end of stream")."""
    text = f"---\ntitle: {quote}Hello\ndate: 2026-01-01\nsummary: Fine.\n---\nBody.\n"
    assert front_matter_problems(text) == [
        f"a.md:2: error: invalid YAML: the quote ({quote}) opened on this line is never closed: end the value with {quote} "
        "(a value with a quote inside it goes in the other kind of quotes)"
    ]


@pytest.mark.parametrize("text", ["---\ntitle: T\ntopics:\n\t- workplace\n---\n", "---\ntitle: T\nsummary: x\n\tdate: 2026-01-01\n---\n"])
def test_a_tab_indent_is_named_as_a_tab(text: str) -> None:
    assert front_matter_problems(text) == [
        "a.md:4: error: invalid YAML: a tab is used to indent this line: YAML indents with spaces only; replace the tab with spaces"
    ]


def test_a_colon_in_an_unquoted_value_says_to_quote_it() -> None:
    [problem] = front_matter_problems("---\ntitle: Power: who holds it\n---\n")
    assert problem.startswith("a.md:2: error: invalid YAML: a ': ' inside a value") and "put the value in quotes" in problem


@given(
    st.lists(st.from_regex(r"[a-z]{1,8}", fullmatch=True), min_size=2, max_size=8, unique=True),
    st.data(),
)
def test_an_unclosed_quote_on_any_line_is_reported_on_that_line(keys: list[str], data: st.DataObject) -> None:
    broken = data.draw(st.integers(0, len(keys) - 1))
    lines = [f'{key}: "{"open" if n == broken else "closed"}' + ("" if n == broken else '"') for n, key in enumerate(keys)]
    [problem] = front_matter_problems("---\n" + "\n".join(lines) + "\n---\nBody.\n")
    assert problem.startswith(f"a.md:{broken + 2}: error: invalid YAML: the quote (\") opened on this line is never closed"), problem
