"""The 需求评估 and 首页 needs figures summed from need_stats and practitioner_stats (dashboard/need_stats.py).

Each function gives what its live twin in queries/needs.py or queries/needs_board.py gives, for a scope `kept()`
accepts: a quarter, and no slice or a vulnerable group's. The caller brings the tables up to date first
(need_stats.catch_up) and counts live when that fails; tests/test_need_stats.py holds both to the same figures.
"""

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from dashboard import need_stats as ns
from dashboard.queries import Scope, rate
from dashboard.queries.needs import NeedsSummary, Profile
from dashboard.queries.sqlfuncs import histogram_median
from data_models.need_stats import ALL, EVERYONE

NS, PS = ns.NS, ns.PS
# practitioner_stats' flag -> the profile's key
PROFILE_KEYS = {"age_18_35": "age_18_35", "low_education": "education_junior_college_or_below",
                "rural_hukou": "rural_hukou", "labour_contract": "labour_contract", "pension": "pension",
                "injury_insurance": "injury_insurance", "over_10h": "over_10h",
                "association_member": "association_member"}


def kept(scope: Scope) -> bool:
    """Whether the kept tables answer this scope: one quarter, everyone or one vulnerable group."""
    return scope.quarter is not None and (scope.drill is None or scope.drill[0] == "group")


def _grp(scope: Scope) -> str:
    return EVERYONE if scope.drill is None else scope.drill[1]


def _community(table: sa.Table, scope: Scope) -> list[sa.ColumnElement[bool]]:
    """One community's rows, or those of ALL (every community's added up when they were recounted)."""
    return [table.c.community_id == (ALL if scope.community_id is None else scope.community_id)]


def practitioner_counts(session: Session, *, scope: Scope) -> dict[tuple[str, str], int]:
    """(dim, code) -> practitioners, for every dimension at once: one range of practitioner_stats."""
    assert scope.quarter is not None
    rows = session.execute(sa.select(PS.c.dim, PS.c.code, sa.func.sum(PS.c.n))
                           .where(PS.c.quarter == scope.quarter, PS.c.grp == _grp(scope), *_community(PS, scope))
                           .group_by(PS.c.dim, PS.c.code)).all()
    return {(str(d), str(c)): int(n) for d, c, n in rows}


def profile(session: Session, *, scope: Scope, counts: dict[tuple[str, str], int] | None = None) -> Profile:
    counts = practitioner_counts(session, scope=scope) if counts is None else counts
    total = counts.get(("total", ""), 0)
    return Profile(total, {key: rate(counts.get(("flag", flag), 0), total) for flag, key in PROFILE_KEYS.items()})


def composition(session: Session, *, scope: Scope, dimension: str,
                counts: dict[tuple[str, str], int] | None = None) -> pd.DataFrame:
    counts = practitioner_counts(session, scope=scope) if counts is None else counts
    rows = sorted((code, n) for (dim, code), n in counts.items() if dim == dimension)
    return pd.DataFrame(rows, columns=["code", "count"])


def _sum(session: Session, scope: Scope, kind: str, *where: sa.ColumnElement[bool],
         by: tuple[sa.ColumnElement[Any], ...] = ()) -> list[Any]:
    stmt = (sa.select(*by, sa.func.sum(NS.c.n)).where(NS.c.grp == _grp(scope), NS.c.kind == kind,
                                                      *_community(NS, scope), *where))
    return list(session.execute(stmt.group_by(*by).order_by(*by) if by else stmt).all())


def _total(rows: list[Any]) -> int:
    return sum(int(r[-1] or 0) for r in rows)


def needs_summary(session: Session, *, scope: Scope) -> NeedsSummary:
    """One range of rows (every kind it needs is keyed by a need quarter up to the scope's), summed per figure."""
    q = scope.quarter
    assert q is not None
    sev, closed, sat = NS.c.kind == "sev", NS.c.kind == "closed", NS.c.kind == "fbs"

    def total(cond: sa.ColumnElement[bool], value: sa.ColumnElement[int] = NS.c.n) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((cond, value), else_=0)), 0)

    by_end, identified, closed_in, closed_by_end, sat_n, sat_sum = session.execute(sa.select(
        total(sev), total(sa.and_(sev, NS.c.quarter == q)), total(sa.and_(closed, NS.c.k1 == q)),
        total(sa.and_(closed, NS.c.k1 <= q)), total(sa.and_(sat, NS.c.k1 == q)),
        total(sa.and_(sat, NS.c.k1 == q), NS.c.n * NS.c.v),
    ).where(NS.c.quarter <= q, NS.c.grp == _grp(scope), NS.c.kind.in_(("sev", "closed", "fbs")),
            *_community(NS, scope))).one()
    return NeedsSummary(int(identified), int(closed_in), int(by_end) - int(closed_by_end),
                        int(sat_sum) / int(sat_n) if sat_n else None)


def median_days_to_feedback(session: Session, *, scope: Scope) -> float | None:
    rows = _sum(session, scope, "fbd", NS.c.k1 == scope.quarter, by=(NS.c.v,))
    return histogram_median([(v, int(n)) for v, n in rows])


def heatmap(session: Session, *, scope: Scope, by: str) -> pd.DataFrame:
    kind = "cat_grp" if by == "group" else "heat"
    rows = _sum(session, scope, kind, NS.c.quarter == scope.quarter, by=(NS.c.k1, NS.c.k2))
    return pd.DataFrame([(k1, k2, int(n)) for k1, k2, n in rows], columns=["category", "column", "count"])


def severity_trend(session: Session, *, scope: Scope) -> pd.DataFrame:
    rows = _sum(session, scope, "sev", NS.c.quarter <= scope.quarter, by=(NS.c.quarter, NS.c.k1))
    return pd.DataFrame([(q, s, int(n)) for q, s, n in rows], columns=["quarter", "severity", "count"])


def funnel(session: Session, *, scope: Scope) -> pd.DataFrame:
    rows = _sum(session, scope, "stage", NS.c.quarter == scope.quarter, by=(NS.c.k1, NS.c.v))
    hist: dict[str, list[tuple[int, int]]] = {s: [] for s in ns.STAGE_DATES}
    for stage, v, n in rows:
        hist[str(stage)].append((int(v), int(n)))
    counts = [sum(n for _, n in hist[s]) for s in ns.STAGE_DATES]
    days = [0.0 if counts[0] else None] + [histogram_median(sorted(hist[s])) for s in list(ns.STAGE_DATES)[1:]]
    return pd.DataFrame({"stage": list(ns.STAGE_DATES), "count": counts, "median_days": days})
