"""Build this repository's own site: `python build.py` is `newpower build`."""

import sys
from pathlib import Path

from newpower_site.cli.needs import exit_unless_ready

if __name__ == "__main__":
    exit_unless_ready()  # before anything that needs the libraries: a system Python gets a sentence, not a traceback

    from newpower_site.cli.main import main

    sys.exit(main(["build", "--site", str(Path(__file__).resolve().parent), *sys.argv[1:]]))
