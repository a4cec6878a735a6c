"""合作社分配 queries: sales by period, channel and member; runs and their lines; splits; the public fund."""

import datetime as dt
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from dashboard.services.distribution import parse_period
from data_models import (
    Community,
    Cooperative,
    CooperativeSplit,
    DistributionLine,
    DistributionRun,
    FundSpending,
    Member,
    Sale,
    User,
)


def cooperatives(session: Session, *, community_id: int | None = None) -> pd.DataFrame:
    stmt = (sa.select(col(Cooperative.id), col(Cooperative.code), col(Cooperative.name),
                      sa.label("community", col(Community.name)), col(Cooperative.distribution_basis),
                      col(Cooperative.carry_loss_forward))
            .join(Community, col(Community.id) == Cooperative.community_id).order_by(col(Cooperative.code)))
    if community_id is not None:
        stmt = stmt.where(col(Cooperative.community_id) == community_id)
    return pd.DataFrame(session.execute(stmt).all(),
                        columns=["id", "code", "name", "community", "basis", "carry_loss_forward"])


def sales_by_month(session: Session, *, cooperative_id: int) -> pd.DataFrame:
    stmt = (sa.select(col(Sale.month), sa.func.sum(Sale.revenue_cents), sa.func.sum(Sale.cost_cents), sa.func.count())
            .where(col(Sale.cooperative_id) == cooperative_id).group_by(col(Sale.month)).order_by(col(Sale.month)))
    df = pd.DataFrame(session.execute(stmt).all(), columns=["month", "revenue_cents", "cost_cents", "orders"])
    df["profit_cents"] = df["revenue_cents"] - df["cost_cents"]
    return df


def _in_period(period: str | None) -> list[sa.ColumnElement[bool]]:
    return [] if period is None else [col(Sale.month).in_(parse_period(period).months)]


def sales_by_channel(session: Session, *, cooperative_id: int, period: str | None = None) -> pd.DataFrame:
    stmt = (sa.select(col(Sale.channel), sa.func.sum(Sale.revenue_cents),
                      sa.func.sum(col(Sale.revenue_cents) - col(Sale.cost_cents)))
            .where(col(Sale.cooperative_id) == cooperative_id, *_in_period(period))
            .group_by(col(Sale.channel)).order_by(sa.func.sum(Sale.revenue_cents).desc()))
    return pd.DataFrame(session.execute(stmt).all(), columns=["channel", "revenue_cents", "profit_cents"])


def top_members(session: Session, *, cooperative_id: int, period: str | None = None, n: int = 10) -> pd.DataFrame:
    revenue = sa.func.sum(Sale.revenue_cents)
    stmt = (sa.select(col(Member.code), col(Member.name), revenue, sa.func.sum(Sale.quantity), sa.func.count())
            .join(Member, col(Member.id) == Sale.member_id)
            .where(col(Sale.cooperative_id) == cooperative_id, *_in_period(period))
            .group_by(col(Member.code), col(Member.name)).order_by(revenue.desc(), col(Member.code)).limit(n))
    return pd.DataFrame(session.execute(stmt).all(), columns=["code", "name", "revenue_cents", "quantity", "orders"])


RUN_COLUMNS = ["code", "period", "status", "revenue_cents", "cost_cents", "profit_cents", "carried_loss_cents",
               "member_pool_cents", "cooperative_pool_cents", "public_fund_cents", "help_fund_cents",
               "created_by", "created_at", "approved_by", "approved_at"]


def _person(run_column: sa.SQLColumnExpression[str | None], alias: str) -> tuple[sa.ColumnElement[str | None], Any]:
    """Who computed or approved a run by their display name; the stored username where the account has none
    (or no account exists: the demo's runs are signed by role names)."""
    u = aliased(User, name=alias)
    name = sa.func.coalesce(sa.func.nullif(u.display_name, ""), run_column)
    return name, (u, col(u.username) == run_column)


def runs(session: Session, *, cooperative_id: int) -> pd.DataFrame:
    r = DistributionRun
    created_by, (maker, on_maker) = _person(col(r.created_by), "maker")
    approved_by, (checker, on_checker) = _person(col(r.approved_by), "checker")
    named = {"created_by": created_by.label("created_by"), "approved_by": approved_by.label("approved_by")}
    stmt = (sa.select(*(named[c] if c in named else getattr(r, c) for c in RUN_COLUMNS))
            .select_from(r).outerjoin(maker, on_maker).outerjoin(checker, on_checker)
            .where(col(r.cooperative_id) == cooperative_id)
            .order_by(col(r.period_start).desc(), col(r.id).desc()))
    return pd.DataFrame(session.execute(stmt).all(), columns=RUN_COLUMNS)


def run_lines(session: Session, *, run_code: str) -> pd.DataFrame:
    """One row per member: basis, share of the members' pool, amount and rounding adjustment."""
    r, ln = DistributionRun, DistributionLine
    stmt = (sa.select(col(Member.code), col(Member.name), col(ln.basis_value), col(ln.amount_cents),
                      col(ln.rounding_adjustment_cents))
            .join(ln, col(ln.member_id) == Member.id).join(r, col(r.id) == ln.run_id).where(col(r.code) == run_code)
            .order_by(col(Member.code)))
    df = pd.DataFrame(session.execute(stmt).all(),
                      columns=["code", "name", "basis_value", "amount_cents", "adjustment_cents"])
    total = int(df["basis_value"].sum()) if len(df) else 0
    df["share"] = df["basis_value"] / total if total else 0.0
    return df[["code", "name", "basis_value", "share", "amount_cents", "adjustment_cents"]]


def splits(session: Session, *, cooperative_id: int) -> pd.DataFrame:
    s = CooperativeSplit
    stmt = (sa.select(col(s.effective_from), col(s.member_bp), col(s.cooperative_bp), col(s.public_fund_bp),
                      col(s.help_fund_bp), col(s.help_fund_basis))
            .where(col(s.cooperative_id) == cooperative_id).order_by(col(s.effective_from)))
    return pd.DataFrame(session.execute(stmt).all(), columns=[
        "effective_from", "member_bp", "cooperative_bp", "public_fund_bp", "help_fund_bp", "help_fund_basis"])


def fund_ledger(session: Session, *, cooperative_id: int) -> pd.DataFrame:
    """Inflows from approved runs (on their approval date) and spending, with the running balance, in SQL."""
    r, sp = DistributionRun, FundSpending
    inflow = sa.select(
        sa.cast(sa.func.date(r.approved_at), sa.String).label("on"), sa.literal("inflow").label("kind"),
        sa.label("ref", col(r.code)),
        sa.label("text", col(r.period)), sa.label("amount_cents", col(r.public_fund_cents)), sa.literal(0).label("seq"),
    ).where(col(r.cooperative_id) == cooperative_id, col(r.status) == "approved", col(r.public_fund_cents) > 0)
    outflow = sa.select(
        sa.cast(sp.spent_on, sa.String).label("on"), sa.literal("spending").label("kind"),
        sa.label("ref", col(sp.code)), sa.label("text", col(sp.purpose)),
        (-col(sp.amount_cents)).label("amount_cents"), sa.literal(1).label("seq"),
    ).where(col(sp.cooperative_id) == cooperative_id)
    u = sa.union_all(inflow, outflow).subquery()
    stmt = sa.select(
        u.c.on, u.c.kind, u.c.ref, u.c.text, u.c.amount_cents,
        sa.func.sum(u.c.amount_cents).over(order_by=(u.c.on, u.c.seq, u.c.ref)).label("balance_cents"),
    ).order_by(u.c.on, u.c.seq, u.c.ref)
    df = pd.DataFrame(session.execute(stmt).all(),
                      columns=["on", "kind", "ref", "text", "amount_cents", "balance_cents"])
    df["on"] = pd.to_datetime(df["on"]).dt.date
    return df


def fund_balance(session: Session, *, cooperative_id: int, on: dt.date | None = None) -> int:
    r, sp = DistributionRun, FundSpending
    inflow_q = sa.select(sa.func.coalesce(sa.func.sum(r.public_fund_cents), 0)).where(
        col(r.cooperative_id) == cooperative_id, col(r.status) == "approved")
    spend_q = sa.select(sa.func.coalesce(sa.func.sum(sp.amount_cents), 0)).where(
        col(sp.cooperative_id) == cooperative_id)
    if on is not None:
        next_day = dt.datetime.combine(on + dt.timedelta(days=1), dt.time(0), dt.UTC)
        inflow_q = inflow_q.where(col(r.approved_at) < next_day)
        spend_q = spend_q.where(col(sp.spent_on) <= on)
    return int(session.execute(inflow_q).scalar_one()) - int(session.execute(spend_q).scalar_one())
