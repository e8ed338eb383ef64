"""The Markdown stage before cmark-gfm (markdown-it-py with its plugins), kept for benchmarks/markdown_stage.py only.

A copy of load/markdown.py as it was; it needs the `bench` extra (markdown-it-py, mdit-py-plugins).
"""

from __future__ import annotations

import bisect
import html
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from markdown_it import MarkdownIt, rules_inline
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.footnote.index import footnote_inline

from newpower_site.core.diagnostics import Diagnostic, error
from newpower_site.load.links import LinkProblem, LinkTargets, resolve_image, resolve_link
from newpower_site.core.model import Body, Heading
from newpower_site.load.rawhtml import html_problems, markup_left_open
from newpower_site.core.slugs import slugify
from newpower_site.core.urls import Urls

TRUSTED_KINDS = frozenset({"article", "page"})

_INLINE_RULES_WITH_URLS = {
    "link": rules_inline.link,
    "image": rules_inline.image,
    "autolink": rules_inline.autolink,
    "html_inline": rules_inline.html_inline,
}

InlineRule = Callable[[StateInline, bool], bool]


@dataclass(slots=True)
class RenderEnv:
    """Per-file state the link rules need; markdown-it passes it to every rule."""

    source: str
    body_line: int  # file line of the body's first line
    targets: LinkTargets
    urls: Urls
    problems: list[Diagnostic] = field(default_factory=list)
    inline_lines: list[int] = field(default_factory=list)  # file line where the inline text being parsed starts
    raw_html: list[tuple[int, str]] = field(default_factory=list)  # (file line, markup) in output order
    reported_tags: Counter[tuple[str, str]] = field(default_factory=Counter)  # (start tag, message) already reported

    def file_line(self, token_map: list[int] | None) -> int:
        """The file line of a block's first line."""
        return self.body_line + token_map[0] if token_map else self.body_line

    def report(self, line: int, message: str) -> None:
        self.problems.append(error(self.source, line, message))


def heading_slug(text: str) -> str:
    return slugify(text, fallback="section")


def make_parser(trusted: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": trusted, "typographer": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=1, max_level=6, slug_func=heading_slug)
    md.validateLink = lambda url: True  # links.py decides, and says why
    _note_inline_lines(md)
    md.core.ruler.push("newpower_links", _resolve_links)
    # A wide table scrolls inside its own box; a scrolling box must take keyboard focus (WCAG 2.1.1).
    md.add_render_rule("table_open", lambda *_: '<div class="table-scroll" role="region" tabindex="0" aria-label="Table">\n<table>\n')
    md.add_render_rule("table_close", lambda *_: "</table>\n</div>\n")
    return md


# -- the file line of each link, image and piece of raw HTML -------------------------------------------


def _note_inline_lines(md: MarkdownIt) -> None:
    """Inline tokens have no source map, so the rules that make them note the file line they start on.

    Searching the block's lines for the href instead finds the first of two
    equal links, and misses hrefs markdown-it has percent-encoded.
    """
    md.core.ruler.at("inline", _parse_inlines)
    for name, rule in _INLINE_RULES_WITH_URLS.items():
        md.inline.ruler.at(name, _noting_line(rule))
    md.inline.ruler.at("footnote_inline", _counting_from_footnote(footnote_inline))


def _parse_inlines(state: StateCore) -> None:
    """markdown-it's own inline stage, telling the rules which file line each block's text starts on."""
    env: RenderEnv = state.env["newpower"]
    for token in state.tokens:
        if token.type == "inline":
            env.inline_lines = [env.file_line(token.map)]
            if token.children is None:
                token.children = []
            state.md.inline.parse(token.content, state.md, state.env, token.children)


def _line_at(state: StateInline, position: int) -> int:
    """The file line of `position` in the inline text: a block's inline text keeps its line breaks."""
    env: RenderEnv = state.env["newpower"]
    base = env.inline_lines[-1] if env.inline_lines else env.body_line
    return base + state.src.count("\n", 0, position)


def _noting_line(rule: InlineRule) -> InlineRule:
    """Wrap `rule` so each token it makes keeps the file line where its markup starts."""

    def noting(state: StateInline, silent: bool) -> bool:
        start, first = state.pos, len(state.tokens)
        if not rule(state, silent):
            return False
        line = _line_at(state, start)
        for token in state.tokens[first:]:
            token.meta.setdefault("line", line)  # tokens nested in a link's text keep their own
        return True

    return noting


def _counting_from_footnote(rule: InlineRule) -> InlineRule:
    """An inline footnote ^[...] is parsed as text of its own; its lines count from where it starts."""

    def counting(state: StateInline, silent: bool) -> bool:
        env: RenderEnv = state.env["newpower"]
        env.inline_lines.append(_line_at(state, state.pos))
        try:
            return rule(state, silent)
        finally:
            env.inline_lines.pop()

    return counting


# -- links, images and raw HTML ------------------------------------------------------------------------


def _resolve_links(state: StateCore) -> None:
    env: RenderEnv = state.env["newpower"]
    for block in state.tokens:
        if block.type == "html_block":
            _check_raw_html(block.content, env.file_line(block.map), env)
        for token in block.children or ():
            line = token.meta.get("line", env.file_line(block.map))
            if token.type == "link_open":
                _rewrite_link(token, line, env)
            elif token.type == "image":
                _rewrite_image(token, line, env)
            elif token.type == "html_inline":
                _check_raw_html(token.content, line, env)


def _rewrite_link(token: Token, line: int, env: RenderEnv) -> None:
    href = str(token.attrGet("href") or "")
    try:
        token.attrSet("href", resolve_link(href, env.source, env.targets, env.urls))
    except LinkProblem as problem:
        env.report(line, f"broken link: {problem}")
        token.attrSet("href", "#")


def _rewrite_image(token: Token, line: int, env: RenderEnv) -> None:
    src = str(token.attrGet("src") or "")
    alt = "".join(child.content for child in token.children or ())
    if not alt.strip():
        env.report(line, f"image {src!r} needs alt text: write ![what the image shows]({src})")
    try:
        path = resolve_image(src, env.source, env.targets)
        token.attrSet("src", path if path.startswith(("http://", "https://")) else env.urls.for_output(path))
    except LinkProblem as problem:
        env.report(line, f"broken image: {problem}")
        token.attrSet("src", "")


def _check_raw_html(markup: str, line: int, env: RenderEnv) -> None:
    """Trusted raw HTML is kept as written, so it is checked rather than rewritten."""
    env.raw_html.append((line, markup))
    for (row, _), tag, message in html_problems(markup):
        env.report(line + row - 1, message)
        env.reported_tags[tag, message] += 1
    left_open = markup_left_open(markup)
    if left_open:
        where = line + markup.count("\n", 0, len(markup) - len(left_open))
        env.report(where, f"raw HTML leaves {left_open[:30]!r} open (an unclosed tag, quote or comment), so the browser reads on into the text after it")


def _check_emitted_html(output: str, env: RenderEnv) -> None:
    """Check the HTML as the browser reads it, after the blocks were checked one by one.

    A quote left open in one block swallows the text after it up to the next
    quote, so a tag can hold an href no single block shows. Without raw HTML
    every tag was written by the renderer, which escapes what it writes, so
    there is nothing to find (and a third of the Markdown time to save).
    """
    if not env.raw_html:
        return
    line_starts = [0] + [m.end() for m in re.finditer("\n", output)]
    spans = _raw_html_spans(output, env.raw_html)
    for (row, column), tag, message in html_problems(output):
        if env.reported_tags[tag, message]:
            env.reported_tags[tag, message] -= 1
            continue
        env.report(_raw_html_line(output, spans, line_starts[row - 1] + column, env.body_line), message)


def _raw_html_spans(output: str, raw_html: list[tuple[int, str]]) -> list[tuple[int, int, str]]:
    """(offset in the output, file line, markup) of each raw HTML token: it is copied verbatim and in order."""
    spans, cursor = [], 0
    for line, markup in raw_html:
        start = output.find(markup, cursor)
        if start >= 0:
            spans.append((start, line, markup))
            cursor = start + len(markup)
    return spans


def _raw_html_line(output: str, spans: list[tuple[int, int, str]], offset: int, fallback: int) -> int:
    """The file line of `offset` in the output, within the raw HTML that starts before it."""
    index = bisect.bisect_right([start for start, _, _ in spans], offset) - 1
    if index < 0:
        return fallback
    start, line, markup = spans[index]
    return line + output.count("\n", start, min(offset, start + len(markup) - 1))


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
        env = RenderEnv(source, body_line, targets, urls)
        state_env = {"newpower": env}
        tokens = md.parse(markdown, state_env)
        if kind == "voice":
            body_html = _render_interview(md, tokens, state_env)
        else:
            body_html = md.renderer.render(tokens, md.options, state_env)
        _check_emitted_html(body_html, env)
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
    # Only top-level questions: a section opened inside a list or quote could not close outside it.
    starts = [i for i, t in enumerate(body) if t.type == "heading_open" and t.tag == "h2" and t.level == 0]
    render = lambda part: md.renderer.render(part, md.options, env)
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
