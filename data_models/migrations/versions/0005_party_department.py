"""party.department: the department a government office is, so its staff see the requests routed to it.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEPARTMENTS = ("village_committee", "residents_committee", "street_office", "township_government",
               "market_regulation", "human_resources", "transport", "urban_management", "property_management",
               "postal_logistics")


def upgrade() -> None:
    # A nullable column with its CHECK, added in place (SQLite takes a column CHECK in ADD COLUMN): no table
    # rebuild, so a database full of data upgrades in a moment and nothing that refers to party is touched.
    allowed = ", ".join(f"'{d}'" for d in DEPARTMENTS)
    if op.get_context().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE party ADD COLUMN department VARCHAR(32) "
                   f"CONSTRAINT ck_party_department CHECK (department IN ({allowed}))")
    else:
        op.add_column("party", sa.Column("department", sa.String(length=32), nullable=True))
        op.create_check_constraint("ck_party_department", "party", sa.text(f"department IN ({allowed})"))


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.drop_constraint("ck_party_department", "party", type_="check")
    with op.batch_alter_table("party") as batch_op:
        batch_op.drop_column("department")
