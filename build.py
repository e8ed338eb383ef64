"""Build this repository's own site: `python build.py` is `newpower build`."""

import sys
from pathlib import Path

from newpower_site.cli.needs import exit_unless_python_fits, exit_unless_ready

if __name__ == "__main__":
    exit_unless_python_fits()  # a system Python gets a sentence, not a traceback; missing libraries: main() says which

    try:
        from newpower_site.cli.main import main
    except ModuleNotFoundError:
        exit_unless_ready()
        raise

    sys.exit(main(["build", "--site", str(Path(__file__).resolve().parent), *sys.argv[1:]]))
