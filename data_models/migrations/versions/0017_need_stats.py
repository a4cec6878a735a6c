"""The 首页 and 需求评估 pages at province scale: need_stats, practitioner_stats and sale_stats, kept current from pairs the
database marks dirty (as training_stats, migration 0012).

* `need_stats`: per need quarter, community and vulnerable group ('' for everyone) the needs' counts by kind and key
  (dashboard/need_stats.py); `practitioner_stats`: per quarter the practitioners registered by its end, by dimension
  and code; `practitioner_stats_quarter`: the quarters it holds.
* need_assessment's indexes for the backlog: the open needs oldest first (partial), and by closing day.
* `sale_stats`: per quarter and community the sales' orders, revenue and cost (the overview's cooperative tile).
* `need_stats_dirty` and triggers on need_assessment and sale (mark the row's (community, quarter)), practitioner and
  practitioner_group (mark (community, '*'): every quarter of the community). SQLite: row triggers with an UPSERT.
  PostgreSQL: statement triggers over the transition tables.

A database that already holds needs or practitioners gets its tables filled here.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPSERT = "ON CONFLICT (community_id, quarter) DO UPDATE SET gen = need_stats_dirty.gen + 1"

# Per watched table: the (community, quarter) pairs of a set of its rows called `r`.
PAIRS = {
    "need_assessment": "SELECT DISTINCT r.community_id, r.quarter, 1 FROM {rows} r",
    "sale": "SELECT DISTINCT r.community_id, r.quarter, 1 FROM {rows} r",
    "practitioner": "SELECT DISTINCT r.community_id, '*', 1 FROM {rows} r",
    "practitioner_group": "SELECT DISTINCT p.community_id, '*', 1 FROM {rows} r "
                          "JOIN practitioner p ON p.id = r.practitioner_id",
}
EVENTS = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}


def _sqlite_triggers() -> list[str]:
    out = []
    for table in PAIRS:
        for event, olds in EVENTS.items():
            body = []
            for which in olds:
                # A WHERE keeps SQLite's parser from reading ON CONFLICT as a join's ON.
                if table in ("need_assessment", "sale"):
                    select = f"SELECT {which}.community_id, {which}.quarter, 1 WHERE true"
                elif table == "practitioner":
                    select = f"SELECT {which}.community_id, '*', 1 WHERE true"
                else:
                    select = f"SELECT p.community_id, '*', 1 FROM practitioner p WHERE p.id = {which}.practitioner_id"
                body.append(f"INSERT INTO need_stats_dirty (community_id, quarter, gen) {select} {UPSERT};")
            out.append(f"CREATE TRIGGER trg_need_stats_{table}_{event.lower()} AFTER {event} ON {table} "
                       f"BEGIN {' '.join(body)} END")
    return out


def _postgres_triggers() -> list[str]:
    out = []
    for table, pairs in PAIRS.items():
        fn = f"need_stats_mark_{table}"
        mark = {which: f"INSERT INTO need_stats_dirty (community_id, quarter, gen) "
                       f"{pairs.format(rows=f'{which.lower()}_rows')} {UPSERT};" for which in ("OLD", "NEW")}
        out.append(f"""CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN {mark['OLD']} END IF;
  IF TG_OP <> 'DELETE' THEN {mark['NEW']} END IF;
  RETURN NULL;
END $$""")
        for event, olds in EVENTS.items():
            refs = " ".join(f"{w} TABLE AS {w.lower()}_rows" for w in olds)
            out.append(f"CREATE TRIGGER trg_need_stats_{table}_{event.lower()} AFTER {event} ON {table} "
                       f"REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION {fn}()")
    return out


def upgrade() -> None:
    op.create_table(
        "need_stats",
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("grp", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("k1", sa.String(length=32), nullable=False),
        sa.Column("k2", sa.String(length=32), nullable=False),
        sa.Column("v", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("quarter", "grp", "kind", "community_id", "k1", "k2", "v",
                                name=op.f("pk_need_stats")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_need_stats_k1", "need_stats", ["grp", "kind", "community_id", "k1", "n"])
    op.create_index("ix_need_stats_community", "need_stats", ["community_id", "quarter"])
    op.create_table(
        "practitioner_stats",
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("grp", sa.String(length=32), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("dim", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("quarter", "grp", "community_id", "dim", "code", name=op.f("pk_practitioner_stats")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_practitioner_stats_community", "practitioner_stats", ["community_id", "quarter"])
    op.create_table(
        "practitioner_stats_quarter",
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.PrimaryKeyConstraint("quarter", name=op.f("pk_practitioner_stats_quarter")),
    )
    op.create_table(
        "sale_stats",
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("revenue_cents", sa.BigInteger(), nullable=False),
        sa.Column("cost_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("quarter", "community_id", name=op.f("pk_sale_stats")),
    )
    op.create_table(
        "need_stats_dirty",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("gen", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("community_id", "quarter", name=op.f("pk_need_stats_dirty")),
    )
    open_only = sa.text("closed_on IS NULL")
    op.create_index("ix_need_assessment_open", "need_assessment", ["identified_on", "code"],
                    sqlite_where=open_only, postgresql_where=open_only)
    op.create_index("ix_need_assessment_open_community", "need_assessment", ["community_id", "identified_on", "code"],
                    sqlite_where=open_only, postgresql_where=open_only)
    closed_only = sa.text("closed_on IS NOT NULL")
    op.create_index("ix_need_assessment_closed_on", "need_assessment", ["closed_on"],
                    sqlite_where=closed_only, postgresql_where=closed_only)
    conn = op.get_bind()
    for ddl in _postgres_triggers() if conn.dialect.name == "postgresql" else _sqlite_triggers():
        conn.exec_driver_sql(ddl)
    if conn.execute(sa.text("SELECT 1 FROM practitioner UNION ALL SELECT 1 FROM sale LIMIT 1")).first() is not None:
        # The code of today, on the schema of 0017: a later migration that changes these tables refills them too.
        from dashboard import need_stats
        need_stats.refresh_all(conn)


def downgrade() -> None:
    conn = op.get_bind()
    for table in PAIRS:
        for event in EVENTS:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS trg_need_stats_{table}_{event.lower()}"
                                 + (f" ON {table}" if conn.dialect.name == "postgresql" else ""))
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS need_stats_mark_{table}()")
    op.drop_index("ix_need_stats_k1", "need_stats")
    op.drop_index("ix_need_stats_community", "need_stats")
    op.drop_index("ix_practitioner_stats_community", "practitioner_stats")
    for index in ("ix_need_assessment_open", "ix_need_assessment_open_community", "ix_need_assessment_closed_on"):
        op.drop_index(index, "need_assessment")
    for table in ("need_stats_dirty", "sale_stats", "practitioner_stats_quarter", "practitioner_stats", "need_stats"):
        op.drop_table(table)
