"""The newsletter email's CSS, moved into style attributes.

Mail clients strip <style> blocks (Gmail in many cases, forwarding in
Outlook.com, older Android clients), so the styles that carry the layout are
inlined by css-inline; only the block marked data-css-inline="keep" (phones,
dark mode) stays a block, as an enhancement the email does not need.
"""

from __future__ import annotations

import css_inline

_INLINER = css_inline.CSSInliner(keep_style_tags=False, keep_link_tags=False, load_remote_stylesheets=False)


def inline_css(markup: str) -> str:
    """Inline, and end with a newline as a text file (and a MIME part) should."""
    return _INLINER.inline(markup).rstrip("\n") + "\n"
