"""fields.check_fields against the schema tables, and site.yaml through config.load_config."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newpower_site.core.siteconfig import EmailSettings
from newpower_site.load.config import field_context, load_config
from newpower_site.load.fields import FieldContext, check_fields
from newpower_site.load.frontmatter import split_front_matter
from newpower_site.load.schema import ARTICLE, NEWSLETTER, PAGE, VOICE, Kind

LONDON = ZoneInfo("Europe/London")
CONTEXT = FieldContext(
    LONDON,
    {
        "topics": {"workplace": "Power at work", "community": "Community power", "public-services": "Public services"},
        "movements": {"trade-union": "Trade unions", "co-operative": "Co-operatives", "community": "Community organising"},
    },
)
PATH = "content/x/x.md"

ARTICLE_OK = "title: A title\ndate: 2026-03-01\n"
VOICE_OK = "name: Asha Patel\nrole: Shop steward, Unite\nmovement: trade-union\ndate: 2026-03-01\nquote: We won.\n"
NEWSLETTER_OK = "title: March\ndate: 2026-03-01\npreheader: This month.\n"


def check(kind: Kind, front_matter: str):
    """Check a file whose front matter is `front_matter` (first key on file line 2)."""
    split, problems = split_front_matter(f"---\n{front_matter}---\nbody\n", PATH)
    assert split is not None and problems == [], problems
    values, problems = check_fields(split.front_matter, kind, PATH, CONTEXT)
    assert all(p.path == PATH and p.level == "error" for p in problems)
    return values, [(p.line, p.message) for p in problems]


# -- valid files -------------------------------------------------------------


def test_minimal_article_converts_values() -> None:
    values, problems = check(ARTICLE, ARTICLE_OK)
    assert problems == []
    assert values["title"] == "A title"
    assert values["date"] == datetime(2026, 3, 1, tzinfo=LONDON)
    assert values["draft"] is False
    assert values["topics"] is None and values["image"] is None


def test_full_article() -> None:
    values, problems = check(
        ARTICLE,
        ARTICLE_OK + "updated: 2026-03-02T10:00:00+00:00\nsummary: ' Short. '\nauthors:\n  - Ana\n  - Ben\n"
        "topics: [workplace, community]\nimage: ../images/a.jpg\nimage_alt: A picket line\ndraft: true\n",
    )
    assert problems == []
    assert values["summary"] == "Short."
    assert values["authors"] == ("Ana", "Ben")
    assert values["topics"] == ("workplace", "community")
    assert values["image"] == "../images/a.jpg" and values["image_alt"] == "A picket line"
    assert values["draft"] is True
    assert values["updated"].utcoffset().total_seconds() == 0


def test_minimal_voice_newsletter_and_page() -> None:
    assert check(VOICE, VOICE_OK)[1] == []
    assert check(NEWSLETTER, NEWSLETTER_OK)[1] == []
    assert check(PAGE, "title: About\n")[1] == []


def test_topics_as_a_single_string_is_a_list_of_one() -> None:
    values, problems = check(ARTICLE, ARTICLE_OK + "topics: workplace\n")
    assert problems == []
    assert values["topics"] == ("workplace",)


def test_numbers_as_text_fields_become_text() -> None:
    values, problems = check(ARTICLE, "title: 1984\ndate: 2026-03-01\n")
    assert problems == [] and values["title"] == "1984"


# -- required and unknown keys -------------------------------------------------


def test_missing_required_keys_point_at_the_front_matter_start() -> None:
    _, problems = check(VOICE, "location: Leeds\n")
    assert [line for line, _ in problems] == [2] * 5
    assert [m.split("'")[1] for _, m in problems] == ["name", "role", "movement", "date", "quote"]
    assert all(m.startswith("missing required key") for _, m in problems)


def test_required_key_with_empty_value_points_at_the_key() -> None:
    _, problems = check(ARTICLE, "date: 2026-03-01\ntitle:\n")
    assert problems == [(3, "missing required key 'title' (the headline)")]


def test_unknown_key_with_a_did_you_mean_hint() -> None:
    _, problems = check(ARTICLE, "date: 2026-03-01\ntittle: A\n")
    assert (3, "unknown key 'tittle'; did you mean 'title'?") in problems


def test_unknown_key_without_a_close_match_lists_the_allowed_keys() -> None:
    _, problems = check(PAGE, "title: About\nzzzzz: 1\n")
    assert problems == [(3, "unknown key 'zzzzz'; allowed: title, summary, draft, aliases")]


def test_keys_of_another_kind_are_unknown() -> None:
    _, problems = check(PAGE, "title: About\ndate: 2026-03-01\n")
    assert [line for line, _ in problems] == [3]
    assert "unknown key 'date'" in problems[0][1]


# -- types ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("title: [a, b]", "'title' must be non-empty text"),
        ("title: ''", "'title' must be non-empty text"),
        ("title: '   '", "'title' must be non-empty text"),
        ("title: true", "'title' must be non-empty text"),
        ("draft: 'no'", "'draft' must be true or false"),
        ("draft: 1", "'draft' must be true or false"),
        ("authors: {a: b}", "'authors' must be a list"),
        ("authors: [Ana, '']", "'authors': each item must be non-empty text"),
        ("authors: [Ana, [Ben]]", "'authors': each item must be non-empty text"),
        ("date: soon", "is not a date"),
        ("date: 2026-02-30", "is not a real date"),
        ("date: true", "expected a date"),
    ],
)
def test_wrong_types(line: str, expected: str) -> None:
    key = line.split(":")[0]
    rest = "".join(f"{k}: {v}\n" for k, v in (("title", "A"), ("date", "2026-03-01")) if k != key)
    values, problems = check(ARTICLE, rest + line + "\n")
    assert len(problems) == 1, problems
    assert problems[0][0] == (3 if rest.count("\n") == 1 else 4)
    assert expected in problems[0][1]
    assert values[key] in (None, False)  # the default, never the bad value


@pytest.mark.parametrize("number", ["0", "-3", "1.5", "'7'", "true"])
def test_issue_number_must_be_a_positive_whole_number(number: str) -> None:
    _, problems = check(NEWSLETTER, NEWSLETTER_OK + f"number: {number}\n")
    assert problems == [(5, "'number' must be a whole number of at least 1")]


def test_issue_number_ok() -> None:
    values, problems = check(NEWSLETTER, NEWSLETTER_OK + "number: 12\n")
    assert problems == [] and values["number"] == 12


# -- vocabularies -------------------------------------------------------------------


def test_topic_error_points_at_the_offending_list_item() -> None:
    _, problems = check(ARTICLE, ARTICLE_OK + "topics:\n  - workplace\n  - comunity\n  - public-services\n")
    assert problems == [
        (6, "'topics': 'comunity' is not one of the topics in site.yaml (community, public-services, workplace); did you mean 'community'?")
    ]


def test_two_bad_topics_each_get_their_line() -> None:
    _, problems = check(ARTICLE, ARTICLE_OK + "topics:\n  - nope\n  - workplace\n  - 5\n")
    assert [line for line, _ in problems] == [5, 7]
    assert "'nope' is not one of the topics" in problems[0][1]
    assert "non-empty text" in problems[1][1]


def test_topic_listed_twice() -> None:
    _, problems = check(ARTICLE, ARTICLE_OK + "topics:\n  - workplace\n  - workplace\n")
    assert problems == [(6, "'topics': 'workplace' is listed twice")]


def test_topics_as_a_mapping_is_refused() -> None:
    _, problems = check(ARTICLE, ARTICLE_OK + "topics:\n  workplace: yes\n")
    assert problems == [(4, "'topics' must be a list")]


def test_movement_not_in_the_vocabulary_with_hint() -> None:
    _, problems = check(VOICE, VOICE_OK.replace("trade-union", "trade-unions"))
    assert problems == [
        (4, "'movement': 'trade-unions' is not one of the movements in site.yaml (co-operative, community, trade-union); did you mean 'trade-union'?")
    ]


def test_movement_must_be_a_single_key() -> None:
    _, problems = check(VOICE, VOICE_OK.replace("movement: trade-union", "movement: [trade-union]"))
    assert [line for line, _ in problems] == [4]
    assert "is not one of the movements" in problems[0][1]


def test_vocabulary_missing_from_site_yaml_says_so() -> None:
    split, _ = split_front_matter(f"---\n{ARTICLE_OK}topics: [workplace]\n---\n", PATH)
    _, problems = check_fields(split.front_matter, ARTICLE, PATH, FieldContext(LONDON, {}))
    assert [p.line for p in problems] == [4]
    assert "none are defined: add topics to site.yaml" in problems[0].message


# -- lengths, images and alt text ------------------------------------------------------


def test_preheader_over_150_characters() -> None:
    _, problems = check(NEWSLETTER, "title: March\ndate: 2026-03-01\npreheader: " + "x" * 151 + "\n")
    assert problems == [(4, "'preheader' is 151 characters; at most 150 are allowed")]


def test_preheader_of_exactly_150_characters_is_fine() -> None:
    values, problems = check(NEWSLETTER, "title: March\ndate: 2026-03-01\npreheader: " + "é" * 150 + "\n")
    assert problems == [] and len(values["preheader"]) == 150


def test_image_without_image_alt() -> None:
    _, problems = check(ARTICLE, ARTICLE_OK + "image: ../images/a.jpg\n")
    assert len(problems) == 1
    assert problems[0][0] == 4
    assert "'image_alt' is required when 'image' is given" in problems[0][1]


def test_image_with_empty_image_alt() -> None:
    _, problems = check(ARTICLE, ARTICLE_OK + "image: ../images/a.jpg\nimage_alt: ''\n")
    assert sorted(line for line, _ in problems) == [4, 5]


def test_portrait_without_portrait_alt() -> None:
    _, problems = check(VOICE, VOICE_OK + "portrait: ../images/asha.jpg\n")
    assert len(problems) == 1
    assert problems[0][0] == 7
    assert "'portrait_alt' is required when 'portrait' is given" in problems[0][1]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:image/png;base64,AAAA", "JavaScript:x", "file:///etc/passwd"])
def test_image_with_an_unsafe_scheme(url: str) -> None:
    _, problems = check(ARTICLE, ARTICLE_OK + f"image: '{url}'\nimage_alt: x\n")
    assert len(problems) == 1 and problems[0][0] == 4
    assert "URLs are not allowed" in problems[0][1]


def test_https_image_is_accepted() -> None:
    values, problems = check(ARTICLE, ARTICLE_OK + "image: https://example.org/a.jpg\nimage_alt: x\n")
    assert problems == [] and values["image"] == "https://example.org/a.jpg"


# -- featured references -------------------------------------------------------------


def test_featured_refs_are_normalised() -> None:
    values, problems = check(NEWSLETTER, NEWSLETTER_OK + "featured:\n  - articles/a-one\n  - voices/asha-patel.md\n")
    assert problems == []
    assert values["featured"] == ("articles/a-one", "voices/asha-patel")


def test_featured_single_string() -> None:
    values, problems = check(NEWSLETTER, NEWSLETTER_OK + "featured: voices/asha\n")
    assert problems == [] and values["featured"] == ("voices/asha",)


@pytest.mark.parametrize(
    "ref", ["pages/about", "articles/", "articles/Bad_Slug", "articles/a/b", "a-one", "newsletters/march", "../articles/a"]
)
def test_featured_ref_format(ref: str) -> None:
    values, problems = check(NEWSLETTER, NEWSLETTER_OK + f"featured:\n  - articles/ok\n  - '{ref}'\n")
    assert problems == [(7, f"'featured': {ref!r} must be articles/SLUG or voices/SLUG")]
    assert values["featured"] is None


def test_featured_duplicate_points_at_the_second() -> None:
    _, problems = check(NEWSLETTER, NEWSLETTER_OK + "featured:\n  - voices/a\n  - articles/b\n  - voices/a.md\n")
    assert problems == [(8, "'featured': 'voices/a' is listed twice")]


# -- site.yaml through load_config ---------------------------------------------------------

SITE_OK = "title: T\nbase_url: https://example.org\ndescription: D\n"


def config(tmp_path: Path, text: str):
    (tmp_path / "site.yaml").write_text(text, encoding="utf-8")
    settings, problems = load_config(tmp_path)
    assert all(p.path == "site.yaml" for p in problems)
    assert (settings is None) == bool(problems)
    return settings, [(p.line, p.message) for p in problems]


def test_site_defaults(tmp_path: Path) -> None:
    settings, problems = config(tmp_path, SITE_OK)
    assert problems == []
    assert (settings.title, settings.base_url, settings.description) == ("T", "https://example.org", "D")
    assert (settings.language, settings.timezone, settings.per_page, settings.feed_items) == ("en-GB", LONDON, 10, 20)
    assert dict(settings.topics) == {} and settings.email is None and settings.subscribe_url is None


def test_full_site_yaml(tmp_path: Path) -> None:
    settings, problems = config(
        tmp_path,
        "title: T\nbase_url: https://example.org/archive/\ndescription: D\nlanguage: cy\ntimezone: America/New_York\n"
        "per_page: 5\nfeed_items: 3\ntopics:\n  workplace: Power at work\nmovements:\n  trade-union: Trade unions\n"
        "email:\n  provider: buttondown\n  postal_address: ' 1 Road '\nsubscribe_url: https://example.org/join\n",
    )
    assert problems == []
    assert settings.base_url == "https://example.org/archive"
    assert settings.timezone == ZoneInfo("America/New_York")
    assert (settings.language, settings.per_page, settings.feed_items) == ("cy", 5, 3)
    assert dict(settings.topics) == {"workplace": "Power at work"}
    assert dict(settings.movements) == {"trade-union": "Trade unions"}
    assert settings.email == EmailSettings("buttondown", "1 Road")
    assert field_context(settings).vocabularies["topics"] == {"workplace": "Power at work"}


@pytest.mark.parametrize(
    "url",
    ["https://example.us21.list-manage.com/subscribe?u=0a1b2c&id=3d4e5f", "http://example.org/join?ref=site#form", "https://example.org/join"],
)
def test_subscribe_url_keeps_its_query_string(tmp_path: Path, url: str) -> None:
    settings, problems = config(tmp_path, SITE_OK + f"subscribe_url: {url!r}\n")
    assert problems == []
    assert settings.subscribe_url == url


@pytest.mark.parametrize("url", ["ftp://example.org/join", "/join", "https://", "example.org/join?x=1"])
def test_subscribe_url_must_be_absolute_http(tmp_path: Path, url: str) -> None:
    _, problems = config(tmp_path, SITE_OK + f"subscribe_url: {url!r}\n")
    assert [message for _, message in problems] == ["'subscribe_url' must be an absolute http(s) URL such as https://example.org"]


def test_base_url_still_refuses_a_query_string(tmp_path: Path) -> None:
    _, problems = config(tmp_path, SITE_OK.replace("https://example.org", "https://example.org/?x=1"))
    assert len(problems) == 1 and "without ? or #" in problems[0][1]


def test_typographic_punctuation_setting(tmp_path: Path) -> None:
    settings, problems = config(tmp_path, SITE_OK)
    assert problems == [] and settings.typographic_punctuation is True
    settings, problems = config(tmp_path, SITE_OK + "typographic_punctuation: false\n")
    assert problems == [] and settings.typographic_punctuation is False


def test_missing_site_yaml(tmp_path: Path) -> None:
    settings, problems = load_config(tmp_path)
    assert settings is None
    assert [(p.path, p.line) for p in problems] == [("site.yaml", 0)]
    assert "no site.yaml" in problems[0].message


def test_site_missing_required_keys(tmp_path: Path) -> None:
    _, problems = config(tmp_path, "language: en-GB\n")
    assert [m.split("'")[1] for _, m in problems] == ["title", "base_url", "description"]
    assert all(line == 1 and m.startswith("missing required key") for line, m in problems)


def test_empty_site_yaml(tmp_path: Path) -> None:
    _, problems = config(tmp_path, "")
    assert len(problems) == 3


@pytest.mark.parametrize(
    "url",
    ["/relative", "example.org", "ftp://example.org", "https://example.org/?a=1", "https://example.org/#top", "https://", "mailto:a@b.org", "[1]"],
)
def test_bad_base_url(tmp_path: Path, url: str) -> None:
    _, problems = config(tmp_path, f"title: T\nbase_url: {url}\ndescription: D\n")
    assert len(problems) == 1 and problems[0][0] == 2
    assert problems[0][1].startswith("'base_url' must be an absolute http(s) URL")


@pytest.mark.parametrize("url", ["http://localhost:8000", "https://example.org/a/b/", "HTTPS://EXAMPLE.ORG"])
def test_good_base_url(tmp_path: Path, url: str) -> None:
    settings, problems = config(tmp_path, f"title: T\nbase_url: {url}\ndescription: D\n")
    assert problems == [] and settings.base_url == url.rstrip("/")


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe", "../../etc/passwd", "Europe/London/", "''", "[UTC]"])
def test_unknown_timezone(tmp_path: Path, zone: str) -> None:
    _, problems = config(tmp_path, SITE_OK + f"timezone: {zone}\n")
    assert len(problems) == 1 and problems[0][0] == 4
    assert "'timezone'" in problems[0][1] and "IANA" in problems[0][1]


def test_unknown_site_keys_with_hints(tmp_path: Path) -> None:
    _, problems = config(tmp_path, SITE_OK + "feeditems: 20\nbaseurl: x\n")
    assert problems == [
        (4, "unknown key 'feeditems'; did you mean 'feed_items'?"),
        (5, "unknown key 'baseurl'; did you mean 'base_url'?"),
    ]


def test_per_page_and_language(tmp_path: Path) -> None:
    _, problems = config(tmp_path, SITE_OK + "per_page: 0\nlanguage: english language\n")
    assert sorted(problems) == [
        (4, "'per_page' must be a whole number of at least 1"),
        (5, "'language' must be a language tag such as en-GB"),
    ]


def test_vocabulary_keys_must_be_slugs_and_need_labels(tmp_path: Path) -> None:
    _, problems = config(tmp_path, SITE_OK + "topics:\n  workplace: Power at work\n  Work Place: X\n  nolabel:\n")
    assert problems == [
        (6, "'topics': key 'Work Place' must be lower-case a-z, 0-9 and hyphens"),
        (7, "'topics': 'nolabel' needs a label, e.g. nolabel: Power at work"),
    ]


def test_vocabulary_key_with_a_trailing_newline_is_not_a_slug(tmp_path: Path) -> None:
    _, problems = config(tmp_path, SITE_OK + 'topics:\n  "work\\n": Power at work\n')
    assert [line for line, _ in problems] == [5]


def test_vocabulary_must_be_a_mapping(tmp_path: Path) -> None:
    _, problems = config(tmp_path, SITE_OK + "movements: [a, b]\n")
    assert problems == [(4, "'movements' must be a mapping of KEY: Label lines")]


def test_email_unknown_key_points_at_the_nested_key(tmp_path: Path) -> None:
    _, problems = config(tmp_path, SITE_OK + "email:\n  provider: mailchimp\n  postal_address: 1 Road\n  reply_to: x\n")
    assert problems == [(7, "email: unknown key 'reply_to'")]


def test_email_misspelt_key_points_at_itself_not_at_the_key_it_suggests(tmp_path: Path) -> None:
    _, problems = config(tmp_path, SITE_OK + "email:\n  postal_address: 1 Road\n  provider: mailchimp\n  postal_adress: 2 Road\n")
    assert problems == [(7, "email: unknown key 'postal_adress'; did you mean 'postal_address'?")]


def test_email_bad_provider_points_at_provider(tmp_path: Path) -> None:
    _, problems = config(tmp_path, SITE_OK + "email:\n  postal_address: 1 Road\n  provider: mailchump\n")
    assert problems == [(6, "email.provider must be one of mailchimp, buttondown, listmonk, campaign-monitor, generic")]


def test_email_missing_postal_address_points_at_email(tmp_path: Path) -> None:
    _, problems = config(tmp_path, SITE_OK + "email:\n  provider: mailchimp\n")
    assert problems == [(4, "email.postal_address is required: bulk email must show a postal address")]


def test_email_empty_postal_address_points_at_it(tmp_path: Path) -> None:
    _, problems = config(tmp_path, SITE_OK + "email:\n  provider: mailchimp\n  postal_address: ''\n")
    assert problems == [(6, "email.postal_address is required: bulk email must show a postal address")]


def test_email_provider_defaults_to_generic(tmp_path: Path) -> None:
    settings, problems = config(tmp_path, SITE_OK + "email:\n  postal_address: 1 Road\n  unsubscribe: '%%unsub%%'\n")
    assert problems == [] and settings.email == EmailSettings("generic", "1 Road", unsubscribe="%%unsub%%")


@pytest.mark.parametrize("block", ["email:\n  postal_address: 1 Road\n", "email:\n  postal_address: 1 Road\n  provider: generic\n"])
def test_generic_without_an_unsubscribe_tag_is_an_error(tmp_path: Path, block: str) -> None:
    """Else `{{unsubscribe_url}}` went out as the link and the List-Unsubscribe header, whatever the tool."""
    _, problems = config(tmp_path, SITE_OK + block)
    [(line, message)] = problems
    assert line == (6 if "provider" in block else 4)
    assert message.startswith("email.provider generic needs email.unsubscribe: your mailing tool's unsubscribe merge tag")


def test_email_must_be_a_mapping(tmp_path: Path) -> None:
    _, problems = config(tmp_path, SITE_OK + "email: mailchimp\n")
    assert problems == [(4, "'email' must be a mapping with provider and postal_address")]


def test_site_yaml_not_a_mapping(tmp_path: Path) -> None:
    _, problems = config(tmp_path, "- title\n- base_url\n")
    assert len(problems) == 1 and problems[0][0] == 1 and "mapping" in problems[0][1]


def test_site_yaml_with_invalid_utf8(tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_bytes(b"title: T\ndescription: caf\xe9\n")
    settings, problems = load_config(tmp_path)
    assert settings is None
    assert [(p.path, p.line) for p in problems] == [("site.yaml", 2)]


def test_every_problem_in_site_yaml_is_reported_at_once(tmp_path: Path) -> None:
    _, problems = config(tmp_path, "title: T\nbase_url: /x\ndescription: ''\nper_page: 0\ntimezone: Nowhere\nfeeditems: 3\n")
    assert sorted(line for line, _ in problems) == [2, 3, 4, 5, 6]


def test_authors_as_a_string_is_an_error_that_shows_the_list() -> None:
    """`authors: Jo Bloggs, Sam Smith` was one author called "Jo Bloggs, Sam Smith"."""
    _, problems = check(ARTICLE, ARTICLE_OK + "authors: Jo Bloggs, Sam Smith\n")
    assert problems == [(4, """'authors' must be a list, even of one: write authors: ["Jo Bloggs", "Sam Smith"]""")]
    _, problems = check(ARTICLE, ARTICLE_OK + "authors: Ann\n")
    assert problems == [(4, """'authors' must be a list, even of one: write authors: ["Ann"]""")]


@given(st.lists(st.text(st.characters(categories=("L",)), min_size=1, max_size=12).filter(lambda name: name != "and"), min_size=1, max_size=4, unique=True))
def test_the_fix_shown_for_string_authors_is_valid_front_matter_for_those_names(names: list[str]) -> None:
    _, problems = check(ARTICLE, ARTICLE_OK + "authors: " + json.dumps(", ".join(names), ensure_ascii=False) + "\n")
    [(line, message)] = problems
    fix = message.split("write ", 1)[1]
    values, again = check(ARTICLE, ARTICLE_OK + fix + "\n")
    assert again == [] and values["authors"] == tuple(name.strip() for name in names), fix
