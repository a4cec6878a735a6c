"""The request page at province scale: a summary table kept current on write, and an index of the open requests.

* `request_stats`: per community, quarter, category and lead unit the counts of the requests raised there that do not
  depend on today (dashboard/request_stats.py keeps it current on every move, import, undo and seed). The page's
  trend and summary, its table by category and its unit ranking sum a few thousand of its rows instead of counting
  200,000 requests.
* `ix_request_open` (quarter, status, community_id, deadline, raised_on, code, category, lead_unit_id): what depends
  on today — open, overdue, at risk, in all and by category and unit — and the list's most urgent requests are read
  from the open requests alone, in the index (neither the finished requests nor the table are read to count or
  order them).

A database that already holds requests gets its table filled here, with the calendar it holds.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ["collected", "finished", "solved", "partly_solved", "counted", "on_time", "unreasonable", "reopened",
          "sent_back", "responded", "cb_satisfied", "cb_basically_satisfied", "cb_dissatisfied", "cb_unreachable"]
OPEN_INDEX = ["quarter", "status", "community_id", "deadline", "raised_on", "code", "category", "lead_unit_id"]


def upgrade() -> None:
    op.create_table(
        "request_stats",
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("lead_unit_id", sa.Integer(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
        sa.ForeignKeyConstraint(["community_id"], ["community.id"],
                                name=op.f("fk_request_stats_community_id_community")),
        sa.PrimaryKeyConstraint("quarter", "community_id", "category", "lead_unit_id", name=op.f("pk_request_stats")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_request_open", "request", OPEN_INDEX)
    conn = op.get_bind()
    if conn.execute(sa.text("SELECT 1 FROM request LIMIT 1")).first() is not None:
        # The code of today: it counts only if the table has every column it fills; when a later migration has
        # changed request_stats, that migration fills it instead (0014).
        from dashboard import request_stats
        request_stats.refill_in_migration(conn)


def downgrade() -> None:
    op.drop_index("ix_request_open", "request")
    op.drop_table("request_stats")
