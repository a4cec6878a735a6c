"""季度汇报 counts in SQL: each area's figures for a quarter, the quarter before and the same quarter a year ago,
read by the area pages' own rules, in one statement per kind of row (quarter IN (...) GROUP BY quarter, or one
CASE column per quarter where a figure is not bound to the rows' own quarter).

Every function takes the three quarters and returns plain numbers per quarter (and per category for the charts);
dashboard/report/figures.py turns them into the report's figures. Where an area keeps a summary table (requests:
request_stats, training: training_stats) the count is read from it, as the area's page reads it. `one_state` holds
the dozen statements to one state of the database, so a write committed meanwhile is in all of them or in none.
"""

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard import request_stats
from dashboard import training_stats as ts
from dashboard.periods import quarter_bounds
from dashboard.queries.sqlfuncs import count_if, quarter_of
from data_models import (
    ActionItem,
    Community,
    Cooperative,
    Course,
    Decision,
    DistributionLine,
    DistributionRun,
    FundSpending,
    LivestreamSession,
    Meeting,
    NeedAssessment,
    Party,
    Practitioner,
    Sale,
)
from data_models.base import table_of
from data_models.training_stats import EVERYONE

N = table_of(NeedAssessment)
P = table_of(Practitioner)
SALE = table_of(Sale)
COOP = table_of(Cooperative)
FUND = table_of(FundSpending)
RUN = table_of(DistributionRun)
LINE = table_of(DistributionLine)
LIVE = table_of(LivestreamSession)
M = table_of(Meeting)
DEC = table_of(Decision)
X = table_of(ActionItem)
PARTY = table_of(Party)
COMMUNITY = table_of(Community)
COURSE = table_of(Course)

SATISFIED = 4             # a need's feedback scored 4 or 5 of 5 counts as satisfied
ACTION_OPEN = ("open", "in_progress")

ByQuarter = dict[str, dict[str, int]]          # quarter -> figure name -> count (or cents)
ByCode = dict[tuple[str, str], int]            # (quarter, category code) -> count (or cents)


def _community(column: sa.ColumnElement[Any], community_id: int | None) -> list[sa.ColumnElement[bool]]:
    return [] if community_id is None else [column == community_id]


def _in_quarter(column: sa.ColumnElement[Any], quarter: str) -> sa.ColumnElement[bool]:
    start, end = quarter_bounds(quarter)
    return column.between(start, end)


def _quarter_of(column: sa.ColumnElement[Any], quarters: Sequence[str]) -> sa.ColumnElement[str]:
    """The quarter of `quarters` a date column falls in (NULL in none), for a table that keeps no quarter key."""
    return sa.case(*((_in_quarter(column, q), q) for q in quarters))


def _sum(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return sa.func.coalesce(sa.func.sum(column), 0)


@contextmanager
def one_state(session: Session) -> Iterator[bool]:
    """Every read of the block from one state of the database: on PostgreSQL a REPEATABLE READ, READ ONLY
    transaction (one snapshot for all statements; at the default READ COMMITTED each statement sees what was
    committed before it, and a chart read after a write would not add up to a total read before it); on SQLite one
    deferred transaction (in WAL mode its first read fixes what the rest see). It ends with the block: nothing was
    written. Yields False, changing nothing, when the session is in a transaction already: the caller's, whose own
    uncommitted writes the reads must see."""
    if session.in_transaction():
        yield False
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")       # pysqlite begins only before a write: each SELECT would stand alone
    try:
        yield True
    finally:
        session.rollback()


def catch_up_training(session: Session) -> None:
    """Recount training_stats' dirty pairs (in a transaction of their own) before `one_state` begins: a recount
    committed after the snapshot was taken would not be seen in it."""
    engine = session.get_bind()
    assert isinstance(engine, sa.Engine)
    with engine.connect() as conn:
        ts.catch_up(engine, conn)


def community_name(session: Session, community_id: int) -> tuple[str, str] | None:
    """(code, name) of the community, None if there is none with that id."""
    row = session.execute(sa.select(COMMUNITY.c.code, COMMUNITY.c.name).where(COMMUNITY.c.id == community_id)).first()
    return None if row is None else (str(row[0]), str(row[1]))


# --- needs (dashboard/queries/needs.py, needs_board.py) --------------------------------------------------------------

@dataclass(frozen=True)
class NeedsCounts:
    """One community's (or every) needs loop per quarter, by the 需求评估 page's rules."""

    practitioners: dict[str, int]      # registered by the quarter's end (needs.profile)
    identified: dict[str, int]         # identified in the quarter (needs_summary)
    closed: dict[str, int]             # closed in the quarter
    open_at_end: dict[str, int]        # identified by the quarter's end and not closed by then
    identified_closed: dict[str, int]  # of those identified in it, closed by now (the loop funnel's last step)
    scored: dict[str, int]             # feedback given in the quarter with a satisfaction score
    satisfied: dict[str, int]          # of those, scored 4 or 5
    by_category: ByCode                # identified per quarter and category


def needs_counts(session: Session, *, community_id: int | None, quarters: Sequence[str]) -> NeedsCounts:
    """Two statements: the practitioners registered by each quarter's end, and the needs grouped by the quarter
    they were identified in, closed in and given feedback in (and category and score), from which every figure of
    each quarter is a sum. Quarter keys sort as their dates do, so "identified by the end of q" is iq <= q."""
    reg = [count_if(P.c.registered_on <= quarter_bounds(q)[1]) for q in quarters]
    registered = session.execute(sa.select(*reg).where(*_community(P.c.community_id, community_id))).one()
    cq, fq = quarter_of(N.c.closed_on), quarter_of(N.c.feedback_on)
    keys = (N.c.quarter, N.c.category, cq, fq)
    stmt = (sa.select(*keys, sa.func.count(), sa.func.count(N.c.satisfaction), count_if(N.c.satisfaction >= SATISFIED))
            .where(*_community(N.c.community_id, community_id)).group_by(*keys))
    def zeros() -> dict[str, int]:
        return dict.fromkeys(quarters, 0)

    out = NeedsCounts({q: int(n) for q, n in zip(quarters, registered, strict=True)}, zeros(), zeros(), zeros(),
                      zeros(), zeros(), zeros(), {})
    for iq, category, closed_q, feedback_q, n, scored, satisfied in session.execute(stmt):
        n = int(n)
        for q in quarters:
            if iq == q:
                out.identified[q] += n
                out.by_category[(q, str(category))] = out.by_category.get((q, str(category)), 0) + n
                if closed_q is not None:
                    out.identified_closed[q] += n
            if closed_q == q:
                out.closed[q] += n
            if iq <= q and (closed_q is None or closed_q > q):
                out.open_at_end[q] += n
            if feedback_q == q:
                out.scored[q] += int(scored)
                out.satisfied[q] += int(satisfied)
    return out


# --- training (dashboard/queries/training.py, training_stats) ------------------------------------------------------

TRAINING = ("enrolled", "completed", "certified", "m3_reached", "m3_employed")


def _stats_current(session: Session, community_id: int | None, quarters: Sequence[str]) -> bool:
    """No (community, quarter) pair of the scope is marked dirty: training_stats holds them as the enrolments do."""
    dirty = sa.select(ts.DIRTY.c.quarter).where(ts.DIRTY.c.quarter.in_(quarters),
                                                *_community(ts.DIRTY.c.community_id, community_id)).limit(1)
    return session.execute(dirty).first() is None


def training_by_level(session: Session, *, community_id: int | None, quarters: Sequence[str],
                      caught_up: bool = False) -> dict[tuple[str, str], dict[str, int]]:
    """The 培训成效 funnel's counts the report shows (TRAINING) per enrolment quarter and course level, as the page
    counts them (training_board): summed from training_stats once it has caught up with the latest writes, or
    counted from the enrolments and their follow-ups when its lock cannot be had. `caught_up`: the caller recounted
    it before its snapshot began (catch_up_training); a pair of the scope still dirty in the snapshot (written
    since) is then counted from the enrolments in it, not caught up (the recount would not be seen)."""
    engine = session.get_bind()
    assert isinstance(engine, sa.Engine)
    kept = _stats_current(session, community_id, quarters) if caught_up else ts.catch_up(engine, session.connection())
    if kept:
        s = ts.STATS
        keys: tuple[sa.ColumnElement[Any], ...] = (s.c.quarter, COURSE.c.level)
        stmt = (sa.select(*keys, *(_sum(s.c[n]) for n in TRAINING))
                .select_from(s.join(COURSE, COURSE.c.id == s.c.course_id))
                .where(s.c.grp == EVERYONE, s.c.quarter.in_(quarters), *_community(s.c.community_id, community_id)))
    else:
        counts = ts.kept_counts()
        keys = (ts.E.c.quarter, COURSE.c.level)
        stmt = (sa.select(*keys, *(counts[n] for n in TRAINING))
                .select_from(ts.with_followups(ts.E.join(COURSE, COURSE.c.id == ts.E.c.course_id)))
                .where(ts.E.c.quarter.in_(quarters), *_community(ts.E.c.community_id, community_id)))
    return {(str(q), str(level)): {n: int(v) for n, v in zip(TRAINING, values, strict=True)}
            for q, level, *values in session.execute(stmt.group_by(*keys))}


# --- cooperative (dashboard/queries/overview.py sales, cooperative.py) ------------------------------------------------

def sales_by_channel(session: Session, *, community_id: int | None, quarters: Sequence[str]) -> dict[
        tuple[str, str], tuple[int, int, int]]:
    """(orders, revenue cents, cost cents) per quarter and sales channel, by the sale's own community and quarter."""
    stmt = (sa.select(SALE.c.quarter, SALE.c.channel, sa.func.count(), _sum(SALE.c.revenue_cents),
                      _sum(SALE.c.cost_cents))
            .where(SALE.c.quarter.in_(quarters), *_community(SALE.c.community_id, community_id))
            .group_by(SALE.c.quarter, SALE.c.channel))
    return {(str(q), str(c)): (int(n), int(r), int(k)) for q, c, n, r, k in session.execute(stmt)}


def _coop_join(table: sa.Table, community_id: int | None) -> tuple[sa.FromClause, list[sa.ColumnElement[bool]]]:
    if community_id is None:
        return table, []
    return table.join(COOP, COOP.c.id == table.c.cooperative_id), [COOP.c.community_id == community_id]


def fund_spent(session: Session, *, community_id: int | None, quarters: Sequence[str]) -> dict[str, int]:
    """Public-fund spending per quarter of its day, of the cooperatives of the community (overview.sales)."""
    base, where = _coop_join(FUND, community_id)
    quarter = _quarter_of(FUND.c.spent_on, quarters)
    stmt = (sa.select(quarter, _sum(FUND.c.amount_cents)).select_from(base)
            .where(*where, sa.or_(*(_in_quarter(FUND.c.spent_on, q) for q in quarters))).group_by(quarter))
    return {str(q): int(v) for q, v in session.execute(stmt)}


def member_payouts(session: Session, *, community_id: int | None, quarters: Sequence[str]) -> dict[
        str, tuple[int, int]]:
    """(cents paid to members, members paid) per quarter, from the lines of approved distribution runs whose period
    (a month or the quarter) lies in it; a run corrected later is `reversed` and its replacement counts instead. A
    member paid in two runs of the quarter is one member paid."""
    base, where = _coop_join(RUN, community_id)
    base = base.join(LINE, LINE.c.run_id == RUN.c.id)
    quarter = _quarter_of(RUN.c.period_start, quarters)
    paid = sa.func.count(sa.distinct(sa.case((LINE.c.amount_cents > 0, LINE.c.member_id))))
    stmt = (sa.select(quarter, _sum(LINE.c.amount_cents), paid).select_from(base)
            .where(*where, RUN.c.status == "approved",
                   sa.or_(*(_in_quarter(RUN.c.period_start, q) for q in quarters))).group_by(quarter))
    return {str(q): (int(v), int(n)) for q, v, n in session.execute(stmt)}


# --- requests (dashboard/queries/requests.py, request_stats) -------------------------------------------------------

def livestream_sessions(session: Session, *, community_id: int | None, quarters: Sequence[str]) -> dict[str, int]:
    stmt = (sa.select(LIVE.c.quarter, sa.func.count())
            .where(LIVE.c.quarter.in_(quarters), *_community(LIVE.c.community_id, community_id))
            .group_by(LIVE.c.quarter))
    return {str(q): int(n) for q, n in session.execute(stmt)}


def requests_by_category(session: Session, *, community_id: int | None, quarters: Sequence[str]) -> ByCode:
    """Requests raised per quarter and category, summed from request_stats as the request page's table reads it."""
    request_stats.flush_pending(session)       # this session's own writes, not yet committed
    s = request_stats.STATS
    stmt = (sa.select(s.c.quarter, s.c.category, _sum(s.c.collected))
            .where(s.c.quarter.in_(quarters), *_community(s.c.community_id, community_id))
            .group_by(s.c.quarter, s.c.category))
    return {(str(q), str(c)): int(n) for q, c, n in session.execute(stmt) if n}


# --- joint meeting actions (dashboard/queries/overview.py meetings) --------------------------------------------------

def meeting_counts(session: Session, *, community_id: int | None, quarters: Sequence[str]) -> dict[
        str, tuple[int, int]]:
    """(meetings, decisions) per quarter of the meeting."""
    stmt = (sa.select(M.c.quarter, sa.func.count(sa.distinct(M.c.id)), sa.func.count(DEC.c.id))
            .select_from(M.outerjoin(DEC, DEC.c.meeting_id == M.c.id))
            .where(M.c.quarter.in_(quarters), *_community(M.c.community_id, community_id)).group_by(M.c.quarter))
    return {str(q): (int(m), int(d)) for q, m, d in session.execute(stmt)}


@dataclass(frozen=True)
class ActionCounts:
    actions: int
    done: int
    overdue: int


def actions_by_owner(session: Session, *, community_id: int | None, quarters: Sequence[str],
                     as_of: dict[str, dt.date]) -> dict[tuple[str, str], ActionCounts]:
    """Action items of the quarter's meetings per quarter and owner party kind: all, done, and still open past their
    due day on `as_of[quarter]` (the overview's rule: the quarter's end for a past quarter, today for the running
    one)."""
    late = sa.or_(*(sa.and_(M.c.quarter == q, X.c.due_on < as_of[q]) for q in quarters))
    stmt = (sa.select(M.c.quarter, PARTY.c.kind, sa.func.count(), count_if(X.c.status == "done"),
                      count_if(sa.and_(X.c.status.in_(ACTION_OPEN), late)))
            .select_from(X.join(M, M.c.id == X.c.meeting_id).join(PARTY, PARTY.c.id == X.c.owner_party_id))
            .where(M.c.quarter.in_(quarters), *_community(M.c.community_id, community_id))
            .group_by(M.c.quarter, PARTY.c.kind))
    return {(str(q), str(k)): ActionCounts(int(n), int(d), int(o)) for q, k, n, d, o in session.execute(stmt)}
