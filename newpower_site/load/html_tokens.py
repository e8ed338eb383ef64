"""The start tags of a piece of HTML as a browser's parser finds them, with where each is in the markup.

html5lib implements the WHATWG parsing algorithm, tree construction
included; its tokenizer is subclassed here to note each start tag's source
span and raw attributes (rawhtml.py says why the checks need a browser's
reading). A module of its own so that html5lib, ~50 ms to import with what
it imports, loads only when a body holds raw HTML to check.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache

import html5lib
from html5lib._tokenizer import HTMLTokenizer  # the parser's own tokenizer, subclassed to keep source positions
from html5lib.constants import tokenTypes


@dataclass(slots=True)
class StartTag:
    """A start tag of raw HTML, where it is and what it says."""

    start: int  # offset of its '<' in the markup
    end: int  # offset just after its '>'
    name: str
    attributes: list[tuple[str, str]]  # as written, duplicates kept, character references decoded
    css: str = ""  # the text of a <style> element, for <style> itself


@dataclass(slots=True)
class Scan:
    """The start tags of a piece of raw HTML, and where markup was left open."""

    tags: list[StartTag] = field(default_factory=list)
    open_from: int | None = None  # offset of markup still open when the input ended


class _RecordingTokenizer(HTMLTokenizer):
    """html5lib's tokenizer, noting each start tag with its source span and raw attributes."""

    _TEXT_STATES = ("dataState", "rcdataState", "rawtextState", "scriptDataState", "plaintextState", "cdataSectionState")

    def __init__(self, stream, parser=None, scan: Scan | None = None, ends_closed: bool = False, **kwargs):
        super().__init__(stream, parser=parser, **kwargs)
        self.scan = scan if scan is not None else Scan()
        self.ends_closed = ends_closed  # the markup's last character is '>': markup read up to the end was closed
        self._size, self._read = 0, False  # the markup's length; whether its chunk was read
        self.text_offset = 0  # where the text-state call that led to the current tag began: at its '<'

    def _offset(self) -> int:
        """The offset in the markup: the whole markup is one chunk (see _one_chunk), emptied once the end is read."""
        stream = self.stream
        self._read = self._read or stream.chunkSize > 0
        return self._size if self._read and stream.chunkSize == 0 else stream.chunkOffset

    def _one_chunk(self, size: int) -> None:
        """Read the markup as one chunk, so the stream's offset in it is the offset in the markup."""
        self.stream._defaultChunkSize = size + 1
        self._size = size

    def __iter__(self):
        self.tokenQueue = deque()
        text_states = {getattr(self, name).__func__ for name in self._TEXT_STATES}
        style: StartTag | None = None
        while True:
            state = self.state
            in_text = getattr(state, "__func__", None) in text_states
            if in_text:
                self.text_offset = self._offset()
            elif self.scan.open_from is None and self._at_end():
                self.scan.open_from = self.text_offset  # the input ended inside a tag, comment or doctype
            if not state():
                break
            if not in_text and self.scan.open_from is None and self._at_end() and not self.ends_closed:
                self.scan.open_from = self.text_offset  # a bogus comment or value read up to the end in one go
            while self.stream.errors:
                yield {"type": tokenTypes["ParseError"], "data": self.stream.errors.pop(0)}
            while self.tokenQueue:
                token = self.tokenQueue.popleft()
                kind = token["type"]
                if style is not None and kind in (tokenTypes["Characters"], tokenTypes["SpaceCharacters"]):
                    style.css += token["data"]
                elif kind == tokenTypes["StartTag"] and token["name"] == "style" and self.parser is not None:
                    style = self.scan.tags[-1]
                elif kind == tokenTypes["EndTag"] and token["name"] == "style":
                    style = None
                yield token

    def _at_end(self) -> bool:
        stream = self.stream
        self._read = self._read or stream.chunkSize > 0
        return self._read and stream.chunkOffset >= stream.chunkSize

    def emitCurrentToken(self):
        token = self.currentToken
        if token["type"] == tokenTypes["StartTag"]:
            name = token["name"].lower()
            attributes = [(attribute.lower(), value) for attribute, value in token["data"]]
            self.scan.tags.append(StartTag(self.text_offset, self._offset(), name, attributes))
        super().emitCurrentToken()


class _RecordingParser(html5lib.HTMLParser):
    """html5lib's parser with the recording tokenizer: tree construction drives the tokenizer's states."""

    def __init__(self, scan: Scan, ends_closed: bool) -> None:
        super().__init__(namespaceHTMLElements=False)
        self._scan, self._ends_closed = scan, ends_closed

    def _parse(self, stream, innerHTML=False, container="div", scripting=False, **kwargs):
        self.innerHTMLMode, self.container, self.scripting = innerHTML, container, scripting
        self.tokenizer = _RecordingTokenizer(stream, parser=self, scan=self._scan, ends_closed=self._ends_closed, **kwargs)
        self.tokenizer._one_chunk(len(stream))
        self.reset()
        self.mainLoop()  # a str input never changes encoding, so html5lib's reparse cannot happen


@lru_cache(maxsize=32)
def scan(markup: str, as_browser: bool) -> Scan:
    """The start tags of `markup` as a browser's parser finds them in a <div> (scripting on), or all as markup."""
    scan = Scan()
    if "<" not in markup:
        return scan
    if as_browser:
        _RecordingParser(scan, markup.endswith(">")).parseFragment(markup, container="div", scripting=True)
    else:
        tokenizer = _RecordingTokenizer(markup, scan=scan, ends_closed=markup.endswith(">"))
        tokenizer._one_chunk(len(markup))
        for _ in tokenizer:
            pass
    return scan
