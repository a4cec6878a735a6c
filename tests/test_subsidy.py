"""The subsidy rule on hand-built numbers, and per course from the database (rule in force, window, scope)."""

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.i18n import set_language
from dashboard.queries import Scope
from dashboard.services import subsidy as svc
from dashboard.services.errors import RuleError
from tests import factories as f
from tests import training_ops_factories as tf

D = dt.date
TODAY = D(2025, 12, 1)
END = D(2025, 7, 4)                    # window ends 2026-01-04, claims by 2026-02-03 (30 days' grace)


def status(certified: int, employed: int, *, as_of: dt.date = TODAY, per_person: int = 80_000,
           first_pct: int = 60, employment_pct: int = 50, end: dt.date = END, months: int = 6,
           grace: int = 30) -> svc.SubsidyStatus:
    return svc.subsidy_status(certified=certified, employed_in_window=employed, per_person_cents=per_person,
                              first_pct=first_pct, employment_pct=employment_pct, course_end=end,
                              window_months=months, grace_days=grace, as_of=as_of)


def test_the_common_rule_sixty_forty() -> None:
    s = status(10, 5)
    assert (s.total_cents, s.first_cents, s.second_cents) == (800_000, 480_000, 320_000)
    assert (s.first_state, s.second_state, s.need_more) == ("claimable", "claimable", 0)
    assert (s.window_ends, s.claim_by) == (D(2026, 1, 4), D(2026, 2, 3))


@pytest.mark.parametrize(("certified", "employed", "state"), [
    (10, 5, "claimable"), (2, 1, "claimable"), (1000, 500, "claimable"),     # exactly 50% passes
    (1000, 499, "pending"), (3, 1, "pending"), (10, 4, "pending"),            # 49.9%, 33%, 40%
    (10, 10, "claimable"), (10, 0, "pending"),
])
def test_the_employment_threshold_inside_the_window(certified: int, employed: int, state: str) -> None:
    assert status(certified, employed).second_state == state


@pytest.mark.parametrize(("as_of", "state"), [
    (D(2026, 1, 4), "pending"),        # the window's last day
    (D(2026, 2, 3), "pending"),        # the grace's last day
    (D(2026, 2, 4), "lost"),           # the day after
])
def test_short_of_the_threshold_it_is_lost_only_after_the_window_and_grace(as_of: dt.date, state: str) -> None:
    s = status(1000, 499, as_of=as_of)
    assert s.second_state == state and s.need_more == 1
    assert s.first_state == "claimable"                     # the first tranche is never lost by employment
    assert svc.amounts_by_state(s)[state] == s.second_cents


def test_once_met_it_stays_claimable_after_the_window() -> None:
    assert status(10, 5, as_of=D(2027, 1, 1)).second_state == "claimable"


def test_before_the_course_ends_the_first_tranche_is_pending() -> None:
    s = status(10, 0, as_of=D(2025, 7, 3))
    assert (s.first_state, s.second_state) == ("pending", "pending")
    assert status(10, 0, as_of=END).first_state == "claimable"       # certificates are issued on the last day


def test_no_one_certified_means_nothing() -> None:
    s = status(0, 0, as_of=D(2027, 1, 1))
    assert (s.total_cents, s.first_cents, s.second_cents, s.first_state, s.second_state, s.need_more) == (
        0, 0, 0, "none", "none", 0)
    assert svc.amounts_by_state(s) == {"claimable": 0, "pending": 0, "lost": 0}


@pytest.mark.parametrize(("certified", "per_person", "first_pct", "first", "second"), [
    (3, 33_333, 60, 59_999, 40_000),      # 99,999 × 60% = 59,999.4 → 59,999; the rest 40,000
    (1, 1, 60, 1, 0),                     # 0.6 cent rounds up, nothing left for the second tranche
    (7, 12_345, 33, 28_517, 57_898),      # 86,415 × 33% = 28,516.95 → 28,517
    (1, 101, 50, 51, 50),                 # half a cent rounds up
])
def test_odd_cents_add_up_to_the_total(certified: int, per_person: int, first_pct: int, first: int,
                                       second: int) -> None:
    s = status(certified, certified, per_person=per_person, first_pct=first_pct)
    assert (s.first_cents, s.second_cents) == (first, second)
    assert s.first_cents + s.second_cents == s.total_cents == certified * per_person


def test_the_cents_always_add_up() -> None:
    for certified in (1, 3, 7, 13):
        for per_person in (1, 99, 80_001, 123_457):
            for pct in (0, 1, 33, 60, 99, 100):
                s = status(certified, 0, per_person=per_person, first_pct=pct)
                assert s.first_cents + s.second_cents == s.total_cents
                assert sum(svc.amounts_by_state(s).values()) == s.total_cents


def test_a_tranche_of_nothing_has_no_state() -> None:
    assert status(10, 0, first_pct=100).second_state == "none"
    assert status(10, 0, first_pct=0).first_state == "none"


@pytest.mark.parametrize(("certified", "employed", "need"), [(10, 4, 1), (3, 1, 1), (3, 0, 2), (7, 0, 4),
                                                              (1000, 499, 1)])
def test_need_more_is_the_people_short_of_the_threshold(certified: int, employed: int, need: int) -> None:
    assert status(certified, employed).need_more == need


def test_the_window_clips_to_the_month_end() -> None:
    s = status(1, 0, end=D(2025, 8, 31), as_of=D(2025, 9, 1))
    assert s.window_ends == D(2026, 2, 28) and s.claim_by == D(2026, 3, 30)


# --- per course, from the database ---------------------------------------------------------------------------------

@pytest.fixture
def board(engine: Engine) -> dict[str, Any]:
    """C1: K1 (basic, ended 2025-07-04, 4 certified + 1 completed only), K2 (advanced, ended 2025-08-29, 1 certified),
    K3 (ended 2019, before every rule). C2: K9 in the same quarter."""
    with engine.begin() as conn:
        c1, c2 = f.community(conn, "C1"), f.community(conn, "C2")
        tf.rule(conn, "OLD", valid_from=D(2020, 1, 1), valid_to=D(2025, 6, 30), basic_cents=50_000)
        tf.rule(conn, "NEW", valid_from=D(2025, 7, 1), basic_cents=80_001, advanced_cents=250_000)
        tf.rule(conn, "LATER", valid_from=D(2025, 8, 1), valid_to=D(2025, 8, 31), advanced_cents=300_000,
                first_pct=50, employment_pct=100)
        k1 = tf.course(conn, c1, "K1")
        k2 = tf.course(conn, c1, "K2", end=D(2025, 8, 29), level="advanced")
        tf.course(conn, c1, "K3", end=D(2019, 7, 4), quarter="2019Q3")
        k9 = tf.course(conn, c2, "K9")
        e = {code: tf.learner(conn, c1, k1, code) for code in ("E1", "E2", "E3", "E4")}
        e["E5"] = tf.learner(conn, c1, k1, "E5", certified=False)
        e["F1"] = tf.learner(conn, c1, k2, "F1")
        e["G1"] = tf.learner(conn, c2, k9, "G1")
        tf.sync(conn)
        tf.reached(conn, e["E1"], "m3", on=D(2025, 10, 6))                       # employed, counted once
        tf.reached(conn, e["E1"], "m6", on=D(2026, 1, 4), employment="other_work")
        tf.reached(conn, e["E2"], "m6", on=D(2026, 1, 4), employment="ecommerce_employed")   # window's last day
        tf.reached(conn, e["E3"], "m6", on=D(2026, 2, 4))             # after the claim deadline (2026-02-03): out
        tf.reached(conn, e["E4"], "m3", on=D(2025, 10, 6), employment="not_employed")
        tf.reached(conn, e["E5"], "m3", on=D(2025, 10, 6))                       # not certified: out
        tf.reached(conn, e["F1"], "m3", on=D(2025, 12, 1))
    return {"engine": engine, "c1": c1, "c2": c2}


def test_course_subsidies_per_course(board: dict[str, Any]) -> None:
    with Session(board["engine"]) as s:
        df = svc.course_subsidies(s, scope=Scope(board["c1"], "2025Q3"), as_of=D(2026, 3, 1))
    assert list(df.columns) == svc.COLUMNS
    rows = {r["code"]: r for r in df.to_dict("records")}
    assert set(rows) == {"K1", "K2"}
    k1 = rows["K1"]
    assert (k1["rule_code"], k1["per_person_cents"], k1["certified"], k1["employed_in_window"]) == (
        "NEW", 80_001, 4, 2)
    assert (k1["total_cents"], k1["first_cents"], k1["second_cents"]) == (320_004, 192_002, 128_002)
    assert (k1["first_state"], k1["second_state"], k1["claimable_cents"], k1["lost_cents"]) == (
        "claimable", "claimable", 320_004, 0)
    assert k1["window_ends"] == D(2026, 1, 4) and k1["claim_by"] == D(2026, 2, 3)
    k2 = rows["K2"]                           # the latest valid_from covering 2025-08-29 wins: LATER
    assert (k2["rule_code"], k2["per_person_cents"], k2["first_pct"], k2["employment_pct"]) == (
        "LATER", 300_000, 50, 100)
    assert (k2["certified"], k2["employed_in_window"], k2["second_state"]) == (1, 1, "claimable")


def test_what_is_short_is_pending_then_lost(board: dict[str, Any]) -> None:
    with board["engine"].begin() as conn:
        t = f.T["training_followup"]
        conn.execute(t.update().where(t.c.employment == "ecommerce_employed").values(employment="not_employed"))
    with Session(board["engine"]) as s:
        inside = svc.course_subsidies(s, scope=Scope(board["c1"], "2025Q3"), as_of=D(2026, 2, 3))
        after = svc.course_subsidies(s, scope=Scope(board["c1"], "2025Q3"), as_of=D(2026, 2, 4))
    k1, k1_after = inside.iloc[0].to_dict(), after.iloc[0].to_dict()
    assert (k1["code"], k1["employed_in_window"], k1["need_more"], k1["second_state"]) == ("K1", 1, 1, "pending")
    assert (k1["claimable_cents"], k1["pending_cents"]) == (192_002, 128_002)
    assert (k1_after["second_state"], k1_after["lost_cents"], k1_after["pending_cents"]) == ("lost", 128_002, 0)


def test_scope_and_courses_no_rule_covers(board: dict[str, Any]) -> None:
    with Session(board["engine"]) as s:
        every = svc.course_subsidies(s, scope=Scope(None, None), as_of=D(2026, 3, 1))
        c2 = svc.course_subsidies(s, scope=Scope(board["c2"], "2025Q3"), as_of=D(2026, 3, 1))
        empty = svc.course_subsidies(s, scope=Scope(board["c1"], "2024Q1"), as_of=D(2026, 3, 1))
    assert sorted(every["code"]) == ["K1", "K2", "K3", "K9"]
    k3 = every[every["code"] == "K3"].iloc[0].to_dict()
    assert pd.isna(k3["rule_code"]) and k3["total_cents"] == 0 and k3["first_state"] == "none"
    assert list(c2["code"]) == ["K9"] and c2.iloc[0]["employed_in_window"] == 0
    assert empty.empty and list(empty.columns) == svc.COLUMNS


@pytest.mark.parametrize(("kw", "zh", "en"), [
    ({"first_pct": 101}, "「首笔比例（%）」不能是 101", "«First tranche (%)» cannot be 101"),
    ({"per_person": -1}, "「每人补贴」", "«Subsidy per person»"),
    ({"months": 0}, "「就业统计期（月）」", "«Employment window (months)»"),
    ({"grace": -1}, "「申领宽限（天）」", "«Days of grace to claim»"),
])
def test_impossible_rules_are_refused_naming_the_field(kw: dict[str, Any], zh: str, en: str) -> None:
    for lang, text in (("zh", zh), ("en", en)):
        set_language(lang)                 # the field's name is put in when the error is raised
        with pytest.raises(RuleError) as err:
            status(10, 5, **kw)
        assert err.value.key == "subsidy.bad_number" and text in err.value.message()
    set_language("zh")


def test_more_employed_than_certified_is_refused() -> None:
    with pytest.raises(RuleError) as err:
        status(3, 4)
    assert err.value.key == "subsidy.more_employed_than_certified"


def test_the_six_month_answer_given_after_its_due_day_still_counts_until_the_claim_deadline(engine: Any) -> None:
    """The 6-month follow-up is due on the window's last day, so most answers come a few days later: they still
    say whether the learner was employed within six months (review of issue 14: they were all left out)."""
    with engine.begin() as conn:
        c1 = f.community(conn, "C1")
        tf.rule(conn, "R", valid_from=D(2020, 1, 1))
        k1 = tf.course(conn, c1, "K1")                         # ends 2025-07-04: window to 2026-01-04, claim by 02-03
        e = [tf.learner(conn, c1, k1, code) for code in ("E1", "E2")]
        tf.sync(conn)
        tf.reached(conn, e[0], "m6", on=D(2026, 1, 5))
        tf.reached(conn, e[1], "m6", on=D(2026, 2, 3))
    with Session(engine) as s:
        row = svc.course_subsidies(s, scope=Scope(c1, "2025Q3"), as_of=D(2026, 2, 3)).iloc[0].to_dict()
    assert (row["employed_in_window"], row["second_state"]) == (2, "claimable")
    assert svc.employed_in_window([(None, D(2026, 1, 5), 1)], window_months=3, claim_by=D(2026, 2, 3)) == 0


@pytest.mark.parametrize("as_of", [D(2025, 8, 1), D(2026, 2, 3), D(2026, 2, 4), D(2026, 3, 1)])
def test_summed_from_training_stats_as_counted_live(board: dict[str, Any], as_of: dt.date) -> None:
    """certified and the employed days from training_stats(_employed) give the table counted from the enrolments."""
    for scope in (Scope(board["c1"], "2025Q3"), Scope(board["c2"], "2025Q3"), Scope(None, "2025Q3"), Scope(None, None)):
        with Session(board["engine"]) as s:
            kept = svc.course_subsidies(s, scope=scope, as_of=as_of)
            live = svc.course_subsidies(s, scope=scope, as_of=as_of, live=True)
        pd.testing.assert_frame_equal(kept, live)
    assert int(kept["employed_in_window"].sum()) > 0
