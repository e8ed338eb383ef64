"""Responsive images: sizes, srcset, lazy loading, the cache and byte-identical builds."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import lxml.html
import pytest
from PIL import Image

from newpower_site.plan import images
from newpower_site.plan.images import intrinsic_size
from newpower_site.core.layout import CACHE_IMAGES, cache_folder
from newpower_site.engine.engine import build_site
from newpower_site.core.options import BuildOptions


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def png(path: Path, width: int, height: int, colour=(164, 35, 27)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    picture = Image.new("RGB", (width, height), colour)
    for x in range(0, width, 7):  # some detail, so resizing has work to do
        picture.putpixel((x, x * height // width), (242, 193, 78))
    picture.save(path)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    write(root / "site.yaml", """
        title: Picture Test
        base_url: https://example.org/pics
        description: Images at every size.
        movements:
          union: Unions
        email:
          provider: generic
          unsubscribe: "{{unsubscribe_url}}"
          postal_address: "1 Test Street"
    """)
    png(root / "content/images/wide.png", 2000, 1000)
    png(root / "content/images/small.png", 300, 200)
    Image.new("RGB", (800, 600), (47, 107, 79)).save(root / "content/images/photo.jpg", quality=90)
    Image.new("RGB", (400, 400), (31, 26, 23)).save(root / "content/images/face.png")
    write(root / "content/images/drawing.svg", '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 360"><rect width="640" height="360"/></svg>')
    write(root / "content/articles/pictures.md", """
        ---
        title: Pictures
        date: 2026-01-05
        image: ../images/wide.png
        image_alt: A wide red picture
        ---

        First paragraph.

        ![A small one](../images/small.png)

        ![A photo](../images/photo.jpg "A title")

        ![A drawing](../images/drawing.svg)

        ![From elsewhere](https://cdn.example.net/x.png)
    """)
    write(root / "content/articles/plain.md", """
        ---
        title: Plain
        date: 2026-01-04
        ---

        ![A photo first](../images/photo.jpg)

        ![Then a drawing](../images/drawing.svg)
    """)
    write(root / "content/voices/ann.md", """
        ---
        name: Ann Lee
        role: Steward
        movement: union
        date: 2026-01-03
        quote: Power is shared.
        portrait: ../images/face.png
        portrait_alt: Ann, smiling
        ---

        ## Why?

        Because.
    """)
    return root


def built(site: Path, out: Path) -> Path:
    result = build_site(BuildOptions(site_dir=site, out_dir=out))  # cached: resized images are kept in .newpower-cache/images/
    assert result.ok, [d.format() for d in result.diagnostics]
    return out


def page(out: Path, path: str):
    return lxml.html.fromstring((out / path / "index.html").read_bytes())


def candidates(srcset: str) -> list[tuple[str, int]]:
    return [(url, int(width.rstrip("w"))) for url, width in (part.split() for part in srcset.split(", "))]


def test_a_raster_image_gets_webp_and_its_own_format_at_each_width_never_upscaled(site, tmp_path):
    out = built(site, tmp_path / "out")
    root = page(out, "articles/pictures")
    hero = root.xpath("//figure[@class='entry__figure']//picture")[0]
    # lxml's HTML parser does not know <source> is empty and puts the <img> inside it: search descendants.
    (source,) = hero.xpath(".//source")
    (img,) = hero.xpath(".//img")
    assert source.get("type") == "image/webp"
    assert [w for _, w in candidates(source.get("srcset"))] == [480, 960, 1440]
    assert [w for _, w in candidates(img.get("srcset"))] == [480, 960, 1440]
    assert (img.get("width"), img.get("height")) == ("2000", "1000")
    assert img.get("loading") is None, "the hero image is above the fold: it must not wait"
    assert img.get("src").startswith("/pics/media/wide-") and img.get("src").endswith("-1440.png")
    for url, width in candidates(source.get("srcset")) + candidates(img.get("srcset")):
        with Image.open(out / url.removeprefix("/pics/")) as made:
            assert made.size == (width, width // 2)
            assert made.format == ("WEBP" if url.endswith(".webp") else "PNG")

    small = root.xpath("//img[@alt='A small one']")[0]
    assert [w for _, w in candidates(small.get("srcset"))] == [300], "never wider than the original"
    assert (small.get("width"), small.get("height"), small.get("loading")) == ("300", "200", "lazy")


def test_body_images_svg_and_remote(site, tmp_path):
    out = built(site, tmp_path / "out")
    root = page(out, "articles/pictures")
    photo = root.xpath("//img[@alt='A photo']")[0]
    assert [w for _, w in candidates(photo.get("srcset"))] == [480, 800]
    assert photo.get("src").endswith("-800.jpg") and photo.xpath("ancestor::picture")
    drawing = root.xpath("//img[@alt='A drawing']")[0]
    assert (drawing.get("src"), drawing.get("width"), drawing.get("height")) == ("/pics/images/drawing.svg", "640", "360")
    assert drawing.get("srcset") is None
    remote = root.xpath("//img[@alt='From elsewhere']")[0]
    assert remote.get("src") == "https://cdn.example.net/x.png" and remote.get("srcset") is None
    # Without a hero image the first body image loads at once, the rest lazily.
    plain = page(out, "articles/plain")
    first, second = plain.xpath("//div[@class='prose']//img")
    assert first.get("loading") is None and second.get("loading") == "lazy"
    # Feeds keep the plain image: the srcset is for the web page.
    assert "srcset" not in (out / "feed.xml").read_text(encoding="utf-8")


def test_portraits_carry_their_display_size(site, tmp_path):
    out = built(site, tmp_path / "out")
    (img,) = page(out, "voices/ann").xpath("//header//img[contains(@class, 'portrait')]")
    assert (img.get("width"), img.get("height"), img.get("sizes")) == ("160", "160", "160px")
    (card,) = page(out, "voices").xpath("//img[contains(@class, 'portrait')]")
    assert (card.get("width"), card.get("height"), card.get("loading")) == ("56", "56", "lazy")


def test_share_card_uses_a_raster_copy_and_falls_back_to_the_default(site, tmp_path):
    out = built(site, tmp_path / "out")
    meta = lambda root, key: root.xpath(f"//meta[@property='{key}']/@content")[0]
    article = page(out, "articles/pictures")
    assert meta(article, "og:image").startswith("https://example.org/pics/media/wide-")
    assert meta(article, "og:image:alt") == "A wide red picture"
    home = lxml.html.fromstring((out / "index.html").read_bytes())
    assert meta(home, "og:image") == "https://example.org/pics/static/share.png"
    assert (meta(home, "og:image:width"), meta(home, "og:image:height")) == ("1200", "630")


def test_unchanged_images_come_from_the_cache_and_builds_are_byte_identical(site, tmp_path, monkeypatch):
    first = built(site, tmp_path / "first")
    cached = sorted(cache_folder(site, CACHE_IMAGES).iterdir())
    assert cached and all(p.suffix in (".png", ".webp", ".jpg") for p in cached)

    def no_resizing(*args, **kwargs):
        raise AssertionError("an unchanged image was processed again")

    monkeypatch.setattr(images, "resize", no_resizing)
    second = built(site, tmp_path / "second")
    files = lambda out: {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert files(first) == files(second)


def test_an_edited_image_is_processed_again(site, tmp_path):
    built(site, tmp_path / "first")
    png(site / "content/images/small.png", 300, 200, colour=(0, 0, 255))
    out = built(site, tmp_path / "second")
    (img,) = page(out, "articles/pictures").xpath("//img[@alt='A small one']")
    with Image.open(out / img.get("src").removeprefix("/pics/")) as made:
        assert made.getpixel((1, 2)) == (0, 0, 255)


def test_intrinsic_size(tmp_path):
    png(tmp_path / "a.png", 30, 20)
    assert intrinsic_size(tmp_path / "a.png") == (30, 20)
    rotated = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned a quarter: the browser's width is the file's height
    Image.new("RGB", (30, 20)).save(rotated, "JPEG", exif=exif)
    (tmp_path / "r.jpg").write_bytes(rotated.getvalue())
    assert intrinsic_size(tmp_path / "r.jpg") == (20, 30)
    write(tmp_path / "s.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="120" viewBox="0 0 60 30"></svg>')
    assert intrinsic_size(tmp_path / "s.svg") == (120, 60)
    write(tmp_path / "t.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="50%" viewBox="0 0 64 32"></svg>')
    assert intrinsic_size(tmp_path / "t.svg") == (64, 32)
    write(tmp_path / "bad.png", "not an image")
    assert intrinsic_size(tmp_path / "bad.png") is None
    assert intrinsic_size(tmp_path / "missing.png") is None
