"""Build this repository's own site: `python build.py` is `newpower build`."""

import sys
from pathlib import Path

from newpower_site.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["build", "--site", str(Path(__file__).resolve().parent), *sys.argv[1:]]))
