"""What `python build.py` or `python -m newpower_site` says when the generator's libraries are missing.

This module imports nothing of the package and none of its dependencies, so
it can run first, with any Python 3, and say what to run instead of failing
with "internal error: ModuleNotFoundError" (a newcomer's `python3 build.py`
with the system Python).
"""

from __future__ import annotations

import importlib.util
import sys

MINIMUM_PYTHON = (3, 11)

# The module each dependency in pyproject.toml is imported as.
DEPENDENCY_MODULES = {
    "jinja2": "jinja2",
    "markdown-it-py": "markdown_it",
    "mdit-py-plugins": "mdit_py_plugins",
    "pyyaml": "yaml",
    "feedgen": "feedgen",
    "watchdog": "watchdog",
    "Pillow": "PIL",
    "css-inline": "css_inline",
    "pagefind": "pagefind",
}

HOW_TO_INSTALL = (
    "In this repository run `make build` (it sets up .venv with everything), then run the command as "
    "`.venv/bin/newpower ...`, or `. .venv/bin/activate` once and then `newpower ...` or `python build.py`. "
    "Elsewhere: `pip install newpower-site` from a wheel (`make dist`); see the README."
)


def missing_dependencies() -> list[str]:
    """The distributions whose modules this Python cannot find."""
    return [name for name, module in DEPENDENCY_MODULES.items() if importlib.util.find_spec(module) is None]


def what_is_missing() -> str | None:
    """One message naming what this Python lacks, or None when the generator can run."""
    if sys.version_info < MINIMUM_PYTHON:
        wanted = ".".join(map(str, MINIMUM_PYTHON))
        return f"newpower: needs Python {wanted} or newer; this is {sys.version.split()[0]} ({sys.executable}). {HOW_TO_INSTALL}"
    missing = missing_dependencies()
    if missing:
        return (f"newpower: this Python ({sys.executable}) does not have the libraries newpower-site needs "
                f"(missing: {', '.join(missing)}). {HOW_TO_INSTALL}")
    return None


def exit_unless_ready() -> None:
    """Print what to run instead and exit 2, when the generator cannot run here."""
    message = what_is_missing()
    if message is not None:
        print(message, file=sys.stderr)
        sys.exit(2)
