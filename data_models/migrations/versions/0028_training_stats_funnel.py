"""training_stats: ix_training_stats_funnel (grp, quarter, community_id, course_id and the funnel's five counts), so the
overview's and the quarterly report's training funnel are summed from an index instead of the table's wide rows.

The overview sums enrolled, completed, certified, m3_reached and m3_employed over everyone's rows of the quarter; the
report does the same per course level over three quarters (dashboard.queries.report.training_by_level). Without this
index both read every row of those quarters, all 50 columns wide and every vulnerable group's rows with them: at
province scale on PostgreSQL a sequential scan of the 75,000 rows: the report's funnel for all communities took
22-37 ms, and 9-21 ms from the index. community_id third serves a community's scope from the same index.

The columns are written out here, not imported from the model, so that this migration stays as it is if the model's
list changes later.

Revision ID: 0028
Revises: 0027
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["grp", "quarter", "community_id", "course_id", "enrolled", "completed", "certified", "m3_reached",
           "m3_employed"]


def upgrade() -> None:
    op.create_index("ix_training_stats_funnel", "training_stats", COLUMNS)
    # Statistics for the new index, sampled as dashboard.bulk samples them after an import.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA analysis_limit = 400")
    op.execute("ANALYZE training_stats")


def downgrade() -> None:
    op.drop_index("ix_training_stats_funnel", "training_stats")
