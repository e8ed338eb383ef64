"""`python -m newpower_site` is the same as the `newpower` command."""

import sys

from newpower_site.cli.needs import exit_unless_ready

exit_unless_ready()  # a Python without the libraries gets what to run instead, not a traceback

from newpower_site.cli.main import main  # noqa: E402 (only once the check has passed)

sys.exit(main())
