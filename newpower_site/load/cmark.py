"""cmark-gfm, the C parser GitHub renders Markdown with, through the library `cmarkgfm` ships.

`cmarkgfm`'s own Python API stops at "Markdown in, HTML out". The shared
object it builds holds the whole cmark-gfm C API (cmark.h: the node tree,
iterators, setters), so this module declares the few functions the build
needs (c_declarations.py) and calls them with cffi's ABI mode. Nothing is
compiled here.

Savings that leave the output as it was, byte for byte:

- a parser is kept and used again (cmark_parser_finish resets it for the
  next text), rather than made and freed per document;
- or, for a document freed before the next is made (the Markdown stage's),
  its parser and tree are put in cmark's own arena (arena.c): each
  allocation is a step along a block and the whole document is given back
  at once, where malloc and free took a quarter of cmark's instructions.
  The arena is one for the process, so a lock lets one thread at a time
  use it, and documents in it are freed in the reverse order they are made;
- an extension is attached only when the text could use it. The autolink
  extension stops the inline parser at every `w` and `:` and reads every
  text node again for `@`, a third of the parse; it can only make a link
  where the text has `www.`, an `@` (written, or as an entity, since it
  reads decoded text) or a `://` outside a `<https://…>` autolink.
  Strikethrough needs a `~`. Tables can be made without a `|` (`a` over
  `:--`), so that one is always attached.

tests/test_markdown_speed.py renders the spec examples and more both ways.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import _cffi_backend
from cmarkgfm import _cmark

from newpower_site.load import cstring
from newpower_site.load._c_types import ffi as _ffi  # the declarations, parsed already (c_declarations.py)
_lib = _ffi.dlopen(_cmark.__file__)
_string = _cffi_backend.string  # what FFI.string calls, without its Python frame (twice a body)
_lib.cmark_gfm_core_extensions_ensure_registered()
_free = _lib.cmark_get_default_mem_allocator().free
_ARENA = _lib.cmark_get_arena_mem_allocator()
# The arena's first block, never given back: cmark_arena_push marks where a document starts only once a block
# exists (else cmark_arena_pop would give back every block, and the next document map fresh pages again).
_ARENA.calloc(1, 1)
_ARENA_LOCK = threading.RLock()
_ARENA_DOCUMENTS: list[Document] = []  # those in the arena now, all the lock holder's: freed last first

SOURCEPOS = _cmark.lib.CMARK_OPT_SOURCEPOS
UNSAFE = _cmark.lib.CMARK_OPT_UNSAFE  # raw HTML is copied out; markdown.py decides what each kind does with it
SMART = _cmark.lib.CMARK_OPT_SMART  # curly quotes, -- and --- as dashes, ... as an ellipsis; nothing else
FOOTNOTES = _cmark.lib.CMARK_OPT_FOOTNOTES
EXTENSIONS = (b"table", b"strikethrough", b"autolink")  # GitHub's, less tasklist and tagfilter
_EXTENSION = {name: _lib.cmark_find_syntax_extension(name) for name in EXTENSIONS}
# The functions `cmarkgfm` compiled in API mode are called straight, not through libffi: about a fifth of a
# microsecond less a call, five or six calls a body. Their pointers are of its FFI's types (one cast each way).
_api, _api_ffi = _cmark.lib, _cmark.ffi
_API_EXTENSION = {name: _api.cmark_find_syntax_extension(name) for name in EXTENSIONS}
# Parsers ready for a text, by (options, extensions): list.pop and append are atomic, so threads never share one.
_PARSERS: dict[tuple[int, tuple[bytes, ...]], list[object]] = {}

# cmark-gfm.h's node types (cmark_node_type): blocks are 0x8000 | n, inlines 0xC000 | n.
HTML_BLOCK = 0x8000 | 6
PARAGRAPH = 0x8000 | 8
HTML_INLINE = 0xC000 | 5
_ENTER, _DONE = 2, 1  # CMARK_EVENT_ENTER, CMARK_EVENT_DONE


@dataclass(frozen=True, slots=True)
class RawHtml:
    """One piece of raw HTML in the tree: an HTML block or an inline tag."""

    node: object  # the cmark_node, valid while its Document lives
    inline: bool
    line: int  # the block's first line (1-based, in the parsed text); 0 for inline tags, whose line cmark does not keep
    markup: str


# `<scheme:…>`, a CommonMark autolink, as cmark's scanner reads it (only ASCII here, so never more than it does):
# the core parser takes it at its `<`, so the autolink extension never sees the `://` inside. Not after a `\`.
_POINTY_AUTOLINK = re.compile(rb"<[A-Za-z][A-Za-z0-9+.-]{1,31}:[\x21-\x3b=\x3f-\x7e]*>")


def extensions_needed(data: bytes) -> tuple[bytes, ...]:
    """The extensions that could change how `data` (UTF-8) renders; leaving out the others changes nothing."""
    # One byte first where it can: find() looks for a single byte with memchr, several times faster than for a
    # longer string. Not `needle in data`: on bytes it tries the needle as an int first, and raises and clears
    # a TypeError (as many instructions as a search of 5 KB). `www.` is looked for with the C library's strstr,
    # which a NUL would stop.
    find = data.find
    autolink = (
        find(b"@") >= 0 or (find(b"&") >= 0 and (find(b"&#") >= 0 or find(b"&commat;") >= 0))
        or _bare_scheme(data)
        or (cstring.has(data, b"www.") if find(b"\x00") < 0 else find(b"www.") >= 0)
    )
    strikethrough = find(b"~") >= 0
    if autolink and strikethrough:
        return EXTENSIONS
    return (b"table",) + ((b"strikethrough",) if strikethrough else ()) + ((b"autolink",) if autolink else ())


def _bare_scheme(data: bytes) -> bool:
    """Whether some `://` in `data` is outside every `<scheme:…>` autolink (so the extension could link it).

    Such an autolink holds no `<` or `>` but its own, so the one a `://` may
    be in starts at the last `<` before it and ends at the first `>` after.
    Each `:` is found with memchr (a text has few), then whether `//` follows:
    a search for `://` itself steps through the text a byte or two at a time.
    """
    find = data.find
    at, colons = find(b":"), 0
    while at >= 0:
        if not data.startswith(b"//", at + 1):
            colons += 1
            at = find(b":", at + 1) if colons < 16 else find(b"://", at + 1)  # many: the search at once
            continue
        start, end = data.rfind(b"<", 0, at), find(b">", at)
        if start < 0 or end < 0 or (start > 0 and data[start - 1] == 0x5C) or not _POINTY_AUTOLINK.fullmatch(data, start, end + 1):
            return True  # not inside one, or after a \ (so `<` is text)
        at = find(b":", end)
    return False


def _parser(options: int, extensions: tuple[bytes, ...]) -> tuple[list[object], object]:
    """(the pool it goes back to, a parser with these options and extensions)."""
    pool = _PARSERS.setdefault((options, extensions), [])
    try:
        return pool, pool.pop()
    except IndexError:
        return pool, _attached(_api.cmark_parser_new(options), extensions)


def _attached(parser: object, extensions: tuple[bytes, ...]) -> object:
    for name in extensions:
        _api.cmark_parser_attach_syntax_extension(parser, _API_EXTENSION[name])
    return parser


def _parsed(parser: object, data: bytes) -> tuple[object, object]:
    """(root, extensions list) of `data` fed to `parser`: cmark_parser_finish leaves it ready for the next text."""
    _api.cmark_parser_feed(parser, data, len(data))
    return _api.cmark_parser_finish(parser), _api.cmark_parser_get_syntax_extensions(parser)


class Document:
    """A parsed Markdown text; free() it (or use `with`) when done."""

    def __init__(
        self, text: str | bytes, options: int, extensions: tuple[bytes, ...] | None = None, arena: bool = False
    ) -> None:
        """`text` as str, or already encoded as UTF-8; `extensions` by default those the text needs.

        `arena`: in cmark's arena, for a document freed before the next is
        made; another thread's arena document waits until this one is freed.
        """
        self.options = options
        self._arena = arena
        data = text.encode("utf-8") if isinstance(text, str) else text
        names = extensions_needed(data) if extensions is None else extensions
        if arena:
            _ARENA_LOCK.acquire()
            _lib.cmark_arena_push()
            _ARENA_DOCUMENTS.append(self)
            parser = _api_ffi.cast("cmark_parser *", _lib.cmark_parser_new_with_mem(options, _ARENA))
            self._root, self._extensions = _parsed(_attached(parser, names), data)  # given back with the tree
            return
        pool, parser = _parser(options, names)
        self._root, self._extensions = _parsed(parser, data)  # the extensions live as long as the parser, which is kept
        pool.append(parser)

    def __enter__(self) -> Document:
        return self

    def __exit__(self, *_: object) -> None:
        self.free()

    def free(self) -> None:
        if self._root is None:
            return
        if not self._arena:
            _lib.cmark_node_free(_ffi.cast("cmark_node *", self._root))
        elif _ARENA_DOCUMENTS[-1] is not self:
            raise RuntimeError("documents in cmark's arena are freed in the reverse order they were made")
        else:
            _ARENA_DOCUMENTS.pop()
            _lib.cmark_arena_pop()  # the parser, the tree and every render of it, at once
            _ARENA_LOCK.release()
        self._root = None

    def raw_html(self) -> Iterator[RawHtml]:
        """Every HTML block and inline tag, in document order (a walk over every node: only for texts with '<')."""
        iterator = _lib.cmark_iter_new(_ffi.cast("cmark_node *", self._root))
        step, node_of, type_of = _lib.cmark_iter_next, _lib.cmark_iter_get_node, _lib.cmark_node_get_type
        try:
            while (event := step(iterator)) != _DONE:
                if event != _ENTER:
                    continue
                node = node_of(iterator)
                kind = type_of(node)
                if kind == HTML_BLOCK or kind == HTML_INLINE:
                    literal = _lib.cmark_node_get_literal(node)
                    markup = _ffi.string(literal).decode("utf-8") if literal != _ffi.NULL else ""
                    inline = kind == HTML_INLINE
                    yield RawHtml(node, inline, 0 if inline else _lib.cmark_node_get_start_line(node), markup)
        finally:
            _lib.cmark_iter_free(iterator)

    @staticmethod
    def set_literal(node: object, text: str) -> None:
        _lib.cmark_node_set_literal(node, text.encode("utf-8"))

    def render_html(self, extra_options: int = 0) -> str:
        """The tree as HTML; `extra_options` such as SOURCEPOS apply to this render only."""
        return self.render_utf8(extra_options).decode("utf-8")

    def render_utf8(self, extra_options: int = 0) -> bytes:
        """The tree as HTML in UTF-8, as cmark writes it (the build keeps bodies as UTF-8)."""
        raw = _api.cmark_render_html(self._root, self.options | extra_options, self._extensions)
        if self._arena:
            return _string(raw)  # in the arena, with the tree
        try:
            return _string(raw)
        finally:
            _free(raw)
