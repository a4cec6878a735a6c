"""Triggers: an approved distribution run and its lines never change (approved -> reversed only).

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

from data_models import guards

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    guards.create(op.get_bind(), version=1)   # as it was then; 0007 installs version 2


def downgrade() -> None:
    guards.drop(op.get_bind())
