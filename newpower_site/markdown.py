"""Markdown to HTML with markdown-it-py, the same way for web, feed and email.

Two parsers: articles and pages may carry raw HTML (editors are trusted);
voices and newsletters carry members' words and show any HTML as text. In
both, every link and image goes through links.py, and no URL with a scheme
that runs code is ever emitted, not even from raw HTML.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Sequence

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin

from newpower_site.diagnostics import Diagnostic, error
from newpower_site.links import LinkProblem, LinkTargets, resolve_image, resolve_link, unsafe_scheme
from newpower_site.model import Body, Heading
from newpower_site.slugs import slugify
from newpower_site.urls import Urls

TRUSTED_KINDS = frozenset({"article", "page"})

# URL-bearing attributes in raw HTML, and <img> tags, for the checks on trusted HTML.
_HTML_URL_ATTR = re.compile(r"""\b(?:href|src|action|formaction|poster|xlink:href|data)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_HTML_IMG = re.compile(r"<img\b[^>]*>", re.I)
_HTML_ALT = re.compile(r"\balt\s*=", re.I)


@dataclass(slots=True)
class RenderEnv:
    """Per-file state the link rule needs; markdown-it passes it to every rule."""

    source: str
    body_line: int  # file line of the body's first line
    lines: Sequence[str]
    targets: LinkTargets
    urls: Urls
    problems: list[Diagnostic] = field(default_factory=list)

    def file_line(self, token_map: list[int] | None, needle: str = "") -> int:
        """The file line of a block (and of `needle` within it, when found)."""
        if not token_map:
            return self.body_line
        start, end = token_map
        if needle:
            for offset, text in enumerate(self.lines[start:end]):
                if needle in text:
                    return self.body_line + start + offset
        return self.body_line + start

    def report(self, token_map: list[int] | None, needle: str, message: str) -> None:
        self.problems.append(error(self.source, self.file_line(token_map, needle), message))


def heading_slug(text: str) -> str:
    return slugify(text, fallback="section")


def make_parser(trusted: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": trusted, "typographer": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=1, max_level=6, slug_func=heading_slug)
    md.validateLink = lambda url: True  # links.py decides, and says why
    md.core.ruler.push("newpower_links", _resolve_links)
    return md


def _resolve_links(state: StateCore) -> None:
    env: RenderEnv = state.env["newpower"]
    for block in state.tokens:
        if block.type == "html_block":
            _check_raw_html(block.content, block.map, env)
        for token in block.children or ():
            if token.type == "link_open":
                _rewrite_link(token, block.map, env)
            elif token.type == "image":
                _rewrite_image(token, block.map, env)
            elif token.type == "html_inline":
                _check_raw_html(token.content, block.map, env)


def _rewrite_link(token: Token, where: list[int] | None, env: RenderEnv) -> None:
    href = str(token.attrGet("href") or "")
    try:
        token.attrSet("href", resolve_link(href, env.source, env.targets, env.urls))
    except LinkProblem as problem:
        env.report(where, href, f"broken link: {problem}")
        token.attrSet("href", "#")


def _rewrite_image(token: Token, where: list[int] | None, env: RenderEnv) -> None:
    src = str(token.attrGet("src") or "")
    alt = "".join(child.content for child in token.children or ())
    if not alt.strip():
        env.report(where, src, f"image {src!r} needs alt text: write ![what the image shows]({src})")
    try:
        path = resolve_image(src, env.source, env.targets)
        token.attrSet("src", path if path.startswith(("http://", "https://")) else env.urls.for_output(path))
    except LinkProblem as problem:
        env.report(where, src, f"broken image: {problem}")
        token.attrSet("src", "")


def _check_raw_html(markup: str, where: list[int] | None, env: RenderEnv) -> None:
    """Trusted raw HTML is kept as written, so it is checked rather than rewritten."""
    for match in _HTML_URL_ATTR.finditer(markup):
        value = html.unescape(next(g for g in match.groups() if g is not None))
        scheme = unsafe_scheme(value)
        if scheme:
            env.report(where, value, f"raw HTML uses a {scheme}: URL, which is never allowed")
    for tag in _HTML_IMG.findall(markup):
        if not _HTML_ALT.search(tag):
            env.report(where, "<img", 'raw HTML <img> needs an alt attribute (alt="" only for decoration)')


@dataclass(frozen=True, slots=True)
class MarkdownRenderer:
    """Both parsers, built once per run."""

    trusted: MarkdownIt
    plain: MarkdownIt

    @classmethod
    def create(cls) -> MarkdownRenderer:
        return cls(make_parser(trusted=True), make_parser(trusted=False))

    def render(
        self, kind: str, markdown: str, source: str, body_line: int, targets: LinkTargets, urls: Urls
    ) -> tuple[Body, list[Diagnostic]]:
        md = self.trusted if kind in TRUSTED_KINDS else self.plain
        env = RenderEnv(source, body_line, markdown.split("\n"), targets, urls)
        state_env = {"newpower": env}
        tokens = md.parse(markdown, state_env)
        if kind == "voice":
            body_html = _render_interview(md, tokens, state_env)
        else:
            body_html = md.renderer.render(tokens, md.options, state_env)
        body = Body(html=body_html, first_paragraph=_first_paragraph(tokens), headings=_headings(tokens))
        return body, env.problems


def _render_interview(md: MarkdownIt, tokens: list[Token], env: dict) -> str:
    """Wrap each `##` question and the answer under it in its own section.

    The question is a real heading (so it is in the outline and has an id to
    link to) and the section is labelled by it, which is how screen readers
    announce a question-and-answer structure.
    """
    tail_start = next((i for i, t in enumerate(tokens) if t.type == "footnote_block_open"), len(tokens))
    body, tail = tokens[:tail_start], tokens[tail_start:]
    starts = [i for i, t in enumerate(body) if t.type == "heading_open" and t.tag == "h2"]
    render = lambda part: md.renderer.render(part, md.options, env)  # noqa: E731
    if not starts:
        return render(tokens)
    out = [render(body[: starts[0]])] if starts[0] else []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(body)
        close = next(i for i in range(start, end) if body[i].type == "heading_close")
        question_id = html.escape(str(body[start].attrGet("id")), quote=True)
        out.append(f'<section class="qa" aria-labelledby="{question_id}">\n')
        out.append(render(body[start : close + 1]))
        out.append('<div class="answer">\n' + render(body[close + 1 : end]) + "</div>\n</section>\n")
    out.append(render(tail))
    return "".join(out)


def _plain_text(inline: Token) -> str:
    parts = []
    for child in inline.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _first_paragraph(tokens: list[Token]) -> str:
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open" and token.level == 0:
            text = _plain_text(tokens[index + 1])
            if text:
                return text
    return ""


def _headings(tokens: list[Token]) -> tuple[Heading, ...]:
    return tuple(
        Heading(int(token.tag[1]), str(token.attrGet("id")), _plain_text(tokens[index + 1]))
        for index, token in enumerate(tokens)
        if token.type == "heading_open"
    )
