"""The data version: a stamp that every write to a data table moves, by database triggers, so that every app server
drops its cached figures at its next rerun (dashboard/data_version.py).

PostgreSQL: one statement-level trigger per table (one bump per transaction, a bulk load or COPY included), counting
in the writing backend's own row of `data_version`. SQLite: no triggers (a row trigger cost 11-12 % on a 100,000-row
import); the app's engines bump once per transaction (data_version.watch).

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dashboard import data_version

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The data tables as of 0016 (a later migration that adds a table installs its trigger with data_version.install).
TABLES = [
    "action_item", "action_update", "agenda_item", "calendar_day", "case_check", "case_event", "case_party",
    "case_request", "certificate", "comment_batch", "comment_candidate", "comment_column_map", "community",
    "consultation_case", "cooperative", "cooperative_split", "course", "decision", "distribution_line",
    "distribution_run", "enrolment", "fund_spending", "import_batch", "import_change", "livestream_comment",
    "livestream_session", "meeting", "meeting_attendance", "member", "minutes_addendum", "minutes_signature",
    "need_assessment", "need_event", "party", "practitioner", "practitioner_group", "report_confirmation",
    "report_version", "request", "request_callback", "request_event", "request_sla", "request_support", "sale",
    "subsidy_rule", "training_followup", "unit",
]


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("slot", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("slot", name=op.f("pk_data_version")),
    )
    data_version.install(op.get_bind(), TABLES)


def downgrade() -> None:
    data_version.uninstall(op.get_bind(), TABLES)
    op.drop_table("data_version")
