"""Database triggers that keep an approved distribution run and its lines from ever changing.

The one change allowed is approved -> reversed, when a correction replaces the run; nothing else about the
row may differ. The rules live in the database so that no code path (page, CLI, import, SQL console) can
bypass them. A demo-data reset drops and recreates them inside its transaction (see `suspended`).
"""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection

MESSAGE = "distribution run is approved and cannot change"

_RUN_FROZEN_SQLITE = (
    "OLD.status != 'draft' AND NOT (OLD.status = 'approved' AND NEW.status = 'reversed'"
    + "".join(f" AND NEW.{c} IS OLD.{c}" for c in (
        "id", "code", "cooperative_id", "split_id", "period", "period_start", "period_end", "basis",
        "revenue_cents", "cost_cents", "profit_cents", "carried_loss_cents", "help_fund_cents",
        "member_pool_cents", "cooperative_pool_cents", "public_fund_cents", "replaces_run_id", "created_at",
        "created_by", "approved_at", "approved_by"))
    + ")"
)
_LINE_PARENT = "(SELECT status FROM distribution_run WHERE id = {ref}.run_id) != 'draft'"

SQLITE = {
    "trg_distribution_run_update": f"""CREATE TRIGGER trg_distribution_run_update BEFORE UPDATE ON distribution_run
        WHEN {_RUN_FROZEN_SQLITE} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    "trg_distribution_run_delete": f"""CREATE TRIGGER trg_distribution_run_delete BEFORE DELETE ON distribution_run
        WHEN OLD.status != 'draft' BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    "trg_distribution_line_insert": f"""CREATE TRIGGER trg_distribution_line_insert BEFORE INSERT ON distribution_line
        WHEN {_LINE_PARENT.format(ref='NEW')} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    "trg_distribution_line_update": f"""CREATE TRIGGER trg_distribution_line_update BEFORE UPDATE ON distribution_line
        WHEN {_LINE_PARENT.format(ref='OLD')} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    "trg_distribution_line_delete": f"""CREATE TRIGGER trg_distribution_line_delete BEFORE DELETE ON distribution_line
        WHEN {_LINE_PARENT.format(ref='OLD')} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
}

POSTGRESQL_FUNCTIONS = [
    f"""CREATE OR REPLACE FUNCTION distribution_run_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.status <> 'draft' AND NOT (TG_OP = 'UPDATE' AND OLD.status = 'approved' AND NEW.status = 'reversed'
          AND (to_jsonb(NEW) - 'status') = (to_jsonb(OLD) - 'status')) THEN
        RAISE EXCEPTION '{MESSAGE}: %', OLD.code USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION distribution_line_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE parent text;
    BEGIN
      SELECT status INTO parent FROM distribution_run
        WHERE id = CASE WHEN TG_OP = 'INSERT' THEN NEW.run_id ELSE OLD.run_id END;
      IF parent IS NOT NULL AND parent <> 'draft' THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$""",
]
POSTGRESQL = {
    "trg_distribution_run_guard": """CREATE TRIGGER trg_distribution_run_guard BEFORE UPDATE OR DELETE
        ON distribution_run FOR EACH ROW EXECUTE FUNCTION distribution_run_guard()""",
    "trg_distribution_line_guard": """CREATE TRIGGER trg_distribution_line_guard BEFORE INSERT OR UPDATE OR DELETE
        ON distribution_line FOR EACH ROW EXECUTE FUNCTION distribution_line_guard()""",
}
TABLE_OF = {"trg_distribution_run_guard": "distribution_run", "trg_distribution_line_guard": "distribution_line"}


def create(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        for ddl in POSTGRESQL_FUNCTIONS:
            conn.execute(sa.text(ddl))
        for ddl in POSTGRESQL.values():
            conn.execute(sa.text(ddl))
    else:
        for ddl in SQLITE.values():
            conn.execute(sa.text(ddl))


def drop(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        for name, table in TABLE_OF.items():
            conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {name} ON {table}"))
    else:
        for name in SQLITE:
            conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}"))


@contextmanager
def suspended(conn: Connection) -> Iterator[None]:
    """Lift the guard inside the caller's transaction, for a deliberate wipe of all data; restore it after."""
    drop(conn)
    yield
    create(conn)
