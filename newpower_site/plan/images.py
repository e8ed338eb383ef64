"""Responsive images: sizes read at plan time, resized copies made at render time.

Every local image that an item shows (an article's `image`, a voice's
`portrait`, a Markdown `![...](...)` in a body) gets width and height
attributes, so the page does not jump as images arrive. Raster images (JPEG,
PNG, WebP) are also resized with Pillow into a `srcset` of WebP and of their
own format at 480/960/1440 px (never wider than the original), written under
`/media/` with the content hash in the name. Resizing is the slow part, so each
copy is cached in `.newpower-cache/images/` by the source's hash and the
target size: an unchanged image is never processed twice. SVGs stay as they
are (their size comes from the viewBox); remote URLs are left alone.

Encoding is deterministic (no metadata, fixed settings), so two builds of the
same input write the same bytes.
"""

from __future__ import annotations

import hashlib
import html
import io
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from newpower_site.core.sealed import private_folder, read_sealed, write_sealed
from newpower_site.load.links import IMAGE_EXTENSIONS
from newpower_site.core.model import Image, Site
from newpower_site.core.layout import CACHE_IMAGES, cache_folder
from newpower_site.core.urls import Urls

WIDTHS = (480, 960, 1440)
MEDIA_DIR = "media"
# A site's own card (content/images/share.png) wins over the theme's, which
# carries no name and so suits any site that uses the default theme.
SITE_SHARE_IMAGE = "images/share.png"
DEFAULT_SHARE_IMAGE = "static/share.png"
DEFAULT_SHARE_ALT = "A cream wave across a red circle beside a yellow sun: the emblem of this site's theme."
# Pillow format of each resizable extension; GIF (animation) and others are shown as they are.
RESIZABLE = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}
EXTENSION = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# Changing how copies are encoded must not reuse old cache entries: bump this.
ENCODER_VERSION = "1"
SAVE_OPTIONS = {
    "JPEG": {"quality": 82, "optimize": True, "progressive": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 80, "method": 4},
}

# How markdown-it writes an image: <img src="..." alt="..." /> with an optional title.
_MARKDOWN_IMG = re.compile(r'<img src="([^"]*)" alt="([^"]*)"( title="[^"]*")? ?/?>')
_SVG_TAG = re.compile(rb"<svg\b[^>]*>", re.IGNORECASE)
_SVG_ATTR = re.compile(rb'\b(width|height|viewBox)\s*=\s*["\']([^"\']*)["\']', re.IGNORECASE)
_SVG_LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(px)?\s*")


@dataclass(frozen=True, slots=True)
class Variant:
    """One resized copy of a source image: what the `image` producer renders."""

    path: str  # output path: media/NAME-HASH-480.webp
    source: Path
    input: str  # the source as the plan names its inputs
    digest: str  # sha256 of the source's bytes
    width: int
    height: int
    format: str  # JPEG | PNG | WEBP

    @property
    def cache_name(self) -> str:
        return f"{self.digest}-{self.width}x{self.height}-v{ENCODER_VERSION}.{EXTENSION[self.format]}"


@dataclass(frozen=True, slots=True)
class SourceImage:
    """A picture under content/: its size, and the smaller copies made of it."""

    path: str  # output path of the original
    width: int
    height: int
    format: str | None  # Pillow format when resizable, else None
    variants: tuple[Variant, ...] = ()


@dataclass(frozen=True, slots=True)
class ShareImage:
    """The picture a shared link shows (Open Graph), with its size when known."""

    url: str  # absolute
    alt: str
    width: int | None
    height: int | None
    mime: str | None


@dataclass(frozen=True, slots=True)
class ImageCatalog:
    """Every local image the pages show, by output path, with its size and copies."""

    urls: Urls
    images: Mapping[str, SourceImage]
    by_url: Mapping[str, str]  # root-relative URL -> output path, for images in rendered bodies
    site_title: str = ""

    def variants(self) -> list[Variant]:
        return [v for image in self.images.values() for v in image.variants]

    def size(self, image: Image) -> tuple[int, int] | None:
        known = None if image.is_remote else self.images.get(image.src)
        return (known.width, known.height) if known else None

    def tag(self, image: Image, sizes: str = "100vw", lazy: bool = True, cls: str = "", box: tuple[int, int] | None = None) -> Markup:
        """The <img> (in a <picture> when there are WebP copies) for `image`.

        `box` sets the width and height attributes where CSS shows the image at
        a fixed size (a round portrait); otherwise they are the image's own.
        """
        known = None if image.is_remote else self.images.get(image.src)
        return Markup(_picture_html(self.urls.image(image), image.alt, known, self.urls, sizes, lazy, cls, box))

    def rewrite(self, body_html: str, sizes: str, eager_first: bool = False) -> Markup:
        """A rendered body with each of its Markdown images made responsive; the first may load eagerly."""
        count = 0

        def replace(match: re.Match[str]) -> str:
            nonlocal count
            src, alt = html.unescape(match.group(1)), html.unescape(match.group(2))
            path = self.by_url.get(src)
            if path is None or path not in self.images:
                return match.group(0)
            count += 1
            lazy = not (eager_first and count == 1)
            return _picture_html(src, alt, self.images[path], self.urls, sizes, lazy, "", None, match.group(3) or "")

        return Markup(_MARKDOWN_IMG.sub(replace, body_html))

    def share(self, image: Image | None) -> ShareImage | None:
        """The picture a shared link shows: the item's own if cards can show it, else the site's default."""
        if image is not None and image.is_remote:
            return ShareImage(image.src, image.alt, None, None, None)
        known = self.images.get(image.src) if image is not None else None
        if image is not None and known is not None and known.format is not None:
            largest = max((v for v in known.variants if v.format == known.format), key=lambda v: v.width)
            return ShareImage(self.urls.absolute(self.urls.asset(largest.path)), image.alt, largest.width, largest.height, MIME[largest.format])
        own = self.images.get(SITE_SHARE_IMAGE)
        if own is not None:
            return ShareImage(self.urls.absolute(self.urls.asset(own.path)), self.site_title, own.width, own.height, "image/png")
        default = self.images.get(DEFAULT_SHARE_IMAGE)
        if default is None:
            return None
        return ShareImage(self.urls.absolute(self.urls.asset(default.path)), DEFAULT_SHARE_ALT, default.width, default.height, "image/png")


def build_catalog(site: Site, urls: Urls, static: Mapping[str, Path], site_dir: Path) -> ImageCatalog:
    """Read the size of every local image an item shows (and plan its copies)."""
    files = {asset.path: site_dir / asset.source for asset in site.library.assets}
    files |= {f"static/{name}": path for name, path in static.items()}
    files = {path: file for path, file in files.items() if posixpath.splitext(path)[1].lower() in IMAGE_EXTENSIONS}
    by_url = {urls.for_output(path): path for path in files}
    wanted = set(_referenced(site, by_url))
    wanted |= {SITE_SHARE_IMAGE, DEFAULT_SHARE_IMAGE} & files.keys()
    images = {}
    for path in sorted(wanted & files.keys()):
        share_card = path in (SITE_SHARE_IMAGE, DEFAULT_SHARE_IMAGE)
        known = _read_source(path, files[path], _input_name(files[path], site_dir), resizable=not share_card)
        if known is not None:
            images[path] = known
    return ImageCatalog(urls, images, by_url, site.config.title)


def _referenced(site: Site, by_url: Mapping[str, str]) -> Iterable[str]:
    for item in site.library.all_items():
        for key in ("image", "portrait"):
            image = getattr(item, key, None)
            if image is not None and not image.is_remote:
                yield image.src
        for match in _MARKDOWN_IMG.finditer(item.html):
            path = by_url.get(html.unescape(match.group(1)))
            if path:
                yield path


def body_images(html_text: str) -> tuple[str, ...]:
    """The image URLs a rendered body shows: what the catalog reads from it."""
    return tuple(match.group(1) for match in _MARKDOWN_IMG.finditer(html_text))


def _input_name(file: Path, site_dir: Path) -> str:
    try:
        return file.resolve().relative_to(site_dir.resolve()).as_posix()
    except ValueError:
        return file.as_posix()  # the default theme, outside the site folder


def _read_source(path: str, file: Path, input_name: str, resizable: bool = True) -> SourceImage | None:
    try:
        data = file.read_bytes()
    except OSError:
        return None
    size = _svg_size(data) if path.lower().endswith(".svg") else _raster_size(data)
    if size is None:
        return None
    width, height = size
    kind = RESIZABLE.get(posixpath.splitext(path)[1].lower())
    if kind is None or not resizable:
        return SourceImage(path, width, height, None)
    digest = hashlib.sha256(data).hexdigest()
    stem = posixpath.splitext(posixpath.basename(path))[0]
    variants = []
    for target in sorted({w for w in WIDTHS if w < width} | {min(width, WIDTHS[-1])}):
        target_height = max(1, round(height * target / width))
        for fmt in dict.fromkeys(("WEBP", kind)):
            name = f"{MEDIA_DIR}/{stem}-{digest[:10]}-{target}.{EXTENSION[fmt]}"
            variants.append(Variant(name, file, input_name, digest, target, target_height, fmt))
    return SourceImage(path, width, height, kind, tuple(variants))


def intrinsic_size(file: Path) -> tuple[int, int] | None:
    """An image file's own (width, height) in CSS pixels, or None when it cannot be read.

    For SVG: the width and height attributes in px, else the viewBox.
    EXIF rotation is applied, as browsers do.
    """
    try:
        data = file.read_bytes()
    except OSError:
        return None
    return _svg_size(data) if file.suffix.lower() == ".svg" else _raster_size(data)


def _raster_size(data: bytes) -> tuple[int, int] | None:
    from PIL import Image as PILImage, UnidentifiedImageError

    try:
        with PILImage.open(io.BytesIO(data)) as im:
            width, height = im.size
            if im.getexif().get(0x0112) in (5, 6, 7, 8):  # rotated a quarter turn
                width, height = height, width
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    return (width, height) if width > 0 and height > 0 else None


def _svg_size(data: bytes) -> tuple[int, int] | None:
    tag = _SVG_TAG.search(data[:65536])
    if tag is None:
        return None
    attrs = {name.decode().lower(): value.decode("utf-8", "replace") for name, value in _SVG_ATTR.findall(tag.group(0))}
    width, height = _svg_length(attrs.get("width")), _svg_length(attrs.get("height"))
    if width and height:
        return round(width), round(height)
    box = [float(n) for n in re.findall(r"-?[0-9]*\.?[0-9]+", attrs.get("viewbox", ""))]
    if len(box) == 4 and box[2] > 0 and box[3] > 0:
        if width:  # one side given: the other keeps the viewBox's proportion
            return round(width), round(width * box[3] / box[2])
        if height:
            return round(height * box[2] / box[3]), round(height)
        return round(box[2]), round(box[3])
    return None


def _svg_length(value: str | None) -> float | None:
    match = _SVG_LENGTH.fullmatch(value or "")
    return float(match.group(1)) if match and float(match.group(1)) > 0 else None


# -- markup ---------------------------------------------------------------------------------------------


def _picture_html(
    src: str, alt: str, known: SourceImage | None, urls: Urls, sizes: str, lazy: bool, cls: str, box: tuple[int, int] | None, extra: str = ""
) -> str:
    attr = lambda value: html.escape(str(value), quote=True)
    parts = [f'<img src="{attr(src)}" alt="{attr(alt)}"']
    sources = ""
    if known is not None and known.variants:
        own = [v for v in known.variants if v.format == known.format]
        webp = [v for v in known.variants if v.format == "WEBP"]
        srcset = lambda vs: ", ".join(f"{urls.asset(v.path)} {v.width}w" for v in vs)
        parts[0] = f'<img src="{attr(urls.asset(own[-1].path))}" alt="{attr(alt)}"'
        parts.append(f' srcset="{attr(srcset(own))}" sizes="{attr(sizes)}"')
        if known.format != "WEBP":
            sources = f'<source type="image/webp" srcset="{attr(srcset(webp))}" sizes="{attr(sizes)}">'
    width, height = box or ((known.width, known.height) if known else (None, None))
    if width and height:
        parts.append(f' width="{width}" height="{height}"')
    if cls:
        parts.append(f' class="{attr(cls)}"')
    parts.append(extra)  # markup already escaped: a Markdown image's title
    parts.append(' loading="lazy" decoding="async">' if lazy else ' decoding="async">')
    img = "".join(parts)
    return f"<picture>{sources}{img}</picture>" if sources else img


# -- the copies -----------------------------------------------------------------------------------------


def render_variant(variant: Variant, site_dir: Path, cache: bool = True) -> bytes:
    """The bytes of one resized copy: from the cache, or made now and cached (`cache=False`: neither).

    Each entry is sealed to its own file (core/sealed.py): one torn, altered,
    planted or a symbolic link (to /etc/passwd, say) is a miss and made again,
    never published; a cache folder that is a link is not used at all.
    """
    folder = private_folder(site_dir, cache_folder(site_dir, CACHE_IMAGES)) if cache else None
    if folder is not None:
        cached = read_sealed(folder / variant.cache_name)
        if cached is not None:
            return cached
    data = resize(variant.source.read_bytes(), variant.width, variant.height, variant.format)
    if folder is not None:
        try:
            write_sealed(folder / variant.cache_name, data)  # a build beside this one never reads half a file
        except OSError:
            pass  # a read-only site folder still builds, only more slowly
    return data


def resize(data: bytes, width: int, height: int, fmt: str) -> bytes:
    from PIL import Image as PILImage, ImageOps

    with PILImage.open(io.BytesIO(data)) as opened:
        im = ImageOps.exif_transpose(opened)
        has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
        im = im.convert("RGBA" if has_alpha and fmt != "JPEG" else "RGB")
        if im.size != (width, height):
            im = im.resize((width, height), PILImage.Resampling.LANCZOS)
        out = io.BytesIO()
        im.save(out, fmt, **SAVE_OPTIONS[fmt])
    return out.getvalue()
