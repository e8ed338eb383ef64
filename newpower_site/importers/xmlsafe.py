"""XML from outside parsed safely: defusedxml refuses entity declarations and external references.

A WordPress export or a feed is someone else's file; a "billion laughs"
entity bomb or an external entity must be an error, never a hang or a read
of a local file.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from newpower_site.importers.model import SourceError


def parse_xml(data: bytes, where: str) -> Element:
    try:
        return fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else 0
        raise SourceError(f"{where}:{line}: not well-formed XML ({_reason(exc)})") from None
    except DefusedXmlException as exc:
        raise SourceError(f"{where}: refused: the XML declares entities or external references ({type(exc).__name__})") from None


def _reason(exc: ParseError) -> str:
    text = str(exc)
    return text.split(":", 1)[0] if ":" in text else text


def text_of(element: Element | None, path: str, namespaces: dict[str, str] | None = None) -> str:
    if element is None:
        return ""
    found = element.findtext(path, default="", namespaces=namespaces)
    return (found or "").strip()
