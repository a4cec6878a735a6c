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

_RUN_COLUMNS = ("id", "code", "cooperative_id", "split_id", "period", "period_start", "period_end", "basis",
                "revenue_cents", "cost_cents", "profit_cents", "carried_loss_cents", "help_fund_cents",
                "member_pool_cents", "cooperative_pool_cents", "public_fund_cents", "replaces_run_id", "created_at",
                "created_by", "approved_at", "approved_by")
_RUN_FROZEN_SQLITE = (
    "OLD.status != 'draft' AND NOT (OLD.status = 'approved' AND NEW.status = 'reversed'"
    + "".join(f" AND NEW.{c} IS OLD.{c}" for c in _RUN_COLUMNS)
    + ")"
)
_LINE_PARENT = "(SELECT status FROM distribution_run WHERE id = {ref}.run_id) != 'draft'"

# Version 1, as migration 0002 installed it; kept verbatim for 0002 and for 0007's downgrade.
SQLITE_V1 = {
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

POSTGRESQL_FUNCTIONS_V1 = [
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
POSTGRESQL_V1 = {
    "trg_distribution_run_guard": """CREATE TRIGGER trg_distribution_run_guard BEFORE UPDATE OR DELETE
        ON distribution_run FOR EACH ROW EXECUTE FUNCTION distribution_run_guard()""",
    "trg_distribution_line_guard": """CREATE TRIGGER trg_distribution_line_guard BEFORE INSERT OR UPDATE OR DELETE
        ON distribution_line FOR EACH ROW EXECUTE FUNCTION distribution_line_guard()""",
}

# Version 2 (migration 0007) closes what version 1 let through (issue 11 item 11):
# - a line moved INTO an approved run (UPDATE ... SET run_id): a line's update checks the new parent as well;
# - a run inserted already approved or reversed: only a draft may be inserted, approval is an update;
# - SQLite's INSERT OR REPLACE / UPDATE OR REPLACE: the conflicting row is deleted without its DELETE trigger
#   (recursive_triggers is off), so an insert or update that would collide with a frozen row by id or code, or
#   with a frozen line by id, is refused before it happens;
# - PostgreSQL's TRUNCATE fires no row trigger: a statement trigger refuses it while any run is not a draft
#   (also when reached through TRUNCATE ... CASCADE). Deployments also revoke TRUNCATE from the app's role.
_FROZEN_RUN_AT = "EXISTS (SELECT 1 FROM distribution_run r WHERE ({match}) AND r.status != 'draft')"
_FROZEN_LINE_AT = ("EXISTS (SELECT 1 FROM distribution_line l JOIN distribution_run r ON r.id = l.run_id"
                   " WHERE ({match}) AND r.status != 'draft')")
_RAISE = f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"

SQLITE = {
    "trg_distribution_run_insert": f"""CREATE TRIGGER trg_distribution_run_insert BEFORE INSERT ON distribution_run
        WHEN NEW.status != 'draft' OR {_FROZEN_RUN_AT.format(match='r.id = NEW.id OR r.code = NEW.code')}
        {_RAISE}""",
    "trg_distribution_run_update": f"""CREATE TRIGGER trg_distribution_run_update BEFORE UPDATE ON distribution_run
        WHEN {_RUN_FROZEN_SQLITE}
          OR {_FROZEN_RUN_AT.format(match='(r.id = NEW.id OR r.code = NEW.code) AND r.id != OLD.id')}
        {_RAISE}""",
    "trg_distribution_run_delete": f"""CREATE TRIGGER trg_distribution_run_delete BEFORE DELETE ON distribution_run
        WHEN OLD.status != 'draft' {_RAISE}""",
    "trg_distribution_line_insert": f"""CREATE TRIGGER trg_distribution_line_insert BEFORE INSERT ON distribution_line
        WHEN {_LINE_PARENT.format(ref='NEW')} OR {_FROZEN_LINE_AT.format(match='l.id = NEW.id')}
        {_RAISE}""",
    "trg_distribution_line_update": f"""CREATE TRIGGER trg_distribution_line_update BEFORE UPDATE ON distribution_line
        WHEN {_LINE_PARENT.format(ref='OLD')} OR {_LINE_PARENT.format(ref='NEW')}
          OR {_FROZEN_LINE_AT.format(match='l.id = NEW.id AND l.id != OLD.id')}
        {_RAISE}""",
    "trg_distribution_line_delete": f"""CREATE TRIGGER trg_distribution_line_delete BEFORE DELETE ON distribution_line
        WHEN {_LINE_PARENT.format(ref='OLD')} {_RAISE}""",
}

POSTGRESQL_FUNCTIONS = [
    f"""CREATE OR REPLACE FUNCTION distribution_run_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'draft' THEN
          RAISE EXCEPTION '{MESSAGE}: % is inserted as %', NEW.code, NEW.status
            USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
      END IF;
      IF OLD.status <> 'draft' AND NOT (TG_OP = 'UPDATE' AND OLD.status = 'approved' AND NEW.status = 'reversed'
          AND (to_jsonb(NEW) - 'status') = (to_jsonb(OLD) - 'status')) THEN
        RAISE EXCEPTION '{MESSAGE}: %', OLD.code USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION distribution_line_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' AND EXISTS (SELECT 1 FROM distribution_run WHERE id = OLD.run_id AND status <> 'draft')
         OR TG_OP <> 'DELETE' AND EXISTS (SELECT 1 FROM distribution_run WHERE id = NEW.run_id AND status <> 'draft')
      THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION distribution_truncate_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM distribution_run WHERE status <> 'draft') THEN
        RAISE EXCEPTION '{MESSAGE}: TRUNCATE %', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NULL;
    END $$""",
]
POSTGRESQL = {
    "trg_distribution_run_guard": """CREATE TRIGGER trg_distribution_run_guard BEFORE INSERT OR UPDATE OR DELETE
        ON distribution_run FOR EACH ROW EXECUTE FUNCTION distribution_run_guard()""",
    "trg_distribution_line_guard": """CREATE TRIGGER trg_distribution_line_guard BEFORE INSERT OR UPDATE OR DELETE
        ON distribution_line FOR EACH ROW EXECUTE FUNCTION distribution_line_guard()""",
    "trg_distribution_run_truncate": """CREATE TRIGGER trg_distribution_run_truncate BEFORE TRUNCATE
        ON distribution_run FOR EACH STATEMENT EXECUTE FUNCTION distribution_truncate_guard()""",
    "trg_distribution_line_truncate": """CREATE TRIGGER trg_distribution_line_truncate BEFORE TRUNCATE
        ON distribution_line FOR EACH STATEMENT EXECUTE FUNCTION distribution_truncate_guard()""",
}
TABLE_OF = {"trg_distribution_run_guard": "distribution_run", "trg_distribution_line_guard": "distribution_line",
            "trg_distribution_run_truncate": "distribution_run", "trg_distribution_line_truncate": "distribution_line"}
VERSIONS = {1: (SQLITE_V1, POSTGRESQL_FUNCTIONS_V1, POSTGRESQL_V1), 2: (SQLITE, POSTGRESQL_FUNCTIONS, POSTGRESQL)}
CURRENT = 2


def create(conn: Connection, version: int = CURRENT) -> None:
    """Install the guard's triggers as of `version` (a migration names the version it installs)."""
    sqlite, functions, triggers = VERSIONS[version]
    if conn.dialect.name == "postgresql":
        for ddl in functions:
            conn.execute(sa.text(ddl))
        for ddl in triggers.values():
            conn.execute(sa.text(ddl))
    else:
        for ddl in sqlite.values():
            conn.execute(sa.text(ddl))


def drop(conn: Connection) -> None:
    """Drop every trigger any version installed (the functions stay; a new version replaces them)."""
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
