"""The parsed C declarations (load/_c_types.py, generated) say what load/c_declarations.py declares.

cmark.py and cstring.py call C through the generated module, so a
declaration changed without running `python -m newpower_site.load.c_declarations`
would call a function with the wrong types; these tests fail first.
"""

from __future__ import annotations

import re
import subprocess
import sys

import cffi
import pytest
from cmarkgfm import _cmark

from newpower_site.load import c_declarations
from newpower_site.load._c_types import ffi as generated

FUNCTIONS = re.findall(r"(\w+)\((?!\*)", c_declarations.LIBC + c_declarations.CMARK)


def fresh() -> cffi.FFI:
    ffi = cffi.FFI()
    ffi.cdef(c_declarations.LIBC + c_declarations.CMARK)
    return ffi


def _named(ctype: object) -> str:
    """A C type's spelling: the generated module names a typedef'd struct by its tag (`struct _cmark_llist`),
    the parser by the typedef (`cmark_llist`); the declarations name each tag as its typedef or with a `_`."""
    return re.sub(r"struct _?", "", str(getattr(ctype, "cname")))


def test_every_declared_function_has_the_same_type_in_the_generated_module():
    parsed = fresh()
    assert len(FUNCTIONS) > 20 and "strstr" in FUNCTIONS and "cmark_iter_next" in FUNCTIONS
    for library in (None, _cmark.__file__):
        ours, theirs = generated.dlopen(library), parsed.dlopen(library)
        for name in FUNCTIONS:
            if library is None and name.startswith("cmark_"):
                continue
            if library is not None and not name.startswith("cmark_"):
                continue
            assert _named(generated.typeof(getattr(ours, name))) == _named(parsed.typeof(getattr(theirs, name))), name


def test_the_allocator_struct_has_the_same_fields():
    parsed = fresh()
    ours = [(name, _named(field.type), field.offset) for name, field in generated.typeof("cmark_mem").fields]
    assert ours == [(name, _named(field.type), field.offset) for name, field in parsed.typeof("cmark_mem").fields]
    assert [entry[0] for entry in ours] == ["calloc", "realloc", "free"]


def test_the_generated_module_is_what_the_declarations_make_now(tmp_path):
    """Byte for byte, with the cffi installed here (its format has been the same since cffi 1.8)."""
    target = tmp_path / "_c_types.py"
    c_declarations.write_module(target)
    committed = c_declarations.GENERATED.read_text(encoding="utf-8")
    if target.read_text(encoding="utf-8") != committed and "_version = 0x2601" not in target.read_text(encoding="utf-8"):
        pytest.skip("this cffi writes another format version; the two tests above compare the declarations themselves")
    assert target.read_text(encoding="utf-8") == committed, "run: python -m newpower_site.load.c_declarations"


def test_markdown_is_rendered_through_it_without_a_c_parser():
    """What the generated module is for: pycparser (and cffi's own parser) are never imported to render."""
    code = (
        "import sys\n"
        "from newpower_site.load import cmark, cstring\n"
        "with cmark.Document('*Hi* <b>x</b> www.example.org ~~y~~', cmark.UNSAFE, arena=True) as d:\n"
        "    print([r.markup for r in d.raw_html()], d.render_html().strip())\n"
        "print(cstring.has(b'a www. b', b'www.'), cstring.has(b'abc', b'www.'), 'pycparser' in sys.modules, 'cffi' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "['<b>', '</b>'] <p><em>Hi</em> <b>x</b> <a href=\"http://www.example.org\">www.example.org</a> <del>y</del></p>"
    assert out[1] == "True False False False"
