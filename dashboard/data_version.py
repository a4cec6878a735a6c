"""The data version: a stamp in the database that every write of data moves (migration 0016's triggers), so that
each app server drops its cached query results at its next rerun after a write made anywhere: another app server,
the command line, the seed, or SQL typed by hand.

The version is the sum of the counters in `data_version`. On PostgreSQL a statement-level trigger on every data
table adds 1, once per transaction (a transaction-local setting remembers it), to the row of the server process
(backend) that runs the transaction: a backend runs one transaction at a time, so no two writers ever update the
same row (nothing waits, nothing deadlocks) and a bump is seen exactly when its transaction commits. A sequence
(nextval) would never block either, but it moves before the commit: a reader on another server would see the new
number, reload the old data and keep it until the TTL. SQLite has one writer at a time and only row triggers, and a
row trigger cost 11-12 % on a 100,000-row import (it bumps 200,000 times: each practitioner and its import_change row;
bench/data_version.py). So on SQLite the app's engine bumps once per transaction instead: `watch` marks a
transaction that wrote to a data table (every statement through SQLAlchemy, and dashboard/bulk.py's direct inserts
call `mark`) and adds 1 to row 0 just before it commits. Every write the dashboard makes (pages, imports and undo,
the command line, the seed) goes through such an engine; SQL typed into the sqlite3 shell does not move it (its
caches then drop at the TTL), which a single-machine database can live with.
"""

import re
import sqlite3
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

# Tables whose writes are not data: the stamp itself, the account table and the audit log (a sign-in writes both;
# every data write has its own table bumped anyway), and the summary tables, which a page's read recounts
# (training_stats.catch_up): bumping on them would drop every cache on a read.
NOT_DATA = frozenset({"alembic_version", "data_version", "user", "audit_log", "training_stats", "training_stats_due",
                      "training_stats_dirty", "training_stats_employed", "request_stats", "need_stats",
                      "need_stats_dirty", "practitioner_stats", "practitioner_stats_quarter", "sale_stats"})
FUNCTION = "data_version_bump"
VERSION = sa.text("SELECT coalesce(sum(n), 0) FROM data_version")


def data_tables(names: Iterable[str]) -> list[str]:
    return sorted(n for n in names if n not in NOT_DATA)


def postgres_function() -> str:
    return f"""CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Once per transaction: a transaction that updated its row at every statement (psycopg's executemany runs an UPDATE
  -- per row) would pile up a version of that row per statement, each one read past by the next.
  IF current_setting('data_version.bumped', true) = 'y' THEN
    RETURN NULL;
  END IF;
  PERFORM set_config('data_version.bumped', 'y', true);
  UPDATE data_version SET n = n + 1 WHERE slot = pg_backend_pid();
  IF NOT FOUND THEN   -- this backend's first write: its row
    INSERT INTO data_version (slot, n) VALUES (pg_backend_pid(), 1)
      ON CONFLICT (slot) DO UPDATE SET n = data_version.n + 1;
  END IF;
  RETURN NULL;
END $$"""


def trigger_ddl(table: str) -> str:
    """PostgreSQL: the trigger that makes every statement that writes to `table` move the version."""
    return (f'CREATE TRIGGER trg_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()")


def install(conn: Connection, tables: Iterable[str]) -> None:
    """PostgreSQL: the bump function and the triggers of `tables` (a later migration's new tables too). SQLite needs
    none: its engines bump in `watch`."""
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql(postgres_function())
    for table in data_tables(tables):
        conn.exec_driver_sql(trigger_ddl(table))


def uninstall(conn: Connection, tables: Iterable[str]) -> None:
    if conn.dialect.name != "postgresql":
        return
    for table in data_tables(tables):
        conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS trg_data_version ON "{table}"')
    conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


# --- SQLite: once per transaction, in the engine --------------------------------------------------------------------

SQLITE_BUMP = "INSERT INTO data_version (slot, n) VALUES (0, 1) ON CONFLICT (slot) DO UPDATE SET n = n + 1"
_WRITE = re.compile(r"""^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+
                        (?:["`\[]?(\w+)["`\]]?\.)?["`\[]?(\w+)""", re.IGNORECASE | re.VERBOSE)
_DIRTY = "data_version_dirty"


_CTE_WRITE = re.compile(r"^\s*WITH\b.*\b(?:INSERT|UPDATE|DELETE)\b", re.IGNORECASE | re.DOTALL)
UNKNOWN = "?"


def written_table(statement: str) -> str | None:
    """The table a statement writes to (None for a read, DDL, or a write to the temp schema; UNKNOWN, counted as
    data, for a write behind a WITH clause)."""
    m = _WRITE.match(statement)
    if m is None:
        return UNKNOWN if _CTE_WRITE.match(statement) else None
    if (m.group(1) or "").lower() == "temp":
        return None
    return m.group(2)


def mark(conn: Connection, table: str) -> None:
    """This transaction wrote to `table` (for writes made on the DBAPI connection directly, as bulk.py's)."""
    if table not in NOT_DATA:
        conn.info[_DIRTY] = True


def watch(engine: Engine) -> None:
    """SQLite: bump the version once in every transaction that wrote data, just before it commits."""

    @event.listens_for(engine, "after_cursor_execute")
    def _seen(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        table = written_table(statement)
        if table is not None:
            mark(conn, table)

    @event.listens_for(engine, "commit")
    def _bump(conn: Connection) -> None:
        if conn.info.pop(_DIRTY, False):
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            try:
                dbapi.execute(SQLITE_BUMP)
            except sqlite3.OperationalError as exc:  # a database not yet at 0016 (a migration test's) has no stamp
                if "no such table" not in str(exc):
                    raise

    @event.listens_for(engine, "rollback")
    def _forget(conn: Connection) -> None:
        conn.info.pop(_DIRTY, None)


def bump(conn: Connection) -> None:
    """Move the version in this transaction, for a write its triggers do not see (a summary's recount on the primary
    that a page then reads through a replica: dashboard/catchup.py)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("INSERT INTO data_version (slot, n) VALUES (pg_backend_pid(), 1) "
                             "ON CONFLICT (slot) DO UPDATE SET n = data_version.n + 1"))
    else:
        conn.exec_driver_sql(SQLITE_BUMP)


def current(conn: Connection) -> int:
    """The data version: one aggregate over a handful of rows (a row per database backend that ever wrote)."""
    return int(conn.execute(VERSION).scalar_one())


def watched(conn: Connection) -> set[str]:
    """PostgreSQL: the tables that carry the version's trigger, as the database says (for the tests)."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(sa.text(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'trg_data_version' AND c.relnamespace = current_schema()::regnamespace"))
    else:
        return set()
    return {r[0] for r in rows}
