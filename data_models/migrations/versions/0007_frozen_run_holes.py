"""Triggers, version 2: close the ways raw SQL could still change an approved distribution run.

A line moved into an approved run (the new parent is checked as well as the old), a run inserted already approved
or reversed, SQLite's INSERT OR REPLACE / UPDATE OR REPLACE over a frozen run or line (the replaced row's DELETE
trigger does not fire), and PostgreSQL's TRUNCATE (a statement trigger). See data_models/guards.py.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from data_models import guards

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    conn = op.get_bind()
    guards.drop(conn)
    guards.create(conn, version=2)


def downgrade() -> None:
    conn = op.get_bind()
    guards.drop(conn)
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("DROP FUNCTION IF EXISTS distribution_truncate_guard()"))
    guards.create(conn, version=1)
