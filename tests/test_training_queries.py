"""training_board on hand-built learners, on both backends: the funnel of the scope and of the quarter before, each
dimension, vulnerable groups, the course table, and empty scopes."""

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.queries import Scope
from dashboard.queries import training as q
from dashboard.queries.training import DIMENSIONS, NO_PROVIDER, TrainingBoard, has_training, training_board
from dashboard.services.training_funnel import FIELDS, Funnel, employment_rate, reach, stability_rate
from tests import factories as fx
from tests.training_factories import learner

D = dt.date
AS_OF = D(2026, 2, 1)         # the factory's follow-ups (due 2025-10-04 and 2026-01-04) are all due
LATER = {"status": "pending", "tries": 0, "due_on": D(2026, 3, 1)}     # a 6-month contact not due yet


@pytest.fixture
def ids(engine: Engine) -> Iterator[dict[str, int]]:
    with engine.begin() as conn:
        c1, c2, c3 = fx.community(conn, "C1"), fx.community(conn, "C2"), fx.community(conn, "C3")
        prov = fx.party(conn, c1, "PROV", kind="association", name="电商协会")
        k1 = fx.course(conn, c1, "K1", provider_party_id=prov)
        k2 = fx.course(conn, c1, "K2", level="intermediate", topic="short_video", target_group="rural_women",
                       title="短视频")
        k0 = fx.course(conn, c1, "K0", quarter="2025Q2", start_date=D(2025, 5, 1), end_date=D(2025, 5, 4))
        k3 = fx.course(conn, c2, "K3", provider_party_id=prov)
        fx.course(conn, c1, "K4", title="无人报名")
        # K1, C1, 2025Q3
        learner(conn, k1, c1, "a", groups=["disabled"], certified=True, pre_score=40, post_score=70,
                income_before_cents=300_000, m3="ecommerce", m6="ecommerce", m6_income=400_000)
        learner(conn, k1, c1, "b", certified=True, pre_score=50, income_before_cents=300_000,
                m3="other", m6="not_employed", m6_income=200_000)
        learner(conn, k1, c1, "c", groups=["disabled", "rural_women"], pre_score=80, post_score=100,
                m3="unreachable", m6="unreachable")
        learner(conn, k1, c1, "d", pre_score=100, post_score=100, m3="not_employed", m6=LATER)
        learner(conn, k1, c1, "e", groups=["low_income"], completed=False)
        learner(conn, k1, c1, "f", attended=False, completed=False)
        # K2, C1, 2025Q3
        learner(conn, k2, c1, "g", groups=["rural_women"], certified=True, m3="self", m6="self",
                m6_income=500_000)
        learner(conn, k2, c1, "h", m3="trying", m6=LATER)
        # the quarter before, and another community
        learner(conn, k0, c1, "i", quarter="2025Q2", m3="ecommerce", m6="ecommerce")
        learner(conn, k3, c2, "j", certified=True, m3="ecommerce", m6="not_employed")
    yield {"c1": c1, "c2": c2, "c3": c3}


def board(engine: Engine, community_id: int | None, quarter: str | None) -> TrainingBoard:
    """The board summed from training_stats, checked against the same counted live from the enrolments."""
    with Session(engine) as session:
        kept = training_board(session, scope=Scope(community_id, quarter), as_of=AS_OF)
        live = training_board(session, scope=Scope(community_id, quarter), as_of=AS_OF, live=True)
    assert (kept.current, kept.previous) == (live.current, live.previous)
    for d in DIMENSIONS:
        pd.testing.assert_frame_equal(kept.by[d], live.by[d], check_dtype=False)
    pd.testing.assert_frame_equal(kept.groups, live.groups)
    pd.testing.assert_frame_equal(kept.courses, live.courses)
    sections(engine, Scope(community_id, quarter), kept)
    return kept


def sections(engine: Engine, scope: Scope, whole: TrainingBoard) -> None:
    """What the page loads a section at a time (kept and live) is the board's part for that section."""
    for live in (False, True):
        with Session(engine) as session:
            outcomes = q.outcomes_board(session, scope=scope, as_of=AS_OF, live=live)
            courses = q.course_table(session, scope=scope, as_of=AS_OF, live=live)
            groups = q.group_table(session, scope=scope, as_of=AS_OF, live=live)
        assert (outcomes.current, outcomes.previous) == (whole.current, whole.previous)
        for d in DIMENSIONS:
            pd.testing.assert_frame_equal(outcomes.by[d], whole.by[d], check_dtype=False)
        pd.testing.assert_frame_equal(outcomes.groups, whole.groups)
        pd.testing.assert_frame_equal(groups, whole.groups)
        pd.testing.assert_frame_equal(courses, whole.courses)
        assert outcomes.courses.empty


C1_Q3 = Funnel(enrolled=8, attended=7, completed=6, certified=3,
               m3_due=6, m3_reached=4, m3_unreachable=1, m3_employed=3,
               m6_due=4, m6_reached=3, m6_unreachable=1, m6_income_known=2, m6_income_up=1,
               stable_base=3, stable=2)


def row(df: pd.DataFrame, key: str) -> dict[str, int]:
    got = df[df["key"] == key]
    assert len(got) == 1, (key, df)
    return {k: int(got.iloc[0][k]) for k in FIELDS}


def test_funnel_of_the_scope(ids: dict[str, int], engine: Engine) -> None:
    b = board(engine, ids["c1"], "2025Q3")
    assert b.current == C1_Q3
    # h (tried once) and c (given up) are not "not employed": 3 employed of 4 reached, 4 reached of 6 due
    assert (employment_rate(b.current).numerator, employment_rate(b.current).denominator) == (3, 4)
    assert reach(b.current.m3_reached, b.current.m3_due).value == pytest.approx(4 / 6)
    # d and h: 6-month contacts not due yet are in no 6-month figure
    assert (b.current.m6_due, b.current.m6_reached) == (4, 3)
    assert stability_rate(b.current).value == pytest.approx(2 / 3)


def test_previous_quarter_same_community(ids: dict[str, int], engine: Engine) -> None:
    b = board(engine, ids["c1"], "2025Q3")
    assert b.previous == Funnel(enrolled=1, attended=1, completed=1, m3_due=1, m3_reached=1, m3_employed=1,
                                m6_due=1, m6_reached=1, stable_base=1, stable=1)
    assert board(engine, ids["c1"], "2025Q2").previous == Funnel()


def test_all_communities_and_all_time(ids: dict[str, int], engine: Engine) -> None:
    everyone = board(engine, None, "2025Q3")
    assert everyone.current == C1_Q3 + Funnel(enrolled=1, attended=1, completed=1, certified=1, m3_due=1,
                                               m3_reached=1, m3_employed=1, m6_due=1, m6_reached=1,
                                               stable_base=1)
    all_time = board(engine, ids["c1"], None)
    assert all_time.current == C1_Q3 + board(engine, ids["c1"], "2025Q3").previous
    assert all_time.previous == Funnel()


@pytest.mark.parametrize(("dimension", "key", "label", "enrolled", "certified"), [
    ("level", "basic", None, 6, 2),
    ("level", "intermediate", None, 2, 1),
    ("topic", "livestreaming", None, 6, 2),
    ("topic", "short_video", None, 2, 1),
    ("provider", "PROV", "电商协会", 6, 2),
    ("provider", NO_PROVIDER, "", 2, 1),
    ("target_group", "all", None, 6, 2),
    ("target_group", "rural_women", None, 2, 1),
    ("community", "C1", "社区C1", 8, 3),
])
def test_each_dimension(ids: dict[str, int], engine: Engine, dimension: str, key: str, label: str | None,
                        enrolled: int, certified: int) -> None:
    df = board(engine, ids["c1"], "2025Q3").by[dimension]
    r = row(df, key)
    assert (r["enrolled"], r["certified"]) == (enrolled, certified)
    if label is not None:
        assert df[df["key"] == key]["label"].iloc[0] == label
    total = Funnel(**{k: int(df[k].sum()) for k in FIELDS})
    assert total == C1_Q3        # every dimension splits the same people


def test_dimension_details(ids: dict[str, int], engine: Engine) -> None:
    by = board(engine, ids["c1"], "2025Q3").by
    assert set(by) == set(DIMENSIONS)
    assert row(by["level"], "intermediate") == vars(Funnel(
        enrolled=2, attended=2, completed=2, certified=1, m3_due=2, m3_reached=1, m3_employed=1, m6_due=1,
        m6_reached=1, stable_base=1, stable=1))
    community = board(engine, None, "2025Q3").by["community"]
    assert list(community["key"]) == ["C1", "C2"]
    assert row(community, "C2")["enrolled"] == 1


def test_vulnerable_groups(ids: dict[str, int], engine: Engine) -> None:
    groups = board(engine, ids["c1"], "2025Q3").groups
    assert list(groups["key"]) == ["disabled", "rural_women", "low_income", "migrant_women", "elderly",
                                   "returning_youth", "all"]
    assert row(groups, "disabled") == vars(Funnel(
        enrolled=2, attended=2, completed=2, certified=1, m3_due=2, m3_reached=1, m3_unreachable=1, m3_employed=1,
        m6_due=2, m6_reached=1, m6_unreachable=1, m6_income_known=1, m6_income_up=1, stable_base=1, stable=1))
    assert row(groups, "rural_women")["enrolled"] == 2          # c carries two tags and counts in both
    assert row(groups, "rural_women")["m3_employed"] == 1
    assert row(groups, "low_income") == vars(Funnel(enrolled=1, attended=1))
    assert row(groups, "elderly") == vars(Funnel())
    assert row(groups, "all") == vars(C1_Q3)


def test_course_table(ids: dict[str, int], engine: Engine) -> None:
    courses = board(engine, ids["c1"], "2025Q3").courses
    assert list(courses["code"]) == ["K1", "K2", "K4"]       # K0 is last quarter's, K3 another community's
    k1 = courses[courses["code"] == "K1"].iloc[0]
    assert (k1["title"], k1["level"], k1["topic"], k1["provider"], k1["target_group"]) == (
        "直播带货", "basic", "livestreaming", "电商协会", "all")
    assert pd.Timestamp(k1["end_date"]).date() == D(2025, 7, 4)
    assert (int(k1["enrolled"]), int(k1["completed"]), int(k1["m3_employed"])) == (6, 4, 2)
    # a (40→70: 0.5), c (80→100: 1.0) and d (100→100, no room to gain) are paired; b has no post score
    assert int(k1["n_paired"]) == 3
    assert k1["mean_gain"] == pytest.approx(0.75)
    k2 = courses[courses["code"] == "K2"].iloc[0]
    assert (k2["provider"], int(k2["n_paired"])) == ("", 0)
    assert pd.isna(k2["mean_gain"])
    k4 = courses[courses["code"] == "K4"].iloc[0]
    assert {k: int(k4[k]) for k in FIELDS} == vars(Funnel())


def test_course_counts_all_its_enrolments(ids: dict[str, int], engine: Engine) -> None:
    """A course of the quarter lists a learner who enrolled in the quarter before it began."""
    with engine.begin() as conn:
        k5 = fx.course(conn, ids["c1"], "K5", start_date=D(2025, 7, 10), end_date=D(2025, 7, 12))
        learner(conn, k5, ids["c1"], "early", quarter="2025Q2", enrolled_on=D(2025, 6, 28), m3="ecommerce")
    b = board(engine, ids["c1"], "2025Q3")
    k5_row = b.courses[b.courses["code"] == "K5"].iloc[0]
    assert int(k5_row["enrolled"]) == 1
    assert b.current == C1_Q3          # the funnel counts enrolments by their own quarter
    assert b.previous.enrolled == 2


@pytest.mark.parametrize("scope", ["empty quarter", "empty community", "empty both"])
def test_empty_scope_gives_zeros(ids: dict[str, int], engine: Engine, scope: str) -> None:
    community, quarter = {"empty quarter": (ids["c1"], "2024Q1"), "empty community": (ids["c3"], "2025Q3"),
                          "empty both": (ids["c3"], None)}[scope]
    b = board(engine, community, quarter)
    assert b.current == Funnel() and b.previous == Funnel()
    for d in DIMENSIONS:
        assert b.by[d].empty and {"key", *FIELDS} <= set(b.by[d].columns)
    assert {"label"} <= set(b.by["provider"].columns) & set(b.by["community"].columns)
    assert len(b.groups) == 7 and int(b.groups[list(FIELDS)].to_numpy().sum()) == 0
    assert b.courses.empty and {"code", "mean_gain", "n_paired", *FIELDS} <= set(b.courses.columns)
    with Session(engine) as session:
        assert not has_training(session, scope=Scope(community, quarter))


def test_empty_database(engine: Engine) -> None:
    b = board(engine, None, None)
    assert b.current == Funnel() and b.courses.empty


def test_has_training(ids: dict[str, int], engine: Engine) -> None:
    with Session(engine) as session:
        assert has_training(session, scope=Scope(ids["c1"], "2025Q3"))
        assert has_training(session, scope=Scope(None, None))
        assert has_training(session, scope=Scope(ids["c2"], "2025Q3"))
        assert not has_training(session, scope=Scope(ids["c2"], "2025Q2"))
