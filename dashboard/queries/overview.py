"""首页 figures: one small summary per area for a scope, each computed by one or two GROUP-free SQL aggregates."""

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col

from dashboard import need_stats, request_stats
from dashboard import training_stats as ts
from dashboard.periods import previous_quarter, quarter_bounds
from dashboard.queries import Scope, common, needs_kept, rate
from dashboard.queries import needs as needs_queries
from dashboard.queries.needs import NeedsSummary
from dashboard.queries.requests import COUNTED, DONE, OPEN
from dashboard.services.request_rates import on_time_rate
from data_models import ActionItem, Cooperative, Enrolment, FundSpending, LivestreamSession, Meeting, Request, Sale
from data_models.training_stats import EVERYONE


def _count_if(cond: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


def _where(model: type[Enrolment | Sale | LivestreamSession | Request | Meeting],
           scope: Scope) -> list[sa.ColumnElement[bool]]:
    out = []
    if scope.community_id is not None:
        out.append(col(model.community_id) == scope.community_id)
    if scope.quarter is not None:
        out.append(col(model.quarter) == scope.quarter)
    return out


@dataclass(frozen=True)
class TrainingSummary:
    enrolled: int
    completed: int
    certified: int
    employed: int                    # employed when reached 3 months after the course (the follow-up)
    completion_rate: float | None
    employment_rate: float | None    # employed ÷ reached at 3 months: the unreachable are not counted as jobless
    reached: int = 0


def training(session: Session, *, scope: Scope, live: bool = True) -> TrainingSummary:
    """The funnel as the 培训成效 page counts it (training_stats.kept_counts: a follow-up counts only on a completed
    enrolment): summed from training_stats (`live` False: the caller caught it up), or from the enrolments."""
    names = ("enrolled", "completed", "certified", "m3_reached", "m3_employed")
    if live:
        counts = ts.kept_counts()
        stmt = sa.select(*(counts[n] for n in names)).select_from(ts.with_followups(ts.E)).where(
            *_where_table(ts.E, scope))
    else:
        stmt = sa.select(*(sa.func.coalesce(sa.func.sum(ts.STATS.c[n]), 0) for n in names)).where(
            ts.STATS.c.grp == EVERYONE, *_where_table(ts.STATS, scope))
    enrolled, completed, certified, reached, employed = (int(v) for v in session.execute(stmt).one())
    return TrainingSummary(enrolled, completed, certified, employed, rate(completed, enrolled),
                           rate(employed, reached), reached)


def _where_table(table: sa.Table, scope: Scope) -> list[sa.ColumnElement[bool]]:
    out = []
    if scope.community_id is not None:
        out.append(table.c.community_id == scope.community_id)
    if scope.quarter is not None:
        out.append(table.c.quarter == scope.quarter)
    return out


@dataclass(frozen=True)
class SalesSummary:
    orders: int
    revenue_cents: int
    cost_cents: int
    fund_spent_cents: int

    @property
    def profit_cents(self) -> int:
        return self.revenue_cents - self.cost_cents


def sales(session: Session, *, scope: Scope, live: bool = True) -> SalesSummary:
    """`live` False: orders, revenue and cost summed from sale_stats (the caller caught need_stats up)."""
    if live:
        orders, revenue, cost = session.execute(sa.select(
            sa.func.count(), sa.func.coalesce(sa.func.sum(Sale.revenue_cents), 0),
            sa.func.coalesce(sa.func.sum(Sale.cost_cents), 0),
        ).select_from(Sale).where(*_where(Sale, scope))).one()
    else:
        kept = need_stats.SS
        orders, revenue, cost = session.execute(sa.select(
            *(sa.func.coalesce(sa.func.sum(kept.c[n]), 0) for n in ("orders", "revenue_cents", "cost_cents")),
        ).where(*_where_table(kept, scope))).one()
    spend = sa.select(sa.func.coalesce(sa.func.sum(FundSpending.amount_cents), 0))
    if scope.community_id is not None:
        spend = spend.join(Cooperative, col(Cooperative.id) == FundSpending.cooperative_id).where(
            col(Cooperative.community_id) == scope.community_id)
    if scope.quarter is not None:
        start, end = quarter_bounds(scope.quarter)
        spend = spend.where(col(FundSpending.spent_on).between(start, end))
    return SalesSummary(int(orders), int(revenue), int(cost), int(session.execute(spend).scalar_one()))


@dataclass(frozen=True)
class RequestsSummary:
    sessions: int
    viewers: int
    raised: int
    done: int                # resolved, reported back or closed (不合理诉求 included)
    on_time: int             # of those, resolved by the deadline (不合理诉求 left out)
    overdue_open: int        # still open past their deadline on `as_of`
    done_rate: float | None
    on_time_rate: float | None   # request_rates.on_time_rate: on time ÷ (finished + open overdue)


def requests(session: Session, *, scope: Scope, as_of: dt.date, live: bool = True) -> RequestsSummary:
    """The request tiles, by the rules of the 直播治理诉求 page (dashboard/queries/requests.py): an open request past
    its deadline counts against the on-time rate, and 不合理诉求 stays out of it."""
    s = LivestreamSession
    sessions, viewers = session.execute(sa.select(
        sa.func.count(), sa.func.coalesce(sa.func.sum(s.viewers), 0)).select_from(s).where(*_where(s, scope))).one()
    r = Request
    if live:
        raised, done, counted, on_time, overdue = session.execute(sa.select(
            sa.func.count(),
            _count_if(col(r.status).in_(DONE)),
            _count_if(sa.and_(COUNTED, col(r.deadline).is_not(None))),     # a case's request has none: not timed
            _count_if(sa.and_(COUNTED, col(r.resolved_on) <= r.deadline)),
            _count_if(sa.and_(col(r.status).in_(OPEN), col(r.deadline) < as_of)),
        ).select_from(r).where(*_where(r, scope))).one()
    else:
        # request_stats is kept current by every writer of requests; what depends on today from the open ones
        request_stats.flush_pending(session)
        assert scope.quarter is not None
        kept = request_stats.read(session.connection(), quarters=[scope.quarter],
                                  community_id=scope.community_id).get(scope.quarter, {})
        raised, done, on_time = kept.get("collected", 0), kept.get("finished", 0), kept.get("on_time", 0)
        counted = kept.get("counted", 0) - kept.get("untimed", 0)
        overdue = session.execute(sa.select(sa.func.count()).select_from(r).where(
            *_where(r, scope), col(r.status).in_(OPEN), col(r.deadline) < as_of)).scalar_one()
    return RequestsSummary(int(sessions), int(viewers), int(raised), int(done), int(on_time), int(overdue),
                           rate(done, raised), on_time_rate(int(on_time), int(counted), int(overdue)).value)


@dataclass(frozen=True)
class MeetingSummary:
    meetings: int
    actions: int
    actions_done: int
    actions_overdue: int


def meetings(session: Session, *, scope: Scope, as_of: dt.date) -> MeetingSummary:
    count = session.execute(
        sa.select(sa.func.count()).select_from(Meeting).where(*_where(Meeting, scope))).scalar_one()
    a = ActionItem
    stmt = sa.select(
        sa.func.count(), _count_if(col(a.status) == "done"),
        _count_if(sa.and_(col(a.status).in_(("open", "in_progress")), col(a.due_on) < as_of)),
    ).join(Meeting, col(Meeting.id) == a.meeting_id).where(*_where(Meeting, scope))
    actions, done, overdue = session.execute(stmt).one()
    return MeetingSummary(int(count), int(actions), int(done), int(overdue))


@dataclass(frozen=True)
class AreaFigures:
    practitioners: int
    profile_rates: dict[str, float | None]
    needs: NeedsSummary
    training: TrainingSummary
    sales: SalesSummary
    requests: RequestsSummary
    meetings: MeetingSummary


@dataclass(frozen=True)
class Overview:
    current: AreaFigures
    previous: AreaFigures | None   # None when the previous quarter has no data: no change to show
    paper_rates: dict[str, float]

    @property
    def profile_rates(self) -> dict[str, float | None]:
        return self.current.profile_rates


def _figures(session: Session, scope: Scope, today: dt.date, live: bool = True, trained: bool = True) -> AreaFigures:
    # An action item is judged overdue at the quarter's end for a past quarter, and today for the running one.
    # Requests are judged today, as the 直播治理诉求 page judges them: a past quarter's request still open past its
    # deadline counts against that quarter's on-time rate (at the quarter's end it may not have been due yet, and
    # would have dropped out of the rate's denominator altogether).
    as_of = min(today, quarter_bounds(scope.quarter)[1]) if scope.quarter else today
    needs = needs_queries if live else needs_kept     # live: counted from the needs, else need_stats' sums
    prof = needs.profile(session, scope=scope)
    return AreaFigures(
        practitioners=prof.practitioners, profile_rates=prof.rates,
        needs=needs.needs_summary(session, scope=scope),
        training=training(session, scope=scope, live=live or not trained), sales=sales(session, scope=scope, live=live),
        requests=requests(session, scope=scope, as_of=today, live=live),
        meetings=meetings(session, scope=scope, as_of=as_of),
    )


def overview(session: Session, *, scope: Scope, today: dt.date, live: bool | None = None) -> Overview:
    """The 首页 figures for a quarter beside the quarter before it. The practitioners and needs are summed from
    need_stats once it has caught up with the latest writes (`live` None), or counted live when it cannot."""
    if scope.quarter is None:
        raise ValueError("the overview compares one quarter with the previous one; pass a quarter")
    prev = Scope(scope.community_id, previous_quarter(scope.quarter))
    assert prev.quarter is not None
    if live is None:
        engine = session.get_bind()
        assert isinstance(engine, sa.Engine)
        live = not need_stats.catch_up(engine, [scope.quarter, prev.quarter], session.connection())
        trained = ts.catch_up(engine, session.connection())
    else:
        trained = not live
    return Overview(
        current=_figures(session, scope, today, live, trained),
        previous=_figures(session, prev, today, live, trained) if common.has_quarter(session, prev.quarter) else None,
        paper_rates=needs_queries.PAPER_PROFILE,
    )
