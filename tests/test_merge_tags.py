"""Members' words never form a live merge tag of any mailing provider (issue 14, finding 4).

A voice's quote, a newsletter's title, preheader and introduction, and an
article's title and summary carry every provider's tag syntax. In every email
output (HTML, text, .eml, for each provider) the only live tag left is the
generator's own unsubscribe tag, and the words still read the same to a person.
"""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import lxml.html
import pytest
from conftest import copy_site, newpower

from newpower_site.email.mergetags import WORD_JOINER, neutralise_html, neutralise_text

ISSUE = "content/newsletters/march-2026.md"
VOICE = "content/voices/dee-okafor.md"
ARTICLE = "content/articles/bakery-buyout.md"
# One of each provider's syntax, and the tricks: tags back to back, a triple brace, a tag split by a line end in the source.
TAGS = "*|EMAIL|* {{ .Subscriber.Attribs }} {% if x %}y{% endif %} {# c #} [firstname,fallback=friend] {{{x}}} *|*|UNSUB|*"
LIVE = {
    "mailchimp": re.compile(r"\*\|"),
    "buttondown": re.compile(r"\{[{%#]"),
    "listmonk": re.compile(r"\{\{"),
    "campaign-monitor": re.compile(r"\[[A-Za-z_$]|<(?:unsubscribe|webversion|forwardtoafriend|preferences)\b", re.IGNORECASE),
    "generic": re.compile(r"\{[{%#]|\*\||\[[A-Za-z_$]"),
}
OWN_TAG = {"mailchimp": "*|UNSUB|*", "buttondown": "{{ unsubscribe_url }}", "listmonk": "{{ UnsubscribeURL }}", "generic": "{{unsubscribe_url}}"}


def _replace_front(path: Path, key: str, value: str) -> None:
    text = path.read_text(encoding="utf-8")
    quoted = "'" + value.replace("'", "''") + "'"  # YAML single quotes: only ' is special
    path.write_text(re.sub(rf"(?m)^{key}: .*$", lambda _: f"{key}: {quoted}", text, count=1), encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = copy_site("realistic", tmp_path_factory.mktemp("merge-tags"))
    config = site / "site.yaml"  # the generic provider takes its tag from site.yaml
    config.write_text(re.sub(r"(?m)^(\s+)provider: .*$", lambda m: m.group(0) + f'\n{m.group(1)}unsubscribe: "{{{{unsubscribe_url}}}}"',
                             config.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    _replace_front(site / VOICE, "quote", f"We said {TAGS} out loud.")
    _replace_front(site / ISSUE, "title", f"March {TAGS}")
    _replace_front(site / ISSUE, "preheader", f"Inside: {TAGS}"[:150])
    issue = site / ISSUE
    issue.write_text(issue.read_text(encoding="utf-8") + f"\nMembers wrote {TAGS} and `{TAGS}` and [a link](https://example.org/?q={{{{x}}}}).\n",
                     encoding="utf-8")
    _replace_front(site / ARTICLE, "title", f"Bakers {TAGS}")
    run = newpower("build", "--site", site)
    assert run.code == 0, run.stderr
    return site


def without_theme_comments(html: str) -> str:
    """The theme's own comments (Outlook's `<!--[if mso]>`) and style block (`[data-ogsc]`) are not content."""
    return re.sub(r"<!--.*?-->|<style\b.*?</style>", "", html, flags=re.DOTALL)


def email_output(site: Path, provider: str, text: bool) -> str:
    run = newpower("email", "march-2026", "--site", site, "--provider", provider, *(["--text"] if text else []))
    assert run.code == 0, run.stderr
    return run.stdout


@pytest.mark.parametrize("provider", sorted(LIVE))
def test_html_has_no_live_tag_but_the_generators_own(site: Path, provider: str) -> None:
    html = email_output(site, provider, text=False)
    source = without_theme_comments(html)
    live = LIVE[provider].findall(source)
    if provider == "campaign-monitor":
        assert [tag.lower() for tag in live] == ["<unsubscribe"], live
    else:
        assert len(live) == len(LIVE[provider].findall(OWN_TAG[provider])), live
        assert f'href="{OWN_TAG[provider]}"' in html
    shown = lxml.html.fromstring(html.encode("utf-8")).text_content()
    assert f"We said {TAGS} out loud." in shown, "a reader sees the words as written"
    assert f"March {TAGS}" in shown


@pytest.mark.parametrize("provider", sorted(LIVE))
def test_text_has_no_live_tag_but_the_generators_own(site: Path, provider: str) -> None:
    text = email_output(site, provider, text=True)
    (unsubscribe,) = [line for line in text.splitlines() if line.startswith("Unsubscribe: ")]
    rest = text.replace(unsubscribe, "")
    assert not LIVE[provider].findall(rest), LIVE[provider].findall(rest)[:5]
    readable = " ".join(text.replace(WORD_JOINER, "").split())
    assert f"We said {TAGS} out loud." in readable
    if provider != "campaign-monitor":
        assert unsubscribe == f"Unsubscribe: {OWN_TAG[provider]}"


def test_eml_parts_and_subject_have_no_live_tag(site: Path) -> None:
    message = email.message_from_bytes((site / "output/email/march-2026.eml").read_bytes(), policy=email.policy.default)
    live = LIVE["generic"]
    assert not live.findall(str(message["Subject"])), message["Subject"]
    assert str(message["Subject"]).replace(WORD_JOINER, "") == f"March {TAGS}"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert [line for line in text.splitlines() if live.search(line)] == [f"Unsubscribe: {OWN_TAG['buttondown']}"]
    assert live.findall(without_theme_comments(html)) == ["{{"], "only the footer's {{ unsubscribe_url }}"


def test_neutralising_breaks_every_opener() -> None:
    assert neutralise_html("*|A|* {{{x}}} {%y%} {#z#} [name] [1] a|b *x") == "&#42;|A|* &#123;&#123;{x}}} &#123;%y%} &#123;#z#} &#91;name] [1] a|b *x"
    assert neutralise_text("*|A|* {{x}} [name] <unsubscribe> 2 < 3").replace(WORD_JOINER, "~") == "*~|A|* {~{x}} [~name] <~unsubscribe> 2 < 3"
    assert neutralise_html('<!--[if mso]><p>[x]</p><![endif]--><style>[data-ogsc] a {}</style><p title="{{x}}">[x]</p>') == (
        '<!--[if mso]><p>[x]</p><![endif]--><style>[data-ogsc] a {}</style><p title="&#123;{x}}">&#91;x]</p>')
