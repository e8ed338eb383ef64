"""The fixed names of a site folder and its cache, each defined once, in a module that imports nothing.

config.py, links.py and content.py define what is in these files; the build
cache needs only where they are, and starts quicker for not loading them.
"""

from pathlib import Path

CONFIG_FILE = "site.yaml"
CONTENT_ROOT = "content"
EMAIL_TEMPLATE = "email/newsletter.html"  # the theme file every issue's email is rendered from

CACHE_ROOT = ".newpower-cache"  # everything a build may reuse; safe to delete
CACHE_BUILD = "build"  # item cache, output states, snapshots (cache/)
CACHE_TEMPLATES = "templates"  # compiled Jinja templates (render/templates.py)
CACHE_IMAGES = "images"  # resized images (plan/images.py)
CACHE_SERVE = "serve"  # the preview's own output folder (serve/server.py)

SEARCH_INDEX = "pagefind"  # the output folder of the search index's shards (write/search.py)
SEARCH_EDITS = "edits"  # its shard of pages edited under `build --quick-search`
SEARCH_PAGES = "pages.txt"  # in each shard: the pages it was made from, one a line


def cache_folder(site_dir: Path, name: str) -> Path:
    """`.newpower-cache/NAME` of a site: one of the CACHE_* names above."""
    return site_dir / CACHE_ROOT / name
