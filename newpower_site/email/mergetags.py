"""Members' words never become a mailing tool's template code.

Every provider runs a template engine over the message it is given, HTML and
text alike: `*|EMAIL|*` in a voice's quote would show each reader their own
address, `{{ .Subscriber.Attribs }}` would dump listmonk's attributes, and a
stray `{{` makes a provider reject the campaign. So the character that opens a
tag is neutralised wherever it lands: in HTML it becomes a character reference
(the engines read the source, where `&#42;|` is no tag, and mail clients show
`*|`); in text a word joiner (U+2060, invisible) goes after it. Every
provider's syntax is neutralised in every output, so an issue can go to two
tools. Only the generator's own unsubscribe tag is written after this.

| provider | tag syntax | neutralised |
|---|---|---|
| mailchimp | `*|TAG|*` | `*` before `|` |
| buttondown | `{{ … }}`, `{% … %}`, `{# … #}` (Django-style) | `{` before `{`, `%`, `#` |
| listmonk | `{{ … }}` (Go templates) | as buttondown |
| campaign-monitor | `[tag]`, `[tag,fallback=]`, `<unsubscribe>`… | `[` before a letter; in text `<` before a letter |
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"
# The first character of a tag, as a lookahead keeps each one on its own: '{{{' has two openers.
_HTML_OPENERS = re.compile(r"\*(?=\|)|\{(?=[{%#])|\[(?=[A-Za-z_$])")
_HTML_REFERENCES = {"*": "&#42;", "{": "&#123;", "[": "&#91;"}
_TEXT_OPENERS = re.compile(r"\*(?=\|)|\{(?=[{%#])|\[(?=[A-Za-z_$])|<(?=[A-Za-z_$])")
# What in the email's HTML is not text or attribute values: the theme's comments (Outlook's
# `<!--[if mso]>`) and style blocks (`[data-ogsc]` selectors), left as they are.
_NOT_CONTENT = re.compile(r"(<!--.*?-->|<style\b.*?</style\s*>)", re.DOTALL | re.IGNORECASE)


def neutralise_text(text: str) -> str:
    """`text` with a word joiner after every character that would open a provider's tag."""
    return _TEXT_OPENERS.sub(lambda match: match.group(0) + WORD_JOINER, text)


def neutralise_html(markup: str) -> str:
    """`markup` with every tag-opening character in text and attribute values written as a character reference.

    `<` needs nothing: in HTML text from content is escaped, so content can
    never write a Campaign Monitor `<unsubscribe>` element.
    """
    pieces = _NOT_CONTENT.split(markup)
    for index in range(0, len(pieces), 2):  # the even pieces are outside comments and style blocks
        pieces[index] = _HTML_OPENERS.sub(lambda match: _HTML_REFERENCES[match.group(0)], pieces[index])
    return "".join(pieces)
