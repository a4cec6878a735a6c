"""The 合作社分配 page and the 季度汇报's cooperative area at province scale: indexes that hold everything their sales
queries read.

The page shows one cooperative at a time: its sales by month, its channels and its top members in a quarter. At
province scale a cooperative has about 7,800 of the 1,000,000 sales, which ix_sale_cooperative_month found but then
read row by row from the table (up to 180 ms for the monthly chart on a cold SQLite file). ix_sale_cooperative_page
holds the columns those queries read after the cooperative and month (channel, member, quantity, revenue, cost), so
SQLite reads only the index (1-2 ms; PostgreSQL an index-only scan where the visibility map allows). It replaces
ix_sale_cooperative_month, whose columns it begins with. No summary table: nothing is kept apart from the sales, so
nothing can fall behind a write or an import.

The quarterly report for all communities sums three quarters of sales per quarter and channel (510,000 rows):
through ix_sale_quarter it read each row from the table (0.5 s of CPU, 2 s on the clock on SQLite).
ix_sale_quarter_channel (quarter, channel, community, revenue, cost) answers it from the index in its order (75 ms of
CPU). It replaces ix_sale_quarter, its first column. One community's report (and need_stats's recount of a community's
sales) would then scan that index's quarter for the community: ix_sale_community_sums (community, quarter, channel,
revenue, cost) replaces ix_sale_community_quarter and answers both from a few index entries (under 1 ms).

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAGE = ["cooperative_id", "month", "channel", "member_id", "quantity", "revenue_cents", "cost_cents"]
REPORT = ["quarter", "channel", "community_id", "revenue_cents", "cost_cents"]
COMMUNITY = ["community_id", "quarter", "channel", "revenue_cents", "cost_cents"]


def upgrade() -> None:
    op.create_index("ix_sale_cooperative_page", "sale", PAGE)
    op.drop_index("ix_sale_cooperative_month", table_name="sale")
    op.create_index("ix_sale_quarter_channel", "sale", REPORT)
    op.drop_index("ix_sale_quarter", table_name="sale")
    op.create_index("ix_sale_community_sums", "sale", COMMUNITY)
    op.drop_index("ix_sale_community_quarter", table_name="sale")


def downgrade() -> None:
    op.create_index("ix_sale_community_quarter", "sale", ["community_id", "quarter"])
    op.drop_index("ix_sale_community_sums", table_name="sale")
    op.create_index("ix_sale_quarter", "sale", ["quarter"])
    op.drop_index("ix_sale_quarter_channel", table_name="sale")
    op.create_index("ix_sale_cooperative_month", "sale", ["cooperative_id", "month"])
    op.drop_index("ix_sale_cooperative_page", table_name="sale")
