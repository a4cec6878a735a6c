"""培训成效 page data: the funnel of the scope and of the quarter before, by level, topic, provider, target group,
community and vulnerable group, and the course comparison table.

Enrolments are in scope by their own community and quarter (the quarter of enrolled_on); the course table lists the
courses in scope by the course's community and quarter, with all their enrolments. The counts are summed from
training_stats (dashboard/training_stats.py: per enrolment quarter, community, course and vulnerable group), after
it has caught up with the latest writes; `live=True`, or a lock that cannot be had, counts the same from the
enrolments and their follow-ups (the tests compare both). The rates are divided in
dashboard/services/training_funnel.py. A follow-up counts as due when its day has come by `as_of` or it has already
been reached or given up; only follow-ups of completed enrolments count, so each step is a subset of the one before.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from dashboard import training_stats as ts
from dashboard.periods import previous_quarter
from dashboard.queries import Scope
from dashboard.services.training_funnel import FIELDS, Funnel, funnel_of
from data_models import Community, Course, Party
from data_models.base import table_of
from data_models.enums import VulnerableGroup
from data_models.training_stats import EVERYONE

E, PG, STATS, DUE = ts.E, ts.PG, ts.STATS, ts.DUE
C = table_of(Course)
PARTY = table_of(Party)
COMMUNITY = table_of(Community)

DIMENSIONS = ("level", "topic", "provider", "target_group", "community")
COURSE_COLUMNS = ["code", "title", "level", "topic", "provider", "target_group", "end_date"]
NONE = -1             # provider_id of a course without a provider, so the keys are integers on both sides
COURSE_ATTRS = {"level": C.c.level, "topic": C.c.topic,
                "provider_id": sa.func.coalesce(C.c.provider_party_id, NONE), "target_group": C.c.target_group}
SLICE = ["quarter", "level", "topic", "provider_id", "target_group", "community_id"]
GAIN = ["n_paired", "gain_n", "gain_micro"]
NO_PROVIDER = ""      # key of the courses without a provider in by["provider"]; the page labels it


@dataclass(frozen=True)
class TrainingBoard:
    current: Funnel
    previous: Funnel                       # the quarter before, same community (zeros for all time)
    by: dict[str, pd.DataFrame] = field(default_factory=dict)
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    courses: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class _Filter:
    quarters: list[str] | None           # enrolment quarters (None: all)
    community_id: int | None
    courses: sa.Select[Any] | None = None  # or: the enrolments of these courses, whatever their quarter
    groups: bool = False                 # one row per vulnerable group instead of everyone


def _conditions(t: sa.Table, flt: _Filter) -> list[sa.ColumnElement[bool]]:
    out: list[sa.ColumnElement[bool]] = []
    if flt.courses is not None:
        return [t.c.course_id.in_(flt.courses)]
    if flt.quarters is not None:
        out.append(t.c.quarter.in_(flt.quarters))
    if flt.community_id is not None:
        out.append(t.c.community_id == flt.community_id)
    return out


def _frame(rows: Any, keys: list[str], columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame.from_records([tuple(r) for r in rows], columns=[*keys, *columns])
    return df.astype({c: "int64" for c in columns})


def _live(session: Session, keys: list[str], flt: _Filter, as_of: dt.date) -> pd.DataFrame:
    """The counts from the enrolments and their follow-ups (one row per enrolment, SUM of CASE)."""
    src = {"quarter": E.c.quarter, "community_id": E.c.community_id, "course_id": E.c.course_id,
           "grp": PG.c.group, **COURSE_ATTRS}
    base: sa.FromClause = E
    if any(k in COURSE_ATTRS for k in keys):
        base = base.join(C, C.c.id == E.c.course_id)
    if flt.groups:
        base = base.join(PG, PG.c.practitioner_id == E.c.practitioner_id)
    counts = {**ts.kept_counts(), **ts.due_counts(as_of)}
    exprs = [src[k] for k in keys]
    stmt = (sa.select(*exprs, *counts.values()).select_from(ts.with_followups(base))
            .where(*_conditions(E, flt)).group_by(*exprs))
    return _frame(session.execute(stmt).all(), keys, list(counts))


def _kept(session: Session, keys: list[str], flt: _Filter, as_of: dt.date) -> pd.DataFrame:
    """The same counts summed from training_stats, with the pending follow-ups due by as_of from
    training_stats_due, in one statement (UNION ALL of both, summed per key)."""
    def part(t: sa.Table, values: list[sa.ColumnElement[Any]], where: list[sa.ColumnElement[bool]]) -> sa.Select[Any]:
        exprs = [(COURSE_ATTRS[k] if k in COURSE_ATTRS else t.c[k]).label(k) for k in keys]
        base: sa.FromClause = t.join(C, C.c.id == t.c.course_id) if any(k in COURSE_ATTRS for k in keys) else t
        grp = t.c.grp != EVERYONE if flt.groups else t.c.grp == EVERYONE
        return sa.select(*exprs, *values).select_from(base).where(grp, *_conditions(t, flt), *where)

    zero = sa.literal(0)
    kept = part(STATS, [*[STATS.c[k].label(k) for k in ts.KEPT], zero.label("m3_pending"), zero.label("m6_pending")],
                [])
    pending = [sa.case((DUE.c.wave == w, DUE.c.pending), else_=0) for w in ("m3", "m6")]
    due = part(DUE, [*[zero for _ in ts.KEPT], *pending], [DUE.c.due_on <= as_of])
    both = sa.union_all(kept, due).subquery()
    names = [*ts.KEPT, "m3_pending", "m6_pending"]
    both_c = [both.c[k] for k in keys]
    values: dict[str, sa.ColumnElement[Any]] = {k: sa.func.sum(both.c[names[i]]) for i, k in enumerate(ts.KEPT)}
    values["m3_due"] = values["m3_reached"] + values["m3_unreachable"] + sa.func.sum(both.c[names[-2]])
    values["m6_due"] = values["m6_reached"] + values["m6_unreachable"] + sa.func.sum(both.c[names[-1]])
    stmt = sa.select(*both_c, *values.values()).group_by(*both_c)
    return _frame(session.execute(stmt).all(), keys, list(values))


def _labels(session: Session, table: sa.Table, ids: list[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    rows = session.execute(sa.select(table.c.id, table.c.code, table.c.name).where(table.c.id.in_(ids))).all()
    return {int(i): (code, name) for i, code, name in rows}


def _sum_by(df: pd.DataFrame, column: str) -> pd.DataFrame:
    out = df.groupby(column, sort=True, dropna=False)[list(FIELDS)].sum().reset_index()
    return out.rename(columns={column: "key"})


def _labelled(df: pd.DataFrame, column: str, labels: dict[int, tuple[str, str]]) -> pd.DataFrame:
    """Sums by an id column, keyed by the code and labelled with the name (NO_PROVIDER and '' where none)."""
    out = _sum_by(df, column)
    out.insert(1, "label", [labels.get(int(i), (NO_PROVIDER, ""))[1] for i in out["key"]])
    out["key"] = [labels.get(int(i), (NO_PROVIDER, ""))[0] for i in out["key"]]
    return out


def _dimensions(session: Session, cur: pd.DataFrame) -> dict[str, pd.DataFrame]:
    by = {d: _sum_by(cur, d) for d in ("level", "topic", "target_group")}
    by["provider"] = _labelled(cur, "provider_id", _labels(
        session, PARTY, sorted({int(i) for i in cur["provider_id"]} - {NONE})))
    by["community"] = _labelled(cur, "community_id", _labels(
        session, COMMUNITY, sorted({int(i) for i in cur["community_id"]})))
    return {d: by[d].sort_values("key", kind="stable").reset_index(drop=True) for d in DIMENSIONS}


def _groups(counted: pd.DataFrame, everyone: Funnel) -> pd.DataFrame:
    """One row per vulnerable group (every group, zeros where nobody), then "all": everyone in scope."""
    got = {str(r["grp"]): funnel_of(r) for r in counted.to_dict("records")}
    rows = [{"key": g.value, **vars(got.get(g.value, Funnel()))} for g in VulnerableGroup]
    rows.append({"key": "all", **vars(everyone)})
    return pd.DataFrame(rows, columns=["key", *FIELDS])


def _course_scope(scope: Scope) -> sa.Select[Any]:
    where = []
    if scope.quarter is not None:
        where.append(C.c.quarter == scope.quarter)
    if scope.community_id is not None:
        where.append(C.c.community_id == scope.community_id)
    return sa.select(C.c.id).where(*where)


def _courses(session: Session, scope: Scope, counted: pd.DataFrame) -> pd.DataFrame:
    """One row per course in scope, its counts (zeros without enrolments) and paired scores: n_paired learners with
    both, mean normalised gain (post − pre) ÷ (100 − pre) over those whose pre score leaves room (pre < 100)."""
    courses = _course_scope(scope).subquery()
    rows = session.execute(
        sa.select(C.c.id, C.c.code, C.c.title, C.c.level, C.c.topic, PARTY.c.name, C.c.target_group, C.c.end_date)
        .select_from(C.outerjoin(PARTY, PARTY.c.id == C.c.provider_party_id))
        .where(C.c.id.in_(sa.select(courses.c.id))).order_by(C.c.code)).all()
    df = pd.DataFrame([tuple(r) for r in rows], columns=["course_id", *COURSE_COLUMNS])
    df["provider"] = df["provider"].fillna("")
    df = df.merge(counted, on="course_id", how="left")
    for c in [*FIELDS, *GAIN]:
        df[c] = df[c].fillna(0).astype("int64")
    df["mean_gain"] = (df["gain_micro"] / ts.GAIN_SCALE / df["gain_n"].where(df["gain_n"] > 0)).astype("float64")
    return df.drop(columns=["course_id", "gain_n", "gain_micro"])[[*COURSE_COLUMNS, *FIELDS, "mean_gain", "n_paired"]]


def training_board(session: Session, *, scope: Scope, as_of: dt.date, live: bool = False) -> TrainingBoard:
    """Everything the 培训成效 funnel shows for the scope; empty scopes give zeros and empty tables, not errors."""
    engine = session.get_bind()
    assert isinstance(engine, sa.Engine)
    count = _live if live or not ts.catch_up(engine, session.connection()) else _kept
    q = scope.quarter
    quarters = None if q is None else [q]
    cur = count(session, SLICE, _Filter(quarters, scope.community_id), as_of)
    current = funnel_of(cur[list(FIELDS)].sum())
    previous = Funnel()
    if q is not None:       # only its totals: no course attributes to join
        prev = count(session, ["quarter"], _Filter([previous_quarter(q)], scope.community_id), as_of)
        previous = funnel_of(prev[list(FIELDS)].sum())
    groups = count(session, ["grp"], _Filter(quarters, scope.community_id, groups=True), as_of)
    per_course = count(session, ["course_id"], _Filter(None, None, courses=_course_scope(scope)), as_of)
    return TrainingBoard(current=current, previous=previous, by=_dimensions(session, cur),
                         groups=_groups(groups, current), courses=_courses(session, scope, per_course))


def has_training(session: Session, *, scope: Scope) -> bool:
    """Whether any enrolment or course is in scope: indexed probes, not a count."""
    for table in (E, C):
        cond = []
        if scope.community_id is not None:
            cond.append(table.c.community_id == scope.community_id)
        if scope.quarter is not None:
            cond.append(table.c.quarter == scope.quarter)
        if session.execute(sa.select(sa.literal(1)).select_from(table).where(*cond).limit(1)).first():
            return True
    return False
