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

import numpy as np
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
# The counted columns, in this order: the funnel's FIELDS first, then the paired scores the course table needs.
COUNTS = [*FIELDS, *GAIN]
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


@dataclass(frozen=True)
class _Counted:
    """Counted rows: their keys as tuples, their COUNTS as one integer array. The board's sums over a few thousand
    rows are made with numpy: pandas' fixed costs per frame and per groupby were most of the page's time at province
    scale, and converting each value in Python a fifth of what was left."""
    keys: list[str]
    rows: list[tuple[Any, ...]]           # the keys of each row
    values: np.ndarray                    # its COUNTS, one row each

    def key(self, name: str) -> list[Any]:
        i = self.keys.index(name)
        return [r[i] for r in self.rows]

    def total(self) -> Funnel:
        return funnel_of(dict(zip(COUNTS, (int(v) for v in self.values.sum(axis=0)), strict=True)))


def _conditions(t: sa.Table, flt: _Filter) -> list[sa.ColumnElement[bool]]:
    out: list[sa.ColumnElement[bool]] = []
    if flt.courses is not None:
        return [t.c.course_id.in_(flt.courses)]
    if flt.quarters is not None:
        out.append(t.c.quarter.in_(flt.quarters))
    if flt.community_id is not None:
        out.append(t.c.community_id == flt.community_id)
    return out


def _counted(result: Any, keys: list[str]) -> _Counted:
    n = len(keys)
    rows = result.all()
    raw = np.array([r[n:] for r in rows], dtype=object).reshape(len(rows), len(COUNTS))
    # A sum comes back as Decimal from PostgreSQL's NUMERIC; numpy converts the lot at once (NULL: none counted).
    values = np.where(raw == None, 0, raw).astype(np.int64)  # noqa: E711 (elementwise)
    return _Counted(keys, [tuple(r[:n]) for r in rows], values)


def _live(session: Session, keys: list[str], flt: _Filter, as_of: dt.date) -> _Counted:
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
    stmt = (sa.select(*exprs, *[counts[k] for k in COUNTS]).select_from(ts.with_followups(base))
            .where(*_conditions(E, flt)).group_by(*exprs))
    return _counted(session.execute(stmt), keys)


def _kept(session: Session, keys: list[str], flt: _Filter, as_of: dt.date) -> _Counted:
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
    stmt = sa.select(*both_c, *[values[k] for k in COUNTS]).group_by(*both_c)
    return _counted(session.execute(stmt), keys)


def _labels(session: Session, table: sa.Table, ids: list[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    rows = session.execute(sa.select(table.c.id, table.c.code, table.c.name).where(table.c.id.in_(ids))).all()
    return {int(i): (code, name) for i, code, name in rows}


def _sum_by(counted: _Counted, column: str) -> tuple[list[Any], np.ndarray]:
    """The funnel's FIELDS summed per value of one key column: (the values in order, their sums)."""
    keys = counted.key(column)
    order = sorted(set(keys))
    at = {k: i for i, k in enumerate(order)}
    sums = np.zeros((len(order), len(FIELDS)), dtype=np.int64)
    if keys:
        np.add.at(sums, np.array([at[k] for k in keys]), counted.values[:, :len(FIELDS)])
    return order, sums


def _frame(keys: list[Any], sums: np.ndarray, labels: list[str] | None = None) -> pd.DataFrame:
    df = pd.DataFrame(sums, columns=list(FIELDS), dtype="int64")
    df.insert(0, "key", pd.Series(keys, dtype=object))
    if labels is not None:
        df.insert(1, "label", pd.Series(labels, dtype=object))
    return df.sort_values("key", kind="stable").reset_index(drop=True)


def _dimensions(session: Session, cur: _Counted) -> dict[str, pd.DataFrame]:
    by = {d: _frame(*_sum_by(cur, d)) for d in ("level", "topic", "target_group")}
    for d, column, table, skip in (("provider", "provider_id", PARTY, {NONE}), ("community", "community_id",
                                                                             COMMUNITY, set())):
        ids, sums = _sum_by(cur, column)
        labels = _labels(session, table, sorted({int(i) for i in ids} - skip))
        named = [labels.get(int(i), (NO_PROVIDER, "")) for i in ids]
        by[d] = _frame([code for code, _ in named], sums, [name for _, name in named])
    return {d: by[d] for d in DIMENSIONS}


def _groups(counted: _Counted, everyone: Funnel) -> pd.DataFrame:
    """One row per vulnerable group (every group, zeros where nobody), then "all": everyone in scope."""
    got = {str(r[0]): funnel_of(dict(zip(COUNTS, v.tolist(), strict=True)))
           for r, v in zip(counted.rows, counted.values, strict=True)}
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


def _courses(session: Session, scope: Scope, counted: _Counted) -> pd.DataFrame:
    """One row per course in scope, its counts (zeros without enrolments) and paired scores: n_paired learners with
    both, mean normalised gain (post − pre) ÷ (100 − pre) over those whose pre score leaves room (pre < 100)."""
    rows = session.execute(
        sa.select(C.c.id, C.c.code, C.c.title, C.c.level, C.c.topic, PARTY.c.name, C.c.target_group, C.c.end_date)
        .select_from(C.outerjoin(PARTY, PARTY.c.id == C.c.provider_party_id))
        .where(*_conditions(C, _Filter(None if scope.quarter is None else [scope.quarter], scope.community_id)))
        .order_by(C.c.code)).all()
    at = {r[0]: i for i, r in enumerate(counted.rows)}
    counts = np.zeros((len(rows), len(COUNTS)), dtype=np.int64)
    found = [(i, at[r[0]]) for i, r in enumerate(rows) if r[0] in at]
    if found:
        counts[[i for i, _ in found]] = counted.values[[j for _, j in found]]
    df = pd.DataFrame([r[1:] for r in rows], columns=COURSE_COLUMNS, dtype=object)
    df["provider"] = df["provider"].fillna("")
    for i, c in enumerate(FIELDS):
        df[c] = counts[:, i]
    gain_n, gain_micro = counts[:, COUNTS.index("gain_n")], counts[:, COUNTS.index("gain_micro")]
    with np.errstate(divide="ignore", invalid="ignore"):
        df["mean_gain"] = np.where(gain_n > 0, gain_micro / ts.GAIN_SCALE / np.where(gain_n > 0, gain_n, 1), np.nan)
    df["n_paired"] = counts[:, COUNTS.index("n_paired")]
    return df


def _counter(session: Session, live: bool) -> Any:
    engine = session.get_bind()
    assert isinstance(engine, sa.Engine)
    return _live if live or not ts.catch_up(engine, session.connection()) else _kept


def outcomes_board(session: Session, *, scope: Scope, as_of: dt.date, live: bool = False) -> TrainingBoard:
    """The outcomes section's data: the funnel of the scope and of the quarter before, by dimension, and the
    vulnerable groups (the paper's row of the disabled); no course table."""
    count = _counter(session, live)
    return _outcomes(session, count, scope, as_of)


def _outcomes(session: Session, count: Any, scope: Scope, as_of: dt.date) -> TrainingBoard:
    q = scope.quarter
    quarters = None if q is None else [q]
    cur = count(session, SLICE, _Filter(quarters, scope.community_id), as_of)
    current = cur.total()
    previous = Funnel()
    if q is not None:       # only its totals: no course attributes to join
        previous = count(session, ["quarter"], _Filter([previous_quarter(q)], scope.community_id), as_of).total()
    groups = count(session, ["grp"], _Filter(quarters, scope.community_id, groups=True), as_of)
    return TrainingBoard(current=current, previous=previous, by=_dimensions(session, cur),
                         groups=_groups(groups, current))


def group_table(session: Session, *, scope: Scope, as_of: dt.date, live: bool = False) -> pd.DataFrame:
    """The groups section's table: each vulnerable group's funnel, then everyone in scope ("all")."""
    count = _counter(session, live)
    quarters = None if scope.quarter is None else [scope.quarter]
    everyone = count(session, ["quarter"], _Filter(quarters, scope.community_id), as_of).total()
    return _groups(count(session, ["grp"], _Filter(quarters, scope.community_id, groups=True), as_of), everyone)


def course_table(session: Session, *, scope: Scope, as_of: dt.date, live: bool = False) -> pd.DataFrame:
    """The courses section's table: one row per course in scope (by the course's community and quarter), with all
    its enrolments whatever their quarter."""
    count = _counter(session, live)
    return _courses(session, scope, count(session, ["course_id"], _Filter(None, None, courses=_course_scope(scope)),
                                          as_of))


def training_board(session: Session, *, scope: Scope, as_of: dt.date, live: bool = False) -> TrainingBoard:
    """Everything the 培训成效 funnel shows for the scope; empty scopes give zeros and empty tables, not errors.
    The page reads it a section at a time (outcomes_board, course_table, group_table)."""
    count = _counter(session, live)
    board = _outcomes(session, count, scope, as_of)
    per_course = count(session, ["course_id"], _Filter(None, None, courses=_course_scope(scope)), as_of)
    return TrainingBoard(current=board.current, previous=board.previous, by=board.by, groups=board.groups,
                         courses=_courses(session, scope, per_course))


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
