"""What `python build.py` or `python -m newpower_site` says when the generator's libraries are missing.

This module imports nothing of the package and none of its dependencies, so
it can run first, with any Python 3, and say what to run instead of failing
with "internal error: ModuleNotFoundError" (a newcomer's `python3 build.py`
with the system Python).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

MINIMUM_PYTHON = (3, 11)

HOW_TO_INSTALL = (
    "In this repository run `make build` (it sets up .venv with everything), then run the command as "
    "`.venv/bin/newpower ...`, or `. .venv/bin/activate` once and then `newpower ...` or `python build.py`. "
    "Elsewhere: `pip install newpower-site` from a wheel (`make dist`); see the README."
)


def required_distributions() -> list[str]:
    """The generator's own dependencies, from its installed metadata or, in a checkout never installed,
    from pyproject.toml: the one list of them, so this check cannot drift from it."""
    from importlib import metadata

    try:
        requirements = metadata.requires("newpower-site") or []
    except metadata.PackageNotFoundError:
        import tomllib

        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        try:
            requirements = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return []
    names = []
    for requirement in requirements:
        if "extra ==" in requirement:
            continue  # an optional extra (tests, benchmarks): not needed to build
        found = re.match(r"[A-Za-z0-9._-]+", requirement.strip())
        if found:
            names.append(found.group(0))
    return names


def missing_dependencies() -> list[str]:
    """The distributions this Python does not have."""
    from importlib import metadata

    missing = []
    for name in required_distributions():
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def python_too_old() -> str | None:
    """The message for a Python older than the generator's, or None."""
    if sys.version_info < MINIMUM_PYTHON:
        wanted = ".".join(map(str, MINIMUM_PYTHON))
        return f"newpower: needs Python {wanted} or newer; this is {sys.version.split()[0]} ({sys.executable}). {HOW_TO_INSTALL}"
    return None


def what_is_missing() -> str | None:
    """One message naming what this Python lacks, or None when the generator can run."""
    too_old = python_too_old()
    if too_old is not None:
        return too_old
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


def exit_unless_python_fits() -> None:
    """The check to run first: the Python's version only. Looking up every library's metadata cost a
    build with nothing to do (which imports none of them) more than the build; a library missing is
    reported when its import fails (cli/main.py asks what_is_missing then)."""
    message = python_too_old()
    if message is not None:
        print(message, file=sys.stderr)
        sys.exit(2)
