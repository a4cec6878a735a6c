"""The 培训成效 page's presenters on hand-built funnels: small counts hidden where personal data is, a ⚠ under 10,
the follow-up rates standing on those reached (the unreachable apart), money to the cent."""

import pandas as pd
import pytest

from dashboard import presenters_training as view
from dashboard.i18n import t, use_language
from dashboard.services.request_rates import Rate
from dashboard.services.training_funnel import Funnel

F = Funnel(enrolled=40, attended=36, completed=30, certified=24, m3_due=30, m3_reached=20, m3_unreachable=4,
           m3_employed=12, m6_due=10, m6_reached=8, m6_unreachable=1, m6_income_known=6, m6_income_up=3,
           stable_base=6, stable=5)


@pytest.mark.parametrize("n, min_cell, shown", [(0, 5, "0"), (3, 5, "<5"), (5, 5, "5"), (3, None, "3"),
                                                (1200, None, "1,200")])
def test_a_count_under_the_minimum_is_hidden_only_where_personal_data_is(n: int, min_cell: int | None,
                                                                         shown: str) -> None:
    assert view.count_cell(n, min_cell) == shown


@pytest.mark.parametrize("rate, min_cell, warn, shown", [
    (Rate(3, 9), None, True, "33.3% ⚠"),       # fewer than 10 behind it: a warning
    (Rate(5, 10), None, True, "50.0%"),
    (Rate(3, 9), None, False, "33.3%"),
    (Rate(2, 9), 5, True, "<5"),                # a numerator of 2 names two people
    (Rate(0, 0), None, True, "—"),
])
def test_a_rate_warns_under_ten_and_hides_small_parts(rate: Rate, min_cell: int | None, warn: bool,
                                                      shown: str) -> None:
    assert view.rate_cell(rate, min_cell, warn=warn) == shown


def test_the_follow_up_steps_say_how_many_were_reached_of_those_due() -> None:
    with use_language("en"):
        steps = view.steps_frame(F, None)
        rows = dict(zip(steps[t("training.col.step")], steps[t("training.col.base")], strict=True))
        rates = dict(zip(steps[t("training.col.step")], steps[t("training.col.rate")], strict=True))
    assert rows["Employed at 3 months"] == "reached 20 of 30 due (4 could not be reached)"
    assert rates["Employed at 3 months"] == "60.0%"          # 12 ÷ 20 reached, never ÷ 30 completed
    assert rates["Income up at 6 months"] == "50.0% ⚠"       # 3 ÷ 6 with both incomes known, under 10


def test_the_headline_compares_with_the_quarter_before() -> None:
    with use_language("zh"):
        metrics = {m.label: m for m in view.headline(F, Funnel(enrolled=20, completed=10))}
    assert metrics["报名人次"].value == "40" and metrics["报名人次"].delta == "+20"
    assert metrics["结业率"].value == "75.0%" and metrics["结业率"].delta == "+25.0 个百分点"
    assert "已到期 30 人中联系上 20 人（联系不上 4 人）" in (metrics["3个月就业率（已联系上）"].help or "")


def test_groups_put_everyone_first_and_hide_small_groups() -> None:
    fields = {k: 0 for k in Funnel.__dataclass_fields__}
    groups = pd.DataFrame([{"key": "disabled", **fields, "enrolled": 3, "completed": 2},
                           {"key": "all", **fields, "enrolled": 40, "completed": 30}])
    with use_language("zh"):
        frame = view.groups_frame(groups, 5)
        assert list(frame[t("training.by.group")]) == ["全体学员", "残障"]
        assert list(frame[t("training.step.enrolled")]) == ["40", "<5"]
        assert list(frame[t("training.col.completion")]) == ["75.0%", "<5"]


def test_subsidy_totals_add_up_to_the_cent() -> None:
    df = pd.DataFrame({"claimable_cents": [816_001, 576_000], "pending_cents": [544_000, 1], "lost_cents": [0, 3]})
    assert view.subsidy_totals(df) == {"claimable": 1_392_001, "pending": 544_001, "lost": 3}
    assert view.subsidy_totals(df.iloc[0:0]) == {"claimable": 0, "pending": 0, "lost": 0}


def test_a_course_answered_by_fewer_than_the_minimum_is_left_out_of_the_charts_where_personal_data_is_hidden() -> None:
    reaction = pd.DataFrame({"code": ["K1", "K1", "K2"], "title": ["a", "a", "b"], "satisfaction": [4, 5, 3],
                             "n": [2, 2, 9]})
    assert set(view.reaction_long(reaction, 5)["course"]) == {"K2 b"}      # K1: 4 answers, each one's score shows
    assert set(view.reaction_long(reaction, None)["course"]) == {"K1 a", "K2 b"}
    learning = pd.DataFrame({"code": ["K1", "K2", "K3"], "n_paired": [3, 0, 12], "median": [0.4, None, 0.5]})
    assert list(view.gain_points(learning, 5)["code"]) == ["K2", "K3"]
    assert list(view.gain_points(learning, None)["code"]) == ["K1", "K2", "K3"]


@pytest.mark.parametrize("value, section", [("followups", "followups"), ("subsidy", "subsidy"), (None, "outcomes"),
                                            ("回访工作单", "outcomes"), (["followups"], "outcomes"), ("", "outcomes")])
def test_a_links_section_is_one_of_the_pages_or_the_first(value: object, section: str) -> None:
    assert view.section_of(value) == section


def test_the_picker_says_which_follow_up_was_given_up_as_unreachable() -> None:
    rows = pd.DataFrame({"followup_id": [7, 8], "enrolment_code": ["E1", "E1"], "practitioner_name": ["张*", "张*"],
                         "wave": ["m3", "m6"], "due_on": ["2026-01-01", "2026-04-01"],
                         "status": ["unreachable", "pending"]})
    with use_language("zh"):
        choices = view.worklist_choices(rows)
        assert choices[7].endswith(t("enum.FollowupStatus.unreachable"))
        assert not choices[8].endswith(t("enum.FollowupStatus.unreachable"))
    assert view.worklist_choices(rows.drop(columns="status"))[7] == "E1 · 张* · " + t("enum.FollowupWave.m3") + \
        " · 2026-01-01"
