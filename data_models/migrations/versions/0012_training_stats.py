"""The 培训成效 page at province scale: a summary table, kept current from pairs the database marks dirty.

* `training_stats`: per enrolment quarter, community, course and vulnerable group ('' for everyone) the funnel's
  and the levels' counts and integer sums that do not depend on today; `training_stats_due`: the pending
  follow-ups by wave and due day (due once the day has come). The page sums a few thousand rows instead of
  joining 500,000 enrolments to their follow-ups.
* `training_stats_dirty` and triggers on enrolment, training_followup and practitioner_group: every write, by any
  code or by hand, marks its (community, quarter) pairs; the reader recounts them (dashboard/training_stats.py).
  SQLite: row triggers with an UPSERT. PostgreSQL: statement triggers over the transition tables, so a bulk load
  marks each pair once per statement instead of once per row.

A database that already holds enrolments gets its tables filled here.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ["enrolled", "attended", "completed", "certified", "m3_reached", "m3_unreachable", "m3_employed",
          "m6_reached", "m6_unreachable", "m6_income_known", "m6_income_up", "stable_base", "stable", "n_paired",
          "gain_n", "sum_pre", "sum_post", *[f"sat_{i}" for i in range(1, 6)],
          *[f"{w}_{c}" for w in ("m3", "m6") for c in ("followups", "ecommerce", "store_answered", "opened_store",
                                                       "streams_answered", "streams_sum", "streams_3plus", "inc_n",
                                                       "inc_up", "inc_down")]]
BIG = ["gain_micro", "gain_sq", "m3_inc_before", "m3_inc_after", "m6_inc_before", "m6_inc_after"]
UPSERT = ("ON CONFLICT (community_id, quarter) DO UPDATE SET gen = training_stats_dirty.gen + 1")

# Per watched table: how to find the (community, quarter) pairs of a set of its rows called `r`.
PAIRS = {
    "enrolment": "SELECT DISTINCT r.community_id, r.quarter, 1 FROM {rows} r",
    "training_followup": "SELECT DISTINCT e.community_id, e.quarter, 1 FROM {rows} r "
                         "JOIN enrolment e ON e.id = r.enrolment_id",
    "practitioner_group": "SELECT DISTINCT e.community_id, e.quarter, 1 FROM {rows} r "
                          "JOIN enrolment e ON e.practitioner_id = r.practitioner_id",
}
EVENTS = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}


def _sqlite_triggers() -> list[str]:
    out = []
    for table in PAIRS:
        for event, olds in EVENTS.items():
            body = []
            for which in olds:
                # The row's own pairs. A WHERE keeps SQLite's parser from reading ON CONFLICT as a join's ON.
                if table == "enrolment":
                    select = f"SELECT {which}.community_id, {which}.quarter, 1 WHERE true"
                elif table == "training_followup":
                    select = (f"SELECT e.community_id, e.quarter, 1 FROM enrolment e "
                              f"WHERE e.id = {which}.enrolment_id")
                else:
                    select = (f"SELECT DISTINCT e.community_id, e.quarter, 1 FROM enrolment e "
                              f"WHERE e.practitioner_id = {which}.practitioner_id")
                body.append(f"INSERT INTO training_stats_dirty (community_id, quarter, gen) {select} {UPSERT};")
            out.append(f"CREATE TRIGGER trg_training_stats_{table}_{event.lower()} AFTER {event} ON {table} "
                       f"BEGIN {' '.join(body)} END")
    return out


def _postgres_triggers() -> list[str]:
    out = []
    for table, pairs in PAIRS.items():
        fn = f"training_stats_mark_{table}"
        mark = {which: f"INSERT INTO training_stats_dirty (community_id, quarter, gen) "
                       f"{pairs.format(rows=f'{which.lower()}_rows')} {UPSERT};" for which in ("OLD", "NEW")}
        out.append(f"""CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN {mark['OLD']} END IF;
  IF TG_OP <> 'DELETE' THEN {mark['NEW']} END IF;
  RETURN NULL;
END $$""")
        for event, olds in EVENTS.items():
            refs = " ".join(f"{w} TABLE AS {w.lower()}_rows" for w in olds)
            out.append(f"CREATE TRIGGER trg_training_stats_{table}_{event.lower()} AFTER {event} ON {table} "
                       f"REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION {fn}()")
    return out


def _keys() -> list[sa.Column]:
    return [sa.Column("quarter", sa.String(length=6), nullable=False),
            sa.Column("community_id", sa.Integer(), nullable=False),
            sa.Column("course_id", sa.Integer(), nullable=False),
            sa.Column("grp", sa.String(length=32), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "training_stats", *_keys(),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in BIG],
        sa.PrimaryKeyConstraint("quarter", "community_id", "course_id", "grp", name=op.f("pk_training_stats")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_training_stats_course_id"), "training_stats", ["course_id"])
    op.create_table(
        "training_stats_due", *_keys(),
        sa.Column("wave", sa.String(length=2), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("quarter", "community_id", "course_id", "grp", "wave", "due_on",
                                name=op.f("pk_training_stats_due")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_training_stats_due_course_id"), "training_stats_due", ["course_id"])
    op.create_table(
        "training_stats_dirty",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("gen", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("community_id", "quarter", name=op.f("pk_training_stats_dirty")),
    )
    conn = op.get_bind()
    for ddl in _postgres_triggers() if conn.dialect.name == "postgresql" else _sqlite_triggers():
        conn.exec_driver_sql(ddl)
    if conn.execute(sa.text("SELECT 1 FROM enrolment LIMIT 1")).first() is not None:
        # The code of today, on the schema of 0012: a later migration that changes training_stats refills it too.
        from dashboard import training_stats
        training_stats.refresh_all(conn)


def downgrade() -> None:
    conn = op.get_bind()
    for table in PAIRS:
        for event in EVENTS:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS trg_training_stats_{table}_{event.lower()}"
                                 + (f" ON {table}" if conn.dialect.name == "postgresql" else ""))
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS training_stats_mark_{table}()")
    op.drop_table("training_stats_dirty")
    op.drop_index("ix_training_stats_due_course_id", "training_stats_due")
    op.drop_table("training_stats_due")
    op.drop_index("ix_training_stats_course_id", "training_stats")
    op.drop_table("training_stats")
