"""`python -m newpower_site` is the same as the `newpower` command."""

import sys

from newpower_site.cli.main import main

sys.exit(main())
