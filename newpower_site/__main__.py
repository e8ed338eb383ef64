"""`python -m newpower_site` is the same as the `newpower` command (whose console script calls `run`)."""

from __future__ import annotations  # read by any Python 3, so that an old one hears what to run instead

import gc
import sys

from newpower_site.cli.needs import exit_unless_python_fits, exit_unless_ready


def run(argv: list[str] | None = None) -> None:
    """The command line `argv` (default: the process's own) run as the whole process.

    Its imports make thousands of objects that live to the exit, and the
    collector walked them a dozen times meanwhile, freeing nothing (~5 ms of
    a build with nothing to do); the engine pauses it again where it pays
    (engine.py `_before_full`).
    """
    exit_unless_python_fits()  # a Python too old gets what to run instead; one without the libraries hears it from main()
    gc.disable()
    try:
        from newpower_site.cli.main import main  # only once the check has passed
    except ModuleNotFoundError:
        exit_unless_ready()
        raise
    finally:
        gc.enable()
    sys.exit(main(argv, process=True))


if __name__ == "__main__":
    run()
