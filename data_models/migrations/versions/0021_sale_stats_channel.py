"""季度汇报 for all communities at province scale: sale_stats is kept per sales channel too.

The report's cooperative area shows revenue per quarter and channel. For all communities it summed three quarters of
sales (510,000 rows) from ix_sale_quarter_channel: 75 ms of CPU on SQLite, 145 ms on the clock on PostgreSQL, the
largest part of the report once its needs area read need_stats. sale_stats gains `channel` in its key, so the report
reads a few hundred rows; the overview sums sale_stats over the channels as before. The marks stay (community,
quarter): a recount of a pair counts all its channels. The rows are recounted here from the sales; a mark pending
meanwhile is recounted by the next catch-up as before.

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create(with_channel: bool) -> None:
    key = ["quarter", "community_id", *(["channel"] if with_channel else [])]
    op.create_table(
        "sale_stats",
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        *([sa.Column("channel", sa.String(length=32), nullable=False)] if with_channel else []),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("revenue_cents", sa.BigInteger(), nullable=False),
        sa.Column("cost_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*key, name=op.f("pk_sale_stats")),
    )
    cols = ", ".join(key)
    op.execute(f"INSERT INTO sale_stats ({cols}, orders, revenue_cents, cost_cents) "
               f"SELECT {cols}, count(*), sum(revenue_cents), sum(cost_cents) FROM sale GROUP BY {cols}")


def upgrade() -> None:
    op.drop_table("sale_stats")
    _create(with_channel=True)


def downgrade() -> None:
    op.drop_table("sale_stats")
    _create(with_channel=False)
