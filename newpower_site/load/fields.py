"""Check a located mapping against a schema table and convert its values.

Every problem is collected (never raised) with the line of the key or list
item at fault, and unknown keys get a "did you mean" hint, because the usual
cause is a typo such as `tittle:`.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newpower_site.core.dates import DateError, parse_date
from newpower_site.core.diagnostics import Diagnostic, error
from newpower_site.load.schema import (
    EMAIL_KEYS, EMAIL_PROVIDERS, MENU_KEYS, MENU_SECTIONS, SUBSCRIBE_OPTIONAL, SUBSCRIBE_PROVIDERS, UTM_KEYS, WORDING_KEYS, Field, Kind,
)
from newpower_site.core.slugs import is_valid_slug
from newpower_site.core.urls import alias_problem
from newpower_site.load.yamlsafe import LocatedMapping

_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_REF = re.compile(r"^(articles|voices)/([^/]+)$")
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")  # as a browser finds a scheme


@dataclass(frozen=True, slots=True)
class FieldContext:
    """What checking needs besides the mapping: the site's zone and vocabularies."""

    zone: ZoneInfo
    vocabularies: Mapping[str, Mapping[str, str]]


def check_fields(
    mapping: LocatedMapping, kind: Kind, path: str, context: FieldContext
) -> tuple[dict[str, Any], list[Diagnostic]]:
    values: dict[str, Any] = {}
    problems: list[Diagnostic] = []
    known = [f.name for f in kind.fields]
    for key in mapping.values:
        if kind.field(key) is None:
            hint = difflib.get_close_matches(key, known, n=1)
            suggestion = f"did you mean {hint[0]!r}?" if hint else f"allowed: {', '.join(known)}"
            problems.append(error(path, mapping.line_of(key), f"unknown key {key!r}; {suggestion}", hint=suggestion))
    for spec in kind.fields:
        raw = mapping.values.get(spec.name)
        if raw is None:
            if spec.required and not (spec.required_unless and mapping.values.get(spec.required_unless) is True):
                line = mapping.line_of(spec.name) if spec.name in mapping.values else mapping.start_line
                problems.append(error(path, line, f"missing required key {spec.name!r} ({spec.help})"))
            values[spec.name] = spec.default
            continue
        value, messages = _convert(raw, spec, mapping, context)
        for problem in messages:
            line = problem.line or mapping.line_of(spec.name, problem.index)
            problems.append(error(path, line, problem.message, hint=problem.hint))
        values[spec.name] = value if not messages else spec.default
    for spec in kind.fields:
        if spec.alt_field and mapping.values.get(spec.name) and not values.get(spec.alt_field):
            problems.append(
                error(path, mapping.line_of(spec.name), f"{spec.alt_field!r} is required when {spec.name!r} is given: describe the image for people who cannot see it")
            )
    return values, problems


@dataclass(frozen=True, slots=True)
class _Problem:
    """A field's problem before its file and line are known."""

    message: str
    index: int | None = None  # which list item, when the value is a list
    line: int | None = None  # an exact line, when known (nested keys)
    nested_key: str | None = None  # the key inside a nested mapping the problem is about
    hint: str = ""  # the "did you mean" part of the message, for machine-readable reports


Messages = list[_Problem]


def _convert(raw: Any, spec: Field, mapping: LocatedMapping, context: FieldContext) -> tuple[Any, Messages]:
    name = spec.name
    kind = spec.type
    if kind in ("text", "image"):
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            raw = str(raw)
        if not isinstance(raw, str) or not raw.strip():
            return None, [_Problem(f"{name!r} must be non-empty text")]
        text = raw.strip()
        if spec.max_length and len(text) > spec.max_length:
            return None, [_Problem(f"{name!r} is {len(text)} characters; at most {spec.max_length} are allowed")]
        if kind == "image":
            return text, _check_image_reference(text, name)
        return text, []
    if kind == "date":
        try:
            return parse_date(raw, context.zone), []
        except DateError as exc:
            return None, [_Problem(f"{name!r}: {exc}")]
    if kind == "bool":
        if not isinstance(raw, bool):
            return None, [_Problem(f"{name!r} must be true or false")]
        return raw, []
    if kind == "int":
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            return None, [_Problem(f"{name!r} must be a whole number of at least 1")]
        return raw, []
    if kind in ("text_list", "key_list", "refs", "paths"):
        return _convert_list(raw, spec, context)
    if kind == "key":
        return _check_key(raw, spec, context, None)
    if kind == "url":
        return _check_url(raw, name)
    if kind == "link_url":
        return _check_url(raw, name, query_allowed=True)
    if kind == "language":
        if not isinstance(raw, str) or not _LANGUAGE.match(raw):
            return None, [_Problem(f"{name!r} must be a language tag such as en-GB")]
        return raw, []
    if kind == "timezone":
        return _check_zone(raw, name)
    if kind == "vocabulary":
        return _check_vocabulary(raw, name, mapping)
    if kind == "email":
        return _check_email(raw, name, mapping)
    if kind == "menu":
        return _check_menu(raw, name)
    if kind == "wording":
        return _check_wording(raw, name, mapping)
    if kind == "subscribe":
        return _check_subscribe(raw, name, mapping)
    raise AssertionError(f"no converter for field type {kind}")


def _convert_list(raw: Any, spec: Field, context: FieldContext) -> tuple[Any, Messages]:
    if isinstance(raw, str) and spec.type == "text_list":
        # `authors: Jo Bloggs, Sam Smith` would be one author called "Jo Bloggs, Sam Smith": show the list it means.
        names = [part.strip() for part in re.split(r",|\band\b|&", raw) if part.strip()] or [raw.strip()]
        fix = "[" + ", ".join(json.dumps(name, ensure_ascii=False) for name in names) + "]"
        return None, [_Problem(f"{spec.name!r} must be a list, even of one: write {spec.name}: {fix}", hint=f"{spec.name}: {fix}")]
    if isinstance(raw, str):
        raw = [raw]  # `topics: workplace` means a list of one, as in Hugo
    if not isinstance(raw, list):
        return None, [_Problem(f"{spec.name!r} must be a list")]
    items: list[Any] = []
    messages: Messages = []
    for index, item in enumerate(raw):
        if not isinstance(item, str) or not item.strip():
            messages.append(_Problem(f"{spec.name!r}: each item must be non-empty text", index))
            continue
        item = item.strip()
        if spec.type == "key_list":
            key, problem = _check_key(item, spec, context, index)
            messages.extend(problem)
        elif spec.type == "refs":
            match = _REF.match(item.removesuffix(".md"))
            if not match or not is_valid_slug(match.group(2)):
                messages.append(_Problem(f"{spec.name!r}: {item!r} must be articles/SLUG or voices/SLUG", index))
                continue
            item = match.group(0)
        elif spec.type == "paths":
            why = alias_problem(item)
            if why:
                messages.append(_Problem(f"{spec.name!r}: {item!r} {why}", index))
                continue
        if item in items:
            messages.append(_Problem(f"{spec.name!r}: {item!r} is listed twice", index))
            continue
        items.append(item)
    return tuple(items), messages


def _check_key(raw: Any, spec: Field, context: FieldContext, index: int | None) -> tuple[Any, Messages]:
    vocabulary = context.vocabularies.get(spec.vocabulary or "", {})
    if not isinstance(raw, str) or raw not in vocabulary:
        choices = ", ".join(sorted(vocabulary)) or f"none are defined: add {spec.vocabulary} to site.yaml"
        hint = difflib.get_close_matches(str(raw), list(vocabulary), n=1)
        suggestion = f"did you mean {hint[0]!r}?" if hint else ""
        message = f"{spec.name!r}: {raw!r} is not one of the {spec.vocabulary} in site.yaml ({choices})"
        return None, [_Problem(f"{message}; {suggestion}" if suggestion else message, index, hint=suggestion)]
    return raw, []


def _split_url(text: str):
    """urlsplit, or None where it raises (an unclosed [ in the host: 'https://[x')."""
    try:
        return urlsplit(text)
    except ValueError:
        return None


def _check_image_reference(text: str, name: str) -> Messages:
    parts = _split_url(text)
    if parts is None:
        return [_Problem(f"{name!r}: {text!r} is not a valid URL or path")]
    scheme = parts.scheme.lower()
    if scheme and scheme not in ("http", "https"):
        return [_Problem(f"{name!r}: {scheme}: URLs are not allowed; use a file path or an https URL")]
    return []


def _check_url(raw: Any, name: str, query_allowed: bool = False) -> tuple[Any, Messages]:
    """`query_allowed`: a URL linked to as it is (a Mailchimp sign-up form's `?u=…&id=…`), not one built upon."""
    if not isinstance(raw, str):
        return None, [_Problem(f"{name!r} must be an absolute http(s) URL")]
    parts = _split_url(raw.strip())
    shape = "an absolute http(s) URL such as https://example.org" + ("" if query_allowed else ", without ? or #")
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return None, [_Problem(f"{name!r} must be {shape}")]
    if not query_allowed and (parts.query or parts.fragment):
        return None, [_Problem(f"{name!r} must be {shape}")]
    return raw.strip(), []


def _check_zone(raw: Any, name: str) -> tuple[Any, Messages]:
    if not isinstance(raw, str) or not raw.strip():
        return None, [_Problem(f"{name!r} must be an IANA time zone such as Europe/London")]
    try:
        return ZoneInfo(raw.strip()), []
    except (ZoneInfoNotFoundError, ValueError, OSError):  # e.g. IsADirectoryError for 'Europe'
        return None, [_Problem(f"{name!r}: unknown time zone {raw!r}; use an IANA name such as Europe/London")]


def _check_vocabulary(raw: Any, name: str, mapping: LocatedMapping) -> tuple[Any, Messages]:
    if not isinstance(raw, dict):
        return None, [_Problem(f"{name!r} must be a mapping of KEY: Label lines")]
    vocabulary: dict[str, str] = {}
    messages: Messages = []
    for key, label in raw.items():
        key_text = str(key)
        if not is_valid_slug(key_text):
            messages.append(_Problem(f"{name!r}: key {key_text!r} must be lower-case a-z, 0-9 and hyphens", nested_key=key_text))
        elif not isinstance(label, str) or not label.strip():
            messages.append(_Problem(f"{name!r}: {key_text!r} needs a label, e.g. {key_text}: Power at work", nested_key=key_text))
        else:
            vocabulary[key_text] = label.strip()
    return vocabulary, _at_nested(messages, name, mapping)


def _check_email(raw: Any, name: str, mapping: LocatedMapping) -> tuple[Any, Messages]:
    if not isinstance(raw, dict):
        return None, [_Problem(f"{name!r} must be a mapping with provider and postal_address")]
    messages: Messages = []
    for key in raw:
        if key not in EMAIL_KEYS:
            messages.append(_unknown_nested_key(name, key, EMAIL_KEYS, nested_key=str(key)))
    provider = raw.get("provider", "generic")
    if provider not in EMAIL_PROVIDERS:
        messages.append(_Problem(f"{name}.provider must be one of {', '.join(EMAIL_PROVIDERS)}", nested_key="provider"))
    address = raw.get("postal_address")
    if not isinstance(address, str) or not address.strip():
        messages.append(_Problem(f"{name}.postal_address is required: bulk email must show a postal address", nested_key="postal_address"))
    for key in ("from", "unsubscribe"):
        if key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
            messages.append(_Problem(f"{name}.{key} must be a non-empty text", nested_key=key))
    if provider == "generic" and "unsubscribe" not in raw:
        where = "provider" if "provider" in raw else None
        messages.append(_Problem(
            f"{name}.provider generic needs {name}.unsubscribe: your mailing tool's unsubscribe merge tag (such as "
            "'{{unsubscribe_url}}') or URL, or name the tool as provider (" + ", ".join(p for p in EMAIL_PROVIDERS if p != "generic") + ")",
            nested_key=where,
        ))
    unsubscribe = raw.get("unsubscribe")
    problem = _unsubscribe_problem(unsubscribe) if isinstance(unsubscribe, str) and unsubscribe.strip() else None
    if problem:
        messages.append(_Problem(f"{name}.unsubscribe {problem}", nested_key="unsubscribe"))
    sender = raw.get("from")
    if isinstance(sender, str) and sender.strip() and not _one_address(sender):
        messages.append(_Problem(f"{name}.from must be one email address, such as 'The New Power Project <news@example.org>'", nested_key="from"))
    utm, utm_messages = _check_utm(raw.get("utm"), name)
    messages += utm_messages
    if messages:
        return None, _at_nested(messages, name, mapping)
    settings = {"provider": provider, "postal_address": address.strip(), "utm": utm}
    settings.update({key: raw[key].strip() for key in ("from", "unsubscribe") if key in raw})
    return settings, []


_CONTENT_LINK = re.compile(r"^(?:content/)?(articles|voices|newsletters|pages)/([a-z0-9-]+)\.md$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def _check_menu(raw: Any, name: str) -> tuple[Any, Messages]:
    """`menu:` entries `{label, link}`; a link is a section, a content file (pages/about.md) or an absolute URL.

    Whether a content file exists is for the content stage to say (load/content.py): site.yaml is read first.
    """
    if not isinstance(raw, list) or not raw:
        return None, [_Problem(f"{name!r} must be a list of entries such as `- {{label: About, link: pages/about.md}}`")]
    entries: list[tuple[str, str]] = []
    messages: Messages = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            messages.append(_Problem(f"{name!r}: each entry is `label:` and `link:`, e.g. {{label: About, link: pages/about.md}}", index))
            continue
        unknown = [str(key) for key in entry if key not in MENU_KEYS]
        if unknown:
            messages.append(_Problem(f"{name!r}: unknown key {unknown[0]!r} (an entry has label and link)", index))
            continue
        label, link = entry.get("label"), entry.get("link")
        if not isinstance(label, str) or not label.strip():
            messages.append(_Problem(f"{name!r}: each entry needs a `label`, the words shown", index))
            continue
        if not isinstance(link, str) or not link.strip():
            messages.append(_Problem(f"{name!r}: {label.strip()!r} needs a `link`", index))
            continue
        link = link.strip()
        parts = _split_url(link)
        is_url = parts is not None and parts.scheme in ("http", "https") and bool(parts.netloc)
        if not (link in MENU_SECTIONS or _CONTENT_LINK.match(link) or is_url):
            messages.append(_Problem(
                f"{name!r}: link {link!r} must be a section ({', '.join(MENU_SECTIONS)}), a content file such as "
                "pages/about.md, or an absolute http(s) URL", index))
            continue
        entries.append((label.strip(), link))
    return tuple(entries), messages


def _check_wording(raw: Any, name: str, mapping: LocatedMapping) -> tuple[Any, Messages]:
    if not isinstance(raw, dict):
        return None, [_Problem(f"{name!r} must be a mapping of sentences, such as `tagline: A monthly newsletter`")]
    messages: Messages = []
    for key, value in raw.items():
        if key not in WORDING_KEYS:
            messages.append(_unknown_nested_key(name, key, WORDING_KEYS, nested_key=str(key)))
        elif not isinstance(value, str) or not value.strip():
            messages.append(_Problem(f"{name}.{key} must be non-empty text", nested_key=str(key)))
    if messages:
        return None, _at_nested(messages, name, mapping)
    return {key: value.strip() for key, value in raw.items()}, []


def _check_subscribe(raw: Any, name: str, mapping: LocatedMapping) -> tuple[Any, Messages]:
    """`subscribe:` names the mailing tool and what its sign-up form posts to (docs/email.md cites each tool's form)."""
    providers = ", ".join(SUBSCRIBE_PROVIDERS)
    if not isinstance(raw, dict):
        return None, [_Problem(f"{name!r} must be a mapping with provider ({providers}) and what that tool's form needs")]
    provider = raw.get("provider")
    if provider not in SUBSCRIBE_PROVIDERS:
        return None, _at_nested([_Problem(f"{name}.provider must be one of {providers}", nested_key="provider" if "provider" in raw else None)],
                                name, mapping)
    needed = dict(SUBSCRIBE_PROVIDERS[provider])
    allowed = ("provider", *needed, *dict(SUBSCRIBE_OPTIONAL.get(provider, ())))
    messages: Messages = []
    for key in raw:
        if key not in allowed:
            messages.append(_Problem(f"{name}: {key!r} is not used with provider {provider} (it takes {', '.join(allowed[1:])})",
                                     nested_key=str(key)))
    for key, what in needed.items():
        if key not in raw:
            messages.append(_Problem(f"{name}.{key} is required with provider {provider}: {what}", nested_key="provider"))
    settings: dict[str, Any] = {"provider": provider}
    for key in ("action", "url"):
        if key in raw:
            value = raw[key]
            parts = _split_url(value.strip()) if isinstance(value, str) else None
            if parts is None or parts.scheme != "https" or not parts.netloc:
                messages.append(_Problem(f"{name}.{key} must be an https:// URL (a sign-up form must not send addresses unencrypted)",
                                         nested_key=key))
            else:
                settings[key] = value.strip()
    if "username" in raw:
        if not isinstance(raw["username"], str) or not _USERNAME.match(raw["username"].strip()):
            messages.append(_Problem(f"{name}.username must be your Buttondown username: letters, digits, _ . -", nested_key="username"))
        else:
            settings["username"] = raw["username"].strip()
    if "lists" in raw:
        lists = raw["lists"] if isinstance(raw["lists"], list) else [raw["lists"]]
        if not lists or not all(isinstance(item, str) and _UUID.match(item.strip()) for item in lists):
            messages.append(_Problem(f"{name}.lists must be the UUIDs of listmonk lists, such as 8a0b0a2e-6f5c-4c2e-9d3b-1b2f8c6a7e10",
                                     nested_key="lists"))
        else:
            settings["lists"] = tuple(item.strip() for item in lists)
    if "email_field" in raw:
        if not isinstance(raw["email_field"], str) or not _USERNAME.match(raw["email_field"].strip()):
            messages.append(_Problem(f"{name}.email_field must be a form field name such as cm-abcd-abcd", nested_key="email_field"))
        else:
            settings["email_field"] = raw["email_field"].strip()
    if messages:
        return None, _at_nested(messages, name, mapping)
    return settings, []

def _unsubscribe_problem(text: str) -> str | None:
    """Why `text` cannot be the footer's unsubscribe link and List-Unsubscribe header, or None.

    It lands in an href and in a header, so it must be one line; it is either
    an absolute http(s) or mailto: URL, or the mailing tool's own merge tag,
    which has no scheme. Read as a browser reads a URL (white space and
    controls ignored), so ` java script:` is a scheme too.
    """
    text = text.strip()
    if any(not ch.isprintable() for ch in text):
        return "must be one line of text (no line break or control character): it becomes a link and a mail header"
    if "<" in text.replace("<%", "") or ">" in text.replace("%>", ""):  # SendGrid's tags are <%…%>
        return "must not hold < or >: it becomes the List-Unsubscribe header, <…>"
    cleaned = "".join(ch for ch in text if not ch.isspace())
    scheme = _URL_SCHEME.match(cleaned)
    if scheme is None:
        return None  # the mailing tool's merge tag, e.g. {{unsubscribe_url}}
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.netloc and not any(ch.isspace() for ch in text):
        return None
    if parts.scheme == "mailto" and len(text) > len("mailto:") and not any(ch.isspace() for ch in text):
        return None
    return (f"must be an absolute http(s) or mailto: URL or your mailing tool's merge tag, such as {{{{unsubscribe_url}}}}, "
            f"not a {scheme.group(1).lower()}: URL")


def _one_address(text: str) -> bool:
    """`text` is one address a mail header can carry as it is (no line break to start a header of its own)."""
    if any(not ch.isprintable() for ch in text):
        return False
    import email.policy  # here: the email package is ~20 ms to import, and an item's front matter names no address

    try:
        header = email.policy.default.header_factory("From", text.strip())
        return len(header.addresses) == 1 and not header.defects and "@" in header.addresses[0].addr_spec
    except (ValueError, IndexError, AttributeError, TypeError):  # the parser's own errors on odd input
        return False


def _unknown_nested_key(where: str, key: Any, known: tuple[str, ...], nested_key: str) -> _Problem:
    """`email: unknown key 'provder'; did you mean 'provider'?`, with the hint kept apart too."""
    hint = difflib.get_close_matches(str(key), known, n=1)
    suggestion = f"did you mean {hint[0]!r}?" if hint else ""
    message = f"{where}: unknown key {key!r}"
    return _Problem(f"{message}; {suggestion}" if suggestion else message, nested_key=nested_key, hint=suggestion)


def _check_utm(raw: Any, name: str) -> tuple[dict[str, str], Messages]:
    """`utm:` is a mapping of source, medium and campaign; absent means no tracking."""
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        return {}, [_Problem(f"{name}.utm must be a mapping of {', '.join(UTM_KEYS)}", nested_key="utm")]
    messages: Messages = []
    for key, value in raw.items():
        if key not in UTM_KEYS:
            messages.append(_unknown_nested_key(f"{name}.utm", key, UTM_KEYS, nested_key="utm"))
        elif not isinstance(value, str) or not value.strip():
            messages.append(_Problem(f"{name}.utm.{key} must be a non-empty text", nested_key="utm"))
    return {str(k): v.strip() for k, v in raw.items() if k in UTM_KEYS and isinstance(v, str)}, messages


def _at_nested(messages: Messages, name: str, mapping: LocatedMapping) -> Messages:
    """Point problems about a nested key (`email: provider:`) at that key's line.

    The key is named by the problem itself: finding it in the message text
    picked the wrong line when a "did you mean" hint named another key.
    """
    lines = mapping.nested_key_lines.get(name, {})
    return [
        _Problem(problem.message, line=lines[problem.nested_key], hint=problem.hint) if problem.nested_key in lines else problem
        for problem in messages
    ]
