"""需求评估 page: figures against last quarter, composition, the needs heatmap, trend, loop funnel and backlog."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from dashboard import need_stats
from dashboard.db import gather
from dashboard.periods import previous_quarter, quarter_bounds, quarter_key
from dashboard.queries import Scope, common, needs_kept
from dashboard.queries.needs import (
    PAPER_PROFILE,
    N,
    P,
    age_group,
    need_filters,
    needs_summary,
    practitioner_filters,
    profile,
    reference_year,
)
from dashboard.queries.sqlfuncs import days_between, median
from data_models import PractitionerGroup
from data_models.enums import NeedCategory

STAGES = ["identified", "assessed", "responded", "feedback", "closed"]
STAGE_DATE = {"identified": col(N.identified_on), "assessed": col(N.assessed_on), "responded": col(N.responded_on),
              "feedback": col(N.feedback_on), "closed": col(N.closed_on)}
DIMENSIONS = ["age_group", "education", "hukou", "employment_type", "group"]


@dataclass(frozen=True)
class NeedsFigures:
    practitioners: int
    rates: dict[str, float | None]        # labour_contract, pension, injury_insurance, over_10h, association_member
    needs_open: int
    needs_closed: int
    median_days_to_feedback: float | None
    satisfaction: float | None


@dataclass(frozen=True)
class NeedsBoard:
    current: NeedsFigures
    previous: NeedsFigures | None
    paper: dict[str, float]


def median_days_to_feedback(session: Session, *, scope: Scope) -> float | None:
    """Median days from «need identified» to professional feedback, for feedback given in the quarter."""
    stmt = sa.select(days_between(N.identified_on, N.feedback_on)).where(*need_filters(scope),
                                                                         col(N.feedback_on).is_not(None))
    if scope.quarter is not None:
        start, end = quarter_bounds(scope.quarter)
        stmt = stmt.where(col(N.feedback_on).between(start, end))
    return median(session, stmt)


def figures(session: Session, *, scope: Scope, live: bool = True) -> NeedsFigures:
    """`live` False: summed from need_stats and practitioner_stats (the caller caught them up)."""
    kept = not live and needs_kept.kept(scope)
    prof = needs_kept.profile(session, scope=scope) if kept else profile(session, scope=scope)
    summary = needs_kept.needs_summary(session, scope=scope) if kept else needs_summary(session, scope=scope)
    days = (needs_kept.median_days_to_feedback if kept else median_days_to_feedback)(session, scope=scope)
    keep = ("labour_contract", "pension", "injury_insurance", "over_10h", "association_member")
    return NeedsFigures(prof.practitioners, {k: prof.rates[k] for k in keep}, summary.open_at_end, summary.closed,
                        days, summary.satisfaction)


def board(session: Session, *, scope: Scope, live: bool = True) -> NeedsBoard:
    if scope.quarter is None:
        raise ValueError("the needs board compares one quarter with the previous one; pass a quarter")
    prev = Scope(scope.community_id, previous_quarter(scope.quarter), scope.drill)
    assert prev.quarter is not None
    return NeedsBoard(
        current=figures(session, scope=scope, live=live),
        previous=figures(session, scope=prev, live=live) if common.has_quarter(session, prev.quarter) else None,
        paper={k: v for k, v in PAPER_PROFILE.items() if k in ("labour_contract", "pension", "over_10h")},
    )


def composition(session: Session, *, scope: Scope, dimension: str) -> pd.DataFrame:
    """Practitioners per code of one dimension (a practitioner counts once in each group they belong to)."""
    where = practitioner_filters(scope)
    key: sa.SQLColumnExpression[Any]
    if dimension == "group":
        key = col(PractitionerGroup.group)
        stmt = sa.select(key, sa.func.count()).select_from(P).join(PractitionerGroup,
                                                                   col(PractitionerGroup.practitioner_id) == P.id)
    else:
        key = age_group(reference_year(scope)) if dimension == "age_group" else col(getattr(P, dimension))
        stmt = sa.select(key, sa.func.count()).select_from(P)
    rows = session.execute(stmt.where(*where).group_by(key)).all()
    return pd.DataFrame(rows, columns=["code", "count"])


def _needs_in_quarter(scope: Scope) -> list[sa.ColumnElement[bool]]:
    where = need_filters(scope)
    if scope.quarter is not None:
        where.append(col(N.quarter) == scope.quarter)
    return where


def heatmap(session: Session, *, scope: Scope, by: str) -> pd.DataFrame:
    """Needs identified in the quarter, by category against employment type or vulnerable group."""
    stmt: sa.Select[NeedCategory, Any, int]  # the column is a vulnerable group or an employment type
    if by == "group":
        stmt = (sa.select(col(N.category), col(PractitionerGroup.group), sa.func.count()).select_from(N)
                .join(PractitionerGroup, col(PractitionerGroup.practitioner_id) == N.practitioner_id)
                .group_by(col(N.category), col(PractitionerGroup.group)))
    else:
        stmt = (sa.select(col(N.category), col(P.employment_type), sa.func.count()).select_from(N)
                .join(P, col(P.id) == N.practitioner_id)
                .group_by(col(N.category), col(P.employment_type)))
    return pd.DataFrame(session.execute(stmt.where(*_needs_in_quarter(scope))).all(),
                        columns=["category", "column", "count"])


def severity_trend(session: Session, *, scope: Scope) -> pd.DataFrame:
    """Needs identified per quarter and severity, every quarter up to the chosen one."""
    stmt = sa.select(col(N.quarter), col(N.severity), sa.func.count()).where(*need_filters(scope))
    if scope.quarter is not None:
        stmt = stmt.where(col(N.quarter) <= scope.quarter)
    keys = (col(N.quarter), col(N.severity))      # both: rows within a quarter in one order on every database
    rows = session.execute(stmt.group_by(*keys).order_by(*keys)).all()
    return pd.DataFrame(rows, columns=["quarter", "severity", "count"])


def funnel(session: Session, *, scope: Scope) -> pd.DataFrame:
    """For needs identified in the quarter: how many reached each stage, and the median days to get there."""
    where = _needs_in_quarter(scope)
    counts = session.execute(sa.select(*(sa.func.count(STAGE_DATE[s]) for s in STAGES)).where(*where)).one()
    days = [0.0 if counts[0] else None] + [
        median(session, sa.select(days_between(N.identified_on, STAGE_DATE[s])).where(*where)) for s in STAGES[1:]
    ]
    return pd.DataFrame({"stage": STAGES, "count": [int(c) for c in counts], "median_days": days})


BACKLOG_COLUMNS = ["code", "practitioner_code", "practitioner_name", "category", "severity", "status",
                   "identified_on", "days_open", "social_worker"]


def backlog_total(session: Session, *, scope: Scope, today: dt.date, live: bool = True) -> int:
    """How many needs were not closed at the quarter's end (or today). Kept: need_stats' «open at the quarter's
    end», less those identified after today and plus those closed after today (by the quarter's end: two indexed
    counts, nearly always 0), the only part that depends on the day."""
    assert scope.quarter is not None or live
    if live or not needs_kept.kept(scope):
        end = min(today, quarter_bounds(scope.quarter)[1]) if scope.quarter else today
        where = [*need_filters(scope), col(N.identified_on) <= end,
                 sa.or_(col(N.closed_on).is_(None), col(N.closed_on) > end)]
        return int(session.execute(sa.select(sa.func.count()).select_from(N).where(*where)).scalar_one())
    assert scope.quarter is not None
    q_end = quarter_bounds(scope.quarter)[1]
    total = needs_kept.needs_summary(session, scope=scope).open_at_end
    if today < q_end:
        where = need_filters(scope)
        later = session.execute(sa.select(sa.func.count()).select_from(N).where(   # quarter: on the index
            *where, col(N.quarter).between(quarter_key(today), scope.quarter), col(N.identified_on) > today,
        )).scalar_one()
        closed_later = session.execute(sa.select(sa.func.count()).select_from(N).where(
            *where, col(N.closed_on) > today, col(N.closed_on) <= q_end)).scalar_one()
        total += int(closed_later) - int(later)
    return total


def backlog(session: Session, *, scope: Scope, today: dt.date, limit: int | None = 200,
            live: bool = True) -> tuple[pd.DataFrame, int]:
    """Needs not closed at the quarter's end (or today), oldest first, with how many there are in all;
    `limit` None gives every one (the export). The rows are read in two legs, each on its own index: needs open
    now (a partial index of the open, in the order shown) and needs closed after the end (by closing day)."""
    end = min(today, quarter_bounds(scope.quarter)[1]) if scope.quarter else today
    where = [*need_filters(Scope(scope.community_id, scope.quarter)), col(N.identified_on) <= end]
    if scope.drill is not None and scope.drill[0] == "group":
        # Checked per need (EXISTS on the tag's key), so the legs walk their indexes in order and stop at `limit`:
        # as an IN list SQLite drove the query from the group's needs and sorted them all.
        where.append(sa.exists().where(col(PractitionerGroup.practitioner_id) == N.practitioner_id,
                                       col(PractitionerGroup.group) == scope.drill[1]))
    elif scope.drill is not None:
        where = [*need_filters(scope), col(N.identified_on) <= end]
    order = (col(N.identified_on), col(N.code))
    legs = [sa.select(col(N.id), *order).where(*where, cond).order_by(*order).limit(limit).subquery()
            for cond in (col(N.closed_on).is_(None), col(N.closed_on) > end)]
    ids = sa.union_all(*(sa.select(leg.c.id) for leg in legs)).subquery()
    stmt = (sa.select(col(N.code), col(P.code), col(P.name), col(N.category), col(N.severity), col(N.status),
                      col(N.identified_on), days_between(N.identified_on, sa.literal(end, sa.Date)),
                      col(N.social_worker))
            .select_from(N).join(ids, ids.c.id == N.id).join(P, col(P.id) == N.practitioner_id)
            .order_by(*order).limit(limit))
    total = backlog_total(session, scope=scope, today=today, live=live)
    return pd.DataFrame(session.execute(stmt).all(), columns=BACKLOG_COLUMNS), total


@dataclass(frozen=True)
class NeedsPage:
    board: NeedsBoard
    composition: dict[str, pd.DataFrame]
    heatmap: dict[str, pd.DataFrame]          # by employment type and by vulnerable group
    trend: pd.DataFrame
    funnel: pd.DataFrame
    backlog: pd.DataFrame
    backlog_total: int


def _kept_compositions(session: Session, scope: Scope) -> dict[str, pd.DataFrame]:
    counts = needs_kept.practitioner_counts(session, scope=scope)
    return {d: needs_kept.composition(session, scope=scope, dimension=d, counts=counts) for d in DIMENSIONS}


def catch_up(engine: Engine, scope: Scope) -> bool:
    """Bring need_stats up to date for a scope the kept tables answer; False: count live (another scope, or the
    lock could not be had). A read-only look first: a page view takes no write lock when nothing was written."""
    if not needs_kept.kept(scope):
        return False
    assert scope.quarter is not None
    quarters = [scope.quarter, previous_quarter(scope.quarter)]
    with engine.connect() as reader:
        return need_stats.catch_up(engine, quarters, reader)


def page(engine: Engine, *, scope: Scope, today: dt.date, live: bool | None = None) -> NeedsPage:
    """Everything the 需求评估 page shows for a scope, its queries run side by side: summed from the kept tables
    where they answer the scope and could be caught up (`live` None), else counted from the needs."""
    if live is None:
        live = not catch_up(engine, scope)
    kept = not live and needs_kept.kept(scope)
    tasks: dict[str, Callable[[Session], object]] = {
        "board": lambda s: board(s, scope=scope, live=not kept),
        "funnel": lambda s: needs_kept.funnel(s, scope=scope) if kept else funnel(s, scope=scope),
        "backlog": lambda s: backlog(s, scope=scope, today=today, live=not kept),
        "heat_employment_type": lambda s: (needs_kept.heatmap if kept else heatmap)(
            s, scope=scope, by="employment_type"),
        "heat_group": lambda s: (needs_kept.heatmap if kept else heatmap)(s, scope=scope, by="group"),
        "trend": lambda s: (needs_kept.severity_trend if kept else severity_trend)(s, scope=scope),
    }
    if kept:
        tasks["comp"] = lambda s: _kept_compositions(s, scope)
    else:
        tasks.update({f"comp_{d}": partial(composition, scope=scope, dimension=d) for d in DIMENSIONS})
    r = gather(engine, tasks)
    rows, total = r["backlog"]
    comp = r["comp"] if kept else {d: r[f"comp_{d}"] for d in DIMENSIONS}
    return NeedsPage(
        board=r["board"], composition=comp,
        heatmap={"employment_type": r["heat_employment_type"], "group": r["heat_group"]},
        trend=r["trend"], funnel=r["funnel"], backlog=rows, backlog_total=total,
    )
