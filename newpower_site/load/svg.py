"""SVG files under content/ are published on the site's own origin, so they must run nothing.

An SVG opened directly (or through <object>/<embed>) is a document: its
scripts, event handlers and `javascript:` links run with the site's origin,
and `<foreignObject>` embeds HTML. Rather than rewrite an editor's drawing,
the generator refuses one that holds any of these, with an error naming the
file, the line and what to remove; a drawing exported by Inkscape or
Illustrator has none of them. The file is parsed as XML without a DTD, so no
entity can expand or fetch anything.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from newpower_site.core.diagnostics import Diagnostic, error

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
# Elements that run code, embed another document or change where the reader goes.
_REFUSED_ELEMENTS = frozenset({"script", "foreignobject", "iframe", "embed", "object", "handler", "listener", "meta", "base"})
_ANIMATION_ELEMENTS = frozenset({"set", "animate", "animatemotion", "animatetransform", "animatecolor"})
_EVENT_HANDLER = re.compile(r"on[a-z]", re.IGNORECASE)
_CSS_REFERENCE = re.compile(r"url\(\s*(['\"]?)\s*(?!#)[^)'\"\s]|@import", re.IGNORECASE)


@lru_cache(maxsize=1)
def _parser() -> Any:
    """No entity, no DTD, no network. lxml loads with the first SVG: a build that reads none starts ~15 ms quicker."""
    import lxml.etree

    return lxml.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False)


def svg_problems(data: bytes, source: str) -> list[Diagnostic]:
    """Errors for an SVG that could run code or load something from elsewhere; [] for a plain drawing."""
    import lxml.etree

    try:
        root = lxml.etree.fromstring(data, parser=_parser())
    except lxml.etree.XMLSyntaxError as exc:
        line = exc.lineno or 1
        return [error(source, line, f"SVG is not well-formed XML ({exc.msg}), so it is not published")]
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        return [error(source, 1, "SVG has a DOCTYPE (entities could expand or load files): remove it; it is not published")]
    problems: list[Diagnostic] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions run nothing
        name = lxml.etree.QName(element).localname.lower()
        line = element.sourceline or 1

        def refuse(what: str) -> None:
            problems.append(error(source, line, f"SVG {what}: remove it (an SVG is published on the site's own origin, so it must "
                                  "run and load nothing); the file is not published"))

        if name in _REFUSED_ELEMENTS:
            refuse(f"has a <{lxml.etree.QName(element).localname}> element")
        for attribute, value in element.attrib.items():
            local = lxml.etree.QName(attribute).localname.lower()
            if _EVENT_HANDLER.match(local):
                refuse(f"has an event handler attribute {local}=")
            elif local == "href" and not value.strip().startswith("#"):
                refuse(f"links or refers to {value.strip()[:40]!r} (only references inside the file, '#id', are allowed)")
            elif name in _ANIMATION_ELEMENTS and (local in ("to", "from", "by", "values") and not _harmless_value(value)
                                                  or local == "attributename" and (value.strip().lower().endswith("href") or _EVENT_HANDLER.match(value.strip()))):
                refuse(f"animates {local}={value.strip()[:40]!r}")
            elif local == "style" and _CSS_REFERENCE.search(value):
                refuse("has a style that loads a URL")
        if name == "style" and _CSS_REFERENCE.search("".join(element.itertext())):
            refuse("has a <style> that loads a URL")
    return problems


def _harmless_value(value: str) -> bool:
    """An animated value that names no URL: numbers, colours, transforms (a ':' would be a scheme)."""
    return ":" not in value
