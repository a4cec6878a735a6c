"""季度汇报: published report versions (a frozen snapshot of the figures and the narrative, restatements with a
reason and the changed figures) and the parties' confirmations of a version.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_key", sa.String(length=16), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("cut_off_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope_key", "quarter", "version", name="uq_report_version_scope_quarter_version"),
        sa.CheckConstraint("version >= 1", name="ck_report_version_version_positive"),
        sa.CheckConstraint("version = 1 OR length(reason) > 0", name="ck_report_version_restatement_reason"),
    )
    op.create_index(op.f("ix_report_version_scope_key"), "report_version", ["scope_key"])
    op.create_table(
        "report_confirmation",
        sa.Column("report_version_id", sa.Integer(), nullable=False),
        sa.Column("party_kind", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["report_version_id"], ["report_version.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("report_version_id", "party_kind"),
    )


def downgrade() -> None:
    op.drop_table("report_confirmation")
    op.drop_index(op.f("ix_report_version_scope_key"), table_name="report_version")
    op.drop_table("report_version")
