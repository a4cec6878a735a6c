"""评论导入 as shown: every visible chatter rule is listed (a rule that matched nothing with 0), worded in the user's
language; the guessed category as its label or —; nicknames only with personal data."""

import datetime as dt

import pandas as pd
import pytest

from dashboard import presenters_comments as view
from dashboard.comments import rules
from dashboard.i18n import t, use_language


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_rule_is_listed_with_its_count(lang: str) -> None:
    with use_language(lang):
        table = view.rules_table({"greeting": 3})
        codes = [code for code, _ in rules.CHATTER_RULES]
        assert len(table) == len(codes)
        counts = dict(zip(table[t("live.comments.col_rule")], table[t("live.comments.col_set_aside")], strict=True))
        assert counts[view.rule_label("greeting")] == 3
        assert sum(counts.values()) == 3
        assert all(m and m != "—" for m in table[t("live.comments.col_rule_matches")])


def test_a_rule_the_table_does_not_know_is_still_shown() -> None:
    table = view.rules_table({"retired_rule": 2})
    assert "retired_rule" in set(table[t("live.comments.col_rule")])


@pytest.mark.parametrize(("value", "shown"), [("parcel_stacking", "enum.RequestCategory.parcel_stacking"),
                                              (None, None), (float("nan"), None), ("martian", None)])
def test_category_label(value: object, shown: str | None) -> None:
    assert view.category_label(value) == (t(shown) if shown else "—")


def test_nicknames_only_with_personal_data() -> None:
    frame = pd.DataFrame([{"id": 1, "seq": 2, "said_at": dt.datetime(2026, 9, 21, 19, 1), "nickname": "李四",
                           "text": "快递堆放"}])
    assert t("live.comments.col_nickname") in view.comments_frame(frame, True).columns
    hidden = view.comments_frame(frame, False)
    assert t("live.comments.col_nickname") not in hidden.columns and "李四" not in hidden.to_string()
    assert hidden.iloc[0][t("live.comments.col_said_at")] == "2026-09-21 19:01:00"


def test_platform_label() -> None:
    assert view.platform_label(None) == "—"
    assert view.platform_label("小红书") == "小红书"          # a platform a user named keeps its name


def test_the_mapping_form_guesses_time_and_nickname_by_their_names() -> None:
    """A user test saw the form offer 时间 as the text column and no time column for 时间/昵称/点赞数."""
    from dashboard.presenters_comments import guess_columns
    assert guess_columns(["时间", "昵称", "说了啥"]) == (2, "时间", "昵称")
    assert guess_columns(["发言", "user_name", "Time"]) == (0, "Time", "user_name")
    assert guess_columns(["时间"]) == (None, "时间", "")
