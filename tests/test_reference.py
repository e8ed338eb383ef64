"""docs/reference.md is generated from schema.py; this fails when someone forgot to regenerate it."""

from __future__ import annotations

from newpower_site.cli.reference import REFERENCE, render_reference
from newpower_site.load.schema import KINDS, SITE


def test_the_committed_reference_is_up_to_date() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == render_reference(), (
        "docs/reference.md is out of date: run  .venv/bin/python -m newpower_site.cli.reference  and commit it"
    )


def test_the_reference_names_every_key_of_every_kind() -> None:
    text = render_reference()
    for kind in (SITE, *KINDS):
        for field in kind.fields:
            assert f"| `{field.name}` |" in text, f"{kind.name}.{field.name}"
