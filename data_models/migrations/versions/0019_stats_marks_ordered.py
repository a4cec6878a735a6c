"""The summary tables' dirty marks: in one order, and a moved practitioner's needs marked where they are.

* PostgreSQL: every marking function (need_stats_mark_*, training_stats_mark_*, migrations 0012 and 0017) now upserts
  its pairs in one statement ordered by (community, quarter). Before, an UPDATE marked its old rows' pairs and then
  its new rows' in two statements, each in whatever order the plan gave: two imports that marked the same pairs could
  each hold a row the other waited for, and PostgreSQL aborted one of them (a deadlock).
* need_stats: a need stays in the community it was recorded in when its practitioner moves. A change to that
  practitioner (employment type, a flag) or to their group tags changes that community's need rows too, so the
  triggers on practitioner and practitioner_group now also mark the (community, quarter) pairs of the practitioner's
  needs; they marked only the practitioner's own community ('*').

Nothing is recounted here: the pairs the old triggers missed are made dirty again by the next change.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEED_UPSERT = "ON CONFLICT (community_id, quarter) DO UPDATE SET gen = need_stats_dirty.gen + 1"
TRAINING_UPSERT = "ON CONFLICT (community_id, quarter) DO UPDATE SET gen = training_stats_dirty.gen + 1"

# Per summary and watched table: the (community, quarter) pairs of a set of its rows called `r`, as a UNION of selects.
NEEDS_OF = "SELECT n.community_id, n.quarter FROM {rows} r JOIN need_assessment n ON n.practitioner_id = r.{pid}"
PAIRS = {
    ("need_stats", "need_assessment"): ["SELECT r.community_id, r.quarter FROM {rows} r"],
    ("need_stats", "sale"): ["SELECT r.community_id, r.quarter FROM {rows} r"],
    ("need_stats", "practitioner"): ["SELECT r.community_id, '*' AS quarter FROM {rows} r", NEEDS_OF.replace("{pid}", "id")],
    ("need_stats", "practitioner_group"): ["SELECT p.community_id, '*' AS quarter FROM {rows} r "
                                           "JOIN practitioner p ON p.id = r.practitioner_id",
                                           NEEDS_OF.replace("{pid}", "practitioner_id")],
    ("training_stats", "enrolment"): ["SELECT r.community_id, r.quarter FROM {rows} r"],
    ("training_stats", "training_followup"): ["SELECT e.community_id, e.quarter FROM {rows} r "
                                              "JOIN enrolment e ON e.id = r.enrolment_id"],
    ("training_stats", "practitioner_group"): ["SELECT e.community_id, e.quarter FROM {rows} r "
                                               "JOIN enrolment e ON e.practitioner_id = r.practitioner_id"],
}


# A practitioner's need rows carry only their employment type (their groups are practitioner_group's): an UPDATE
# marks the needs' pairs of the practitioners whose employment type it changed, and an INSERT has no needs yet.
EMPLOYMENT_CHANGED = ("SELECT n.community_id, n.quarter FROM new_rows r JOIN old_rows o ON o.id = r.id "
                      "JOIN need_assessment n ON n.practitioner_id = r.id "
                      "WHERE o.employment_type IS DISTINCT FROM r.employment_type")


def _insert(summary: str, table: str, rows: list[str], selects: list[str] | None = None) -> str:
    """One upsert of the pairs of the transition tables `rows` (or of `selects`), ordered: the rows of
    need_stats_dirty are locked in the order the SELECT gives them."""
    union = " UNION ".join(selects if selects is not None else
                           [select.format(rows=r) for r in rows for select in PAIRS[(summary, table)]])
    upsert = NEED_UPSERT if summary == "need_stats" else TRAINING_UPSERT
    return (f"INSERT INTO {summary}_dirty (community_id, quarter, gen) "
            f"SELECT DISTINCT community_id, quarter, 1 FROM ({union}) pairs ORDER BY community_id, quarter {upsert};")


def _postgres_function(summary: str, table: str) -> str:
    inserted, updated = _insert(summary, table, ["new_rows"]), _insert(summary, table, ["old_rows", "new_rows"])
    if (summary, table) == ("need_stats", "practitioner"):
        own = PAIRS[(summary, table)][0]
        inserted = _insert(summary, table, [], [own.format(rows="new_rows")])
        updated = _insert(summary, table, [], [own.format(rows="old_rows"), own.format(rows="new_rows"),
                                               EMPLOYMENT_CHANGED])
    return f"""CREATE OR REPLACE FUNCTION {summary}_mark_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN {inserted}
  ELSIF TG_OP = 'DELETE' THEN {_insert(summary, table, ['old_rows'])}
  ELSE {updated}
  END IF;
  RETURN NULL;
END $$"""


# SQLite: the row triggers of 0017 on practitioner and practitioner_group, with the needs' pairs added.
SQLITE_EVENTS = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}


def _sqlite_trigger(table: str, event: str, with_needs: bool) -> str:
    body = []
    for which in SQLITE_EVENTS[event]:
        # A WHERE keeps SQLite's parser from reading ON CONFLICT as a join's ON.
        if table == "practitioner":
            own, pid = f"SELECT {which}.community_id, '*', 1 WHERE true", f"{which}.id"
        else:
            own = f"SELECT p.community_id, '*', 1 FROM practitioner p WHERE p.id = {which}.practitioner_id"
            pid = f"{which}.practitioner_id"
        body.append(f"INSERT INTO need_stats_dirty (community_id, quarter, gen) {own} {NEED_UPSERT};")
        if with_needs and not (table == "practitioner" and which == "OLD" and event == "UPDATE"):
            # A practitioner's UPDATE: their needs' pairs only when it changed the employment type (EMPLOYMENT_CHANGED).
            changed = (" AND OLD.employment_type IS NOT NEW.employment_type"
                       if table == "practitioner" and event == "UPDATE" else "")
            body.append(f"INSERT INTO need_stats_dirty (community_id, quarter, gen) SELECT DISTINCT n.community_id, "
                        f"n.quarter, 1 FROM need_assessment n WHERE n.practitioner_id = {pid}{changed} {NEED_UPSERT};")
    return (f"CREATE TRIGGER trg_need_stats_{table}_{event.lower()} AFTER {event} ON {table} "
            f"BEGIN {' '.join(body)} END")


def _sqlite(with_needs: bool) -> None:
    conn = op.get_bind()
    for table in ("practitioner", "practitioner_group"):
        for event in SQLITE_EVENTS:
            if table == "practitioner" and event == "INSERT":
                continue            # a new practitioner has no needs yet: 0017's trigger stays
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS trg_need_stats_{table}_{event.lower()}")
            conn.exec_driver_sql(_sqlite_trigger(table, event, with_needs))


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for summary, table in PAIRS:
            conn.exec_driver_sql(_postgres_function(summary, table))
    else:
        _sqlite(with_needs=True)


def _postgres_0017_0012(summary: str, table: str) -> str:
    """The functions as 0012 and 0017 made them: the old rows' pairs, then the new rows', unordered."""
    own = [s for s in PAIRS[(summary, table)] if "need_assessment n" not in s]
    upsert = NEED_UPSERT if summary == "need_stats" else TRAINING_UPSERT

    def mark(rows: str) -> str:
        return " UNION ".join(f"{s.format(rows=rows).replace('SELECT ', 'SELECT DISTINCT ', 1)}" for s in own)

    insert = f"INSERT INTO {summary}_dirty (community_id, quarter, gen) SELECT community_id, quarter, 1 FROM "
    return f"""CREATE OR REPLACE FUNCTION {summary}_mark_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN {insert}({mark('old_rows')}) pairs {upsert}; END IF;
  IF TG_OP <> 'DELETE' THEN {insert}({mark('new_rows')}) pairs {upsert}; END IF;
  RETURN NULL;
END $$"""


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for summary, table in PAIRS:
            conn.exec_driver_sql(_postgres_0017_0012(summary, table))
    else:
        _sqlite(with_needs=False)
