"""培训补贴: per course, the rule in force and what is claimable now, pending or lost (the funder's two tranches).

The common rule: `first_pct` (60%) of the subsidy per certified learner is payable once the course has ended, on the
number certified; the rest (40%) once at least `employment_pct` (50%) of the certified were found employed within
`window_months` (6) of the course's last day, and it is lost if that is not reached by the window's end plus
`claim_grace_days`. The first tranche is rounded to the cent and the second is the remainder, so they add up to the
total exactly. `subsidy_status` is the rule on numbers; `course_subsidies` counts them in SQL: summed from
training_stats and training_stats_employed once they have caught up with the latest writes
(dashboard/training_stats.py), or, with `live=True` or a lock that cannot be had, from the enrolments and their
follow-ups (the tests compare both).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from dashboard import training_stats as ts
from dashboard.i18n import t
from dashboard.queries import Scope
from dashboard.services.errors import RuleError
from dashboard.training_sync import add_months
from data_models import Course, Enrolment, SubsidyRule, TrainingFollowup
from data_models.base import table_of
from data_models.enums import CourseLevel, EmploymentStatus
from data_models.training_stats import EVERYONE

COURSE = table_of(Course)
ENROLMENT = table_of(Enrolment)
FOLLOWUP = table_of(TrainingFollowup)
RULE = table_of(SubsidyRule)
# The same set as dashboard.services.training_funnel.EMPLOYED: every answer but not employed.
EMPLOYED = frozenset(s for s in EmploymentStatus if s is not EmploymentStatus.not_employed)
STATES = ("claimable", "pending", "lost", "none")


@dataclass(frozen=True)
class SubsidyStatus:
    total_cents: int
    first_cents: int
    second_cents: int
    first_state: str          # "claimable" | "pending" | "lost" | "none"
    second_state: str
    need_more: int            # more people employed within the window for the second tranche (0 once met)
    window_ends: dt.date      # the last day an employment counts
    claim_by: dt.date         # the window's end plus the grace days: after it an unmet second tranche is lost


def subsidy_status(*, certified: int, employed_in_window: int, per_person_cents: int, first_pct: int,
                   employment_pct: int, course_end: dt.date, window_months: int, grace_days: int,
                   as_of: dt.date) -> SubsidyStatus:
    """The two tranches of one course on `as_of`. Exactly `employment_pct` employed passes (counted in integers)."""
    _check(certified=certified, employed_in_window=employed_in_window, per_person_cents=per_person_cents,
           first_pct=first_pct, employment_pct=employment_pct, window_months=window_months, grace_days=grace_days)
    window_ends = add_months(course_end, window_months)
    claim_by = window_ends + dt.timedelta(days=grace_days)
    if certified <= 0:
        return SubsidyStatus(0, 0, 0, "none", "none", 0, window_ends, claim_by)
    total = certified * per_person_cents
    first = (total * first_pct + 50) // 100          # to the cent, half up; the second tranche is what is left
    second = total - first
    # employed ÷ certified >= pct/100, without a float: 1 of 2 is 50% exactly.
    met = employed_in_window * 100 >= employment_pct * certified
    need = 0 if met else -(-employment_pct * certified // 100) - employed_in_window
    first_state = "none" if first == 0 else "claimable" if as_of >= course_end else "pending"
    if second == 0:
        second_state = "none"
    elif met:
        second_state = "claimable"
    else:
        second_state = "lost" if as_of > claim_by else "pending"
    return SubsidyStatus(total, first, second, first_state, second_state, max(need, 0), window_ends, claim_by)


_LIMITS = {"certified": (0, None), "employed_in_window": (0, None), "per_person_cents": (0, None),
           "first_pct": (0, 100), "employment_pct": (0, 100), "window_months": (1, 24), "grace_days": (0, 365)}


def _check(**numbers: int) -> None:
    """Numbers a rule or a count cannot have (the same bounds as subsidy_rule's CHECKs), named in the message."""
    for name, value in numbers.items():
        low, high = _LIMITS[name]
        if value < low or (high is not None and value > high):
            raise RuleError("subsidy.bad_number", field=t(f"subsidy.field.{name}"), value=value)
    if numbers["employed_in_window"] > numbers["certified"]:
        raise RuleError("subsidy.more_employed_than_certified", employed=numbers["employed_in_window"],
                        certified=numbers["certified"])


def amounts_by_state(status: SubsidyStatus) -> dict[str, int]:
    """claimable / pending / lost cents of one course (a tranche whose state is none adds nothing)."""
    out = {"claimable": 0, "pending": 0, "lost": 0}
    for cents, state in ((status.first_cents, status.first_state), (status.second_cents, status.second_state)):
        if state in out:
            out[state] += cents
    return out


# --- per course, counted in SQL ------------------------------------------------------------------------------------

COLUMNS = ["course_id", "code", "title", "level", "end_date", "rule_code", "rule_title", "per_person_cents",
           "first_pct", "employment_pct", "window_months", "grace_days", "certified", "employed_in_window",
           "total_cents", "first_cents", "second_cents", "first_state", "second_state", "need_more", "window_ends",
           "claim_by", "claimable_cents", "pending_cents", "lost_cents"]


def _rule_in_force() -> sa.ScalarSelect:
    """The rule whose validity covers the course's last day; of several, the latest valid_from (then latest id)."""
    r, c = RULE.c, COURSE.c
    return (sa.select(r.id).where(r.valid_from <= c.end_date,
                                  sa.or_(r.valid_to.is_(None), r.valid_to >= c.end_date))
            .order_by(r.valid_from.desc(), r.id.desc()).limit(1).correlate(COURSE).scalar_subquery())


def _in_scope(scope: Scope) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if scope.community_id is not None:
        where.append(COURSE.c.community_id == scope.community_id)
    if scope.quarter is not None:
        where.append(COURSE.c.quarter == scope.quarter)
    return where


def _course_ids(scope: Scope) -> sa.Select:
    return sa.select(COURSE.c.id).where(*_in_scope(scope))


def _courses(session: Session, scope: Scope, kept: bool) -> list[sa.Row]:
    c, r, e = COURSE.c, RULE.c, ENROLMENT.c
    if kept:
        k = ts.STATS.c
        certified = (sa.select(k.course_id, sa.func.sum(k.certified).label("n"))
                     .where(k.grp == EVERYONE, k.course_id.in_(_course_ids(scope)))
                     .group_by(k.course_id).subquery())
    else:
        certified = (sa.select(e.course_id, sa.func.count().label("n"))
                     .where(e.certified.is_(True), e.course_id.in_(_course_ids(scope)))
                     .group_by(e.course_id).subquery())
    rule_id = _rule_in_force().label("rule_id")
    courses = sa.select(c.id, c.code, c.title, c.level, c.end_date, rule_id).where(*_in_scope(scope)).subquery()
    per_person = sa.case((courses.c.level == CourseLevel.basic, r.basic_cents),
                         (courses.c.level == CourseLevel.intermediate, r.intermediate_cents),
                         else_=r.advanced_cents)
    stmt = (sa.select(courses.c.id, courses.c.code, courses.c.title, courses.c.level, courses.c.end_date,
                      r.code.label("rule_code"), r.title.label("rule_title"), per_person.label("per_person_cents"),
                      r.first_pct, r.employment_pct, r.window_months, r.claim_grace_days,
                      sa.func.coalesce(certified.c.n, 0).label("certified"))
            .select_from(courses)
            .outerjoin(RULE, r.id == courses.c.rule_id)
            .outerjoin(certified, certified.c.course_id == courses.c.id)
            .order_by(courses.c.end_date, courses.c.code))
    return list(session.connection().execute(stmt))


def _employed_by_day(session: Session, scope: Scope, kept: bool
                     ) -> dict[int, list[tuple[dt.date | None, dt.date | None, int]]]:
    """Per course: how many certified learners were first found employed at the 3-month follow-up on a day and at
    the 6-month follow-up on a day (None: not found employed at that one), as (m3 day, m6 day, count).

    Each course's window ends on a different day (its end plus the rule's months, month ends clipped), which SQL
    does not compute alike on SQLite and PostgreSQL: the database groups by course and days, the cut is made here."""
    out: dict[int, list[tuple[dt.date | None, dt.date | None, int]]] = defaultdict(list)
    if kept:        # the same groups, kept per enrolment quarter and community: summed over them
        k = ts.EMPLOYED.c
        rows = session.connection().execute(
            sa.select(k.course_id, k.m3_on, k.m6_on, sa.func.sum(k.n).label("n"))
            .where(k.course_id.in_(_course_ids(scope))).group_by(k.course_id, k.m3_on, k.m6_on))
        for course_id, m3_on, m6_on, n in rows.all():      # fetched at once: a quarter's courses give 6,000 rows
            out[course_id].append((m3_on, m6_on, int(n)))
        return out
    f, e = FOLLOWUP.c, ENROLMENT.c
    # Driven from the courses in scope through enrolment.course_id. A reached follow-up is one with a reached_on
    # (a CHECK says so); asking for the status instead lets SQLite, which has no statistics, start from the
    # status index and read every reached follow-up of the province (1.1 s instead of 17 ms for one community).
    def first(wave: str) -> sa.ColumnElement[Any]:
        return sa.func.min(sa.case((f.wave == wave, f.reached_on)))
    per_learner = (sa.select(e.course_id, first("m3").label("m3_on"), first("m6").label("m6_on"))
                   .select_from(ENROLMENT)
                   .join(FOLLOWUP, f.enrolment_id == e.id)
                   .where(e.certified.is_(True), e.course_id.in_(_course_ids(scope)), f.reached_on.is_not(None),
                          f.employment.in_([str(s) for s in EMPLOYED]))
                   .group_by(e.id, e.course_id).subquery())
    stmt = (sa.select(per_learner.c.course_id, per_learner.c.m3_on, per_learner.c.m6_on, sa.func.count().label("n"))
            .group_by(per_learner.c.course_id, per_learner.c.m3_on, per_learner.c.m6_on))
    for course_id, m3_on, m6_on, n in session.connection().execute(stmt).all():
        out[course_id].append((m3_on, m6_on, int(n)))
    return out


def employed_in_window(found: list[tuple[dt.date | None, dt.date | None, int]], *, window_months: int,
                       claim_by: dt.date) -> int:
    """Learners found employed by a follow-up that speaks for the window: the 3-month one (and the 6-month one when
    the window is 6 months or more), reached by the claim deadline (window end + grace days). The 6-month
    follow-up is due on the window's last day, so its answer comes a few days after it: it still says whether the
    learner was employed within six months, and is counted while the tranche can still be claimed."""
    def counts(on: dt.date | None, months: int) -> bool:
        return on is not None and months <= window_months and on <= claim_by
    return sum(n for m3_on, m6_on, n in found if counts(m3_on, 3) or counts(m6_on, 6))


def course_subsidies(session: Session, *, scope: Scope, as_of: dt.date, live: bool = False) -> pd.DataFrame:
    """One row per course in scope (by the course's community and quarter): the rule, counts, tranches, states.

    A course no rule covers has rule_code None and nothing payable (states "none")."""
    engine = session.get_bind()
    assert isinstance(engine, sa.Engine)
    kept = not live and ts.catch_up(engine, session.connection())
    employed = _employed_by_day(session, scope, kept)
    rows = []
    for row in _courses(session, scope, kept):
        base = {"course_id": row.id, "code": row.code, "title": row.title, "level": str(row.level),
                "end_date": row.end_date, "rule_code": row.rule_code, "rule_title": row.rule_title,
                "certified": int(row.certified)}
        if row.rule_code is None:
            window_ends = claim_by = None
            status = SubsidyStatus(0, 0, 0, "none", "none", 0, row.end_date, row.end_date)
            base |= {"per_person_cents": 0, "first_pct": None, "employment_pct": None, "window_months": None,
                     "grace_days": None, "employed_in_window": 0}
        else:
            window_ends = add_months(row.end_date, row.window_months)
            in_window = employed_in_window(employed.get(row.id, []), window_months=row.window_months,
                                           claim_by=window_ends + dt.timedelta(days=row.claim_grace_days))
            status = subsidy_status(certified=int(row.certified), employed_in_window=in_window,
                                    per_person_cents=int(row.per_person_cents), first_pct=row.first_pct,
                                    employment_pct=row.employment_pct, course_end=row.end_date,
                                    window_months=row.window_months, grace_days=row.claim_grace_days, as_of=as_of)
            window_ends, claim_by = status.window_ends, status.claim_by
            base |= {"per_person_cents": int(row.per_person_cents), "first_pct": row.first_pct,
                     "employment_pct": row.employment_pct, "window_months": row.window_months,
                     "grace_days": row.claim_grace_days, "employed_in_window": in_window}
        fields = vars(status) | {"window_ends": window_ends, "claim_by": claim_by}   # asdict deep-copies: slow
        money = {f"{k}_cents": v for k, v in amounts_by_state(status).items()}
        rows.append(base | fields | money)
    return pd.DataFrame(rows, columns=COLUMNS)
