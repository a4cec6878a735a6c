"""Distribution runs: compute a draft for one cooperative and period, approve it, correct it by a new run.

Totals and bases come from SQL aggregates; the arithmetic is dashboard.services.split. Every write is
audited. An approved run is frozen by database triggers (data_models/guards.py).
"""

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col

from dashboard import audit, locks
from dashboard.periods import MONTH_RE, QUARTER_RE, quarter_bounds, shanghai_today
from dashboard.services.errors import RuleError
from dashboard.services.split import Shares, split_members, split_pools
from data_models import Cooperative, CooperativeSplit, DistributionLine, DistributionRun, Member, Sale
from data_models.core import utcnow
from data_models.enums import DistributionBasis, HelpFundBasis, RunStatus


@dataclass(frozen=True)
class Period:
    key: str
    start: dt.date
    end: dt.date
    months: tuple[str, ...]


def parse_period(key: str) -> Period:
    """2025Q3 or 2025-07."""
    key = key.strip().upper()
    if QUARTER_RE.match(key):
        start, end = quarter_bounds(key)
        months = tuple(f"{start.year}-{m:02d}" for m in range(start.month, start.month + 3))
        return Period(key, start, end, months)
    if MONTH_RE.match(key):
        year, month = int(key[:4]), int(key[5:])
        start = dt.date(year, month, 1)
        end = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
        return Period(key, start, end, (key,))
    raise RuleError("distribution.bad_period", period=key)


def cooperative_by_code(session: Session, code: str) -> Cooperative:
    coop = session.execute(sa.select(Cooperative).where(col(Cooperative.code) == code)).scalar_one_or_none()
    if coop is None:
        raise RuleError("distribution.unknown_coop", code=code)
    return coop


def split_in_force(session: Session, cooperative_id: int, on: dt.date) -> CooperativeSplit | None:
    """The split whose effective date is the latest on or before `on`."""
    stmt = (sa.select(CooperativeSplit).where(col(CooperativeSplit.cooperative_id) == cooperative_id,
                                              col(CooperativeSplit.effective_from) <= on)
            .order_by(col(CooperativeSplit.effective_from).desc()).limit(1))
    return session.execute(stmt).scalar_one_or_none()


def set_split(session: Session, *, cooperative_id: int, effective_from: dt.date, shares: Shares,
              actor: str) -> CooperativeSplit:
    """Add a split version; past periods keep the version they were computed with."""
    shares.validate()
    exists = session.execute(sa.select(col(CooperativeSplit.id)).where(
        col(CooperativeSplit.cooperative_id) == cooperative_id, col(CooperativeSplit.effective_from) == effective_from)
    ).first()
    if exists:
        raise RuleError("split.duplicate_date", date=effective_from.isoformat())
    row = CooperativeSplit(cooperative_id=cooperative_id, effective_from=effective_from,
                           member_bp=shares.member_bp, cooperative_bp=shares.cooperative_bp,
                           public_fund_bp=shares.public_fund_bp, help_fund_bp=shares.help_fund_bp,
                           help_fund_basis=HelpFundBasis(shares.help_fund_basis))
    session.add(row)
    session.flush()
    audit.record(session.connection(), actor=actor, action="create", entity="cooperative_split",
                 entity_id=str(row.id), after=row.model_dump())
    return row


def _totals(session: Session, coop_id: int, period: Period) -> tuple[int, int]:
    revenue, cost = session.execute(sa.select(
        sa.func.coalesce(sa.func.sum(Sale.revenue_cents), 0), sa.func.coalesce(sa.func.sum(Sale.cost_cents), 0),
    ).where(col(Sale.cooperative_id) == coop_id, col(Sale.month).in_(period.months))).one()
    return int(revenue), int(cost)


def _has_sales(session: Session, run: DistributionRun) -> bool:
    months = parse_period(run.period).months
    return session.execute(sa.select(col(Sale.id)).where(
        col(Sale.cooperative_id) == run.cooperative_id, col(Sale.month).in_(months)).limit(1)).first() is not None


def _bases(session: Session, coop: Cooperative, period: Period) -> dict[int, tuple[str, int]]:
    """member id -> (member code, basis) for every active member who had joined by the period's end."""
    members = session.execute(sa.select(col(Member.id), col(Member.code), col(Member.shares_held)).where(
        col(Member.cooperative_id) == coop.id, col(Member.is_active) == sa.true(),
        col(Member.joined_on) <= period.end)).all()
    if coop.distribution_basis == "shares":
        return {mid: (code, int(held)) for mid, code, held in members}
    column = col(Sale.revenue_cents) if coop.distribution_basis == "revenue" else col(Sale.quantity)
    sold = dict(session.execute(
        sa.select(col(Sale.member_id), sa.func.sum(column)).where(
            col(Sale.cooperative_id) == coop.id, col(Sale.month).in_(period.months),
            col(Sale.member_id).is_not(None)).group_by(col(Sale.member_id))).all())
    return {mid: (code, int(sold.get(mid) or 0)) for mid, code, _ in members}


def _carried_loss(session: Session, coop: Cooperative, period: Period) -> int:
    """The loss brought into this period: what the last approved run before it left uncovered."""
    if not coop.carry_loss_forward:
        return 0
    prev = session.execute(
        sa.select(col(DistributionRun.carried_loss_cents), col(DistributionRun.profit_cents))
        .where(col(DistributionRun.cooperative_id) == coop.id, col(DistributionRun.status) == "approved",
               col(DistributionRun.period_end) < period.start)
        .order_by(col(DistributionRun.period_end).desc()).limit(1)).first()
    return 0 if prev is None else max(0, int(prev[0]) - int(prev[1]))


def _serialise_runs(session: Session, cooperative_id: int) -> None:
    """One computation or approval per cooperative at a time, so each reads the runs the previous one left:
    two approvals of one draft, or a recomputation during an approval, cannot both go through."""
    locks.serialise(session.connection(), f"distribution_run:{cooperative_id}")


def _runs(session: Session, coop_id: int, period: str, *statuses: str) -> list[DistributionRun]:
    return list(session.execute(sa.select(DistributionRun).where(
        col(DistributionRun.cooperative_id) == coop_id, col(DistributionRun.period) == period,
        col(DistributionRun.status).in_(statuses))).scalars())


@dataclass(frozen=True)
class ReplacedDraft:
    code: str
    created_by: str


@dataclass(frozen=True)
class Computed:
    run: DistributionRun
    replaced: ReplacedDraft | None    # the draft this one replaced, and who had computed it


def compute(session: Session, *, cooperative_code: str, period: str, actor: str,
            correction: bool = False, at: dt.datetime | None = None, allow_unfinished: bool = False,
            today: dt.date | None = None) -> DistributionRun:
    """Compute (or recompute) the draft run. With `correction`, a draft that will replace the approved run."""
    return compute_draft(session, cooperative_code=cooperative_code, period=period, actor=actor,
                         correction=correction, at=at, allow_unfinished=allow_unfinished, today=today).run


def compute_draft(session: Session, *, cooperative_code: str, period: str, actor: str,
                  correction: bool = False, at: dt.datetime | None = None, allow_unfinished: bool = False,
                  today: dt.date | None = None) -> Computed:
    """compute(), also naming the draft it replaced. A period that has not ended (its last day is today or
    later; `today` defaults to today in Shanghai) is refused unless `allow_unfinished`: its sales are not all in."""
    coop = cooperative_by_code(session, cooperative_code)
    assert coop.id is not None
    p = parse_period(period)
    if p.end >= (today or shanghai_today()) and not allow_unfinished:
        raise RuleError("distribution.unfinished", period=p.key, end=p.end.isoformat())
    _serialise_runs(session, coop.id)
    approved = _runs(session, coop.id, p.key, "approved")
    if approved and not correction:
        raise RuleError("distribution.already_approved", code=approved[0].code)
    if correction and not approved:
        raise RuleError("distribution.nothing_to_correct", period=p.key)
    # A month and its quarter must never both pay out the same profit.
    overlap = session.execute(sa.select(col(DistributionRun.code)).where(
        col(DistributionRun.cooperative_id) == coop.id, col(DistributionRun.period) != p.key,
        col(DistributionRun.status).in_(("draft", "approved")),
        col(DistributionRun.period_start) <= p.end, col(DistributionRun.period_end) >= p.start)).first()
    if overlap:
        raise RuleError("distribution.overlaps", code=overlap[0], period=p.key)
    replaced = None
    for draft in _runs(session, coop.id, p.key, "draft"):
        replaced = ReplacedDraft(draft.code, draft.created_by)
        audit.record(session.connection(), actor=actor, action="delete", entity="distribution_run",
                     entity_id=draft.code, before={"status": "draft", "profit_cents": draft.profit_cents})
        session.delete(draft)
    session.flush()

    split = split_in_force(session, coop.id, p.start)
    if split is None:
        raise RuleError("distribution.no_split", code=coop.code, date=p.start.isoformat())
    assert split.id is not None
    shares = Shares(split.member_bp, split.cooperative_bp, split.public_fund_bp, split.help_fund_bp,
                    str(split.help_fund_basis))
    revenue, cost = _totals(session, coop.id, p)
    carried = _carried_loss(session, coop, p)
    pools = split_pools(revenue - cost - carried, revenue, shares)
    bases = _bases(session, coop, p)
    if pools.members.amount and not any(b for _, b in bases.values()):
        raise RuleError("distribution.no_member_basis", basis=str(coop.distribution_basis), period=p.key)
    lines = split_members(pools.members.amount, {code: b for code, b in bases.values()})

    n = session.execute(sa.select(sa.func.count()).select_from(DistributionRun).where(
        col(DistributionRun.cooperative_id) == coop.id, col(DistributionRun.period) == p.key)).scalar_one()
    run = DistributionRun(
        code=f"{coop.code}-{p.key}-{n + 1}", cooperative_id=coop.id, split_id=split.id, period=p.key,
        period_start=p.start, period_end=p.end, basis=DistributionBasis(coop.distribution_basis),
        status=RunStatus.draft,
        revenue_cents=revenue, cost_cents=cost, profit_cents=revenue - cost, carried_loss_cents=carried,
        help_fund_cents=pools.help_fund.amount, member_pool_cents=pools.members.amount,
        cooperative_pool_cents=pools.cooperative.amount, public_fund_cents=pools.public_fund.amount,
        replaces_run_id=approved[0].id if correction else None, created_by=actor, created_at=at or utcnow(),
    )
    session.add(run)
    session.flush()
    code_to_id = {code: mid for mid, (code, _) in bases.items()}
    if lines:
        session.execute(sa.insert(DistributionLine), [
            {"run_id": run.id, "member_id": code_to_id[code], "basis_value": bases[code_to_id[code]][1],
             "amount_cents": s.amount, "rounding_adjustment_cents": s.adjustment}
            for code, s in lines.items()
        ])
    audit.record(session.connection(), actor=actor, action="create", entity="distribution_run",
                 entity_id=run.code, after=run_summary(run))
    return Computed(run, replaced)


def open_draft(session: Session, *, cooperative_code: str, period: str) -> DistributionRun:
    """The period's draft waiting for approval."""
    coop = cooperative_by_code(session, cooperative_code)
    assert coop.id is not None
    drafts = _runs(session, coop.id, parse_period(period).key, "draft")
    if not drafts:
        raise RuleError("distribution.no_draft", code=coop.code, period=period)
    return drafts[-1]


def _instant(value: dt.datetime) -> dt.datetime:
    """A stored timestamp compared to the microsecond, whichever way the database returned it (naive is UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def approve(session: Session, *, run_code: str, actor: str, at: dt.datetime | None = None,
            computed_at: dt.datetime | None = None) -> DistributionRun:
    """Approve a draft. If it corrects an approved run, that run becomes `reversed`; both are kept.

    `computed_at`: when the draft the approver saw was computed. A recomputation deletes the draft, and the new one
    takes the same code (and on SQLite the same id): a draft recomputed meanwhile is refused, not approved unseen."""
    stmt = sa.select(DistributionRun).where(col(DistributionRun.code) == run_code)
    run = session.execute(stmt).scalar_one_or_none()
    if run is None:
        raise RuleError("distribution.unknown_run", code=run_code)
    _serialise_runs(session, run.cooperative_id)
    # Read again under the lock: another approval may have gone through since.
    run = session.execute(stmt.execution_options(populate_existing=True)).scalar_one_or_none()
    if run is None:
        raise RuleError("distribution.unknown_run", code=run_code)
    if computed_at is not None and _instant(run.created_at) != _instant(computed_at):
        raise RuleError("distribution.recomputed_meanwhile", code=run.code, by=run.created_by)
    if run.status != "draft":
        raise RuleError("distribution.not_draft", code=run.code, status=str(run.status))
    if run.created_by == actor:  # four eyes: whoever computed a run cannot also approve it
        raise RuleError("distribution.four_eyes", code=run.code, actor=actor)
    if not _has_sales(session, run):  # a ¥0 run frozen for good is worse than no run
        raise RuleError("distribution.no_sales", code=run.code, period=run.period)
    if run.replaces_run_id is not None:
        old = session.get(DistributionRun, run.replaces_run_id)
        assert old is not None
        old.status = RunStatus.reversed
        session.flush()
        audit.record(session.connection(), actor=actor, action="reverse", entity="distribution_run",
                     entity_id=old.code, before={"status": "approved"},
                     after={"status": "reversed", "replaced_by": run.code})
    run.status = RunStatus.approved
    run.approved_at = at or utcnow()
    run.approved_by = actor
    session.flush()
    audit.record(session.connection(), actor=actor, action="approve", entity="distribution_run",
                 entity_id=run.code, before={"status": "draft"}, after=run_summary(run))
    return run


def run_summary(run: DistributionRun) -> dict[str, object]:
    return {k: getattr(run, k) for k in (
        "code", "period", "status", "revenue_cents", "cost_cents", "profit_cents", "carried_loss_cents",
        "help_fund_cents", "member_pool_cents", "cooperative_pool_cents", "public_fund_cents", "created_by",
        "approved_by")} | {"basis": str(run.basis)}
