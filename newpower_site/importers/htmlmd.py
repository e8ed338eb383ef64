"""HTML bodies (WordPress, feeds) to the Markdown editors will maintain.

markdownify does the conversion (MIT licensed, as this project is: html2text
is GPL; and its converter is a class whose per-tag methods can be replaced,
which is what the three rules below need):

- code blocks are kept byte for byte, in a fence longer than any backtick
  run inside them, with the language a `language-x` class names;
- embeds (iframe, video, audio, object, embed) stay raw HTML: Markdown has no
  form for them and articles keep raw HTML as written;
- scripts and styles are dropped: a WordPress embed's `<script>` loads the
  embed's own code, which the raw HTML check of articles would have to trust.

WordPress stores posts before its `wpautop` filter has made paragraphs of
blank lines, and wraps captioned images in a `[caption]` shortcode; both are
undone first, as WordPress itself would show them.
"""

from __future__ import annotations

import re
import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning
from markdownify import ATX, BACKSLASH, MarkdownConverter

EMBED_TAGS = ("iframe", "video", "audio", "object", "embed")
_BLOCK_START = re.compile(
    r"^\s*<(?:p|div|ul|ol|li|pre|h[1-6]|table|thead|tbody|tr|td|th|blockquote|iframe|figure|figcaption|hr|dl|dd|dt|"
    r"address|section|article|aside|header|footer|nav|form|video|audio|object|embed|script|style|!--)[\s>/]", re.I,
)
_PRE = re.compile(r"<pre[\s>].*?</pre>", re.I | re.S)
_CAPTION = re.compile(r"\[caption([^\]]*)\](.*?)\[/caption\]", re.S)
_CAPTION_ATTR = re.compile(r'caption="([^"]*)"')
_LANGUAGE = re.compile(r"(?:^|\s)(?:language|lang|brush:?)-?\s*([A-Za-z0-9_+#-]+)")


class _Converter(MarkdownConverter):
    def convert_pre(self, el, text, parent_tags):
        code = code_text(el)
        lines = code.split("\n")
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        if not lines:
            return ""
        return f"\n\n{fenced_block(chr(10).join(lines), _language(el))}\n\n"

    def convert_table(self, el, text, parent_tags):
        """Pygments' line-numbered code is a table of two cells: the code cell is the code."""
        if "highlighttable" in (el.get("class") or ()):
            code = el.select_one("td.code pre")
            if code is not None:
                return self.convert_pre(code, "", parent_tags)
        return super().convert_table(el, text, parent_tags)

    def _raw(self, el, text, parent_tags):
        return f"\n\n{el}\n\n"

    convert_iframe = convert_video = convert_audio = convert_object = convert_embed = _raw

    def convert_script(self, el, text, parent_tags):
        return ""


def fenced_block(code: str, language: str = "") -> str:
    """`code` in a fence longer than any backtick run inside it, so it is kept byte for byte."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code}\n{fence}"


def code_text(el) -> str:
    """The text a `<pre>` shows: `<br>` as line breaks, line numbers (Pygments' `linenos` spans) left out."""
    copy = BeautifulSoup(str(el), "html.parser")
    for number in copy.select(".linenos, .lineno, .linenodiv"):
        number.decompose()
    for br in copy.find_all("br"):
        br.replace_with("\n")
    return copy.get_text()


def _language(el) -> str:
    for node in (el, el.find("code")):
        if node is None:
            continue
        classes = " ".join(node.get("class") or ())
        match = _LANGUAGE.search(classes) or _LANGUAGE.search(node.get("data-lang", "") and f"lang-{node['data-lang']}")
        if match:
            return match.group(1)
    return ""


def html_to_markdown(html: str) -> str:
    """Convert an HTML fragment; the Markdown ends with one newline."""
    converter = _Converter(heading_style=ATX, bullets="-", newline_style=BACKSLASH, table_infer_header=True, escape_misc=False)
    text = converter.convert_soup(BeautifulSoup(html, "html.parser"))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text + "\n" if text else ""


def wordpress_html(content: str) -> str:
    """A WordPress post's stored content as the HTML WordPress would show.

    Blank lines become paragraphs and single line breaks `<br>` (wpautop),
    except inside `<pre>` and in blocks that are HTML already; a `[caption]`
    gives its image the caption as alt text when the image has none, and
    stays below it as a paragraph.
    """
    content = _CAPTION.sub(_caption, content.replace("\r\n", "\n"))
    kept: list[str] = []

    def hold(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return f"\x00{len(kept) - 1}\x00"

    content = _PRE.sub(hold, content)
    blocks = []
    for block in re.split(r"\n\s*\n", content):
        if not block.strip():
            continue
        if _BLOCK_START.match(block) or re.fullmatch(r"\s*\x00\d+\x00\s*", block):
            blocks.append(block)
        else:
            blocks.append("<p>" + re.sub(r"\s*\n\s*", "<br>\n", block.strip()) + "</p>")
    html = "\n\n".join(blocks)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], html)


def _caption(match: re.Match[str]) -> str:
    attributes, inner = match.group(1), match.group(2)
    soup = BeautifulSoup(inner, "html.parser")
    image = soup.find("img")
    named = _CAPTION_ATTR.search(attributes)
    if image is not None:
        image.extract()
    caption = (named.group(1) if named else soup.get_text()).strip()
    if image is None:
        return inner
    if caption and not (image.get("alt") or "").strip():
        image["alt"] = caption
    link = soup.find("a")
    if link is not None and not link.get_text().strip():
        link.clear()
        link.append(image)
        image = link
    return f"\n\n<p>{image}</p>\n\n" + (f"<p>{caption}</p>\n\n" if caption else "")


def plain_text(text: str) -> str:
    """A summary as plain text on one line: tags and Markdown emphasis marks dropped."""
    with warnings.catch_warnings():  # a summary that looks like a file name or URL is still a summary
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        words = BeautifulSoup(text, "html.parser").get_text(" ")
    words = re.sub(r"(\*\*|__|`)(.+?)\1", r"\2", words)
    words = re.sub(r"(?<![\w*])\*(\S(?:.*?\S)?)\*(?![\w*])", r"\1", words)
    return re.sub(r"\s+", " ", words).strip()
