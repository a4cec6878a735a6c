"""Indexes for the needs board: the severity trend, the feedback median and the loop funnel.

(An index on identified_on was tried and dropped: the backlog's range covers nearly every row, and SQLite
then reads the table through the index, three times slower than a scan.)

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_need_assessment_quarter_severity", "need_assessment", ["quarter", "severity"])
    op.create_index("ix_need_assessment_feedback_on", "need_assessment", ["feedback_on"])
    op.create_index("ix_need_assessment_quarter_stages", "need_assessment",
                    ["quarter", "identified_on", "assessed_on", "responded_on", "feedback_on", "closed_on"])


def downgrade() -> None:
    op.drop_index("ix_need_assessment_quarter_stages", "need_assessment")
    op.drop_index("ix_need_assessment_feedback_on", "need_assessment")
    op.drop_index("ix_need_assessment_quarter_severity", "need_assessment")
