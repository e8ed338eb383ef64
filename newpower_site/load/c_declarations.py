"""The C declarations load/cmark.py and load/cstring.py call through cffi, and the module made from them.

cffi's ABI mode reads C declarations with pycparser, which costs ~80 ms at
import (its parser tables and the first parse): a third of a build that
changed one body. cffi's out-of-line ABI mode reads them once, here, and
writes `_c_types.py`, which holds them already parsed; importing that costs
well under a millisecond and compiles nothing. Run
`python -m newpower_site.load.c_declarations` after changing a declaration
(tests/test_c_declarations.py checks the two agree).
"""

from __future__ import annotations

from pathlib import Path

LIBC = "char *strstr(const char *, const char *); size_t strcspn(const char *, const char *);"

# The part of cmark.h (cmark-gfm, inside cmarkgfm's shared object) that cmark.py calls.
CMARK = """
    typedef struct cmark_node cmark_node;
    typedef struct cmark_parser cmark_parser;
    typedef struct cmark_iter cmark_iter;
    typedef struct cmark_syntax_extension cmark_syntax_extension;
    typedef struct _cmark_llist cmark_llist;
    typedef struct cmark_mem {
      void *(*calloc)(size_t, size_t);
      void *(*realloc)(void *, size_t);
      void (*free)(void *);
    } cmark_mem;
    cmark_mem *cmark_get_default_mem_allocator(void);
    void cmark_gfm_core_extensions_ensure_registered(void);
    cmark_syntax_extension *cmark_find_syntax_extension(const char *name);
    cmark_parser *cmark_parser_new(int options);
    cmark_parser *cmark_parser_new_with_mem(int options, cmark_mem *mem);
    cmark_mem *cmark_get_arena_mem_allocator(void);
    void cmark_arena_push(void);
    int cmark_arena_pop(void);
    void cmark_parser_free(cmark_parser *parser);
    int cmark_parser_attach_syntax_extension(cmark_parser *parser, cmark_syntax_extension *extension);
    cmark_llist *cmark_parser_get_syntax_extensions(cmark_parser *parser);
    void cmark_parser_feed(cmark_parser *parser, const char *buffer, size_t len);
    cmark_node *cmark_parser_finish(cmark_parser *parser);
    char *cmark_render_html(cmark_node *root, int options, cmark_llist *extensions);
    void cmark_node_free(cmark_node *node);
    cmark_iter *cmark_iter_new(cmark_node *root);
    void cmark_iter_free(cmark_iter *iter);
    int cmark_iter_next(cmark_iter *iter);
    cmark_node *cmark_iter_get_node(cmark_iter *iter);
    int cmark_node_get_type(cmark_node *node);
    const char *cmark_node_get_literal(cmark_node *node);
    int cmark_node_set_literal(cmark_node *node, const char *content);
    int cmark_node_get_start_line(cmark_node *node);
    cmark_node *cmark_node_parent(cmark_node *node);
"""

MODULE = "newpower_site.load._c_types"
GENERATED = Path(__file__).with_name("_c_types.py")


def write_module(path: Path = GENERATED) -> None:
    """Write the parsed declarations as cffi's out-of-line ABI module (needs pycparser, as cffi does)."""
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(LIBC + CMARK)
    ffi.set_source(MODULE, None)
    ffi.emit_python_code(str(path))


if __name__ == "__main__":
    write_module()
