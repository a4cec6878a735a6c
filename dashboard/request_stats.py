"""request_stats: the 直播治理诉求 figures that do not depend on today, kept current on write.

One row per community, quarter, category and lead unit. The page's trend and summary count six quarters of every
community, its table by category and its unit ranking the quarter's: at province scale (200,000 requests) that took
most of a second each time; summing this table's few thousand rows takes a few milliseconds. What depends on today
(open requests past or near their deadline) is not kept here: the page counts it live from the open requests only.

Every writer of requests refreshes the (community, quarter) pairs it touched (every row of the pair), in its own
transaction, after its audit entry (so every writer takes the audit lock before this table's):
* a lifecycle move names its request's pair (request_steps.write calls touch); a request made through the ORM
  (collect) is noticed after each flush. The session refreshes its pairs when it commits, once per pair: a callback's
  row, written after its move, is counted, and an escalation run over thousands of requests refreshes each pair once.
  figures() in the same session refreshes them first (flush_pending). A caller that commits the connection itself,
  not the session, calls flush_pending before.
* an import of requests or its undo: the batch's pairs; an import of calendar days: every pair (after_import);
* the seed: every pair (refresh_all).
refresh() counts with the same expressions as the live queries (COUNTS, histogram, callback_counts), so
both give the same numbers (tests/test_request_stats.py). The deadlines per priority are not read here: a request's
deadline is stored when it is routed, so a change of the SLA table changes no count.
"""

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, orm
from sqlalchemy.engine import Connection

from dashboard import locks
from dashboard.bulk import among
from dashboard.periods import quarter_bounds, quarter_key
from dashboard.queries.sqlfuncs import count_if
from dashboard.services import workdays
from dashboard.services.workdays import Calendar
from data_models import CalendarDay, Request, RequestCallback, RequestStat
from data_models.base import table_of

R = table_of(Request)
CB = table_of(RequestCallback)
STATS = table_of(RequestStat)

Pair = tuple[int, str]            # (community_id, quarter)
LOCK = "request_stats"
PENDING = "request_stats_pending"    # session.info key: the pairs this session's writes touched

OPEN = ("collected", "classified", "routed", "in_progress")
DONE = ("resolved", "reported", "closed")          # 已办结 and after: resolved_on set, outcome agreed
ANSWERED = ("satisfied", "basically_satisfied", "dissatisfied")
CALLBACK_RESULTS = (*ANSWERED, "unreachable")


def is_(column: sa.ColumnElement[Any], value: str) -> sa.ColumnElement[bool]:
    """column = value, false (not NULL) where the column is empty."""
    return sa.and_(column.is_not(None), column == value)


FINISHED = R.c.status.in_(DONE)
UNREASONABLE = sa.and_(FINISHED, is_(R.c.outcome, "unreasonable"))
COUNTED = sa.and_(FINISHED, sa.or_(R.c.outcome.is_(None), R.c.outcome != "unreasonable"))
ON_TIME = sa.and_(COUNTED, R.c.resolved_on <= R.c.deadline)
# Finished with no deadline: settled by a 五步协商 case, which has none. Neither on time nor late: out of the
# 按期办结率.
UNTIMED = sa.and_(COUNTED, R.c.deadline.is_(None))

# The counts that do not depend on today, by the name of their column in request_stats.
COUNTS: dict[str, sa.ColumnElement[Any]] = {
    "collected": sa.func.count(),
    "finished": count_if(FINISHED),
    "solved": count_if(sa.and_(FINISHED, is_(R.c.outcome, "solved"))),
    "partly_solved": count_if(sa.and_(FINISHED, is_(R.c.outcome, "partly_solved"))),
    "counted": count_if(COUNTED),
    "on_time": count_if(ON_TIME),
    "untimed": count_if(UNTIMED),
    "unreasonable": count_if(UNREASONABLE),
    "reopened": count_if(R.c.reopen_count > 0),
    "sent_back": count_if(R.c.return_count > 0),
}
CALLBACK_COLUMNS = {f"cb_{r}": r for r in CALLBACK_RESULTS}
COLUMNS = [*COUNTS, "responded", *CALLBACK_COLUMNS]
NO_UNIT = 0                       # lead_unit_id of a request not routed yet
KEYS = {"community_id": R.c.community_id, "quarter": R.c.quarter, "category": R.c.category,
        "lead_unit_id": sa.func.coalesce(R.c.lead_unit_id, NO_UNIT)}


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


def workday_index(calendar: Calendar, start: dt.date, end: dt.date) -> WorkdayIndex:
    """A WorkdayIndex, built once per calendar (the admin's days) and span: a move recounts its quarter's 响应率 with
    the days of that quarter, which cost ~40 µs each to ask the package."""
    return _workday_index(tuple(sorted(calendar.overrides.items())), start, end)


@lru_cache(maxsize=64)
def _workday_index(overrides: tuple[tuple[dt.date, bool], ...], start: dt.date, end: dt.date) -> WorkdayIndex:
    return WorkdayIndex(Calendar(dict(overrides)), start, end)


# --- the counts, keyed by any grouping (the live figures by quarter, the refresh by request_stats's key) ---------

def histogram(where: Sequence[sa.ColumnElement[bool]], keys: Sequence[sa.ColumnElement[Any]]) -> sa.Select[Any]:
    """How many requests were raised on each day and first routed on each day, per `keys` (for tally_responded)."""
    return (sa.select(*keys, R.c.raised_on, R.c.first_routed_on, sa.func.count())
            .where(*where, R.c.first_routed_on.is_not(None)).group_by(*keys, R.c.raised_on, R.c.first_routed_on))


def tally_responded(rows: Sequence[Any], calendar: Calendar) -> dict[tuple[Any, ...], int]:
    """How many requests were first routed within one working day of being raised, per key, from a histogram's rows
    (the keys first, then raised_on, first_routed_on and the count).

    SQL cannot count working days: the database returns how many requests were raised on each day and first routed
    on each day (a few hundred rows per community-quarter), and a pair counts when the routing day is not after the
    raising day's next working day on the calendar."""
    if not rows:
        return {}
    n = len(rows[0]) - 3
    days = [r[n] for r in rows]
    first, last = min(days), max(days)
    # Whole quarters, so that every move of a quarter finds the same index in the cache.
    index = workday_index(calendar, quarter_bounds(quarter_key(first))[0], quarter_bounds(quarter_key(last))[1])
    out: dict[tuple[Any, ...], int] = {}
    for row in rows:
        if row[n + 1] <= index.next_workday(row[n]):
            key = tuple(row[:n])
            out[key] = out.get(key, 0) + int(row[n + 2])
    return out


def callback_counts(where: Sequence[sa.ColumnElement[bool]],
                    keys: Sequence[sa.ColumnElement[Any]]) -> sa.Select[Any]:
    """The callbacks by result per `keys` (columns cb_<result>), of requests that are not 不合理诉求 (they are left
    out of every rate but the 响应率)."""
    return (sa.select(*keys, *[count_if(CB.c.result == r).label(c) for c, r in CALLBACK_COLUMNS.items()])
            .select_from(CB).join(R, R.c.id == CB.c.request_id)
            .where(*where, sa.not_(UNREASONABLE)).group_by(*keys))


# --- refreshing ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Refresh:
    """The statements of a refresh, built once (building them costs more than running them for one pair): for the
    pairs of one quarter (:quarter, :communities) or, unscoped, for every pair."""

    delete: sa.Delete
    insert: sa.Insert
    histogram: sa.Select[Any]
    responded: sa.Update


@lru_cache(maxsize=2)
def _statements(scoped: bool) -> _Refresh:
    def where(table: sa.Table) -> list[sa.ColumnElement[bool]]:
        if not scoped:
            return []
        return [table.c.quarter == sa.bindparam("quarter"),
                table.c.community_id.in_(sa.bindparam("communities", expanding=True))]

    keys = [e.label(n) for n, e in KEYS.items()]
    counts = (sa.select(*keys, *[e.label(n) for n, e in COUNTS.items()]).where(*where(R))
              .group_by(*KEYS.values()).subquery("counts"))
    calls = callback_counts(where(R), keys).subquery("calls")
    rows = (sa.select(*[counts.c[n] for n in KEYS], *[counts.c[n] for n in COUNTS], sa.literal(0),
                      *[sa.func.coalesce(calls.c[c], 0) for c in CALLBACK_COLUMNS])
            .select_from(counts.outerjoin(calls, sa.and_(*(calls.c[n] == counts.c[n] for n in KEYS)))))
    return _Refresh(
        delete=STATS.delete().where(*where(STATS)),
        insert=STATS.insert().from_select([*KEYS, *COLUMNS], rows),
        histogram=histogram(where(R), list(KEYS.values())),
        responded=(STATS.update().where(*(STATS.c[n] == sa.bindparam(f"_{n}") for n in KEYS))
                   .values(responded=sa.bindparam("_n"))))


def _recount(conn: Connection, params: dict[str, Any], calendar: Calendar) -> None:
    """DELETE the rows of the pairs `params` name (all without), INSERT … SELECT … GROUP BY them again, then set
    their 响应 counts."""
    do = _statements(bool(params))
    conn.execute(do.delete, params)
    conn.execute(do.insert, params)
    responded = tally_responded(conn.execute(do.histogram, params).all(), calendar)
    if responded:
        conn.execute(do.responded, [{**{f"_{n}": v for n, v in zip(KEYS, key, strict=True)}, "_n": n}
                                    for key, n in responded.items()])


def refresh(conn: Connection, pairs: Collection[Pair], calendar: Calendar | None = None) -> None:
    """Recount the given (community_id, quarter) pairs inside the caller's transaction: DELETE their rows, then
    INSERT … SELECT … GROUP BY from the requests (a pair without requests is left without rows), one quarter at a
    time. Holds the table's lock to the end of the transaction: call it after the transaction's audit entry."""
    if not pairs:
        return
    locks.serialise(conn, LOCK)
    calendar = calendar if calendar is not None else workdays.load(conn)
    by_quarter: dict[str, set[int]] = {}
    for community_id, quarter in pairs:
        by_quarter.setdefault(quarter, set()).add(community_id)
    for quarter, communities in sorted(by_quarter.items()):
        _recount(conn, {"quarter": quarter, "communities": sorted(communities)}, calendar)


def refresh_all(conn: Connection, calendar: Calendar | None = None) -> None:
    """Recount every pair (after the seed, or a change of the calendar)."""
    locks.serialise(conn, LOCK)
    _recount(conn, {}, calendar if calendar is not None else workdays.load(conn))


def refill_in_migration(conn: Connection) -> bool:
    """refresh_all from a migration, if the table as it stands then has every column today's code fills; False (and
    nothing written) otherwise: the later migration that changed the table fills it."""
    present = {c["name"] for c in sa.inspect(conn).get_columns(STATS.name)}
    if not set(COLUMNS) <= present:
        return False
    refresh_all(conn)
    return True


def pairs_of(conn: Connection, table: sa.Table, codes: Collection[str]) -> set[Pair]:
    """The pairs of the requests with these codes (none if `table` is not the request table)."""
    if table.name != R.name or not codes:
        return set()
    rows = conn.execute(sa.select(R.c.community_id, R.c.quarter).where(among(conn, R.c.code, codes)).distinct())
    return {(int(c), str(q)) for c, q in rows}


def after_import(conn: Connection, table: sa.Table, codes: Collection[str], before: set[Pair]) -> None:
    """After an import or its undo has written `table`: recount the pairs its requests were in (`before`, from
    pairs_of before the write) and are in now; every pair after a change of the working-day calendar."""
    if table.name == R.name:
        refresh(conn, before | pairs_of(conn, table, codes))
    elif table.name == table_of(CalendarDay).name:
        refresh_all(conn)


def _kept_where(quarters: Sequence[str], community_id: int | None) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [STATS.c.quarter.in_(quarters)]
    if community_id is not None:
        where.append(STATS.c.community_id == community_id)
    return where


def read(conn: Connection, *, quarters: Sequence[str], community_id: int | None,
         by: str = "quarter", columns: Sequence[str] = COLUMNS) -> dict[Any, dict[str, int]]:
    """The kept counts (`columns`, all by default) of the `quarters`, summed over the communities (or of one) per `by`
    (quarter, category or lead_unit_id; requests not routed yet are left out per lead unit)."""
    stmt = read_select(quarters=quarters, community_id=community_id, by=by, columns=columns)
    return {row[0]: {n: int(v or 0) for n, v in zip(columns, row[1:], strict=True)} for row in conn.execute(stmt)}


def read_select(*, quarters: Sequence[str], community_id: int | None, by: str,
                columns: Sequence[str]) -> sa.Select[Any]:
    """read's statement: `by`, then the sum of each of `columns` (labelled with its name), per `by`."""
    where = _kept_where(quarters, community_id)
    if by == "lead_unit_id":
        where.append(STATS.c.lead_unit_id != NO_UNIT)
    return (sa.select(STATS.c[by], *[sa.func.sum(STATS.c[n]).label(n) for n in columns]).where(*where)
            .group_by(STATS.c[by]))


# --- the session's pairs, refreshed when it commits ----------------------------------------------------------------

def touch(session: orm.Session, community_id: int, quarter: str) -> None:
    """This session's transaction changed a request of the pair: refresh it before the session commits."""
    session.info.setdefault(PENDING, set()).add((int(community_id), str(quarter)))


def flush_pending(session: orm.Session) -> None:
    """Refresh the pairs this session touched, now (its ORM changes flushed first, so new requests are seen)."""
    session.flush()
    pairs = session.info.pop(PENDING, None)
    if pairs:
        refresh(session.connection(), pairs)


@event.listens_for(orm.Session, "after_flush")
def _seen_in_flush(session: orm.Session, _context: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Request) and obj.community_id is not None and obj.quarter is not None:
            touch(session, obj.community_id, obj.quarter)
            state = sa.inspect(obj)
            old_c = state.attrs.community_id.history.deleted or [obj.community_id]
            old_q = state.attrs.quarter.history.deleted or [obj.quarter]
            if old_c[0] is not None and old_q[0] is not None:
                touch(session, old_c[0], old_q[0])


@event.listens_for(orm.Session, "before_commit")
def _refresh_on_commit(session: orm.Session) -> None:
    if PENDING in session.info or session.new or session.deleted or session.dirty:
        flush_pending(session)


@event.listens_for(orm.Session, "after_soft_rollback")
def _forget_on_rollback(session: orm.Session, previous_transaction: orm.SessionTransaction) -> None:
    if previous_transaction.parent is None:        # the whole transaction, not a savepoint
        session.info.pop(PENDING, None)
