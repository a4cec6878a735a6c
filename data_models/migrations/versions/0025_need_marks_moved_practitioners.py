"""need_stats: mark the pairs that the triggers before 0019 could have left stale.

A need stays in the community it was recorded in when its practitioner moves, and its need_stats rows carry the
practitioner's employment type and group tags. Before 0019 a change to such a practitioner (or to their tags) marked
only the practitioner's own community ('*'), not the (community, quarter) pairs of their needs recorded elsewhere, so
those pairs could keep counts from before the change. 0019 made the triggers mark them but, as its docstring says,
left the pairs already missed to the next change. This marks them now: every (community, quarter) of a need whose
practitioner is in another community, once, in one ordered upsert as the triggers mark. The next page view recounts
them (dashboard/need_stats.py catch_up); a pair that was right is recounted to the same rows. A database with no such
need (the seed has none) gets no mark.

Downgrade: nothing to undo (a mark only asks for a recount).

Revision ID: 0025
Revises: 0024
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MARK_MOVED = (
    "INSERT INTO need_stats_dirty (community_id, quarter, gen) "
    "SELECT DISTINCT n.community_id, n.quarter, 1 FROM need_assessment n "
    "JOIN practitioner p ON p.id = n.practitioner_id WHERE p.community_id <> n.community_id ORDER BY 1, 2 "
    "ON CONFLICT (community_id, quarter) DO UPDATE SET gen = need_stats_dirty.gen + 1")


def upgrade() -> None:
    op.execute(MARK_MOVED)


def downgrade() -> None:
    pass
