"""The 合作社分配 page at province scale: one index holds everything its sales queries read.

The page shows one cooperative at a time: its sales by month, its channels and its top members in a quarter. At
province scale a cooperative has about 7,800 of the 1,000,000 sales, which ix_sale_cooperative_month found but then
read row by row from the table (up to 180 ms for the monthly chart on a cold SQLite file). ix_sale_cooperative_page
holds the columns those queries read after the cooperative and month (channel, member, quantity, revenue, cost), so
SQLite reads only the index (1-2 ms; PostgreSQL an index-only scan where the visibility map allows). It replaces
ix_sale_cooperative_month, whose columns it begins with. No summary table: nothing is kept apart from the sales, so
nothing can fall behind a write or an import.

Revision ID: 0020
Revises: 0018 (0019 is the lead's; re-chained at merge)
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["cooperative_id", "month", "channel", "member_id", "quantity", "revenue_cents", "cost_cents"]


def upgrade() -> None:
    op.create_index("ix_sale_cooperative_page", "sale", COLUMNS)
    op.drop_index("ix_sale_cooperative_month", table_name="sale")


def downgrade() -> None:
    op.create_index("ix_sale_cooperative_month", "sale", ["cooperative_id", "month"])
    op.drop_index("ix_sale_cooperative_page", table_name="sale")
