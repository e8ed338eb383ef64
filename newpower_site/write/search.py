"""The site search index: Pagefind, run over the written pages before they go live.

Pagefind reads the built HTML (pages mark what to index with
`data-pagefind-body`) and writes a static index under `/pagefind/` that the
search page queries in the reader's browser: no server, no outside service.
It runs in the staging folder, so a build whose index fails is not published
and the previous output stays as it was.

Only item pages carry `data-pagefind-body` (docs/theme.md), so Pagefind is
shown only those (ITEM_PAGES): it would read every listing and topic page
only to drop it, a fifth of its time and a tenth of its memory at 10,000
items for the same index.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from newpower_site.core.diagnostics import Diagnostic, error
from newpower_site.core.urls import SECTION_OF_KIND

INDEX_FOLDER = "pagefind"
BODY_MARK = b"data-pagefind-body"
ITEM_FOLDERS = tuple(sorted(f"{section}/*" if section else "*" for section in set(SECTION_OF_KIND.values())))
ITEM_PAGES = "{" + ",".join(ITEM_FOLDERS) + "}/index.html"  # Pagefind's glob of every item page


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
    try:
        result = subprocess.run(pagefind_command(executable, folder), capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SearchIndexError(error("(search)", 0, f"cannot run pagefind: {exc}")) from exc
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise SearchIndexError(error("(search)", 0, f"pagefind failed: {detail[-1] if detail else f'exit status {result.returncode}'}"))


def pagefind_command(executable: Path, folder: Path) -> list[str]:
    command = [str(executable), "--site", str(folder), "--output-subdir", INDEX_FOLDER, "--silent"]
    if _item_pages_marked(folder):
        command += ["--glob", ITEM_PAGES]
    return command


def _item_pages_marked(folder: Path) -> bool:
    """Does an item page mark its body? Without one, Pagefind indexes every page whole, as it always did."""
    for pattern in ITEM_FOLDERS:
        for page in folder.glob(f"{pattern}/index.html"):
            try:
                if BODY_MARK in page.read_bytes():
                    return True
            except OSError:
                continue
    return False
