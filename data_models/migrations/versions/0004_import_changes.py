"""import_change: what each import created or updated, so the last batch of an entity can be undone.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batch.id"], name="fk_import_change_batch_id_import_batch",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_import_change"),
    )
    op.create_index("ix_import_change_batch_id", "import_change", ["batch_id"])


def downgrade() -> None:
    op.drop_index("ix_import_change_batch_id", "import_change")
    op.drop_table("import_change")
