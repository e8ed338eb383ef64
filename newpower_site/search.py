"""The site search index: Pagefind, run over the written pages before they go live.

Pagefind reads the built HTML (pages mark what to index with
`data-pagefind-body`) and writes a static index under `/pagefind/` that the
search page queries in the reader's browser: no server, no outside service.
It runs in the staging folder, so a build whose index fails is not published
and the previous output stays as it was.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from newpower_site.diagnostics import Diagnostic, error

INDEX_FOLDER = "pagefind"


class SearchIndexError(Exception):
    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.format())
        self.diagnostic = diagnostic


def pagefind_executable() -> Path | None:
    try:
        from pagefind_bin import get_executable
    except ImportError:
        return None
    try:
        return get_executable()
    except (FileNotFoundError, OSError):
        return None


def index_for_search(folder: Path) -> None:
    """Write the Pagefind index of the HTML under `folder` into `folder/pagefind/`."""
    executable = pagefind_executable()
    if executable is None:
        raise SearchIndexError(error("(search)", 0, "cannot index the site for search: the pagefind binary is missing (pip install 'pagefind[bin]')"))
    command = [str(executable), "--site", str(folder), "--output-subdir", INDEX_FOLDER, "--silent"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SearchIndexError(error("(search)", 0, f"cannot run pagefind: {exc}")) from exc
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise SearchIndexError(error("(search)", 0, f"pagefind failed: {detail[-1] if detail else f'exit status {result.returncode}'}"))
