"""直播现场 › 评论导入 as the user reads it: the tables' columns, the chatter rules worded, the guessed category."""

import pandas as pd

from dashboard import presenters
from dashboard.comments import rules
from dashboard.i18n import t
from data_models.enums import RequestCategory

CANDIDATE_COLUMNS: list[presenters.Column] = [
    ("label", "live.comments.col_label", "text"), ("status", "live.comments.col_status", "enum:CandidateStatus"),
    ("category", "live.comments.col_category", "text"),
    ("endorsements", "live.comments.col_endorsements", "int"), ("comments", "live.comments.col_comments", "int"),
    ("first_at", "live.comments.col_first_at", "text"), ("request", "live.comments.col_request", "text"),
]
COMMENT_COLUMNS: list[presenters.Column] = [
    ("seq", "live.comments.col_seq", "int"), ("said_at", "live.comments.col_said_at", "text"),
    ("nickname", "live.comments.col_nickname", "text"), ("text", "live.comments.col_text", "text"),
]
PATTERNS = dict(rules.CHATTER_RULES)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def category_label(value: object) -> str:
    """The guessed category's label; "—" when there is no guess."""
    return t(f"enum.RequestCategory.{value}") if value in set(RequestCategory) else "—"


def platform_label(code: str | None) -> str:
    """A recognised platform by its name (the engine's comments.platform.<code>); a platform a user named, as typed."""
    if not code:
        return "—"
    text = t(f"comments.platform.{code}")
    return code if text == f"comments.platform.{code}" else text


def rule_label(code: str) -> str:
    """A chatter rule's name (the engine's i18n live.chatter.<code>), its code when it has none."""
    text = t(f"live.chatter.{code}")
    return code if text == f"live.chatter.{code}" else text


def rule_matches(code: str) -> str:
    """What the rule matches, in words (live.chatter.<code>.rule), else its pattern."""
    text = t(f"live.chatter.{code}.rule")
    if text != f"live.chatter.{code}.rule":
        return text
    pattern = PATTERNS.get(code)
    return "—" if pattern is None else pattern.pattern


def rules_table(counts: dict[str, int]) -> pd.DataFrame:
    """Every visible rule, with how many comments it set aside (0 for a rule that matched none)."""
    codes = list(dict.fromkeys([*PATTERNS, *counts]))
    return pd.DataFrame({t("live.comments.col_rule"): [rule_label(c) for c in codes],
                         t("live.comments.col_rule_matches"): [rule_matches(c) for c in codes],
                         t("live.comments.col_set_aside"): [counts.get(c, 0) for c in codes]})


def comments_frame(frame: pd.DataFrame, personal: bool) -> pd.DataFrame:
    columns = COMMENT_COLUMNS if personal else [c for c in COMMENT_COLUMNS if c[0] != "nickname"]
    frame = frame.assign(said_at=frame["said_at"].map(lambda v: "—" if pd.isna(v) else str(v)[:19]))
    return presenters.table(frame, columns)


TIME_HINTS = ("时间", "日期", "time", "date")
NICK_HINTS = ("昵称", "用户", "网名", "nick", "name", "user")


def guess_columns(headers: list[str]) -> tuple[int | None, str, str]:
    """The mapping form's first guess for an unknown export: the time column and the nickname column by their
    names, and the text column the first other one (its index; None when there is none left)."""
    def first(hints: tuple[str, ...], taken: tuple[str, ...] = ()) -> str:
        return next((h for h in headers if h not in taken and any(x in h.lower() for x in hints)), "")
    when = first(TIME_HINTS)
    who = first(NICK_HINTS, (when,))
    rest = [i for i, h in enumerate(headers) if h not in (when, who)]
    return (rest[0] if rest else None), when, who
