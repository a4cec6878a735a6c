"""Text that came from a user or a file, made safe to show where Streamlit reads Markdown: the one helper for it.

Streamlit reads Markdown in st.markdown, st.caption, st.info/success/warning/error, st.table cells, metric, tab and
expander labels. A practitioner's strengths `[点我](https://evil.example) ![t](https://evil.example/p.png)` would
become a link and an image there. `plain()` makes such a value show exactly as typed.

Backslash escapes alone are not enough (checked in Chromium with Streamlit 1.67): GFM turns bare addresses
(`https://…`, `www.…`, `bob@…`) into links after the escapes are resolved, and Streamlit's `:material/…:` icons are
matched the same way. So a WORD JOINER (U+2060, invisible, zero width) goes after every `:` and `@` and between `www`
and its dot, which no autolink or icon pattern matches across.
"""

import re
from typing import Any

import pandas as pd

from dashboard.i18n import t

JOINER = "\u2060"
# Characters that open or close a Markdown construct anywhere in a line (links, images, emphasis, code, HTML,
# entities, tables, strikethrough, math, Streamlit's :color[...] directives).
_INLINE = re.compile(r"([\\`*_\[\](){}<>#!|~$&])")
# Block markers that count only at the start of a line: lists (-, +, 1. and 1)), headings, quotes, rules.
_LINE_START = re.compile(r"(?m)^(\s*)([-+=]|\d+[.)])(?=\s|$)")
_AUTOLINK = re.compile(r"(?i)(www)(?=\.)|([:@])")


def plain(value: Any, *, keep: str = "") -> str:
    """`value` as text that every Markdown element of Streamlit shows literally; None as an empty string.

    `keep` lists characters our own code put there on purpose (the `*` of a masked name), left unescaped.
    """
    if value is None:
        return ""
    text = str(value)
    text = _INLINE.sub(lambda m: m.group(1) if m.group(1) in keep else "\\" + m.group(1), text)
    text = _LINE_START.sub(lambda m: m.group(1) + "".join("\\" + c if not c.isdigit() else c for c in m.group(2)),
                           text)
    return _AUTOLINK.sub(lambda m: (m.group(1) or m.group(2)) + JOINER, text)


def plain_table(df: pd.DataFrame, *, keep: str = "") -> pd.DataFrame:
    """A frame for st.table, whose cells are Markdown: every text cell through plain() (headers are ours)."""
    return df.map(lambda v: plain(v, keep=keep) if isinstance(v, str) else v)


def rule_message(err: Any) -> str:
    """A RuleError's message in the user's language, with the values it names (what they typed) as text."""
    return t(err.key, **{k: plain(v) if isinstance(v, str) else v for k, v in err.params.items()})
