"""Writes that must not interleave: one named lock per transaction, and the compare-and-set of a lifecycle move.

Two patterns, for every area that has them (needs today; requests and meetings later):

* `serialise(conn, name)` before the reads a write depends on (the audit chain's last hash, an import's
  "before" values, a draft about to be approved). Whoever holds the lock holds it until commit or rollback, so
  the next writer reads what the previous one committed. PostgreSQL: a transaction-level advisory lock per name.
  SQLite has one writer per database anyway: the transaction takes the write lock (BEGIN IMMEDIATE) before it
  reads, instead of reading a snapshot it may not upgrade later. Reads before that (pysqlite runs a SELECT
  outside a transaction until the first write) are not protected: call it first.
* `move(conn, table, row_id, from_status, values)`: UPDATE ... WHERE id = :id AND status = :from. It changes one
  row or none; none means someone else moved it first, and the caller refuses with a message. On PostgreSQL the
  second UPDATE waits for the first to commit and then re-checks the condition against the new row.
"""

import hashlib
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

AUDIT = "audit_log"


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_xact_lock (the same in every process and on every server)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)


def serialise(conn: Connection, *names: str) -> None:
    """Hold the named write locks until this transaction ends; waits while another transaction holds one.

    Several names are taken in a fixed order, so two writers that need the same two never wait on each other.
    Taking a name again in the same transaction is harmless."""
    if conn.dialect.name == "postgresql":
        for key in sorted({lock_key(n) for n in names}):
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    elif conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        # In a transaction already means a write has already been made in it, which holds the write lock.
        if raw is not None and not raw.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def move(conn: Connection, table: sa.Table, row_id: int, from_status: str, values: Mapping[str, Any],
         *, status_column: str = "status") -> bool:
    """Change one row only if it is still in `from_status`; False if another session moved it first."""
    result = conn.execute(table.update()
                          .where(table.c.id == row_id, table.c[status_column] == from_status)
                          .values(**values))
    return result.rowcount == 1
