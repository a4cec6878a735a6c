"""The agenda builder's reads: for one meeting, the figures behind each area it may propose, counted in SQL.

The period of the quarter-bound figures (hot topics, courses, distribution runs) is the last quarter that has ended
on or before the meeting's date and on or before today: a meeting held mid-quarter discusses the quarter before,
and an agenda prepared before a quarter ends does not present that quarter's unfinished figures as final. A course
is judged only once it has ended (before today): one still running has no completions yet.
What depends on today (overdue requests, needs left open) is counted as it stands on `today`, whatever the quarter.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dashboard import training_stats as ts
from dashboard.periods import previous_quarter, quarter_bounds, quarter_key
from dashboard.request_stats import OPEN as REQUEST_OPEN
from data_models import Community, Cooperative, Course, DistributionRun, Meeting, NeedAssessment, Party, Request, Unit
from data_models.base import table_of
from data_models.enums import NeedStatus, RunStatus

M = table_of(Meeting)
P = table_of(Party)
R = table_of(Request)
U = table_of(Unit)
N = table_of(NeedAssessment)
C = table_of(Course)
COOP = table_of(Cooperative)
RUN = table_of(DistributionRun)
COMMUNITY = table_of(Community)
E = ts.E


def ended_quarter(day: dt.date) -> str:
    """The last quarter whose last day is on or before `day` (the quarter of `day` itself on its last day)."""
    q = quarter_key(day)
    return q if quarter_bounds(q)[1] <= day else previous_quarter(q)


@dataclass(frozen=True)
class MeetingFacts:
    id: int
    code: str
    community_id: int
    community: str
    held_on: dt.date
    period: str                      # ended_quarter(min(held_on, today))
    parties: dict[str, int]          # party kind -> the community's party of that kind (lowest code)


def meeting_facts(conn: Connection, meeting_id: int, today: dt.date) -> MeetingFacts | None:
    row = conn.execute(sa.select(M.c.id, M.c.code, M.c.community_id, COMMUNITY.c.name, M.c.held_on)
                       .join(COMMUNITY, COMMUNITY.c.id == M.c.community_id).where(M.c.id == meeting_id)).first()
    if row is None:
        return None
    held = row.held_on if isinstance(row.held_on, dt.date) else dt.date.fromisoformat(str(row.held_on))
    parties: dict[str, int] = {}
    for kind, pid in conn.execute(sa.select(P.c.kind, P.c.id).where(P.c.community_id == row.community_id)
                                  .order_by(P.c.code)):
        parties.setdefault(str(kind), int(pid))
    return MeetingFacts(int(row.id), str(row.code), int(row.community_id), str(row.name), held,
                        ended_quarter(min(held, today)), parties)


def overdue_by_unit(conn: Connection, *, community_id: int, today: dt.date) -> list[tuple[str, str, int]]:
    """(unit code, unit name, n) of the community's requests open and past their deadline on `today`, the most
    first (the requests page's «overdue»: not 已办结 and after, deadline before today). Units by their lead unit;
    a request without one under code ''."""
    n = sa.func.count()
    stmt = (sa.select(sa.func.coalesce(U.c.code, ""), sa.func.coalesce(U.c.name, ""), n)
            .select_from(R.outerjoin(U, U.c.id == R.c.lead_unit_id))
            .where(R.c.community_id == community_id, R.c.status.in_(REQUEST_OPEN), R.c.deadline < today)
            .group_by(U.c.code, U.c.name).order_by(n.desc(), sa.func.coalesce(U.c.code, "")))
    return [(str(code), str(name), int(k)) for code, name, k in conn.execute(stmt)]


def hot_topics(conn: Connection, *, community_id: int, quarter: str, top: int) -> list[tuple[str, int, int]]:
    """(category, requests, 附议) of the quarter's requests in the community: the `top` categories by requests plus
    endorsements, then by category code."""
    requests, endorsed = sa.func.count(), sa.func.coalesce(sa.func.sum(R.c.endorsements), 0)
    stmt = (sa.select(R.c.category, requests, endorsed)
            .where(R.c.community_id == community_id, R.c.quarter == quarter)
            .group_by(R.c.category).order_by((requests + endorsed).desc(), R.c.category).limit(top))
    return [(str(cat), int(k), int(e)) for cat, k, e in conn.execute(stmt)]


def unmet_needs(conn: Connection, *, community_id: int, today: dt.date,
                days: int) -> list[tuple[str, int, dt.date]]:
    """(category, n, earliest identified_on) of the community's needs not closed and identified more than `days`
    days before `today`, the most first."""
    cutoff = today - dt.timedelta(days=days)
    n = sa.func.count()
    stmt = (sa.select(N.c.category, n, sa.func.min(N.c.identified_on))
            .where(N.c.community_id == community_id, N.c.status != NeedStatus.closed.value,
                   N.c.identified_on < cutoff)
            .group_by(N.c.category).order_by(n.desc(), N.c.category))
    return [(str(cat), int(k), as_date(first)) for cat, k, first in conn.execute(stmt)]


@dataclass(frozen=True)
class CourseCounts:
    code: str
    title: str
    enrolled: int
    completed: int
    m3_reached: int
    m3_employed: int


def course_counts(conn: Connection, *, community_id: int, quarter: str, min_enrolled: int,
                  ended_before: dt.date) -> list[CourseCounts]:
    """The community's courses of the quarter that ended before `ended_before`, with at least `min_enrolled`
    enrolments: enrolled, completed, reached and employed at 3 months (as the training page counts them:
    follow-ups of completed enrolments only)."""
    counts = ts.kept_counts()
    enrolled = counts["enrolled"]
    per_course = (sa.select(E.c.course_id, enrolled.label("enrolled"), counts["completed"].label("completed"),
                            counts["m3_reached"].label("m3_reached"), counts["m3_employed"].label("m3_employed"))
                  .select_from(ts.with_followups(E))
                  .where(E.c.course_id.in_(sa.select(C.c.id).where(C.c.community_id == community_id,
                                                                    C.c.quarter == quarter,
                                                                    C.c.end_date < ended_before)))
                  .group_by(E.c.course_id).having(enrolled >= min_enrolled).subquery())
    stmt = (sa.select(C.c.code, C.c.title, per_course.c.enrolled, per_course.c.completed, per_course.c.m3_reached,
                      per_course.c.m3_employed)
            .join(per_course, per_course.c.course_id == C.c.id).order_by(C.c.code))
    return [CourseCounts(str(r[0]), str(r[1]), *(int(v) for v in r[2:])) for r in conn.execute(stmt)]


RUN_FIELDS = ["cooperative", "code", "period", "status", "profit_cents", "member_pool_cents", "public_fund_cents"]


def distribution_runs(conn: Connection, *, community_id: int, quarter: str) -> list[dict[str, Any]]:
    """The community's cooperatives' distribution runs whose period lies within the quarter (the quarter's run or
    its months'), reversed ones left out (a reversed run was replaced) and so are corrections still in draft (the
    approved run they would replace stands until one is approved), by cooperative and period."""
    start, end = quarter_bounds(quarter)
    stmt = (sa.select(COOP.c.name, RUN.c.code, RUN.c.period, RUN.c.status, RUN.c.profit_cents,
                      RUN.c.member_pool_cents, RUN.c.public_fund_cents)
            .join(COOP, COOP.c.id == RUN.c.cooperative_id)
            .where(COOP.c.community_id == community_id, RUN.c.period_start >= start, RUN.c.period_end <= end,
                   RUN.c.status != RunStatus.reversed.value,
                   sa.not_(sa.and_(RUN.c.status == RunStatus.draft.value, RUN.c.replaces_run_id.is_not(None))))
            .order_by(COOP.c.code, RUN.c.period, RUN.c.code))
    return [{k: (str(v) if k in ("cooperative", "code", "period", "status") else int(v))
             for k, v in zip(RUN_FIELDS, row, strict=True)} for row in conn.execute(stmt)]


def as_date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
