"""需求评估 aggregates: the practitioner profile beside the papers' figures, and the needs loop per quarter."""

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col

from dashboard.periods import parse_quarter, quarter_bounds
from dashboard.queries import Scope, rate
from dashboard.queries.sqlfuncs import count_if
from data_models import NeedAssessment, Practitioner, PractitionerGroup

P = Practitioner
N = NeedAssessment

# National reference figures from paper 000 (shares of all e-commerce practitioners).
PAPER_PROFILE = {
    "age_18_35": 0.72, "education_junior_college_or_below": 0.65, "rural_hukou": 0.58,
    "labour_contract": 0.55, "pension": 0.60, "over_10h": 0.63,
}
# Migrant women in platform domestic services, Guiyang (paper 003).
PAPER_MIGRANT = {"age_35_50": 0.75, "junior_high_or_below": 0.85}
LOW_EDUCATION = ("primary_or_below", "junior_high", "senior_high", "junior_college")


@dataclass(frozen=True)
class Profile:
    practitioners: int
    rates: dict[str, float | None]


_count_if = count_if

AGE_GROUPS = [("under_18", None, 17), ("18_25", 18, 25), ("26_35", 26, 35), ("36_45", 36, 45), ("46_55", 46, 55),
              ("56_plus", 56, None)]


def age_group(year: int) -> sa.ColumnElement[str]:
    """The practitioner's age group in `year`, as a code (18_25, 26_35, ...)."""
    age = year - col(P.birth_year)
    whens: list[tuple[sa.ColumnElement[bool], str]] = []
    for code, lo, hi in AGE_GROUPS:
        cond = age <= hi if lo is None else (age >= lo if hi is None else age.between(lo, hi))
        whens.append((cond, code))
    return sa.case(*whens)


def drill_condition(drill: tuple[str, str], year: int) -> sa.ColumnElement[bool]:
    """Practitioners in the slice picked on a composition chart."""
    dimension, code = drill
    if dimension == "group":
        return col(P.id).in_(sa.select(col(PractitionerGroup.practitioner_id))
                             .where(col(PractitionerGroup.group) == code))
    if dimension == "age_group":
        return age_group(year) == code
    if dimension in ("education", "hukou", "employment_type"):
        return col(getattr(P, dimension)) == code
    raise ValueError(f"unknown dimension {dimension!r}")


def reference_year(scope: Scope) -> int:
    return dt.date.today().year if scope.quarter is None else parse_quarter(scope.quarter)[0]


def practitioner_filters(scope: Scope) -> list[sa.ColumnElement[bool]]:
    """Who counts: the community, registered by the quarter's end, inside the drilled slice."""
    out: list[sa.ColumnElement[bool]] = []
    if scope.community_id is not None:
        out.append(col(P.community_id) == scope.community_id)
    if scope.quarter is not None:
        out.append(col(P.registered_on) <= quarter_bounds(scope.quarter)[1])
    if scope.drill is not None:
        out.append(drill_condition(scope.drill, reference_year(scope)))
    return out


def _reference_year(scope: Scope) -> tuple[int, sa.ColumnElement[bool] | None]:
    """Ages are counted in the quarter's year; practitioners are those registered by the quarter's end."""
    filters = practitioner_filters(Scope(None, scope.quarter, scope.drill))
    return reference_year(scope), (sa.and_(*filters) if filters else None)


def profile(session: Session, *, scope: Scope) -> Profile:
    year, registered = _reference_year(scope)
    age = year - col(P.birth_year)
    stmt = sa.select(
        sa.func.count(),
        _count_if(age.between(18, 35)),
        _count_if(col(P.education).in_(LOW_EDUCATION)),
        _count_if(col(P.hukou) == "rural"),
        _count_if(col(P.has_labour_contract) == sa.true()),
        _count_if(col(P.has_pension) == sa.true()),
        _count_if(col(P.has_injury_insurance) == sa.true()),
        _count_if(col(P.daily_work_hours) > 10),
        _count_if(col(P.is_association_member) == sa.true()),
    )
    if scope.community_id is not None:
        stmt = stmt.where(col(P.community_id) == scope.community_id)
    if registered is not None:
        stmt = stmt.where(registered)
    total, *parts = session.execute(stmt).one()
    keys = ["age_18_35", "education_junior_college_or_below", "rural_hukou", "labour_contract", "pension",
            "injury_insurance", "over_10h", "association_member"]
    return Profile(int(total), {k: rate(int(v), int(total)) for k, v in zip(keys, parts, strict=True)})


@dataclass(frozen=True)
class MigrantProfile:
    count: int
    age_35_50: float | None
    junior_high_or_below: float | None
    services: dict[str, int]
    income_min_cents: int | None
    income_max_cents: int | None


def migrant_women(session: Session, *, scope: Scope) -> MigrantProfile:
    """Migrant women working in platform domestic services: the group paper 003 describes."""
    year, registered = _reference_year(scope)
    base = (
        sa.select(col(P.id), col(P.birth_year), col(P.education), col(P.domestic_service),
                  col(P.monthly_income_cents))
        .join(PractitionerGroup, col(PractitionerGroup.practitioner_id) == P.id)
        .where(col(PractitionerGroup.group) == "migrant_women", col(P.occupation) == "domestic_service")
    )
    if scope.community_id is not None:
        base = base.where(col(P.community_id) == scope.community_id)
    if registered is not None:
        base = base.where(registered)
    sub = base.subquery()
    age = year - sub.c.birth_year
    count, mid, low, lo, hi = session.execute(sa.select(
        sa.func.count(), _count_if(age.between(35, 50)),
        _count_if(sub.c.education.in_(("primary_or_below", "junior_high"))),
        sa.func.min(sub.c.monthly_income_cents), sa.func.max(sub.c.monthly_income_cents),
    )).one()
    services = dict(session.execute(
        sa.select(sub.c.domestic_service, sa.func.count()).group_by(sub.c.domestic_service)
    ).all())
    return MigrantProfile(int(count), rate(mid, count), rate(low, count),
                          {str(k): int(v) for k, v in services.items() if k is not None}, lo, hi)


@dataclass(frozen=True)
class NeedsSummary:
    identified: int          # needs identified in the quarter
    closed: int              # needs closed in the quarter
    open_at_end: int         # identified by the quarter's end and not closed by then
    satisfaction: float | None


def need_filters(scope: Scope) -> list[sa.ColumnElement[bool]]:
    """Needs of the community, and of the drilled slice of practitioners (not bound to a quarter)."""
    where = [] if scope.community_id is None else [col(N.community_id) == scope.community_id]
    if scope.drill is not None:
        where.append(col(N.practitioner_id).in_(
            sa.select(col(P.id)).where(drill_condition(scope.drill, reference_year(scope)))))
    return where


def needs_summary(session: Session, *, scope: Scope) -> NeedsSummary:
    """One pass over the community's needs, counting each figure with a CASE."""
    where = need_filters(scope)
    if scope.quarter is None:
        identified, closed, sat = session.execute(sa.select(
            sa.func.count(), _count_if(col(N.closed_on).is_not(None)), sa.func.avg(N.satisfaction),
        ).select_from(N).where(*where)).one()
        return NeedsSummary(int(identified), int(closed), int(identified) - int(closed),
                            None if sat is None else float(sat))
    start, end = quarter_bounds(scope.quarter)
    feedback_in = col(N.feedback_on).between(start, end)
    identified, closed, open_, sat_sum, sat_n = session.execute(sa.select(
        _count_if(col(N.quarter) == scope.quarter),
        _count_if(col(N.closed_on).between(start, end)),
        _count_if(sa.and_(col(N.identified_on) <= end, sa.or_(col(N.closed_on).is_(None), col(N.closed_on) > end))),
        sa.func.sum(sa.case((feedback_in, N.satisfaction), else_=None)),
        sa.func.count(sa.case((feedback_in, N.satisfaction), else_=None)),
    ).select_from(N).where(*where)).one()
    return NeedsSummary(int(identified), int(closed), int(open_), (int(sat_sum) / int(sat_n)) if sat_n else None)
