"""培训成效 page data: the funnel of the scope and of the quarter before, by level, topic, provider, target group,
community and vulnerable group, and the course comparison table.

Enrolments are in scope by their own community and quarter (the quarter of enrolled_on); the course table lists the
courses in scope by the course's community and quarter, with all their enrolments. Every count is made in SQL
(SUM of CASE over one row per enrolment with its two follow-ups joined); the rates are divided in
dashboard/services/training_funnel.py. A follow-up counts as due when its day has come by `as_of` or it has already
been reached or given up; only follow-ups of completed enrolments count, so each step is a subset of the one before.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from dashboard.periods import previous_quarter
from dashboard.queries import Scope
from dashboard.queries.sqlfuncs import count_if
from dashboard.services.training_funnel import EMPLOYED, FIELDS, Funnel, funnel_of
from data_models import Community, Course, Enrolment, Party, PractitionerGroup, TrainingFollowup
from data_models.base import table_of
from data_models.enums import VulnerableGroup

E = table_of(Enrolment)
C = table_of(Course)
F = table_of(TrainingFollowup)
PG = table_of(PractitionerGroup)
PARTY = table_of(Party)
COMMUNITY = table_of(Community)
F3 = F.alias("f3")
F6 = F.alias("f6")

DIMENSIONS = ("level", "topic", "provider", "target_group", "community")
COURSE_COLUMNS = ["code", "title", "level", "topic", "provider", "target_group", "end_date"]
NO_PROVIDER = ""      # key of the courses without a provider in by["provider"]; the page labels it


@dataclass(frozen=True)
class TrainingBoard:
    current: Funnel
    previous: Funnel                       # the quarter before, same community (zeros for all time)
    by: dict[str, pd.DataFrame] = field(default_factory=dict)
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    courses: pd.DataFrame = field(default_factory=pd.DataFrame)


def _due(f: sa.FromClause, as_of: dt.date) -> sa.ColumnElement[bool]:
    """Due by as_of, or already worked to an end (a contact made early is still a contact)."""
    return sa.and_(f.c.id.is_not(None), sa.or_(f.c.due_on <= as_of, f.c.status != "pending"))


def _counts(as_of: dt.date) -> dict[str, sa.ColumnElement[Any]]:
    """Every Funnel field as an SQL aggregate over rows of enrolment LEFT JOIN its m3 and m6 follow-ups."""
    r3, r6 = F3.c.status == "reached", F6.c.status == "reached"
    emp3, emp6 = F3.c.employment.in_(sorted(EMPLOYED)), F6.c.employment.in_(sorted(EMPLOYED))
    known = sa.and_(r6, F6.c.income_cents.is_not(None), E.c.income_before_cents.is_not(None))
    out: dict[str, sa.ColumnElement[Any]] = {
        "enrolled": sa.func.count(E.c.id),
        "attended": count_if(E.c.attended),
        "completed": count_if(E.c.completed),
        "certified": count_if(E.c.certified),
        "m3_due": count_if(_due(F3, as_of)),
        "m3_reached": count_if(r3),
        "m3_unreachable": count_if(F3.c.status == "unreachable"),
        "m3_employed": count_if(sa.and_(r3, emp3)),
        "m6_due": count_if(_due(F6, as_of)),
        "m6_reached": count_if(r6),
        "m6_unreachable": count_if(F6.c.status == "unreachable"),
        "m6_income_known": count_if(known),
        "m6_income_up": count_if(sa.and_(known, F6.c.income_cents > E.c.income_before_cents)),
        "stable_base": count_if(sa.and_(r3, r6, emp3)),
        "stable": count_if(sa.and_(r3, r6, emp3, emp6)),
    }
    assert tuple(out) == FIELDS
    return out


def _with_followups(base: sa.FromClause) -> sa.FromClause:
    """`base` (holding enrolment E) with the m3 and m6 follow-ups of completed enrolments: one row per enrolment."""
    return (base.outerjoin(F3, sa.and_(F3.c.enrolment_id == E.c.id, F3.c.wave == "m3", E.c.completed))
            .outerjoin(F6, sa.and_(F6.c.enrolment_id == E.c.id, F6.c.wave == "m6", E.c.completed)))


def _enrolments_in(scope: Scope, quarters: list[str] | None) -> list[sa.ColumnElement[bool]]:
    out = []
    if quarters is not None:
        out.append(E.c.quarter == quarters[0] if len(quarters) == 1 else E.c.quarter.in_(quarters))
    if scope.community_id is not None:
        out.append(E.c.community_id == scope.community_id)
    return out


def _frame(rows: Sequence[Any], keys: list[str]) -> pd.DataFrame:
    df = pd.DataFrame([tuple(r) for r in rows], columns=[*keys, *FIELDS])
    df[list(FIELDS)] = df[list(FIELDS)].fillna(0).astype("int64")
    return df


def _by_slice(session: Session, scope: Scope, quarters: list[str] | None, as_of: dt.date) -> pd.DataFrame:
    """The scope's (and the quarter before's) counts per quarter, course attributes and community: a few hundred
    rows the dimensions are summed from."""
    keys = [E.c.quarter, C.c.level, C.c.topic, C.c.provider_party_id, C.c.target_group, E.c.community_id]
    stmt = (sa.select(*keys, *_counts(as_of).values())
            .select_from(_with_followups(E.join(C, C.c.id == E.c.course_id)))
            .where(*_enrolments_in(scope, quarters)).group_by(*keys))
    return _frame(session.execute(stmt).all(),
                  ["quarter", "level", "topic", "provider_id", "target_group", "community_id"])


def _labels(session: Session, table: sa.Table, ids: list[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    rows = session.execute(sa.select(table.c.id, table.c.code, table.c.name).where(table.c.id.in_(ids))).all()
    return {int(i): (code, name) for i, code, name in rows}


def _sum_by(df: pd.DataFrame, column: str) -> pd.DataFrame:
    out = df.groupby(column, sort=True, dropna=False)[list(FIELDS)].sum().reset_index()
    return out.rename(columns={column: "key"})


def _dimensions(session: Session, cur: pd.DataFrame) -> dict[str, pd.DataFrame]:
    by = {d: _sum_by(cur, d) for d in ("level", "topic", "target_group")}
    parties = _labels(session, PARTY, sorted({int(i) for i in cur["provider_id"].dropna()}))
    prov = cur.assign(provider_id=cur["provider_id"].map(lambda i: -1 if pd.isna(i) else int(i)))
    p = _sum_by(prov, "provider_id")
    p.insert(1, "label", [parties.get(int(i), (NO_PROVIDER, ""))[1] for i in p["key"]])
    p["key"] = [parties.get(int(i), (NO_PROVIDER, ""))[0] for i in p["key"]]
    by["provider"] = p
    communities = _labels(session, COMMUNITY, sorted({int(i) for i in cur["community_id"]}))
    c = _sum_by(cur, "community_id")
    c.insert(1, "label", [communities[int(i)][1] for i in c["key"]])
    c["key"] = [communities[int(i)][0] for i in c["key"]]
    by["community"] = c
    return {d: by[d].sort_values("key", kind="stable").reset_index(drop=True) for d in DIMENSIONS}


def _groups(session: Session, scope: Scope, quarters: list[str] | None, as_of: dt.date,
            everyone: Funnel) -> pd.DataFrame:
    """One row per vulnerable group (every group, zeros where nobody), then "all": everyone in scope."""
    stmt = (sa.select(PG.c.group, *_counts(as_of).values())
            .select_from(_with_followups(E.join(PG, PG.c.practitioner_id == E.c.practitioner_id)))
            .where(*_enrolments_in(scope, quarters)).group_by(PG.c.group))
    got = {str(r[0]): funnel_of(dict(zip(FIELDS, r[1:], strict=True))) for r in session.execute(stmt).all()}
    rows = [{"key": g.value, **vars(got.get(g.value, Funnel()))} for g in VulnerableGroup]
    rows.append({"key": "all", **vars(everyone)})
    return pd.DataFrame(rows, columns=["key", *FIELDS])


def _courses(session: Session, scope: Scope, as_of: dt.date) -> pd.DataFrame:
    """One row per course in scope (by the course's community and quarter) with every enrolment of it, and the
    paired pre/post scores: n_paired learners with both, mean normalised gain (post − pre) ÷ (100 − pre) over those
    whose pre score leaves room to gain (pre < 100)."""
    both = sa.and_(E.c.pre_score.is_not(None), E.c.post_score.is_not(None))
    gain = sa.case((sa.and_(both, E.c.pre_score < 100),
                    sa.cast(E.c.post_score - E.c.pre_score, sa.Float) / sa.cast(100 - E.c.pre_score, sa.Float)))
    where = []
    if scope.quarter is not None:
        where.append(C.c.quarter == scope.quarter)
    if scope.community_id is not None:
        where.append(C.c.community_id == scope.community_id)
    keys = [C.c.id, C.c.code, C.c.title, C.c.level, C.c.topic, PARTY.c.name, C.c.target_group, C.c.end_date]
    stmt = (sa.select(*keys, *_counts(as_of).values(), sa.cast(sa.func.avg(gain), sa.Float), count_if(both))
            .select_from(_with_followups(C.outerjoin(E, E.c.course_id == C.c.id)
                                         .outerjoin(PARTY, PARTY.c.id == C.c.provider_party_id)))
            .where(*where).group_by(*keys).order_by(C.c.code))
    rows = session.execute(stmt).all()
    df = _frame([r[1:-2] for r in rows], COURSE_COLUMNS)
    df["provider"] = df["provider"].fillna("")
    df["mean_gain"] = pd.Series([r[-2] for r in rows], dtype="float64")
    df["n_paired"] = pd.Series([int(r[-1] or 0) for r in rows], dtype="int64")
    return df


def training_board(session: Session, *, scope: Scope, as_of: dt.date) -> TrainingBoard:
    """Everything the 培训成效 funnel shows for the scope; empty scopes give zeros and empty tables, not errors."""
    current_q = scope.quarter
    quarters = None if current_q is None else [current_q, previous_quarter(current_q)]
    sliced = _by_slice(session, scope, quarters, as_of)
    cur = sliced if current_q is None else sliced[sliced["quarter"] == current_q]
    prev = sliced.iloc[0:0] if current_q is None else sliced[sliced["quarter"] == previous_quarter(current_q)]
    current = funnel_of(cur[list(FIELDS)].sum())
    previous = funnel_of(prev[list(FIELDS)].sum())
    return TrainingBoard(current=current, previous=previous, by=_dimensions(session, cur),
                         groups=_groups(session, scope, None if current_q is None else [current_q], as_of, current),
                         courses=_courses(session, scope, as_of))


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
