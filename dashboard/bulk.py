"""Bulk inserts without one ORM object per row: COPY on PostgreSQL, executemany on SQLite.

Values are plain Python values; dates may be ISO strings, timestamps ISO strings in UTC.
"""

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

CHUNK = 50_000


def _quoted(conn: Connection, table: sa.Table, columns: Sequence[str]) -> tuple[str, str]:
    prep = conn.dialect.identifier_preparer
    return prep.format_table(table), ", ".join(prep.quote(c) for c in columns)


def bulk_insert(conn: Connection, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert `rows` (tuples in the order of `columns`) inside the caller's transaction; return the count."""
    name, cols = _quoted(conn, table, columns)
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    count = 0
    if conn.dialect.name == "postgresql":
        cur = dbapi.cursor()
        cur.execute("SET LOCAL TIME ZONE 'UTC'")
        with cur.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    placeholders = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {name} ({cols}) VALUES ({placeholders})"
    cur = dbapi.cursor()
    it = iter(rows)
    while chunk := list(islice(it, CHUNK)):
        cur.executemany(sql, chunk)
        count += len(chunk)
    return count


def reset_sequences(conn: Connection, tables: Iterable[sa.Table]) -> None:
    """After inserting explicit ids on PostgreSQL, move each id sequence past the largest id."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        if "id" not in table.c or not isinstance(table.c.id.type, sa.Integer):
            continue
        name = conn.dialect.identifier_preparer.format_table(table)
        conn.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence(:t, 'id'), COALESCE((SELECT MAX(id) FROM "
                + name
                + "), 0) + 1, false)"
            ),
            {"t": name},
        )
