"""need_stats: one index for a community's rows of one kind over the quarters, covering every column.

The needs page and the overview sum a community's rows (or all communities', community 0) of a few kinds over every
quarter up to the one shown («open at the quarter's end», the severity by quarter, the feedback). They were read
through ix_need_stats_community (community, quarter), fetching each row of every kind from the table to look at its
kind: at province scale three such queries took 12-22 ms each on SQLite, 128 ms in all over the needs page's and the
overview's statements for three scopes. ix_need_stats_scope (grp, kind, community, quarter, then the rest of the key
and the count) answers them from the index alone: 4 ms in all. It also answers what ix_need_stats_k1 (grp, kind,
community, k1) did, the feedback of one quarter, from a few rows per quarter, so that index goes: a recount keeps up
one index more than the key, as before.

Revision ID: 0023
Revises: 0021
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCOPE = ["grp", "kind", "community_id", "quarter", "k1", "k2", "v", "n"]


def upgrade() -> None:
    op.create_index("ix_need_stats_scope", "need_stats", SCOPE)
    op.drop_index("ix_need_stats_k1", "need_stats")


def downgrade() -> None:
    op.create_index("ix_need_stats_k1", "need_stats", ["grp", "kind", "community_id", "k1", "n"])
    op.drop_index("ix_need_stats_scope", "need_stats")
