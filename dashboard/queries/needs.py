"""需求评估 aggregates: the practitioner profile beside the papers' figures, and the needs loop per quarter."""

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.periods import parse_quarter, quarter_bounds
from dashboard.queries import Scope, rate
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


def _count_if(cond: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


def _reference_year(scope: Scope) -> tuple[int, sa.ColumnElement[bool] | None]:
    """Ages are counted in the quarter's year; practitioners are those registered by the quarter's end."""
    if scope.quarter is None:
        return dt.date.today().year, None
    year, _ = parse_quarter(scope.quarter)
    return year, P.registered_on <= quarter_bounds(scope.quarter)[1]


def profile(session: Session, *, scope: Scope) -> Profile:
    year, registered = _reference_year(scope)
    age = year - P.birth_year
    stmt = sa.select(
        sa.func.count(),
        _count_if(age.between(18, 35)),
        _count_if(P.education.in_(LOW_EDUCATION)),  # type: ignore[attr-defined]
        _count_if(P.hukou == "rural"),
        _count_if(P.has_labour_contract == sa.true()),
        _count_if(P.has_pension == sa.true()),
        _count_if(P.has_injury_insurance == sa.true()),
        _count_if(P.daily_work_hours > 10),
        _count_if(P.is_association_member == sa.true()),
    )
    if scope.community_id is not None:
        stmt = stmt.where(P.community_id == scope.community_id)
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
        sa.select(P.id, P.birth_year, P.education, P.domestic_service, P.monthly_income_cents)
        .join(PractitionerGroup, PractitionerGroup.practitioner_id == P.id)
        .where(PractitionerGroup.group == "migrant_women", P.occupation == "domestic_service")
    )
    if scope.community_id is not None:
        base = base.where(P.community_id == scope.community_id)
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


def needs_summary(session: Session, *, scope: Scope) -> NeedsSummary:
    where = [] if scope.community_id is None else [N.community_id == scope.community_id]
    if scope.quarter is None:
        identified = session.execute(sa.select(sa.func.count()).select_from(N).where(*where)).scalar_one()
        closed = session.execute(sa.select(sa.func.count()).select_from(N).where(
            *where, N.closed_on.is_not(None))).scalar_one()  # type: ignore[union-attr]
        open_ = identified - closed
        sat = session.execute(sa.select(sa.func.avg(N.satisfaction)).select_from(N).where(*where)).scalar()
    else:
        start, end = quarter_bounds(scope.quarter)
        identified = session.execute(
            sa.select(sa.func.count()).select_from(N).where(*where, N.quarter == scope.quarter)).scalar_one()
        closed = session.execute(sa.select(sa.func.count()).select_from(N).where(
            *where, N.closed_on.between(start, end))).scalar_one()  # type: ignore[union-attr]
        open_ = session.execute(sa.select(sa.func.count()).select_from(N).where(
            *where, N.identified_on <= end,
            sa.or_(N.closed_on.is_(None), N.closed_on > end))).scalar_one()  # type: ignore[union-attr]
        sat = session.execute(sa.select(sa.func.avg(N.satisfaction)).select_from(N).where(
            *where, N.feedback_on.between(start, end))).scalar()  # type: ignore[union-attr]
    return NeedsSummary(int(identified), int(closed), int(open_), None if sat is None else float(sat))
