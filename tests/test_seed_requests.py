"""The demo requests follow the lifecycle and the working-day calendar: every history is a consistent chain that
ends in the request's own state, deadlines are working days after 转办, and every kind of case is there."""

import datetime as dt

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard import access
from dashboard.cli import DEMO_ACCOUNTS
from dashboard.excel.writer import routed_to_party
from dashboard.services.workdays import Calendar
from data_models import (
    CaseRequest,
    LivestreamSession,
    Party,
    Request,
    RequestCallback,
    RequestEvent,
    RequestSla,
    RequestSupport,
    Unit,
)
from data_models.base import table_of
from seed.common import DATA_END, to_date
from seed.request_loop import SLA_DAYS
from seed.request_script import WorkdayTable

R, E, C = table_of(Request), table_of(RequestEvent), table_of(RequestCallback)
U, P, S = table_of(Unit), table_of(Party), table_of(LivestreamSession)
END = to_date(DATA_END)
DONE = ("resolved", "reported", "closed")
ROUTING = ("route", "transfer", "escalate")


def count(engine: Engine, stmt: sa.Select) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one())


def test_the_calendar_table_counts_like_the_calendar() -> None:
    calendar = Calendar()
    table = WorkdayTable.build(calendar)
    starts = np.arange(np.datetime64("2025-04-01"), np.datetime64("2026-10-15"), 3, dtype="datetime64[D]")
    for n in (0, 1, 2, 5, 15):
        got = table.add(starts, n)
        assert [to_date(d) for d in got] == [calendar.add_working_days(to_date(d), n) for d in starts], n


def test_the_sla_is_the_migrations(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        sla = table_of(RequestSla)
        rows = {p: d for p, d in conn.execute(sa.select(sla.c.priority, sla.c.working_days))}
    assert rows == SLA_DAYS


def test_every_history_is_a_chain_without_gaps(demo_engine: Engine) -> None:
    """Each event starts where the one before ended; the first is the collection; days and times never go back."""
    order = (E.c.request_id,)
    by_id = {"partition_by": order, "order_by": E.c.id}
    e = sa.select(
        E.c.request_id, E.c.move, E.c.from_status, E.c.to_status, E.c.on, E.c.at,
        sa.func.row_number().over(**by_id).label("k"),
        sa.func.lag(E.c.to_status).over(**by_id).label("prev_to"),
        sa.func.lag(E.c.on).over(**by_id).label("prev_on"),
        sa.func.lag(E.c.at).over(**by_id).label("prev_at"),
    ).subquery()
    first = sa.and_(e.c.k == 1, sa.or_(e.c.move != "collect", e.c.from_status.is_not(None),
                                       e.c.to_status != "collected"))
    later = sa.and_(e.c.k > 1, sa.or_(e.c.from_status.is_(None), e.c.from_status != e.c.prev_to,
                                      e.c.on < e.c.prev_on, e.c.at < e.c.prev_at, e.c.move == "collect"))
    assert count(demo_engine, sa.select(e.c.request_id).where(sa.or_(first, later))) == 0
    assert count(demo_engine, sa.select(E.c.id).where(sa.or_(E.c.on.is_(None), E.c.move.is_(None)))) == 0
    assert count(demo_engine, sa.select(E.c.id).join(R, R.c.id == E.c.request_id)
                 .where(sa.or_(E.c.on < R.c.raised_on, E.c.on > END))) == 0


def _per_request() -> sa.Subquery:
    """Per request: its events counted by move, the day of the last of each kind, and how many writes they took (a
    move writes two events at once when a second 退回 escalates and when a 不满意 callback reopens)."""
    prev = sa.func.lag(E.c.move).over(partition_by=E.c.request_id, order_by=E.c.id)
    ev = sa.select(E, prev.label("prev_move")).subquery()
    joined = sa.or_(sa.and_(ev.c.move == "escalate", ev.c.prev_move == "send_back"),
                    sa.and_(ev.c.move == "reopen", ev.c.prev_move == "callback"))

    def n(*moves: str) -> sa.ColumnElement[int]:
        return sa.func.sum(sa.case((ev.c.move.in_(moves), 1), else_=0))

    def last_on(*moves: str) -> sa.ColumnElement[dt.date]:
        return sa.func.max(sa.case((ev.c.move.in_(moves), ev.c.on)))

    return sa.select(
        ev.c.request_id, sa.func.count().label("events"), sa.func.max(ev.c.id).label("last_id"),
        (sa.func.count() - sa.func.sum(sa.case((joined, 1), else_=0))).label("writes"),
        sa.func.max(sa.case((ev.c.move == "callback", ev.c.id))).label("last_callback_id"),
        sa.func.max(sa.case((sa.and_(ev.c.move == "reopen", ev.c.prev_move != "callback"), ev.c.id)))
        .label("last_own_reopen_id"),
        sa.func.min(ev.c.on).label("first_on"), n("reopen").label("reopens"), n("send_back").label("returns"),
        n("escalate").label("escalations"), n("report").label("reports"), n("callback").label("callbacks"),
        sa.func.min(sa.case((ev.c.move == "route", ev.c.on))).label("first_route"),
        last_on(*ROUTING).label("last_route"), last_on("finish").label("last_finish"),
        last_on("close").label("last_close"), last_on("report").label("last_report"),
        last_on("reopen").label("last_reopen"), last_on("callback").label("last_callback"),
    ).group_by(ev.c.request_id).subquery()


def test_the_request_row_is_where_its_history_ends(demo_engine: Engine) -> None:
    h = _per_request()
    last = E.alias("last")
    joined = R.join(h, h.c.request_id == R.c.id).join(last, last.c.id == h.c.last_id)
    wrong = sa.or_(
        last.c.to_status != R.c.status, h.c.writes != R.c.version, h.c.first_on != R.c.raised_on,
        h.c.reopens != R.c.reopen_count, h.c.returns != R.c.return_count,
        h.c.escalations != R.c.escalation_level,
        h.c.first_route.is_distinct_from(R.c.first_routed_on), h.c.last_route.is_distinct_from(R.c.routed_on),
    )
    assert count(demo_engine, sa.select(R.c.id).select_from(joined).where(wrong)) == 0
    assert count(demo_engine, sa.select(R.c.id).where(R.c.id.not_in(sa.select(E.c.request_id)))) == 0


def test_each_status_carries_what_it_needs(demo_engine: Engine) -> None:
    h = _per_request()
    joined = R.join(h, h.c.request_id == R.c.id)
    routed = R.c.status.not_in(["collected", "classified"])
    done = R.c.status.in_(DONE)
    # A request a 五步协商 case settles (seed/live_cases.py) has no unit or deadline, and closes with its case
    # without a report-back or callback (tests/test_consultation_seed.py checks those).
    in_case = R.c.id.in_(sa.select(table_of(CaseRequest).c.request_id))
    wrong = sa.or_(
        sa.and_(routed, ~in_case, sa.or_(R.c.lead_unit_id.is_(None), R.c.routed_on.is_(None),
                                         R.c.deadline.is_(None), R.c.first_routed_on > R.c.routed_on)),
        sa.and_(~routed, sa.or_(R.c.lead_unit_id.is_not(None), R.c.deadline.is_not(None))),
        sa.and_(done, sa.or_(R.c.resolved_on.is_(None), R.c.outcome.is_(None), R.c.resolution == "",
                             R.c.resolved_on != h.c.last_finish)),
        sa.and_(~done, sa.or_(R.c.resolved_on.is_not(None), R.c.outcome.is_not(None))),
        # Closed only after the report-back and the callback that followed the last reopening.
        sa.and_(R.c.status == "closed", ~in_case, sa.or_(
            R.c.reported_session_id.is_(None), R.c.satisfaction.is_(None), R.c.closed_on != h.c.last_close,
            h.c.last_report.is_(None), h.c.last_callback.is_(None), h.c.last_callback < h.c.last_report,
            h.c.last_report < h.c.last_finish, h.c.last_reopen > h.c.last_report)),
        sa.and_(R.c.status != "closed", R.c.closed_on.is_not(None)),
        sa.and_(R.c.status.in_(["reported", "closed"]), ~in_case, R.c.reported_session_id.is_(None)),
        # A reopened request is to be reported back again: its earlier report no longer counts.
        sa.and_(R.c.status.not_in(["reported", "closed"]), R.c.reported_session_id.is_not(None)),
        sa.and_(R.c.outcome == "unreasonable", sa.or_(
            R.c.unreasonable_by.is_(None), R.c.unreasonable_agreed_by.is_(None),
            R.c.unreasonable_by == R.c.unreasonable_agreed_by)),
    )
    assert count(demo_engine, sa.select(R.c.id).select_from(joined).where(wrong)) == 0


def test_reported_in_the_communitys_next_livestream(demo_engine: Engine) -> None:
    """The report-back session is the community's first livestream after 已办结, and its day is the report's day."""
    later = S.alias("later")
    between = (sa.select(later.c.id).where(later.c.community_id == R.c.community_id,
                                           later.c.held_on > R.c.resolved_on, later.c.held_on < S.c.held_on)
               .exists())
    reported = sa.select(sa.func.max(E.c.on)).where(E.c.request_id == R.c.id, E.c.move == "report") \
        .scalar_subquery()
    wrong = sa.or_(S.c.community_id != R.c.community_id, S.c.held_on <= R.c.resolved_on, between,
                   S.c.held_on != reported)
    stmt = sa.select(R.c.id).join(S, S.c.id == R.c.reported_session_id).where(wrong)
    assert count(demo_engine, stmt) == 0
    assert count(demo_engine, sa.select(R.c.id).where(R.c.reported_session_id.is_not(None))) > 1000


def test_units_move_with_the_request(demo_engine: Engine) -> None:
    """转办 moves name their units; a unit that sends back, transfers or is escalated from is the one the request
    was last routed to; the lead unit is the last routing's."""
    prev = E.alias("prev")
    last_unit = (sa.select(prev.c.to_unit_id)
                 .where(prev.c.request_id == E.c.request_id, prev.c.id < E.c.id, prev.c.move.in_(ROUTING))
                 .order_by(prev.c.id.desc()).limit(1).scalar_subquery())
    wrong = sa.or_(
        sa.and_(E.c.move.in_(ROUTING), E.c.to_unit_id.is_(None)),
        sa.and_(E.c.move.in_(["send_back", "transfer", "escalate"]),
                sa.or_(E.c.from_unit_id.is_(None), E.c.from_unit_id.is_distinct_from(last_unit))),
        sa.and_(E.c.move == "send_back", E.c.reason_code.is_(None)),
        sa.and_(E.c.move != "send_back", E.c.reason_code.is_not(None)),
        sa.and_(E.c.move == "transfer", E.c.from_unit_id == E.c.to_unit_id),
    )
    assert count(demo_engine, sa.select(E.c.id).where(wrong)) == 0
    lead = (sa.select(E.c.to_unit_id).where(E.c.request_id == R.c.id, E.c.move.in_(ROUTING))
            .order_by(E.c.id.desc()).limit(1).scalar_subquery())
    assert count(demo_engine, sa.select(R.c.id).where(R.c.lead_unit_id.is_distinct_from(lead))) == 0


def test_escalation_goes_to_the_parent_after_two_returns(demo_engine: Engine) -> None:
    frm, to = U.alias("frm"), U.alias("to")
    stmt = (sa.select(E.c.id).join(frm, frm.c.id == E.c.from_unit_id).join(to, to.c.id == E.c.to_unit_id)
            .join(R, R.c.id == E.c.request_id).where(E.c.move == "escalate"))
    assert count(demo_engine, stmt) > 0
    assert count(demo_engine, stmt.where(sa.or_(frm.c.parent_id != to.c.id, R.c.return_count < 2))) == 0


def test_deadlines_are_working_days_after_the_latest_routing(demo_engine: Engine) -> None:
    calendar = Calendar()
    sla = table_of(RequestSla)
    with demo_engine.connect() as conn:
        rows = conn.execute(sa.select(R.c.routed_on, R.c.deadline, sla.c.working_days)
                            .join(sla, sla.c.priority == R.c.priority).where(R.c.routed_on.is_not(None))
                            .order_by(R.c.id)).all()
    assert len(rows) > 1500
    sample = rows[::5]
    assert [d for _, d, _ in sample] == [calendar.add_working_days(r, n) for r, _, n in sample]
    # The calendar is the Chinese one: some deadlines differ from counting Monday to Friday (holidays, 调休).
    weekdays = Calendar({day: day.weekday() < 5 for day in
                         (dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(800))})
    assert any(d != weekdays.add_working_days(r, n) for r, d, n in sample)


def test_callbacks_come_after_the_report_and_feed_the_request(demo_engine: Engine) -> None:
    """The request keeps its last callback's answer (a 不满意 too, until the next callback); a reopening of its own
    (not by a callback) clears it, a new callback being due."""
    h = _per_request()
    last = (sa.select(C.c.result, C.c.tries).where(C.c.request_id == R.c.id)
            .order_by(C.c.called_on.desc(), C.c.id.desc()).limit(1))
    cleared = sa.func.coalesce(h.c.last_own_reopen_id, 0) > sa.func.coalesce(h.c.last_callback_id, 0)
    result = sa.case((cleared, None), else_=last.with_only_columns(C.c.result).scalar_subquery())
    tries = sa.case((cleared, 0), else_=sa.func.coalesce(last.with_only_columns(C.c.tries).scalar_subquery(), 0))
    wrong = sa.or_(R.c.satisfaction.is_distinct_from(result), R.c.callback_tries != tries)
    assert count(demo_engine, sa.select(R.c.id).join(h, h.c.request_id == R.c.id).where(wrong)) == 0
    assert count(demo_engine, sa.select(R.c.id).join(h, h.c.request_id == R.c.id).where(cleared)) > 0
    assert count(demo_engine, sa.select(C.c.id).where(C.c.result == "unreachable", C.c.tries != 3)) == 0
    # One request_callback row per callback event, on the same day.
    events = sa.select(E.c.request_id, E.c.on).where(E.c.move == "callback")
    calls = sa.select(C.c.request_id, C.c.called_on)
    assert count(demo_engine, events.except_(calls)) == 0
    assert count(demo_engine, calls) == count(demo_engine, events)
    # 不满意 reopens: the next event is a 重新打开.
    nxt = E.alias("nxt")
    reopened = (sa.select(nxt.c.move).where(nxt.c.request_id == E.c.request_id, nxt.c.id > E.c.id)
                .order_by(nxt.c.id).limit(1).scalar_subquery())
    unhappy = sa.select(E.c.id).join(C, sa.and_(C.c.request_id == E.c.request_id, C.c.called_on == E.c.on)) \
        .where(E.c.move == "callback", C.c.result == "dissatisfied")
    assert count(demo_engine, unhappy) > 0
    assert count(demo_engine, unhappy.where(reopened.is_distinct_from("reopen"))) == 0


def test_the_demo_has_every_kind_of_case(demo_engine: Engine) -> None:
    open_ = R.c.status.in_(["routed", "in_progress"])
    cases = {
        "overdue open at the end": sa.select(R.c.id).where(open_, R.c.deadline < END),
        "reopened": sa.select(R.c.id).where(R.c.reopen_count > 0),
        "reopened after closing": sa.select(E.c.id).where(E.c.move == "reopen", E.c.from_status == "closed"),
        "sent back": sa.select(R.c.id).where(R.c.return_count > 0),
        "escalated": sa.select(R.c.id).where(R.c.escalation_level > 0),
        "transferred": sa.select(E.c.id).where(E.c.move == "transfer"),
        "unreasonable": sa.select(R.c.id).where(R.c.outcome == "unreasonable"),
        "unreachable": sa.select(C.c.id).where(C.c.result == "unreachable", C.c.tries == 3),
        "supporting units": sa.select(table_of(RequestSupport).c.request_id),
        "finished late": sa.select(R.c.id).where(R.c.resolved_on > R.c.deadline),
        "partly solved": sa.select(R.c.id).where(R.c.outcome == "partly_solved"),
        "explained": sa.select(R.c.id).where(R.c.outcome == "explained"),
        "basically satisfied": sa.select(R.c.id).where(R.c.satisfaction == "basically_satisfied"),
        "waiting for report-back": sa.select(R.c.id).where(R.c.status == "resolved"),
        "never routed": sa.select(R.c.id).where(R.c.status.in_(["collected", "classified"])),
    }
    for what, stmt in cases.items():
        assert count(demo_engine, stmt) > 0, what
    assert count(demo_engine, sa.select(R.c.id).where(R.c.outcome == "solved")) > 0.6 * count(
        demo_engine, sa.select(R.c.id).where(R.c.outcome.is_not(None)))
    # Some were routed more than one working day after the livestream (the 响应率 is not 100%).
    calendar = Calendar()
    with demo_engine.connect() as conn:
        pairs = conn.execute(sa.select(R.c.raised_on, R.c.first_routed_on)
                             .where(R.c.first_routed_on.is_not(None))).all()
    late = sum(calendar.working_days_between(a, b) > 1 for a, b in pairs)
    assert 0.05 < late / len(pairs) < 0.25


def test_parcels_and_noise_are_the_biggest_categories(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        top = conn.execute(sa.select(R.c.category).group_by(R.c.category)
                           .order_by(sa.func.count().desc()).limit(2)).scalars().all()
    assert top == ["parcel_stacking", "livestream_noise"]


def test_every_unit_has_the_communitys_top_unit_as_parent(demo_engine: Engine) -> None:
    top, party = U.alias("top"), P.alias("party")
    with demo_engine.connect() as conn:
        tops = conn.execute(sa.select(U.c.community_id, P.c.code).join(P, P.c.id == U.c.party_id)
                            .where(U.c.parent_id.is_(None))).all()
        wrong = conn.execute(sa.select(U.c.code).join(top, top.c.id == U.c.parent_id)
                             .where(top.c.community_id != U.c.community_id)).all()
        acted = dict(conn.execute(sa.select(U.c.kind, sa.func.count()).join(party, party.c.id == U.c.party_id)
                                  .where(party.c.community_id == U.c.community_id).group_by(U.c.kind)).all())
    assert len(tops) == 3 and all(code.endswith("-GOV") for _, code in tops)
    assert wrong == []
    assert acted == {"township_department": 3, "platform": 3, "association": 3}


@pytest.mark.parametrize(("username", "role", "party_code"),
                         [a for a in DEMO_ACCOUNTS if a[2] and access.own_units_only(a[1])])
def test_demo_unit_accounts_have_requests_to_answer(demo_engine: Engine, username: str, role: str,
                                                   party_code: str) -> None:
    """The demo government, platform and association accounts act for units that requests were routed to, some
    still open for them to answer."""
    with demo_engine.connect() as conn:
        party_id = conn.execute(sa.select(P.c.id).where(P.c.code == party_code)).scalar_one()
    mine = sa.select(R.c.id).where(routed_to_party(R, party_id))
    assert count(demo_engine, mine) >= 20, username
    assert count(demo_engine, mine.where(R.c.status.in_(["routed", "in_progress"]))) > 0, username
