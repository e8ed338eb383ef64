"""What turns each kind of planned output into bytes: one table, one entry per producer.

A new kind of output is one row here and one in plan/outputs.py's
`Producer` names; nothing else branches on producer names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jinja2

from newpower_site.core.urls import Urls
from newpower_site.email.output import EmailParts, render_email_output
from newpower_site.plan.images import render_variant
from newpower_site.plan.outputs import Output
from newpower_site.plan.sharing import render_manifest
from newpower_site.render.discovery import render_robots, render_sitemap
from newpower_site.render.feeds import FeedEntries, render_atom, render_rss
from newpower_site.render.templates import render_named


@dataclass(frozen=True, slots=True)
class Rendering:
    """What every producer may use: the theme, the site's URLs and its folder."""

    env: jinja2.Environment
    urls: Urls
    site_dir: Path
    image_cache: bool = True  # resized images kept in and taken from .newpower-cache/images/ (not by --no-cache)
    email: EmailParts | None = None  # an issue's email made once for its .html, .txt and .eml (one render loop's)
    feeds: FeedEntries | None = None  # each item's feed content made once for the feeds that carry it (one render loop's)

    def template(self, name: str, context, output_path: str) -> str:
        return render_named(name, context, output_path, self.env, self.site_dir)


def _page(output: Output, r: Rendering) -> bytes:
    assert output.template is not None
    return r.template(output.template, output.context, output.path).encode("utf-8")


def _copy(output: Output, r: Rendering) -> bytes:
    assert output.source is not None
    return output.source.read_bytes()


def _email(output: Output, r: Rendering) -> bytes:
    return render_email_output(output, r.urls, lambda name, context: r.template(name, context, output.path), r.email)


PRODUCERS: dict[str, Callable[[Output, Rendering], bytes]] = {
    "template": _page,
    "rss": lambda output, r: render_rss(output.context, r.urls, r.feeds),
    "atom": lambda output, r: render_atom(output.context, r.urls, r.feeds),
    "sitemap": lambda output, r: render_sitemap(output.context["pages"], r.urls),
    "robots": lambda output, r: render_robots(output.context["sitemap"], output.context.get("disallowed", ())),
    "copy": _copy,
    "image": lambda output, r: render_variant(output.context["variant"], r.site_dir, cache=r.image_cache),
    "manifest": lambda output, r: render_manifest(output.context, r.urls),
    "email-html": _email,
    "email-text": _email,
    "email-eml": _email,
}


def render_output(output: Output, env: jinja2.Environment, urls: Urls, site_dir: Path, image_cache: bool = True,
                  email: EmailParts | None = None, feeds: FeedEntries | None = None) -> bytes:
    """The bytes of one planned output; raises RenderError (a located template problem) or OSError."""
    return PRODUCERS[output.producer](output, Rendering(env, urls, site_dir, image_cache, email, feeds))
