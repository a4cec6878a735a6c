"""The 培训补贴 (subsidy) section at province scale: `training_stats_employed`, kept with training_stats.

Per enrolment quarter, community and course: the certified learners a reached follow-up found employed, by the days
they were first so found at 3 and at 6 months, and how many. The subsidy's second tranche counts those within each
course's window; it summed them by joining a quarter's 37,000 certified enrolments to their follow-ups (130-440 ms on
PostgreSQL at province scale). The rows are recounted with training_stats from the pairs migration 0012's triggers
mark dirty (dashboard/training_stats.py), so no trigger is added here.

A database that already holds enrolments gets the table filled here (with SQL of its own, not today's code).

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMPLOYED = ("ecommerce_employed", "ecommerce_self", "other_work")     # every answer but not_employed, as of 0018

FILL = """
INSERT INTO training_stats_employed (quarter, community_id, course_id, m3_on, m6_on, n)
SELECT quarter, community_id, course_id, m3_on, m6_on, count(*) FROM (
  SELECT e.quarter, e.community_id, e.course_id,
         min(CASE WHEN f.wave = 'm3' THEN f.reached_on END) AS m3_on,
         min(CASE WHEN f.wave = 'm6' THEN f.reached_on END) AS m6_on
  FROM enrolment e JOIN training_followup f ON f.enrolment_id = e.id
  WHERE e.certified = :yes AND f.reached_on IS NOT NULL AND f.employment IN :employed
  GROUP BY e.id, e.quarter, e.community_id, e.course_id
) AS learner
GROUP BY quarter, community_id, course_id, m3_on, m6_on
ORDER BY quarter, community_id, course_id, m3_on, m6_on
"""


def upgrade() -> None:
    op.create_table(
        "training_stats_employed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("m3_on", sa.Date(), nullable=True),
        sa.Column("m6_on", sa.Date(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_stats_employed")),
    )
    op.create_index(op.f("ix_training_stats_employed_course_id"), "training_stats_employed", ["course_id"])
    op.create_index("ix_training_stats_employed_pair", "training_stats_employed", ["quarter", "community_id"])
    conn = op.get_bind()
    conn.execute(sa.text(FILL).bindparams(sa.bindparam("employed", expanding=True)),
                 {"yes": True, "employed": list(EMPLOYED)})


def downgrade() -> None:
    op.drop_index("ix_training_stats_employed_pair", "training_stats_employed")
    op.drop_index("ix_training_stats_employed_course_id", "training_stats_employed")
    op.drop_table("training_stats_employed")
