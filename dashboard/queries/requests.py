"""直播治理诉求 page data: the figures and rates per quarter, by category, by unit, the trend, the list, a history.

The period is the requests raised in the quarter, each as it stands today: a request raised last quarter and still
open past its deadline counts as overdue now, and against that quarter's on-time rate. Every figure is counted in
SQL (GROUP BY); only the rates' division happens in Python (dashboard/services/request_rates.py). What does not
depend on today is read from the summary table request_stats (dashboard/request_stats.py, kept current on every
write), what does from the open requests alone; `live=True` counts everything from the requests (the tests compare).
A scope with `party_id` (government, platform and association staff) counts only the requests routed to a unit
that party acts for, as lead or as supporter, in every figure, the list and the history.
"""

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from dashboard import request_stats
from dashboard.db import gather
from dashboard.excel.writer import routed_to_party
from dashboard.periods import previous_quarter, quarter_bounds
from dashboard.queries.sqlfuncs import count_if
from dashboard.request_stats import (
    ANSWERED,
    COUNTED,
    COUNTS,
    DONE,
    FINISHED,
    ON_TIME,
    OPEN,
    UNREASONABLE,
    callback_counts,
    histogram,
    is_,
    tally_responded,
    workday_index,
)
from dashboard.services import workdays
from dashboard.services.request_rates import (
    Rate,
    UnitCounts,
    on_time_rate,
    resolution_rate,
    response_rate,
    satisfaction_rate,
    unit_ranking,
)
from dashboard.services.workdays import Calendar
from data_models import Community, Request, RequestCallback, RequestEvent, RequestSupport, Unit
from data_models.base import table_of

R = table_of(Request)
U = table_of(Unit)
CB = table_of(RequestCallback)
EV = table_of(RequestEvent)
SUP = table_of(RequestSupport)
COMMUNITY = table_of(Community)


@dataclass(frozen=True)
class RequestScope:
    """The sidebar's community (None for all) and quarter; `party_id` for unit roles (only what is routed to the
    units that party acts for)."""

    community_id: int | None
    quarter: str
    party_id: int | None = None


@dataclass(frozen=True)
class RequestFilters:
    status: str | None = None
    category: str | None = None
    unit_code: str | None = None       # lead or supporting unit
    overdue_only: bool = False


@dataclass(frozen=True)
class RequestFigures:
    """One quarter's requests as they stand today."""

    quarter: str
    collected: int
    open: int
    finished: int             # 已办结 / 已公示反馈 / 已关闭, 不合理诉求 included
    response: Rate
    resolution: Rate
    satisfaction: Rate
    on_time: Rate
    overdue: int              # open and past the deadline today
    at_risk: int              # open, deadline today or on the next working day
    unreasonable: int         # agreed 不合理诉求: shown apart, left out of the rates
    unreachable: int          # callbacks that reached nobody after 3 tries: not in the 满意率
    reopened: int             # requests reopened at least once
    sent_back: int            # requests sent back (退回) at least once


@dataclass(frozen=True)
class RequestSummary:
    current: RequestFigures
    previous: RequestFigures | None         # None when the previous quarter has no requests in scope
    unknown_years: list[int] = field(default_factory=list)  # years of open deadlines the calendar does not know


def overdue(today: dt.date) -> sa.ColumnElement[bool]:
    return sa.and_(R.c.status.in_(OPEN), R.c.deadline < today)


def _where(scope: RequestScope, quarters: list[str] | None = None) -> list[sa.ColumnElement[bool]]:
    quarters = quarters or [scope.quarter]
    out = [R.c.quarter == quarters[0] if len(quarters) == 1 else R.c.quarter.in_(quarters)]
    if scope.community_id is not None:
        out.append(R.c.community_id == scope.community_id)
    if scope.party_id is not None:
        out.append(routed_to_party(R, scope.party_id))
    return out


def quarters_back(quarter: str, n: int) -> list[str]:
    """`n` quarters ending with `quarter`, oldest first."""
    out = [quarter]
    while len(out) < n:
        out.append(previous_quarter(out[-1]))
    return out[::-1]


def window_start(today: dt.date, calendar: Calendar) -> dt.date:
    """The earliest raising day whose one working day to be routed in has not passed by `today`: a request raised
    on or after it and not routed yet may still be routed in time (raised on Friday, it has until Monday)."""
    day = today
    while calendar.add_working_days(day - dt.timedelta(days=1), 1) >= today:
        day -= dt.timedelta(days=1)
    return day


def _today_counts(today: dt.date, next_workday: dt.date, window: dt.date) -> dict[str, sa.ColumnElement[Any]]:
    """The counts that depend on today: open, open and past the deadline, open and due by the next working day,
    and not yet routed but still within the working day it has to be (left out of 响应率 until it has passed)."""
    is_open = R.c.status.in_(OPEN)
    return {"open": count_if(is_open), "overdue": count_if(overdue(today)),
            "at_risk": count_if(sa.and_(is_open, R.c.deadline >= today, R.c.deadline <= next_workday)),
            "waiting": count_if(sa.and_(is_open, R.c.first_routed_on.is_(None), R.c.raised_on >= window))}


def _open_today_counts(today: dt.date, next_workday: dt.date) -> dict[str, sa.ColumnElement[Any]]:
    """open, overdue and at_risk of _today_counts, over rows already limited to the open requests (the status is
    not tested again for each: 8.7 -> 5.9 ms for six quarters of every community on SQLite at province scale)."""
    return {"open": sa.func.count(), "overdue": count_if(R.c.deadline < today),
            "at_risk": count_if(sa.and_(R.c.deadline >= today, R.c.deadline <= next_workday))}


def _waiting(conn: Connection, scope: RequestScope, quarters: list[str], window: dt.date) -> dict[str, int]:
    """Per quarter, the open requests not yet routed and still within their working day to be (`waiting` of
    _today_counts), in the quarters that end on or after the window's first day only (at most the last one or two),
    from ix_request_open (which holds first_routed_on since migration 0026)."""
    recent = [q for q in quarters if quarter_bounds(q)[1] >= window]
    if not recent:
        return {}
    stmt = (sa.select(R.c.quarter, sa.func.count())
            .where(*_where(scope, recent), R.c.status.in_(OPEN), R.c.raised_on >= window,
                   R.c.first_routed_on.is_(None)).group_by(R.c.quarter))
    return {str(q): int(n) for q, n in conn.execute(stmt)}


def figures(session: Session, *, scope: RequestScope, quarters: list[str], today: dt.date,
            calendar: Calendar, live: bool = False) -> dict[str, RequestFigures]:
    """The figures of each quarter in `quarters` (scope.quarter is ignored).

    What does not depend on today is read from request_stats (a few thousand rows for every community) and what
    does from the open requests alone (ix_request_open; those waiting to be routed from the last quarter or two). A
    scope with `party_id` counts its requests live, as does `live=True`: the same counts (request_stats.COUNTS)
    grouped by quarter, in three GROUP BY queries."""
    conn = session.connection()
    next_workday, window = calendar.add_working_days(today, 1), window_start(today, calendar)
    where = _where(scope, quarters)
    counts: dict[str, dict[str, int]] = {}
    if _kept(scope, live):
        request_stats.flush_pending(session)       # this session's own moves, not yet committed
        counts = request_stats.read(conn, quarters=quarters, community_id=scope.community_id)
        for q, n in _waiting(conn, scope, quarters, window).items():
            counts.setdefault(q, {})["waiting"] = n
        now = _open_today_counts(today, next_workday)
        for q, *values in conn.execute(sa.select(R.c.quarter, *now.values())
                                       .where(*where, R.c.status.in_(OPEN)).group_by(R.c.quarter)):
            counts.setdefault(q, {}).update(zip(now, (int(v) for v in values), strict=True))
    else:
        now = _today_counts(today, next_workday, window)
        names = [*COUNTS, *now]
        for q, *values in conn.execute(sa.select(R.c.quarter, *COUNTS.values(), *now.values()).where(*where)
                                       .group_by(R.c.quarter)):
            counts[q] = dict(zip(names, (int(v) for v in values), strict=True))
        responded = tally_responded(conn.execute(histogram(where, [R.c.quarter])).all(), calendar)
        for (q,), n in responded.items():
            counts[q]["responded"] = n
        for q, *calls in conn.execute(callback_counts(where, [R.c.quarter])):
            counts[q].update(zip(request_stats.CALLBACK_COLUMNS, (int(v) for v in calls), strict=True))
    return {q: _figures(q, counts.get(q, {})) for q in quarters}


def _figures(quarter: str, c: dict[str, int]) -> RequestFigures:
    def n(name: str) -> int:
        return c.get(name, 0)

    answered = sum(n(f"cb_{r}") for r in ANSWERED)
    return RequestFigures(
        quarter=quarter, collected=n("collected"), open=n("open"), finished=n("finished"),
        response=response_rate(n("responded"), n("collected") - n("waiting")),
        resolution=resolution_rate(n("solved"), n("partly_solved"), n("counted")),
        satisfaction=satisfaction_rate(n("cb_satisfied"), n("cb_basically_satisfied"), answered),
        on_time=on_time_rate(n("on_time"), n("counted") - n("untimed"), n("overdue")), overdue=n("overdue"),
        at_risk=n("at_risk"),
        unreasonable=n("unreasonable"), unreachable=n("cb_unreachable"), reopened=n("reopened"),
        sent_back=n("sent_back"))


def unknown_deadline_years(session: Session, *, scope: RequestScope, calendar: Calendar) -> list[int]:
    """The years of the open requests' deadlines whose holidays the calendar does not know (the page warns)."""
    first, last = session.execute(sa.select(sa.func.min(R.c.deadline), sa.func.max(R.c.deadline))
                                  .where(*_where(scope), R.c.status.in_(OPEN))).one()
    return calendar.unknown_years(first, last) if first is not None else []


def _summary(by_q: dict[str, RequestFigures], quarter: str, unknown: list[int]) -> RequestSummary:
    prev = by_q[previous_quarter(quarter)]
    return RequestSummary(by_q[quarter], prev if prev.collected else None, unknown)


def summary(session: Session, *, scope: RequestScope, today: dt.date, calendar: Calendar) -> RequestSummary:
    """The quarter against the one before it, and the years of open deadlines nobody has the holidays of."""
    by_q = figures(session, scope=scope, quarters=quarters_back(scope.quarter, 2), today=today, calendar=calendar)
    return _summary(by_q, scope.quarter, unknown_deadline_years(session, scope=scope, calendar=calendar))


BY_CATEGORY_COLUMNS = ["category", "collected", "open", "finished", "overdue", "unreasonable",
                       "resolution_numerator", "resolution_denominator", "resolution_rate"]


def _kept(scope: RequestScope, live: bool) -> bool:
    """Whether the scope's today-independent counts are read from request_stats: every scope but a unit role's
    (its requests are those routed to its units: a small subset, counted live), unless `live` asks for the count."""
    return scope.party_id is None and not live


def _open_counts(session: Session, scope: RequestScope, today: dt.date,
                 key: sa.ColumnElement[Any]) -> dict[Any, tuple[int, int]]:
    """(open, open and overdue) per `key`, from the quarter's open requests alone (ix_request_open)."""
    stmt = (sa.select(key, sa.func.count(), count_if(R.c.deadline < today))
            .where(*_where(scope), R.c.status.in_(OPEN)).group_by(key))
    return {k: (int(n), int(late)) for k, n, late in session.execute(stmt)}


CATEGORY_KEPT = ("collected", "finished", "unreasonable", "solved", "partly_solved", "counted")   # what it shows
UNIT_KEPT = ("collected", "on_time", "counted")


def by_category(session: Session, *, scope: RequestScope, today: dt.date, live: bool = False) -> pd.DataFrame:
    """The quarter's requests per category, most first, with each category's 解决率."""
    counts: dict[str, tuple[int, ...]] = {}
    if _kept(scope, live):
        request_stats.flush_pending(session)
        kept = request_stats.read(session.connection(), quarters=[scope.quarter], community_id=scope.community_id,
                                  by="category", columns=CATEGORY_KEPT)
        now = _open_counts(session, scope, today, R.c.category)
        for category, c in kept.items():
            open_, late_open = now.get(category, (0, 0))
            counts[str(category)] = (c["collected"], open_, c["finished"], late_open, c["unreasonable"], c["solved"],
                                     c["partly_solved"], c["counted"])
    else:
        stmt = (sa.select(R.c.category, sa.func.count(), count_if(R.c.status.in_(OPEN)), count_if(FINISHED),
                          count_if(overdue(today)), count_if(UNREASONABLE),
                          count_if(sa.and_(FINISHED, is_(R.c.outcome, "solved"))),
                          count_if(sa.and_(FINISHED, is_(R.c.outcome, "partly_solved"))), count_if(COUNTED))
                .where(*_where(scope)).group_by(R.c.category))
        counts = {str(category): tuple(int(v) for v in values) for category, *values in session.execute(stmt)}
    rows = []
    for category, (collected, open_, finished, late_open, unreasonable, solved, partly, counted) in sorted(
            counts.items(), key=lambda kv: (-kv[1][0], kv[0])):
        rate = resolution_rate(solved, partly, counted)
        rows.append((category, collected, open_, finished, late_open, unreasonable, rate.numerator, rate.denominator,
                     rate.value))
    return pd.DataFrame(rows, columns=BY_CATEGORY_COLUMNS).astype({"resolution_rate": float})


BY_UNIT_COLUMNS = ["rank", "unit_code", "unit_name", "requests", "on_time_numerator", "on_time_denominator",
                   "on_time_rate"]


def by_unit(session: Session, *, scope: RequestScope, today: dt.date, live: bool = False) -> pd.DataFrame:
    """Lead units by on-time rate (request_rates.unit_ranking): `rank` is empty for a unit with fewer than 5
    requests in the quarter, or with nothing finished or due yet.

    Counted per lead unit first (request_stats, or the requests themselves for a unit role), then the few hundred
    groups are joined to their units: not every request to its unit."""
    if _kept(scope, live):
        request_stats.flush_pending(session)
        ranked = unit_ranking(_kept_units(session, scope, today))
    else:
        stmt = (sa.select(R.c.lead_unit_id, sa.func.count(), count_if(ON_TIME), count_if(COUNTED),
                          count_if(overdue(today)))
                .where(*_where(scope), R.c.lead_unit_id.is_not(None)).group_by(R.c.lead_unit_id))
        per_unit = {unit_id: (int(n), int(on_time), int(counted), int(late))
                    for unit_id, n, on_time, counted, late in session.execute(stmt)}
        names = _unit_names(session, per_unit)
        ranked = unit_ranking(UnitCounts(*names[uid], *counts) for uid, counts in per_unit.items() if uid in names)
    return pd.DataFrame([(u.rank, u.unit_code, u.unit_name, u.requests, int(u.on_time.numerator),
                          u.on_time.denominator, u.on_time.value) for u in ranked],
                        columns=BY_UNIT_COLUMNS).astype({"rank": "Int64", "on_time_rate": float})


def _kept_units(session: Session, scope: RequestScope, today: dt.date) -> list[UnitCounts]:
    """Per lead unit, its kept counts (request_stats) with its code and name and its open requests past the deadline
    (ix_request_open), in one statement: for all communities at province scale, one result of 1,000 units instead of
    three to match up in Python (by_unit 44 -> 30 ms on PostgreSQL)."""
    kept = request_stats.read_select(quarters=[scope.quarter], community_id=scope.community_id, by="lead_unit_id",
                                     columns=UNIT_KEPT).subquery("kept")
    late = (sa.select(R.c.lead_unit_id, sa.func.count().label("late"))
            .where(*_where(scope), R.c.status.in_(OPEN), R.c.deadline < today).group_by(R.c.lead_unit_id)
            .subquery("late"))
    stmt = (sa.select(U.c.code, U.c.name, kept.c.collected, kept.c.on_time, kept.c.counted,
                      sa.func.coalesce(late.c.late, 0))
            .select_from(kept.join(U, U.c.id == kept.c.lead_unit_id)
                         .outerjoin(late, late.c.lead_unit_id == kept.c.lead_unit_id)))
    return [UnitCounts(code, name, int(n or 0), int(on_time or 0), int(counted or 0), int(overdue_n))
            for code, name, n, on_time, counted, overdue_n in session.execute(stmt)]


NAMES_BY_ID = 100    # more units than this: every unit is read (no IN list of a thousand bound ids to render)


def _unit_names(session: Session, ids: Collection[int]) -> dict[int, tuple[str, str]]:
    """(code, name) of the units with these ids."""
    if not ids:
        return {}
    stmt = sa.select(U.c.id, U.c.code, U.c.name)
    if len(ids) <= NAMES_BY_ID:
        stmt = stmt.where(U.c.id.in_(sorted(ids)))
    return {uid: (code, name) for uid, code, name in session.execute(stmt) if uid in ids}


TREND_COLUMNS = ["quarter", "collected", "overdue", "unreasonable", "response_rate", "resolution_rate",
                 "satisfaction_rate", "on_time_rate"]


def trend(session: Session, *, scope: RequestScope, today: dt.date, quarters: int = 6,
          calendar: Calendar | None = None) -> pd.DataFrame:
    """The figures and the four rates for `quarters` quarters up to the scope's, oldest first (empty ones too)."""
    cal = calendar if calendar is not None else workdays.load(session.connection())
    return _trend(figures(session, scope=scope, quarters=quarters_back(scope.quarter, quarters), today=today,
                          calendar=cal))


def _trend(by_q: dict[str, RequestFigures]) -> pd.DataFrame:
    return pd.DataFrame([(q, f.collected, f.overdue, f.unreasonable, f.response.value, f.resolution.value,
                          f.satisfaction.value, f.on_time.value) for q, f in by_q.items()],
                        columns=TREND_COLUMNS).astype({c: float for c in TREND_COLUMNS if c.endswith("_rate")})


LIST_COLUMNS = ["code", "raised_on", "category", "priority", "description", "lead_unit_code", "lead_unit_name",
                "status", "deadline", "days_left", "overdue", "at_risk", "unknown_year", "reopen_count",
                "return_count", "escalation_level", "version"]


def _unit_id(code: str) -> sa.ScalarSelect[Any]:
    return sa.select(U.c.id).where(U.c.code == code).scalar_subquery()


def _list_where(scope: RequestScope, filters: RequestFilters, today: dt.date) -> list[sa.ColumnElement[bool]]:
    where = _where(scope)
    if filters.status:
        where.append(R.c.status == filters.status)
    if filters.category:
        where.append(R.c.category == filters.category)
    if filters.unit_code:
        unit = _unit_id(filters.unit_code)
        where.append(sa.or_(R.c.lead_unit_id == unit,
                            R.c.id.in_(sa.select(SUP.c.request_id).where(SUP.c.unit_id == unit))))
    if filters.overdue_only:
        where.append(overdue(today))
    return where


def _ordered_codes(where: list[sa.ColumnElement[bool]], statuses: tuple[str, ...], order: list[Any],
                   limit: int | None, offset: int) -> sa.Subquery:
    """The codes of one page of requests in `statuses`, in `order`: sorted from ix_request_open alone (status,
    quarter, community, deadline, raised_on, code), so only the page's own rows are read from the table."""
    return (sa.select(R.c.code).where(*where, R.c.status.in_(statuses)).order_by(*order).limit(limit).offset(offset)
            .subquery("page"))


def request_list(session: Session, *, scope: RequestScope, filters: RequestFilters, today: dt.date,
                 calendar: Calendar, limit: int | None = 200, offset: int = 0) -> tuple[pd.DataFrame, int]:
    """The quarter's requests, most urgent first: overdue (longest overdue first), then open by nearest deadline,
    then open without a deadline, then finished ones. `days_left` counts working days to the deadline for open
    requests (0: due today; negative: overdue by that many). Returns the page and how many match in all.

    Open requests always come before finished ones, so the page is read in two parts: the open ones, then, if the
    page is not full, the finished ones after as many as the open ones took."""
    where = _list_where(scope, filters, today)
    # Two counts, not one with a CASE per row: SQLite counts a quarter's 34,000 entries of its narrowest index in
    # 2.5 ms and the open ones from ix_request_open in 0.8, where one pass evaluating the status of each took 12 ms.
    total = int(session.execute(sa.select(sa.func.count()).select_from(R).where(*where)).scalar_one())
    n_open = int(session.execute(sa.select(sa.func.count()).select_from(R)
                                 .where(*where, R.c.status.in_(OPEN))).scalar_one())
    urgency = sa.case((R.c.deadline < today, 0), (R.c.deadline.is_not(None), 1), else_=2)
    order: list[Any] = [urgency, R.c.deadline, R.c.raised_on, R.c.code]
    parts = []
    if offset < n_open:
        parts.append((_ordered_codes(where, OPEN, order, limit, offset), order))
    taken = 0 if offset >= n_open else min(n_open - offset, limit if limit is not None else n_open)
    if (limit is None or taken < limit) and total > n_open:
        rest = None if limit is None else limit - taken
        done_order: list[Any] = [R.c.deadline, R.c.raised_on, R.c.code]
        parts.append((_ordered_codes(where, DONE, done_order, rest, max(0, offset - n_open)), done_order))
    rows: list[Any] = []
    for page_codes, part_order in parts:
        rows += session.execute(
            sa.select(R.c.code, R.c.raised_on, R.c.category, R.c.priority, R.c.description, U.c.code, U.c.name,
                      R.c.status, R.c.deadline, R.c.reopen_count, R.c.return_count, R.c.escalation_level,
                      R.c.version)
            .select_from(R).join(page_codes, page_codes.c.code == R.c.code)
            .join(U, U.c.id == R.c.lead_unit_id, isouter=True).order_by(*part_order)).all()
    deadlines = [r.deadline for r in rows if r.deadline is not None and r.status in OPEN]
    index = workday_index(calendar, min([*deadlines, today]), max([*deadlines, today]))
    next_wd = index.next_workday(today)
    out = []
    for r in rows:
        open_ = r.status in OPEN and r.deadline is not None
        out.append((r[0], r[1], str(r[2]), str(r[3]), r[4], r[5], r[6], str(r[7]), r.deadline,
                    index.between(today, r.deadline) if open_ else None,
                    bool(open_ and r.deadline < today), bool(open_ and today <= r.deadline <= next_wd),
                    bool(r.deadline is not None and not calendar.knows(r.deadline.year)),
                    int(r.reopen_count), int(r.return_count), int(r.escalation_level), int(r.version)))
    frame = pd.DataFrame(out, columns=LIST_COLUMNS)
    return frame.astype({"days_left": "Int64"}), total


HISTORY_COLUMNS = ["on", "at", "move", "from_status", "to_status", "actor", "from_unit", "to_unit", "reason_code",
                   "note", "result", "tries"]


def history(session: Session, code: str, *, party_id: int | None = None) -> pd.DataFrame:
    """A request's events and callbacks, oldest first; empty if there is no such request in the party's scope.

    A callback move's event carries its callback's result and tries (the n-th callback event gets the n-th
    callback); a callback without such an event is a row of its own."""
    where = [R.c.code == code]
    if party_id is not None:
        where.append(routed_to_party(R, party_id))
    request_id = session.execute(sa.select(R.c.id).where(*where)).scalar_one_or_none()
    if request_id is None:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    fu, tu = U.alias("from_unit"), U.alias("to_unit")
    events = session.execute(
        sa.select(EV.c.on, EV.c.at, EV.c.move, EV.c.from_status, EV.c.to_status, EV.c.actor, fu.c.code, tu.c.code,
                  EV.c.reason_code, EV.c.note)
        .select_from(EV).join(fu, fu.c.id == EV.c.from_unit_id, isouter=True)
        .join(tu, tu.c.id == EV.c.to_unit_id, isouter=True)
        .where(EV.c.request_id == request_id).order_by(EV.c.at, EV.c.id)).all()
    calls = list(session.execute(
        sa.select(CB.c.called_on, CB.c.at, CB.c.actor, CB.c.result, CB.c.tries, CB.c.note)
        .where(CB.c.request_id == request_id).order_by(CB.c.at, CB.c.id)).all())
    rows: list[tuple[Any, ...]] = []
    for e in events:
        row = [e[0], e[1], str(e[2]), _str(e[3]), _str(e[4]), e[5], e[6], e[7], _str(e[8]), e[9], None, None]
        if str(e[2]) == "callback" and calls:
            call = calls.pop(0)
            row[10], row[11] = str(call.result), int(call.tries)
        rows.append(tuple(row))
    for c in calls:
        rows.append((c.called_on, c.at, "callback", None, None, c.actor, None, None, None, c.note, str(c.result),
                     int(c.tries)))
    rows.sort(key=lambda r: (r[0] or r[1].date(), r[1]))
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS, dtype=object)   # None stays None, not NaN


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


UNIT_COLUMNS = ["code", "name", "kind", "community", "parent"]


def units(session: Session, *, party_id: int | None = None) -> pd.DataFrame:
    """Active units for pickers (community code and parent unit code beside each); only the party's own with
    `party_id`."""
    parent = U.alias("parent")
    stmt = (sa.select(U.c.code, U.c.name, U.c.kind, COMMUNITY.c.code, parent.c.code).select_from(U)
            .join(COMMUNITY, COMMUNITY.c.id == U.c.community_id, isouter=True)
            .join(parent, parent.c.id == U.c.parent_id, isouter=True)
            .where(U.c.is_active == sa.true()).order_by(COMMUNITY.c.code, U.c.kind, U.c.code))
    if party_id is not None:
        stmt = stmt.where(U.c.party_id == party_id)
    return pd.DataFrame([(c, n, str(k), cc, p) for c, n, k, cc, p in session.execute(stmt)], columns=UNIT_COLUMNS)


@dataclass(frozen=True)
class RequestsPage:
    summary: RequestSummary
    by_category: pd.DataFrame
    by_unit: pd.DataFrame
    trend: pd.DataFrame
    requests: pd.DataFrame
    total: int


def page(engine: Engine, *, scope: RequestScope, filters: RequestFilters, today: dt.date,
         calendar: Calendar | None = None, quarters: int = 6, limit: int = 200) -> RequestsPage:
    """Everything the 直播治理诉求 page shows for a scope, its queries run side by side (dashboard.db.gather).
    The summary is read off the trend's figures (its two quarters are the trend's last two)."""
    if calendar is None:
        with engine.connect() as conn:
            calendar = workdays.load(conn)
    cal = calendar
    tasks: dict[str, Callable[[Session], object]] = {
        "figures": lambda s: figures(s, scope=scope, quarters=quarters_back(scope.quarter, max(quarters, 2)),
                                     today=today, calendar=cal),
        "list": lambda s: request_list(s, scope=scope, filters=filters, today=today, calendar=cal, limit=limit),
        "by_category": lambda s: by_category(s, scope=scope, today=today),
        "by_unit": lambda s: by_unit(s, scope=scope, today=today),
        "unknown": lambda s: unknown_deadline_years(s, scope=scope, calendar=cal),
    }
    r = gather(engine, tasks)
    rows, total = r["list"]
    by_q = r["figures"]
    return RequestsPage(_summary(by_q, scope.quarter, r["unknown"]), r["by_category"], r["by_unit"],
                        _trend(dict(list(by_q.items())[-quarters:])), rows, total)
