"""The overview's figures on small hand-built data with answers worked out by hand."""

import datetime as dt

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.queries import Scope, common, needs, overview
from tests import factories as f

D = dt.date
TODAY = D(2025, 11, 1)


@pytest.fixture
def world(engine: Engine) -> dict[str, int]:
    """Two communities; all activity is in C1, C2 is empty. Quarter 2025Q3 holds the cases below."""
    with engine.begin() as conn:
        c1 = f.community(conn, "C1")
        c2 = f.community(conn, "C2", kind="rural")
        p1 = f.practitioner(conn, c1, "P1", birth_year=1995, has_labour_contract=True, daily_work_hours=11)
        p2 = f.practitioner(conn, c1, "P2", birth_year=1980, education="bachelor", hukou="urban")
        f.practitioner(conn, c1, "P3", registered_on=D(2025, 10, 5))          # joins after 2025Q3
        f.need(conn, p1, c1, "N1", status="closed", assessed_on=D(2025, 7, 2), responded_on=D(2025, 7, 5),
               feedback_on=D(2025, 7, 20), closed_on=D(2025, 7, 21), satisfaction=4)
        f.need(conn, p2, c1, "N2", identified_on=D(2025, 8, 1))                   # still open
        f.need(conn, p2, c1, "N3", identified_on=D(2025, 4, 1), quarter="2025Q2", status="closed",
               assessed_on=D(2025, 4, 2), responded_on=D(2025, 4, 3), feedback_on=D(2025, 9, 1),
               closed_on=D(2025, 10, 2), satisfaction=2)                          # closed in Q4
        k = f.course(conn, c1)
        e1 = f.enrolment(conn, k, p1, c1, "E1", certified=True)
        f.followup(conn, e1, c1, "m3")                                             # reached, employed
        f.followup(conn, e1, c1, "m6", status="unreachable", tries=3)             # not "not employed"
        f.enrolment(conn, k, p2, c1, "E2", attended=True, completed=False)
        coop = f.cooperative(conn, c1)
        f.sale(conn, coop, c1, "S1", revenue_cents=10_001, cost_cents=6_000)
        f.sale(conn, coop, c1, "S2", revenue_cents=5_000, cost_cents=5_500)
        f.sale(conn, coop, c1, "S3", sold_on=D(2025, 10, 1), month="2025-10", quarter="2025Q4")
        s = f.livestream(conn, c1)
        f.request(conn, s, c1, "R1", status="closed", resolved_on=D(2025, 7, 8), closed_on=D(2025, 7, 16))
        f.request(conn, s, c1, "R2", status="reported", resolved_on=D(2025, 7, 20))     # late
        f.request(conn, s, c1, "R3", status="in_progress")                             # overdue since 7/9
        f.request(conn, s, c1, "R4", status="routed", deadline=D(2025, 12, 1))         # not yet due
        m = f.meeting(conn, c1)
        gov = f.party(conn, c1)
        f.action(conn, m, gov, "X1", status="done", done_on=D(2025, 9, 1))
        f.action(conn, m, gov, "X2", status="open")                                   # due 9/15
        f.action(conn, m, gov, "X3", status="in_progress", due_on=D(2025, 12, 31))
    return {"c1": c1, "c2": c2}


def test_profile_counts_those_registered_by_quarter_end(engine: Engine, world: dict[str, int]) -> None:
    with Session(engine) as s:
        prof = needs.profile(s, scope=Scope(world["c1"], "2025Q3"))
    assert prof.practitioners == 2
    assert prof.rates["age_18_35"] == 0.5              # 2025-1995 = 30 yes; 2025-1980 = 45 no
    assert prof.rates["labour_contract"] == 0.5
    assert prof.rates["over_10h"] == 0.5
    assert prof.rates["rural_hukou"] == 0.5
    assert prof.rates["education_junior_college_or_below"] == 0.5


def test_needs_summary_for_a_quarter(engine: Engine, world: dict[str, int]) -> None:
    with Session(engine) as s:
        q3 = needs.needs_summary(s, scope=Scope(world["c1"], "2025Q3"))
        q4 = needs.needs_summary(s, scope=Scope(world["c1"], "2025Q4"))
    assert (q3.identified, q3.closed, q3.open_at_end) == (2, 1, 2)    # N2 open, N3 still open at 9/30
    assert q3.satisfaction == 3.0                                      # feedback in Q3: N1 (4) and N3 (2)
    assert (q4.identified, q4.closed, q4.open_at_end) == (0, 1, 1)


def test_training_sales_requests_meetings(engine: Engine, world: dict[str, int]) -> None:
    scope = Scope(world["c1"], "2025Q3")
    with Session(engine) as s:
        tr = overview.training(s, scope=scope)
        sa_ = overview.sales(s, scope=scope)
        rq = overview.requests(s, scope=scope, as_of=D(2025, 9, 30))
        mt = overview.meetings(s, scope=scope, as_of=D(2025, 9, 30))
    assert (tr.enrolled, tr.completed, tr.certified, tr.employed) == (2, 1, 1, 1)
    assert tr.completion_rate == 0.5 and tr.employment_rate == 1.0
    assert (sa_.orders, sa_.revenue_cents, sa_.cost_cents, sa_.profit_cents) == (2, 15_001, 11_500, 3_501)
    assert (rq.sessions, rq.viewers, rq.raised, rq.done, rq.on_time, rq.overdue_open) == (1, 100, 4, 2, 1, 1)
    assert rq.on_time_rate == 1 / 3            # R1 on time ÷ (R1, R2 finished + R3 open past its deadline)
    assert (mt.meetings, mt.actions, mt.actions_done, mt.actions_overdue) == (1, 3, 1, 1)


@pytest.mark.parametrize("scope", [Scope(quarter="2024Q1"), Scope(2, "2025Q3"), Scope(2, None)],
                         ids=["empty quarter", "empty community", "empty community all time"])
def test_empty_scopes_give_zeros_and_no_rates(engine: Engine, world: dict[str, int], scope: Scope) -> None:
    with Session(engine) as s:
        prof = needs.profile(s, scope=scope)
        tr = overview.training(s, scope=scope)
        rq = overview.requests(s, scope=scope, as_of=TODAY)
        sa_ = overview.sales(s, scope=scope)
        mt = overview.meetings(s, scope=scope, as_of=TODAY)
        ns = needs.needs_summary(s, scope=scope)
    assert prof.practitioners == 0 and all(v is None for v in prof.rates.values())
    assert tr.enrolled == 0 and tr.completion_rate is None
    assert rq.raised == 0 and rq.on_time_rate is None and rq.sessions == 0
    assert sa_.revenue_cents == 0 and sa_.orders == 0
    assert mt.meetings == 0 and mt.actions == 0
    assert ns.identified == 0 and ns.satisfaction is None


def test_overview_compares_with_the_previous_quarter_only_when_it_has_data(
        engine: Engine, world: dict[str, int]) -> None:
    with Session(engine) as s:
        assert common.quarters(s) == ["2025Q4", "2025Q3", "2025Q2"]
        q3 = overview.overview(s, scope=Scope(world["c1"], "2025Q3"), today=TODAY)
        q2 = overview.overview(s, scope=Scope(world["c1"], "2025Q2"), today=TODAY)
    assert q3.previous is not None and q3.previous.needs.identified == 1
    assert q2.previous is None
    # A past quarter is judged at its end: R3 was overdue on 9/30, X2 too.
    assert q3.current.requests.overdue_open == 1 and q3.current.meetings.actions_overdue == 1
