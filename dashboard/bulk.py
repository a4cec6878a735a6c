"""Bulk inserts without one ORM object per row: COPY on PostgreSQL; on SQLite, executemany into a staging table.

Values are plain Python values; dates may be ISO strings, timestamps ISO strings in UTC.

On SQLite, 100,000 single-row INSERTs into a table with constraints and indexes cost far more than binding the
same rows into a temporary table without any and moving them with one INSERT ... SELECT, which checks every
constraint and index the same way: 100,000 practitioners in 0.85 s instead of 1.5 s on the reference machine
(INSERT OR ROLLBACK, which needs no statement journal, was no faster; see bench/excel_io.py).
"""

import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from dashboard import data_version

CHUNK = 50_000
STAGE_FROM = 2_000            # fewer rows than this go straight in: the staging table costs more than it saves


def _quoted(conn: Connection, table: sa.Table, columns: Sequence[str]) -> tuple[str, str]:
    prep = conn.dialect.identifier_preparer
    return prep.format_table(table), ", ".join(prep.quote(c) for c in columns)


@contextmanager
def _as_sqlalchemy_errors(conn: Connection, what: str) -> Iterator[None]:
    """The raw cursor raises the driver's own errors; callers catch SQLAlchemy's (IntegrityError and the rest)."""
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except dbapi_error as exc:
        raise sa.exc.DBAPIError.instance(what, None, exc, dbapi_error) from exc


def bulk_insert(conn: Connection, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]], *,
                stage: bool = True) -> int:
    """Insert `rows` (tuples in the order of `columns`) inside the caller's transaction; return the count.
    `stage=False`: on SQLite, bind the rows straight into the table, quicker where it has no secondary indexes
    (inside `deferred`): 1 million sales in 2.7 s instead of 3.5 s."""
    data_version.mark(conn, table.name)          # the DBAPI cursor below bypasses SQLAlchemy's events
    with _as_sqlalchemy_errors(conn, f"bulk insert into {table.name}"):
        return _bulk_insert(conn, table, columns, rows, stage)


def _bulk_insert(conn: Connection, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                 stage: bool = True) -> int:
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
    cur = dbapi.cursor()
    insert = f"INSERT INTO {name} ({cols}) VALUES ({', '.join('?' for _ in columns)})"
    if not stage:
        for chunk in _chunked(iter(rows)):
            cur.executemany(insert, chunk)
            count += len(chunk)
        return count
    it = iter(rows)
    chunk = list(islice(it, CHUNK))
    if len(chunk) < STAGE_FROM:
        cur.executemany(insert, chunk)
        return len(chunk)
    return _staged(conn, cur, table, columns, chunk, it, {})


def _chunked(rows: Iterator[Sequence[Any]]) -> Iterator[list[Sequence[Any]]]:
    while chunk := list(islice(rows, CHUNK)):
        yield chunk


def bulk_insert_columns(conn: Connection, table: sa.Table, data: Mapping[str, list[Any]]) -> int:
    """Insert rows given column by column, every column as long. On SQLite a column that holds one value in every
    row (one community, a flag nobody set) is bound once for all rows instead of once per row."""
    names = list(data)
    height = len(data[names[0]]) if names else 0
    staged = conn.dialect.name == "sqlite" and height >= STAGE_FROM
    constant = {c: v[0] for c, v in data.items() if v.count(v[0]) == height} if staged else {}
    varying = [c for c in names if c not in constant]
    if not constant or not varying:
        return bulk_insert(conn, table, names, zip(*data.values(), strict=True))
    data_version.mark(conn, table.name)
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    rows = zip(*(data[c] for c in varying), strict=True)
    with _as_sqlalchemy_errors(conn, f"bulk insert into {table.name}"):
        return _staged(conn, dbapi.cursor(), table, names, list(islice(rows, CHUNK)), rows, constant)


# SQLite's row triggers that mark the summaries' (community, quarter) pairs dirty on INSERT (migrations 0012, 0017,
# 0019), each as statements over all the rows one INSERT added (`{rows}`): what the trigger does for each row, done
# once for the set. Fired row by row, need_stats' trigger on practitioner was 40% of the move of 100,000 rows into the
# table (0.17 of 0.42 s). A trigger not named here fires row by row as ever. PostgreSQL marks per statement already.
_NEED, _TRAINING = "need_stats_dirty", "training_stats_dirty"
_OWN_PAIRS = "SELECT DISTINCT r.community_id, r.quarter, 1 FROM {rows} r WHERE true"
SQLITE_INSERT_MARKS: dict[str, tuple[str, list[str]]] = {
    "trg_need_stats_practitioner_insert": (_NEED, ["SELECT DISTINCT r.community_id, '*', 1 FROM {rows} r WHERE true"]),
    "trg_need_stats_need_assessment_insert": (_NEED, [_OWN_PAIRS]),
    "trg_need_stats_sale_insert": (_NEED, [_OWN_PAIRS]),
    "trg_need_stats_practitioner_group_insert": (_NEED, [
        "SELECT DISTINCT p.community_id, '*', 1 FROM {rows} r JOIN practitioner p ON p.id = r.practitioner_id "
        "WHERE true",
        "SELECT DISTINCT n.community_id, n.quarter, 1 FROM {rows} r "
        "JOIN need_assessment n ON n.practitioner_id = r.practitioner_id WHERE true"]),
    "trg_training_stats_enrolment_insert": (_TRAINING, [_OWN_PAIRS]),
    "trg_training_stats_training_followup_insert": (_TRAINING, [
        "SELECT DISTINCT e.community_id, e.quarter, 1 FROM {rows} r JOIN enrolment e ON e.id = r.enrolment_id "
        "WHERE true"]),
    "trg_training_stats_practitioner_group_insert": (_TRAINING, [
        "SELECT DISTINCT e.community_id, e.quarter, 1 FROM {rows} r "
        "JOIN enrolment e ON e.practitioner_id = r.practitioner_id WHERE true"]),
}


@contextmanager
def _marks_per_statement(conn: Connection, cur: Any, table: sa.Table, columns: Sequence[str]) -> Iterator[None]:
    """SQLite: around one INSERT ... SELECT into `table`, its marking triggers (SQLITE_INSERT_MARKS) are dropped, and
    afterwards the pairs of all the rows it added are marked at once and the triggers are put back as they were.

    Only inside a transaction the caller opened (else the row triggers fire as ever: DDL outside one would commit on
    its own, and a transaction opened here would be the caller's to end). SQLite has one writer at a time, so no
    other session's write passes while a trigger is gone. Whatever way the block ends, while the transaction is
    open the rows added so far are marked and the triggers put back; a rollback puts them back by itself. The rows
    added are those past the table's largest rowid before the move (SQLite gives new rows larger ones), so the rows'
    own ids must not be among `columns`: then the triggers fire row by row."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    found = [] if "id" in columns or not dbapi.in_transaction else cur.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? ORDER BY rowid",
        (table.name,)).fetchall()
    ours = [(trigger, sql) for trigger, sql in found if trigger in SQLITE_INSERT_MARKS]
    if not ours:
        yield
        return
    quoted = conn.dialect.identifier_preparer.format_table(table)
    before = cur.execute(f"SELECT coalesce(max(rowid), 0) FROM {quoted}").fetchone()[0]
    for trigger, _ in ours:
        cur.execute(f'DROP TRIGGER "{trigger}"')
    try:
        yield
    finally:
        if dbapi.in_transaction:
            rows = f"(SELECT * FROM {quoted} WHERE rowid > ?)"
            for trigger, sql in ours:
                dirty, selects = SQLITE_INSERT_MARKS[trigger]
                for select in selects:
                    cur.execute(f"INSERT INTO {dirty} (community_id, quarter, gen) {select.format(rows=rows)} "
                                f"ON CONFLICT (community_id, quarter) DO UPDATE SET gen = {dirty}.gen + 1", (before,))
                cur.execute(sql)


def _staged(conn: Connection, cur: Any, table: sa.Table, columns: Sequence[str], chunk: list[Sequence[Any]],
            rest: Iterator[Sequence[Any]], constant: Mapping[str, Any]) -> int:
    """SQLite: bind the rows (the columns not in `constant`) into a temporary table, then move them all with one
    INSERT ... SELECT that supplies each constant column as one parameter (marking the summaries once for all the
    rows: _marks_per_statement)."""
    prep = conn.dialect.identifier_preparer
    name = prep.format_table(table)
    varying = [c for c in columns if c not in constant]
    stage_cols = ", ".join(prep.quote(c) for c in varying)
    placeholders = ", ".join("?" for _ in varying)
    # Plain columns without a type: values are stored as bound and take the target's affinity on the move.
    stage = "temp._bulk_stage"
    cur.execute(f"DROP TABLE IF EXISTS {stage}")
    cur.execute(f"CREATE TABLE {stage} ({stage_cols})")
    count = 0
    try:
        while chunk:
            cur.executemany(f"INSERT INTO {stage} VALUES ({placeholders})", chunk)
            count += len(chunk)
            chunk = list(islice(rest, CHUNK))
        picked = ", ".join("?" if c in constant else prep.quote(c) for c in columns)
        with _marks_per_statement(conn, cur, table, columns):
            cur.execute(f"INSERT INTO {name} ({', '.join(prep.quote(c) for c in columns)}) "
                        f"SELECT {picked} FROM {stage} ORDER BY rowid", [constant[c] for c in columns if c in constant])
    finally:
        cur.execute(f"DROP TABLE IF EXISTS {stage}")
    return count


@contextmanager
def deferred(conn: Connection, tables: Collection[sa.Table]) -> Iterator[None]:
    """Inside the caller's transaction, load `tables` without their secondary indexes and (on SQLite) without their
    triggers, then put both back exactly as they were defined. For a load of many rows into empty tables: an index
    built once over all the rows costs a fraction of one kept up row by row, and a trigger that marks a summary
    dirty for every row is replaced by the caller's one refresh at the end. Keys, unique constraints and checks
    stay on throughout; foreign keys too on SQLite, while PostgreSQL adds them back (checking every row) at the end.
    On SQLite the load also runs with a larger page cache, restored afterwards. (synchronous=OFF would save nothing
    here: in WAL mode at NORMAL one transaction syncs only at its checkpoint.)"""
    if not tables:
        yield
        return
    if conn.dialect.name == "sqlite":
        with _sqlite_deferred(conn, [t.name for t in tables]):
            yield
    elif conn.dialect.name == "postgresql":
        with _postgres_deferred(conn, [t.name for t in tables]):
            yield
    else:
        yield


SQLITE_LOAD_CACHE_KIB = 65_536
SQLITE_SORT_THREADS = 2


@contextmanager
def sorting_threads(conn: Connection, threads: int = SQLITE_SORT_THREADS) -> Iterator[None]:
    """On SQLite, let the connection's large sorts (CREATE INDEX, and the GROUP BYs of a summary's full recount) use
    up to `threads` helper threads, then set it back. Measured side by side on the 2-core machine: need_stats' and
    training_stats' full recounts 28.3 and 13.3 s with none, 22.7 and 10.7 s with two; the whole province seed only
    125.2 s against 122.5 s (its inserts and Python do not sort), for 11 s more CPU. For a bulk load (the seed),
    not for page views, which share the cores with each other."""
    if conn.dialect.name != "sqlite":
        yield
        return
    with _sqlite_pragma(conn, "threads", threads):
        yield


@contextmanager
def _sqlite_pragma(conn: Connection, name: str, value: int) -> Iterator[None]:
    """Set an integer PRAGMA of the connection for the block, then back to what it was (on an error too)."""
    before = conn.exec_driver_sql(f"PRAGMA {name}").scalar_one()
    conn.exec_driver_sql(f"PRAGMA {name}={int(value)}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA {name}={int(before)}")


@contextmanager
def _sqlite_deferred(conn: Connection, names: list[str]) -> Iterator[None]:
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    if not dbapi.in_transaction:
        # The driver opens its transaction at the first INSERT, not at DDL: without this, the DROPs below would be
        # committed on their own and a load that fails would leave the tables without their indexes.
        conn.exec_driver_sql("BEGIN")
    found = conn.execute(
        sa.text("SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL "
                "AND tbl_name IN (SELECT value FROM json_each(:names)) ORDER BY rowid"),
        {"names": json.dumps(names)}).all()
    prep = conn.dialect.identifier_preparer
    for kind, name, _ in found:
        conn.exec_driver_sql(f"DROP {kind.upper()} {prep.quote(name)}")
    with _sqlite_pragma(conn, "cache_size", -SQLITE_LOAD_CACHE_KIB):
        yield
    for _, _, sql in found:            # in the order they were made: triggers after the indexes they may use
        conn.exec_driver_sql(sql)
    # Statistics, as on PostgreSQL below: without them SQLite walked need_assessment by an index in community order
    # and fetched each row (0.7 s at province scale where a scan and a sort took 0.3 s). Sampled: 0.1 s there.
    conn.exec_driver_sql("PRAGMA analysis_limit = 400")
    for name in names:
        conn.exec_driver_sql(f"ANALYZE {prep.quote(name)}")


@contextmanager
def _postgres_deferred(conn: Connection, names: list[str]) -> Iterator[None]:
    # Secondary indexes only: those behind a primary key or unique constraint stay, with their constraint. The
    # foreign keys go too: COPY checks each row's with a query of its own, adding one back checks them all in one.
    indexes = conn.execute(sa.text(
        "SELECT ic.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class tc ON tc.oid = i.indrelid "
        "WHERE tc.relnamespace = current_schema()::regnamespace AND tc.relname = ANY(:names) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY ic.oid"),
        {"names": names}).all()
    keys = conn.execute(sa.text(
        "SELECT tc.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
        "JOIN pg_class tc ON tc.oid = k.conrelid WHERE k.contype = 'f' "
        "AND tc.relnamespace = current_schema()::regnamespace AND tc.relname = ANY(:names) ORDER BY k.oid"),
        {"names": names}).all()
    prep = conn.dialect.identifier_preparer
    for table, name, _ in keys:
        conn.exec_driver_sql(f"ALTER TABLE {prep.quote(table)} DROP CONSTRAINT {prep.quote(name)}")
    for name, _ in indexes:
        conn.exec_driver_sql(f"DROP INDEX {prep.quote(name)}")
    yield
    for _, sql in indexes:
        conn.exec_driver_sql(sql)
    for table, name, sql in keys:
        conn.exec_driver_sql(f"ALTER TABLE {prep.quote(table)} ADD CONSTRAINT {prep.quote(name)} {sql}")
    # Statistics for what the same transaction reads next (the seed's distribution runs and summary counts):
    # autovacuum cannot see the rows before the commit, and without them the planner guesses.
    conn.exec_driver_sql(f"ANALYZE {', '.join(prep.quote(n) for n in names)}")


def listed(conn: Connection, values: Collection[str | int], type_: Any) -> sa.Select[Any]:
    """SELECT value FROM (values), with all the values in one bound parameter: a JSON array read by json_each on
    SQLite, an array unnested on PostgreSQL. A plain IN or VALUES binds one parameter per value, which SQLite caps
    at 32,766 and which SQLAlchemy compiles slowly by the thousand."""
    if conn.dialect.name == "postgresql":
        array = sa.bindparam(None, list(values), type_=postgresql.ARRAY(type_))
        return sa.select(sa.func.unnest(array).label("value"))
    return sa.select(sa.literal_column("value")).select_from(
        sa.func.json_each(sa.bindparam(None, json.dumps(list(values), ensure_ascii=False), type_=sa.String)))


def among(conn: Connection, column: sa.ColumnElement[Any], values: Collection[str | int]) -> sa.ColumnElement[bool]:
    """`column IN values` with one bound parameter, however many values."""
    return column.in_(listed(conn, values, column.type).scalar_subquery())


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
