"""levels_board on hand-built rows, on both backends: each frame counts only what is in scope and only what it says."""

import datetime as dt
import random

import pandas as pd
import pytest
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from dashboard.queries import Scope
from dashboard.queries.training_levels import (
    BEHAVIOUR_COLUMNS,
    INCOME_REPORTED_COLUMNS,
    INCOME_VERIFIED_COLUMNS,
    LEARNING_COLUMNS,
    REACTION_COLUMNS,
    VERIFIED_SOURCE,
    LevelsBoard,
    levels_board,
)
from dashboard.services.training_levels import GainSummary, gain_summary, income_change
from tests import factories as fx
from tests import training_levels_factories as lf

D = dt.date
AS_OF = D(2026, 2, 1)
SCOPE = Scope(1, "2025Q3")


FRAMES = ("reaction", "learning", "behaviour", "income_reported", "income_verified")


def assert_same(kept: LevelsBoard, live: LevelsBoard) -> None:
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(kept, name), getattr(live, name), obj=name)
    assert kept.learning_all == live.learning_all


def board(engine: Engine, scope: Scope = SCOPE, as_of: dt.date = AS_OF) -> LevelsBoard:
    """The board summed from training_stats, checked against the same counted live from the enrolments."""
    with Session(engine) as session:
        kept = levels_board(session, scope=scope, as_of=as_of)
        live = levels_board(session, scope=scope, as_of=as_of, live=True)
    assert_same(kept, live)
    return kept


def two_communities(conn: Connection) -> tuple[int, int]:
    return fx.community(conn, "C1"), fx.community(conn, "C2")


def test_reaction_is_the_satisfaction_distribution_per_course(engine: Engine) -> None:
    with engine.begin() as conn:
        c1, c2 = two_communities(conn)
        k1, k2 = fx.course(conn, c1, "K1"), fx.course(conn, c1, "K2", title="短视频")
        k3 = fx.course(conn, c2, "K3")
        for i, score in enumerate([5, 5, 4, None]):
            lf.learner(conn, k1, c1, f"E1{i}", satisfaction=score)
        lf.learner(conn, k2, c1, "E20", satisfaction=3)
        lf.learner(conn, k3, c2, "E30", satisfaction=1)                    # another community
        lf.learner(conn, k1, c1, "E40", quarter="2025Q2", satisfaction=1)  # enrolled the quarter before
    got = board(engine).reaction
    assert list(got.columns) == REACTION_COLUMNS
    assert got.values.tolist() == [["K1", "直播带货", 4, 1], ["K1", "直播带货", 5, 2], ["K2", "短视频", 3, 1]]


Pairs = list[tuple[int | None, int | None]]
K1_PAIRS: Pairs = [(40, 70), (50, None), (None, 80), (100, 90), (60, 80), (0, 50), (80, 60)]
K2_PAIRS: Pairs = [(20, 60), (30, 30)]


def assert_summary(row: pd.Series | GainSummary, want: GainSummary) -> None:
    get = row.get if isinstance(row, pd.Series) else lambda k: getattr(row, k)
    assert get("n_paired" if isinstance(row, pd.Series) else "n") == want.n
    assert get("n_gain") == want.n_gain
    for key in ("mean_pre", "mean_post", "mean_change", "mean_gain", "sd_gain", "q1", "median", "q3"):
        expected = getattr(want, key)
        value = get(key)
        if expected is None:
            assert value is None or pd.isna(value), key
        elif key in ("mean_gain", "sd_gain"):     # summed as gains rounded to millionths (training_stats)
            assert value == pytest.approx(expected, abs=2e-6), key
        else:
            assert value == pytest.approx(expected, rel=1e-9), key


def test_learning_pairs_scores_per_course_and_leaves_out_the_unpaired(engine: Engine) -> None:
    with engine.begin() as conn:
        c1, c2 = two_communities(conn)
        k1, k2, k3 = fx.course(conn, c1, "K1"), fx.course(conn, c1, "K2"), fx.course(conn, c2, "K3")
        for i, (pre, post) in enumerate(K1_PAIRS):
            lf.learner(conn, k1, c1, f"E1{i}", pre_score=pre, post_score=post)
        for i, (pre, post) in enumerate(K2_PAIRS):
            lf.learner(conn, k2, c1, f"E2{i}", pre_score=pre, post_score=post)
        lf.learner(conn, k3, c2, "E30", pre_score=0, post_score=100)       # out of scope
    b = board(engine)
    assert list(b.learning.columns) == LEARNING_COLUMNS
    assert b.learning["code"].tolist() == ["K1", "K2"]
    k1_row = b.learning.iloc[0]
    assert k1_row["n_paired"] == 5 and k1_row["n_gain"] == 4      # (50, -) and (-, 80) out; pre 100 has no gain
    assert k1_row["mean_gain"] == pytest.approx((0.5 + 0.5 + 0.5 - 1.0) / 4)
    assert_summary(k1_row, gain_summary(K1_PAIRS))
    assert_summary(b.learning.iloc[1], gain_summary(K2_PAIRS))
    assert_summary(b.learning_all, gain_summary(K1_PAIRS + K2_PAIRS))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 13])
def test_learning_quartiles_in_sql_match_the_rule(engine: Engine, n: int) -> None:
    rng = random.Random(42 + n)
    pairs = [(rng.randint(0, 100), rng.randint(0, 100)) for _ in range(n)]
    with engine.begin() as conn:
        c1 = fx.community(conn, "C1")
        k1 = fx.course(conn, c1, "K1")
        for i, (pre, post) in enumerate(pairs):
            lf.learner(conn, k1, c1, f"E{i}", pre_score=pre, post_score=post)
    b = board(engine)
    assert_summary(b.learning.iloc[0], gain_summary(pairs))
    assert_summary(b.learning_all, gain_summary(pairs))


def behaviour_rows(conn: Connection) -> tuple[int, int]:
    """Course K1 in C1 with six learners' 3-month contacts in every state, one 6-month contact, and an
    out-of-scope learner; returns (c1, course)."""
    c1, c2 = two_communities(conn)
    k1, k3 = fx.course(conn, c1, "K1"), fx.course(conn, c2, "K3")
    e = [lf.learner(conn, k1, c1, f"E{i}", income_before_cents=before)
         for i, before in enumerate([300_000, 400_000, 350_000, 300_000, 300_000, 300_000, None], start=1)]
    fx.followup(conn, e[0], c1, "m3", employment="ecommerce_self", opened_store=True, livestreams_per_week=4,
                income_cents=390_000)
    fx.followup(conn, e[1], c1, "m3", employment="other_work", opened_store=False, livestreams_per_week=0,
                income_cents=380_000)
    fx.followup(conn, e[2], c1, "m3", employment="not_employed")                # reached, not asked the rest
    fx.followup(conn, e[3], c1, "m3", status="unreachable", tries=3, last_tried_on=D(2025, 10, 20))
    fx.followup(conn, e[4], c1, "m3", status="pending", tries=1, last_tried_on=D(2025, 10, 8))
    fx.followup(conn, e[5], c1, "m3", status="pending", tries=0, due_on=D(2026, 3, 1))
    fx.followup(conn, e[6], c1, "m3", employment="ecommerce_employed", income_cents=500_000)  # before unknown
    fx.followup(conn, e[0], c1, "m6", employment="ecommerce_employed", opened_store=False,
                livestreams_per_week=3, income_cents=420_000)
    out = lf.learner(conn, k3, c2, "E99", income_before_cents=100_000)
    fx.followup(conn, out, c2, "m3", employment="ecommerce_self", opened_store=True, livestreams_per_week=9,
                income_cents=900_000)
    return c1, k1


def test_behaviour_counts_reached_answers_only(engine: Engine) -> None:
    with engine.begin() as conn:
        behaviour_rows(conn)
    got = board(engine).behaviour
    assert list(got.columns) == BEHAVIOUR_COLUMNS
    m3, m6 = got.to_dict("records")
    # The unreachable and the pending are due but not reached; they are nowhere in the answers.
    assert m3 == {"wave": "m3", "due": 6, "reached": 4, "unreachable": 1, "ecommerce": 2, "store_answered": 2,
                  "opened_store": 1, "streams_answered": 2, "mean_livestreams": 2.0, "livestreams_3plus": 1}
    assert m6 == {"wave": "m6", "due": 1, "reached": 1, "unreachable": 0, "ecommerce": 1, "store_answered": 1,
                  "opened_store": 0, "streams_answered": 1, "mean_livestreams": 3.0, "livestreams_3plus": 1}


def test_an_unreachable_person_is_never_a_no(engine: Engine) -> None:
    with engine.begin() as conn:
        c1 = fx.community(conn, "C1")
        k1 = fx.course(conn, c1, "K1")
        for i in range(3):
            e = lf.learner(conn, k1, c1, f"E{i}")
            fx.followup(conn, e, c1, "m3", status="unreachable", tries=3)
    b = board(engine)
    assert b.behaviour.to_dict("records") == [{
        "wave": "m3", "due": 3, "reached": 0, "unreachable": 3, "ecommerce": 0, "store_answered": 0,
        "opened_store": 0, "streams_answered": 0, "mean_livestreams": None, "livestreams_3plus": 0}]
    assert b.income_reported.empty


def test_self_reported_income_from_reached_follow_ups_against_income_before(engine: Engine) -> None:
    with engine.begin() as conn:
        behaviour_rows(conn)
    got = board(engine).income_reported
    assert list(got.columns) == INCOME_REPORTED_COLUMNS
    m3, m6 = got.to_dict("records")
    want = income_change([(300_000, 390_000), (400_000, 380_000), (350_000, None), (None, 500_000)])
    assert m3 == {"wave": "m3", "reached": 4, "n": 2, "mean_before_cents": 350_000, "mean_after_cents": 385_000,
                  "mean_change_cents": 35_000, "median_change_cents": 35_000, "up": 1, "down": 1}
    assert (m3["n"], m3["mean_change_cents"], m3["median_change_cents"]) == (
        want.n, want.mean_change_cents, want.median_change_cents)
    assert m6 == {"wave": "m6", "reached": 1, "n": 1, "mean_before_cents": 300_000, "mean_after_cents": 420_000,
                  "mean_change_cents": 120_000, "median_change_cents": 120_000, "up": 1, "down": 0}


def test_verified_income_from_approved_distribution_lines_two_quarters_either_side(engine: Engine) -> None:
    with engine.begin() as conn:
        c1 = fx.community(conn, "C1")
        k1 = fx.course(conn, c1, "K1")        # 2025-07-01 to 07-04: before = 2025Q1+Q2, after = 2025Q4+2026Q1
        e_a, e_b, e_c = (lf.learner(conn, k1, c1, f"E{i}") for i in "ABC")
        not_done = lf.learner(conn, k1, c1, "ED", completed=False, certified=False)
        coop, coop2 = fx.cooperative(conn, c1, "COOP1"), fx.cooperative(conn, c1, "COOP2")
        split, split2 = fx.split(conn, coop), fx.split(conn, coop2)
        m_a = fx.member(conn, coop, "MA", practitioner_id=lf.practitioner_of(conn, e_a))
        m_b = fx.member(conn, coop, "MB", practitioner_id=lf.practitioner_of(conn, e_b))
        m_c = fx.member(conn, coop2, "MC", practitioner_id=lf.practitioner_of(conn, e_c))
        m_d = fx.member(conn, coop, "MD", practitioner_id=lf.practitioner_of(conn, not_done))
        fx.member(conn, coop, "MX")                                         # not a practitioner at all
        lf.quarterly_run(conn, coop, split, "2024Q4", {m_a: 9_000_000})      # too early
        lf.quarterly_run(conn, coop, split, "2025Q1", {m_a: 30_000, m_d: 1})
        lf.quarterly_run(conn, coop, split, "2025Q2", {m_a: 60_000, m_b: 60_000})   # MB: 0 in 2025Q1
        lf.quarterly_run(conn, coop, split, "2025Q3", {m_a: 9_000_000})      # the course's own quarter
        lf.quarterly_run(conn, coop, split, "2025Q4", {m_a: 90_000})
        lf.quarterly_run(conn, coop, split, "2025Q4", {m_a: 9_000_000}, status="reversed")
        lf.quarterly_run(conn, coop, split, "2026Q1", {m_a: 9_000_000}, status="draft")
        lf.quarterly_run(conn, coop, split, "2026Q1", {m_a: 120_000, m_b: 30_000})
        lf.quarterly_run(conn, coop, split, "2026Q2", {m_a: 9_000_000})      # too late
        lf.quarterly_run(conn, coop2, split2, "2025Q2", {m_c: 50_000})       # COOP2 has no run after
    got = board(engine).income_verified
    assert list(got.columns) == INCOME_VERIFIED_COLUMNS
    # MA: 90,000 ÷ 6 = 15,000 → 210,000 ÷ 6 = 35,000 a month; MB: 60,000 ÷ 6 = 10,000 → 30,000 ÷ 6 = 5,000.
    assert got.to_dict("records") == [{
        "members": 3, "n": 2, "mean_before_cents": 12_500, "mean_after_cents": 20_000, "mean_change_cents": 7_500,
        "up": 1, "down": 1, "source": VERIFIED_SOURCE}]


def test_verified_income_is_per_month_of_the_runs_found(engine: Engine) -> None:
    """A quarter the cooperative did not distribute is not read as 0 paid: a monthly run covers one month."""
    with engine.begin() as conn:
        c1 = fx.community(conn, "C1")
        k1 = fx.course(conn, c1, "K1")
        e = lf.learner(conn, k1, c1, "E1")
        coop = fx.cooperative(conn, c1)
        split = fx.split(conn, coop)
        m = fx.member(conn, coop, "M1", practitioner_id=lf.practitioner_of(conn, e))
        lf.run(conn, coop, split, "2025-02", D(2025, 2, 1), D(2025, 2, 28), {m: 20_000})
        lf.quarterly_run(conn, coop, split, "2025Q4", {m: 150_000})
        lf.run(conn, coop, split, "2026-03", D(2026, 3, 1), D(2026, 3, 31), {m: 10_000})
    got = board(engine).income_verified.to_dict("records")[0]
    assert (got["n"], got["mean_before_cents"], got["mean_after_cents"], got["up"]) == (1, 20_000, 40_000, 1)


def test_an_empty_quarter_gives_empty_frames(engine: Engine) -> None:
    with engine.begin() as conn:
        behaviour_rows(conn)
    b = board(engine, Scope(1, "2024Q1"))
    for frame in (b.reaction, b.learning, b.behaviour, b.income_reported, b.income_verified):
        assert frame.empty
    assert b.learning_all.n == 0 and b.learning_all.mean_gain is None
    everything = board(engine, Scope(None, None))
    assert everything.behaviour["reached"].tolist() == [5, 1]       # both communities, all quarters


def test_answers_count_only_follow_ups_of_completed_learners_and_an_early_reach_is_due(engine: Engine) -> None:
    """The funnel's follow-ups: one left on an enrolment no longer completed is not counted; one reached before its
    due day is due (so reached never exceeds due)."""
    with engine.begin() as conn:
        c1 = fx.community(conn, "C1")
        k1 = fx.course(conn, c1, "K1")
        done = lf.learner(conn, k1, c1, "E1", income_before_cents=300_000)
        dropped = lf.learner(conn, k1, c1, "E2", completed=False, certified=False, income_before_cents=300_000)
        fx.followup(conn, done, c1, "m3", due_on=D(2026, 3, 1), reached_on=D(2026, 1, 20), income_cents=310_000)
        fx.followup(conn, dropped, c1, "m3", livestreams_per_week=5, income_cents=900_000)
    b = board(engine)
    m3 = b.behaviour.to_dict("records")[0]
    assert (m3["due"], m3["reached"], m3["ecommerce"], m3["streams_answered"]) == (1, 1, 1, 0)
    assert b.income_reported[["n", "mean_change_cents", "median_change_cents"]].values.tolist() == [[1, 10_000, 10_000]]


def test_equal_gains_have_a_spread_of_exactly_zero(engine: Engine) -> None:
    """The SD is found from integer sums of the gains in millionths: no cancellation leaves a hair above zero."""
    with engine.begin() as conn:
        c1 = fx.community(conn, "C1")
        k1 = fx.course(conn, c1, "K1")
        for i in range(3):
            lf.learner(conn, k1, c1, f"E{i}", pre_score=10, post_score=40)       # each gains 1/3
    b = board(engine)
    assert b.learning_all.sd_gain == 0.0 and b.learning.iloc[0]["sd_gain"] == 0.0
    assert b.learning_all.mean_gain == pytest.approx(1 / 3, abs=1e-6)
