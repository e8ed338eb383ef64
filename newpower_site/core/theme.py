"""Where the theme lives: the site's own templates/ first, then the default.

The repository's templates/ folder is the default theme. In a source checkout
it is found beside the package; an installed wheel carries it inside the
package as `newpower_site/theme` (see pyproject.toml), so there is one copy.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATES = "templates"
STATIC = "static"


PACKAGE = Path(__file__).resolve().parent.parent  # newpower_site/


def default_theme_dir() -> Path:
    packaged = PACKAGE / "theme"
    if packaged.is_dir():
        return packaged
    return PACKAGE.parent / TEMPLATES


def theme_dirs(site_dir: Path) -> list[Path]:
    """Template folders, highest priority first."""
    own = site_dir / TEMPLATES
    default = default_theme_dir()
    dirs = [own] if own.is_dir() else []
    if not dirs or own.resolve() != default.resolve():
        dirs.append(default)
    return dirs


def static_files(site_dir: Path) -> dict[str, Path]:
    """Static file name (posix, relative to static/) -> the file that wins."""
    found: dict[str, Path] = {}
    for folder in reversed(theme_dirs(site_dir)):
        root = folder / STATIC
        if not root.is_dir():
            continue
        # A symbolic link may point within the site (or the default theme), never out of it: a link to
        # ~/.ssh or /etc in templates/static/ must not be published.
        allowed = (site_dir if folder == site_dir / TEMPLATES else folder).resolve()
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and not any(part.startswith((".", "_")) for part in relative.parts) and path.resolve().is_relative_to(allowed):
                found[relative.as_posix()] = path
    return dict(sorted(found.items()))
