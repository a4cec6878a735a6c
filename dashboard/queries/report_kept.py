"""季度汇报's needs area and sales summed from need_stats, practitioner_stats and sale_stats (dashboard/need_stats.py)
instead of counted from the needs and sales: at province scale for all communities the needs took 1.3 s (SQLite, on
the clock) and the sales per channel 150 ms; the sums take a few ms.

`needs_counts` and `sales_by_channel` give what their twins in queries.report give. The caller catches the tables up
before its snapshot begins (`catch_up`), then checks in the snapshot that nothing of the scope was marked since
(`current`) and counts live otherwise; tests/test_report_kept.py and tests/test_need_stats.py's same_figures hold
both paths to the same figures.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard import need_stats as ns
from dashboard.queries.report import SATISFIED, NeedsCounts
from data_models.need_stats import ALL, EVERYONE

NS, PS, DIRTY, PSQ, SS = ns.NS, ns.PS, ns.DIRTY, ns.PSQ, ns.SS


def _sum_if(cond: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((cond, NS.c.n), else_=0)), 0)


def catch_up(session: Session, quarters: Sequence[str]) -> bool:
    """Recount need_stats' dirty pairs and count practitioner_stats for `quarters` where not yet kept (in a
    transaction of its own, before the report's snapshot: a recount committed after it began would not be seen).
    False: the lock could not be had, count live."""
    engine = session.get_bind()
    assert isinstance(engine, sa.Engine)
    with engine.connect() as reader:
        return ns.catch_up(engine, quarters, reader)


def current(session: Session, *, community_id: int | None, quarters: Sequence[str]) -> bool:
    """In the caller's snapshot: the kept tables hold the scope as the needs do. No pair of the community (of any
    community, for all) is marked dirty — a need's closing or feedback counts in later quarters, so any quarter's
    mark matters — and practitioner_stats holds each quarter."""
    marked = sa.select(DIRTY.c.quarter).limit(1)
    if community_id is not None:
        marked = marked.where(DIRTY.c.community_id == community_id)
    if session.execute(marked).first() is not None:
        return False
    kept = session.execute(sa.select(sa.func.count()).where(PSQ.c.quarter.in_(sorted(set(quarters))))).scalar_one()
    return int(kept) == len(set(quarters))


def needs_counts(session: Session, *, community_id: int | None, quarters: Sequence[str]) -> NeedsCounts:
    """Three statements over the rows of the community (or of ALL, every community's added up), everyone's:
    the practitioners' totals, the sums per quarter (one CASE column per figure and quarter), and the needs
    identified per quarter and category."""
    scope = [NS.c.grp == EVERYONE, NS.c.community_id == (ALL if community_id is None else community_id)]
    registered = dict.fromkeys(quarters, 0)
    for q, n in session.execute(sa.select(PS.c.quarter, sa.func.sum(PS.c.n)).where(
            PS.c.quarter.in_(quarters), PS.c.grp == EVERYONE, PS.c.dim == "total",
            PS.c.community_id == (ALL if community_id is None else community_id)).group_by(PS.c.quarter)):
        registered[str(q)] = int(n)

    sev, closed, fbs = NS.c.kind == "sev", NS.c.kind == "closed", NS.c.kind == "fbs"
    cols: list[sa.ColumnElement[Any]] = []
    for q in quarters:
        cols += [
            _sum_if(sa.and_(sev, NS.c.quarter == q)),                                   # identified in q
            _sum_if(sa.and_(closed, NS.c.k1 == q)),                                     # closed in q
            _sum_if(sa.and_(sev, NS.c.quarter <= q)),                                   # identified by q's end
            _sum_if(sa.and_(closed, NS.c.quarter <= q, NS.c.k1 <= q)),                  # ... and closed by then
            _sum_if(sa.and_(closed, NS.c.quarter == q)),                                # of q's, closed by now
            _sum_if(sa.and_(fbs, NS.c.k1 == q)),                                        # scored in q
            _sum_if(sa.and_(fbs, NS.c.k1 == q, NS.c.v >= SATISFIED)),                   # of those, satisfied
        ]
    row = session.execute(sa.select(*cols).where(*scope, NS.c.kind.in_(("sev", "closed", "fbs")))).one()
    out = NeedsCounts(registered, {}, {}, {}, {}, {}, {}, {})
    for i, q in enumerate(quarters):
        identified, closed_in, by_end, closed_by_end, of_q_closed, scored, satisfied = (
            int(v) for v in row[i * 7:(i + 1) * 7])
        out.identified[q] = identified
        out.closed[q] = closed_in
        out.open_at_end[q] = by_end - closed_by_end
        out.identified_closed[q] = of_q_closed
        out.scored[q] = scored
        out.satisfied[q] = satisfied

    heat = session.execute(sa.select(NS.c.quarter, NS.c.k1, sa.func.sum(NS.c.n)).where(
        *scope, NS.c.kind == "heat", NS.c.quarter.in_(quarters)).group_by(NS.c.quarter, NS.c.k1))
    for q, category, n in heat:
        if n:
            out.by_category[(str(q), str(category))] = int(n)
    return out



def sales_by_channel(session: Session, *, community_id: int | None, quarters: Sequence[str]) -> dict[
        tuple[str, str], tuple[int, int, int]]:
    """queries.report.sales_by_channel summed from sale_stats: a few rows per community, quarter and channel."""
    keys = (SS.c.quarter, SS.c.channel)
    where = [SS.c.quarter.in_(quarters)] + ([] if community_id is None else [SS.c.community_id == community_id])
    stmt = sa.select(*keys, *(sa.func.sum(SS.c[n]) for n in ("orders", "revenue_cents", "cost_cents"))).where(
        *where).group_by(*keys)
    return {(str(q), str(c)): (int(n), int(r), int(k)) for q, c, n, r, k in session.execute(stmt) if n}
