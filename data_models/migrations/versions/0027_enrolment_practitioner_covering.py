"""enrolment: ix_enrolment_practitioner_id also holds quarter, completed, community_id and course_id, so the training
page's verified income finds each member's completed enrolments of the quarter from the index alone.

dashboard.queries.training_levels.income_verified joins the cooperative members who are practitioners to their
completed enrolments in the quarter (and community), then to the course. With practitioner_id alone in the index,
SQLite read every one of a member's enrolments from the table to test its quarter and completion: 69-83 ms for all
communities at province scale (5,120 members, 500,000 enrolments), 41 ms for one. From the widened index, 41-50 ms
and 18-21 ms. The index is rebuilt under its name with practitioner_id still first: the foreign key's checks and
every lookup by practitioner read the same leading column.

The columns are written out here, not imported from the model, so that this migration stays as it is if the model's
list changes later.

Revision ID: 0027
Revises: 0026
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ["practitioner_id"]
AFTER = ["practitioner_id", "quarter", "completed", "community_id", "course_id"]


def _rebuild(columns: list[str]) -> None:
    op.drop_index("ix_enrolment_practitioner_id", "enrolment")
    op.create_index("ix_enrolment_practitioner_id", "enrolment", columns)
    # Statistics for the rebuilt index, sampled as dashboard.bulk samples them after an import.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA analysis_limit = 400")
    op.execute("ANALYZE enrolment")


def upgrade() -> None:
    _rebuild(AFTER)


def downgrade() -> None:
    _rebuild(BEFORE)
