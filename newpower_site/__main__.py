"""`python -m newpower_site` is the same as the `newpower` command."""

import sys

from newpower_site.cli.needs import exit_unless_python_fits, exit_unless_ready

exit_unless_python_fits()  # a Python too old gets what to run instead; one without the libraries hears it from main()

try:
    from newpower_site.cli.main import main  # noqa: E402 (only once the check has passed)
except ModuleNotFoundError:
    exit_unless_ready()
    raise

sys.exit(main())
