"""直播治理诉求 page data: the figures and rates per quarter, by category, by unit, the trend, the list, a history.

The period is the requests raised in the quarter, each as it stands today: a request raised last quarter and still
open past its deadline counts as overdue now, and against that quarter's on-time rate. Every figure is counted in
SQL (GROUP BY); only the rates' division happens in Python (dashboard/services/request_rates.py).
A scope with `party_id` (government, platform and association staff) counts only the requests routed to a unit
that party acts for, as lead or as supporter, in every figure, the list and the history.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.db import gather
from dashboard.excel.writer import routed_to_party
from dashboard.periods import previous_quarter, quarter_bounds
from dashboard.queries.sqlfuncs import count_if, days_between
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

OPEN = ("collected", "classified", "routed", "in_progress")
DONE = ("resolved", "reported", "closed")          # 已办结 and after: resolved_on set, outcome agreed
ANSWERED = ("satisfied", "basically_satisfied", "dissatisfied")


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


def _is(column: sa.ColumnElement[Any], value: str) -> sa.ColumnElement[bool]:
    """column = value, false (not NULL) where the column is empty."""
    return sa.and_(column.is_not(None), column == value)


FINISHED = R.c.status.in_(DONE)
UNREASONABLE = sa.and_(FINISHED, _is(R.c.outcome, "unreasonable"))
COUNTED = sa.and_(FINISHED, sa.or_(R.c.outcome.is_(None), R.c.outcome != "unreasonable"))


def _overdue(today: dt.date) -> sa.ColumnElement[bool]:
    return sa.and_(R.c.status.in_(OPEN), R.c.deadline < today)


def _where(scope: RequestScope, quarters: list[str] | None = None) -> list[sa.ColumnElement[bool]]:
    quarters = quarters or [scope.quarter]
    out = [R.c.quarter == quarters[0] if len(quarters) == 1 else R.c.quarter.in_(quarters)]
    if scope.community_id is not None:
        out.append(R.c.community_id == scope.community_id)
    if scope.party_id is not None:
        out.append(routed_to_party(R, scope.party_id))
    return out


class WorkdayIndex:
    """The calendar's working days from `start` to `end` read once (the package takes ~40 µs a day), then counted
    by lookups: how many working days lie between two days, which is the next working day after one."""

    def __init__(self, calendar: Calendar, start: dt.date, end: dt.date) -> None:
        self.start, self.end = start, end
        self._count: list[int] = []          # working days in [start, start + i]
        self._next: list[dt.date] = []       # the first working day after start + i (filled from the end)
        n = 0
        days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
        flags = [calendar.is_workday(d) for d in days]
        for flag in flags:
            n += flag
            self._count.append(n)
        after = calendar.add_working_days(end, 1)
        for d, flag in zip(reversed(days), reversed(flags), strict=True):
            self._next.append(after)
            if flag:
                after = d
        self._next.reverse()

    def between(self, a: dt.date, b: dt.date) -> int:
        """Working days after `a` up to and including `b` (negative when `b` is before `a`), as
        Calendar.working_days_between."""
        return self._count[(b - self.start).days] - self._count[(a - self.start).days]

    def next_workday(self, day: dt.date) -> dt.date:
        return self._next[(day - self.start).days]


def quarters_back(quarter: str, n: int) -> list[str]:
    """`n` quarters ending with `quarter`, oldest first."""
    out = [quarter]
    while len(out) < n:
        out.append(previous_quarter(out[-1]))
    return out[::-1]


def _lag_bucket(cap: int) -> sa.ColumnElement[int]:
    lag = days_between(R.c.raised_on, R.c.first_routed_on)
    return sa.case((lag > cap, cap + 1), else_=lag)


def figures(session: Session, *, scope: RequestScope, quarters: list[str], today: dt.date,
            calendar: Calendar) -> dict[str, RequestFigures]:
    """The figures of each quarter in `quarters` (scope.quarter is ignored), in three GROUP BY queries.

    响应率's «within one working day» depends on the day a request was raised. SQL cannot count working days, so
    the database returns how many requests were raised on each day and first routed 0, 1, 2, ... calendar days
    later (a histogram of a few hundred rows, capped at the longest holiday gap); a request counts when its lag
    does not pass that day's next working day."""
    first, last = quarter_bounds(quarters[0])[0], quarter_bounds(quarters[-1])[1]
    index = WorkdayIndex(calendar, first, max(last, today) + dt.timedelta(days=1))
    gap = {first + dt.timedelta(days=i): (index.next_workday(first + dt.timedelta(days=i))
                                          - (first + dt.timedelta(days=i))).days
           for i in range((last - first).days + 1)}
    cap = max(gap.values())
    next_wd = index.next_workday(today)
    where = _where(scope, quarters)
    stmt = (sa.select(
        R.c.quarter, sa.func.count(), count_if(R.c.status.in_(OPEN)), count_if(FINISHED),
        count_if(sa.and_(FINISHED, _is(R.c.outcome, "solved"))),
        count_if(sa.and_(FINISHED, _is(R.c.outcome, "partly_solved"))),
        count_if(COUNTED), count_if(sa.and_(COUNTED, R.c.resolved_on <= R.c.deadline)),
        count_if(_overdue(today)),
        count_if(sa.and_(R.c.status.in_(OPEN), R.c.deadline >= today, R.c.deadline <= next_wd)),
        count_if(UNREASONABLE), count_if(R.c.reopen_count > 0), count_if(R.c.return_count > 0),
    ).where(*where).group_by(R.c.quarter))
    counts = {row[0]: [int(v) for v in row[1:]] for row in session.execute(stmt)}
    bucket = _lag_bucket(cap)
    in_time: dict[str, int] = {}
    lag_stmt = (sa.select(R.c.quarter, R.c.raised_on, bucket, sa.func.count())
                .where(*where, R.c.first_routed_on.is_not(None)).group_by(R.c.quarter, R.c.raised_on, bucket))
    for q, raised_on, lag, n in session.execute(lag_stmt):
        if raised_on in gap and lag <= gap[raised_on]:
            in_time[q] = in_time.get(q, 0) + int(n)
    calls: dict[tuple[str, str], int] = {}
    cb_stmt = (sa.select(R.c.quarter, CB.c.result, sa.func.count()).select_from(CB).join(R, R.c.id == CB.c.request_id)
               .where(*where, sa.not_(UNREASONABLE)).group_by(R.c.quarter, CB.c.result))
    for q, result, n in session.execute(cb_stmt):
        calls[(q, str(result))] = int(n)
    out = {}
    for q in quarters:
        (collected, open_, finished, solved, partly, counted, on_time, overdue, at_risk, unreasonable,
         reopened, sent_back) = counts.get(q, [0] * 12)
        answered = sum(calls.get((q, r), 0) for r in ANSWERED)
        out[q] = RequestFigures(
            quarter=q, collected=collected, open=open_, finished=finished,
            response=response_rate(in_time.get(q, 0), collected), resolution=resolution_rate(solved, partly, counted),
            satisfaction=satisfaction_rate(calls.get((q, "satisfied"), 0), calls.get((q, "basically_satisfied"), 0),
                                           answered),
            on_time=on_time_rate(on_time, counted, overdue), overdue=overdue, at_risk=at_risk,
            unreasonable=unreasonable, unreachable=calls.get((q, "unreachable"), 0), reopened=reopened,
            sent_back=sent_back)
    return out


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


def by_category(session: Session, *, scope: RequestScope, today: dt.date) -> pd.DataFrame:
    """The quarter's requests per category, most first, with each category's 解决率."""
    stmt = (sa.select(R.c.category, sa.func.count(), count_if(R.c.status.in_(OPEN)), count_if(FINISHED),
                      count_if(_overdue(today)), count_if(UNREASONABLE),
                      count_if(sa.and_(FINISHED, _is(R.c.outcome, "solved"))),
                      count_if(sa.and_(FINISHED, _is(R.c.outcome, "partly_solved"))), count_if(COUNTED))
            .where(*_where(scope)).group_by(R.c.category).order_by(sa.func.count().desc(), R.c.category))
    rows = []
    for category, collected, open_, finished, overdue, unreasonable, solved, partly, counted in session.execute(stmt):
        rate = resolution_rate(int(solved), int(partly), int(counted))
        rows.append((str(category), int(collected), int(open_), int(finished), int(overdue), int(unreasonable),
                     rate.numerator, rate.denominator, rate.value))
    return pd.DataFrame(rows, columns=BY_CATEGORY_COLUMNS).astype({"resolution_rate": float})


BY_UNIT_COLUMNS = ["rank", "unit_code", "unit_name", "requests", "on_time_numerator", "on_time_denominator",
                   "on_time_rate"]


def by_unit(session: Session, *, scope: RequestScope, today: dt.date) -> pd.DataFrame:
    """Lead units by on-time rate (request_rates.unit_ranking): `rank` is empty for a unit with fewer than 5
    requests in the quarter, or with nothing finished or due yet."""
    stmt = (sa.select(U.c.code, U.c.name, sa.func.count(), count_if(sa.and_(COUNTED, R.c.resolved_on <= R.c.deadline)),
                      count_if(COUNTED), count_if(_overdue(today)))
            .select_from(R).join(U, U.c.id == R.c.lead_unit_id).where(*_where(scope))
            .group_by(U.c.id, U.c.code, U.c.name))
    ranked = unit_ranking(UnitCounts(code, name, int(n), int(on_time), int(finished), int(overdue))
                          for code, name, n, on_time, finished, overdue in session.execute(stmt))
    return pd.DataFrame([(u.rank, u.unit_code, u.unit_name, u.requests, int(u.on_time.numerator),
                          u.on_time.denominator, u.on_time.value) for u in ranked],
                        columns=BY_UNIT_COLUMNS).astype({"rank": "Int64", "on_time_rate": float})


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
        where.append(_overdue(today))
    return where


def request_list(session: Session, *, scope: RequestScope, filters: RequestFilters, today: dt.date,
                 calendar: Calendar, limit: int | None = 200, offset: int = 0) -> tuple[pd.DataFrame, int]:
    """The quarter's requests, most urgent first: overdue (longest overdue first), then open by nearest deadline,
    then open without a deadline, then finished ones. `days_left` counts working days to the deadline for open
    requests (0: due today; negative: overdue by that many). Returns the page and how many match in all."""
    where = _list_where(scope, filters, today)
    total = int(session.execute(sa.select(sa.func.count()).select_from(R).where(*where)).scalar_one())
    is_open = R.c.status.in_(OPEN)
    urgency = sa.case((_overdue(today), 0), (sa.and_(is_open, R.c.deadline.is_not(None)), 1), (is_open, 2), else_=3)
    stmt = (sa.select(R.c.code, R.c.raised_on, R.c.category, R.c.priority, R.c.description, U.c.code, U.c.name,
                      R.c.status, R.c.deadline, R.c.reopen_count, R.c.return_count, R.c.escalation_level,
                      R.c.version)
            .select_from(R).join(U, U.c.id == R.c.lead_unit_id, isouter=True).where(*where)
            .order_by(urgency, R.c.deadline, R.c.raised_on, R.c.code).limit(limit).offset(offset))
    rows = session.execute(stmt).all()
    deadlines = [r.deadline for r in rows if r.deadline is not None and r.status in OPEN]
    index = WorkdayIndex(calendar, min([*deadlines, today]), max([*deadlines, today]))
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
