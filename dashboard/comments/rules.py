"""The visible rules: what counts as chatter, and the personal data masked in comment text. (First version.)"""

import re

# Each rule: a code (its label is i18n live.chatter.<code>) and what it matches on the whole comment.
CHATTER_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("greeting", re.compile(r"^(大家好|主播好|你好|您好|hello|hi|早上好|晚上好|来了|我来了)[!！。~～]*$", re.I)),
    ("applause", re.compile(r"^(\d+|[+＋]1|支持|点赞|加油|666+|好|赞|👍+|❤+|哈+)[!！。~～]*$")),
    ("too_short", re.compile(r"^.{0,2}$")),
)

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9Xx])\d{17}[\dXx](?![0-9Xx])")
ADDRESS = re.compile(r"\d+\s*(号楼|栋|幢|单元|室|号)")


def chatter_rule(text: str) -> str | None:
    stripped = text.strip()
    for code, pattern in CHATTER_RULES:
        if pattern.match(stripped):
            return code
    return None


def mask(text: str) -> str:
    text = PHONE.sub(lambda m: m.group(0)[:3] + "****" + m.group(0)[-4:], text)
    text = ID_NUMBER.sub(lambda m: m.group(0)[:4] + "*" * 10 + m.group(0)[-4:], text)
    return ADDRESS.sub(lambda m: "*" + m.group(1), text)
