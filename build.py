"""Build this repository's own site: `python build.py` is `newpower build`."""

import sys
from pathlib import Path

from newpower_site.__main__ import run

if __name__ == "__main__":
    run(["build", "--site", str(Path(__file__).resolve().parent), *sys.argv[1:]])
