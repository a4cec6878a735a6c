"""合作社分配: cooperatives, their versioned split, members, sales, distribution runs and the public fund."""

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data_models.base import ck, code_field, enum_field, money_field
from data_models.core import utcnow
from data_models.enums import DistributionBasis, HelpFundBasis, RunStatus, SalesChannel


class Cooperative(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    community_id: int = Field(foreign_key="community.id", index=True)
    name: str = Field(max_length=200)
    founded_on: dt.date | None = None
    carry_loss_forward: bool = False
    distribution_basis: DistributionBasis = enum_field(DistributionBasis, default=DistributionBasis.revenue)


class CooperativeSplit(SQLModel, table=True):
    """The split in force from `effective_from`, in basis points (7000 = 70%), so a past period keeps its split.

    A help fund taken from profit is one of the shares that total 100%; one taken from sales comes off the top
    and the other three shares still total 100%.
    """

    __tablename__ = "cooperative_split"
    __table_args__ = (
        sa.UniqueConstraint("cooperative_id", "effective_from", name="uq_cooperative_split_effective"),
        ck("member_bp >= 0 AND cooperative_bp >= 0 AND public_fund_bp >= 0 AND help_fund_bp >= 0",
           "shares_nonnegative"),
        ck("(help_fund_basis = 'none' AND help_fund_bp = 0 AND member_bp + cooperative_bp + public_fund_bp = 10000)"
           " OR (help_fund_basis = 'profit'"
           " AND member_bp + cooperative_bp + public_fund_bp + help_fund_bp = 10000)"
           " OR (help_fund_basis = 'sales' AND help_fund_bp <= 10000"
           " AND member_bp + cooperative_bp + public_fund_bp = 10000)",
           "shares_total_100"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="cooperative.id", index=True)
    effective_from: dt.date
    member_bp: int = 7000
    cooperative_bp: int = 2000
    public_fund_bp: int = 1000
    help_fund_bp: int = 0
    help_fund_basis: HelpFundBasis = enum_field(HelpFundBasis, default=HelpFundBasis.none)


class Member(SQLModel, table=True):
    __table_args__ = (ck("shares_held >= 0", "shares_nonnegative"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    cooperative_id: int = Field(foreign_key="cooperative.id", index=True)
    practitioner_id: int | None = Field(default=None, foreign_key="practitioner.id")
    name: str = Field(max_length=100)
    phone: str | None = Field(default=None, max_length=32)
    joined_on: dt.date
    shares_held: int = 0
    is_active: bool = True


class Sale(SQLModel, table=True):
    __table_args__ = (
        ck("quantity > 0", "quantity_positive"),
        ck("revenue_cents >= 0", "revenue_nonnegative"),
        ck("cost_cents >= 0", "cost_nonnegative"),
        # Everything the cooperative page's sales queries read, so they read the index alone (migration 0020).
        sa.Index("ix_sale_cooperative_page", "cooperative_id", "month", "channel", "member_id", "quantity",
                 "revenue_cents", "cost_cents"),
        # The quarterly report's sales per quarter and channel of every community and of one, and need_stats's
        # recount of a community's sales, read from an index alone (0020).
        sa.Index("ix_sale_quarter_channel", "quarter", "channel", "community_id", "revenue_cents", "cost_cents"),
        sa.Index("ix_sale_community_sums", "community_id", "quarter", "channel", "revenue_cents", "cost_cents"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    cooperative_id: int = Field(foreign_key="cooperative.id")
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    community_id: int = Field(foreign_key="community.id")
    sold_on: dt.date
    month: str = Field(max_length=7)
    quarter: str = Field(max_length=6)      # indexed first in ix_sale_quarter_channel
    channel: SalesChannel = enum_field(SalesChannel)
    product: str = Field(default="", max_length=200)
    quantity: int = 1
    revenue_cents: int = money_field()
    cost_cents: int = money_field()


class DistributionRun(SQLModel, table=True):
    """One split of one cooperative's profit for one period. Approved runs never change."""

    __tablename__ = "distribution_run"
    __table_args__ = (
        ck("revenue_cents >= 0 AND cost_cents >= 0", "totals_nonnegative"),
        ck("member_pool_cents >= 0 AND cooperative_pool_cents >= 0 AND public_fund_cents >= 0"
           " AND help_fund_cents >= 0", "pools_nonnegative"),
        ck("period_end >= period_start", "period_ordered"),
        ck("status != 'approved' OR (approved_at IS NOT NULL AND approved_by IS NOT NULL)", "approval_recorded"),
        sa.Index("ix_distribution_run_coop_period", "cooperative_id", "period"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    cooperative_id: int = Field(foreign_key="cooperative.id")
    split_id: int = Field(foreign_key="cooperative_split.id")
    period: str = Field(max_length=7)
    period_start: dt.date
    period_end: dt.date
    basis: DistributionBasis = enum_field(DistributionBasis)
    status: RunStatus = enum_field(RunStatus, default=RunStatus.draft, index=True)
    revenue_cents: int = money_field()
    cost_cents: int = money_field()
    profit_cents: int = money_field()
    carried_loss_cents: int = money_field()
    help_fund_cents: int = money_field()
    member_pool_cents: int = money_field()
    cooperative_pool_cents: int = money_field()
    public_fund_cents: int = money_field()
    replaces_run_id: int | None = Field(default=None, foreign_key="distribution_run.id")
    created_at: dt.datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=64)
    approved_at: dt.datetime | None = None
    approved_by: str | None = Field(default=None, max_length=64)


class DistributionLine(SQLModel, table=True):
    __tablename__ = "distribution_line"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "member_id", name="uq_distribution_line_run_member"),
        ck("basis_value >= 0", "basis_nonnegative"),
        ck("amount_cents >= 0", "amount_nonnegative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="distribution_run.id", ondelete="CASCADE", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    basis_value: int = Field(default=0, sa_type=sa.BigInteger)
    amount_cents: int = money_field()
    rounding_adjustment_cents: int = Field(default=0, sa_type=sa.BigInteger)


class FundSpending(SQLModel, table=True):
    """A payment out of a cooperative's community public fund."""

    __tablename__ = "fund_spending"
    __table_args__ = (ck("amount_cents > 0", "amount_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    cooperative_id: int = Field(foreign_key="cooperative.id", index=True)
    spent_on: dt.date
    purpose: str = Field(max_length=300)
    amount_cents: int = money_field()
    approver: str = Field(max_length=100)
