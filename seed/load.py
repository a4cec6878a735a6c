"""Generate the demo data for a scale and load it in bulk, in foreign-key order, in one transaction."""

import ctypes
import datetime as dt
import json
import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

import data_models
from dashboard import audit, locks, need_stats, request_stats, training_stats
from dashboard.bulk import CHUNK, bulk_insert, deferred, reset_sequences, sorting_threads
from dashboard.services import distribution
from dashboard.services.distribution import parse_period
from data_models import guards
from seed import activity, governance, live_cases, live_comments, meeting_minutes, people
from seed.common import SCALES, SEED, Columns

# Tables a reset keeps: accounts and the append-only audit trail are not demo data.
# The working-day calendar and the deadlines per priority are settings an admin keeps, not demo data either.
KEPT = {"user", "audit_log", "import_batch", "alembic_version", "calendar_day", "request_sla", "subsidy_rule",
        "data_version"}     # the stamp moves on, or an idle app server would keep its cache across a reset


class DatabaseNotEmpty(Exception):
    pass


def generate(scale_name: str = "demo") -> dict[str, Columns]:
    """Every table's rows as columns, in insert order. Same scale, same output, on any machine."""
    return dict(tables(scale_name))


def tables(scale_name: str = "demo") -> Iterator[tuple[str, Columns]]:
    """Every table's rows as columns, in insert order, area by area: a loader that inserts each table as it comes
    and lets it go holds one area at a time (at province scale all of them at once took 2 GB). The draws are
    made in the same order as ever, so the rows are the same."""
    scale = SCALES[scale_name]
    rng = np.random.default_rng(SEED)
    comm = people.communities(scale)
    party = people.parties(comm)
    prac, groups = people.practitioners(rng, scale, comm)
    yield "community", comm
    yield "party", party
    yield "practitioner", prac
    yield "practitioner_group", groups
    del groups
    need, need_events = people.needs(rng, scale, prac)
    yield "need_assessment", need
    yield "need_event", need_events
    del need, need_events
    course, enrol, outcomes = activity.training(rng, scale, comm, party, prac)
    yield "course", course
    yield "enrolment", enrol
    del course, enrol
    while outcomes:
        yield _take_first(outcomes)
    coop = activity.cooperative(rng, scale, comm, prac)
    while coop:
        yield _take_first(coop)
    del prac
    units = governance.units(comm, party)
    yield "unit", units
    streams = governance.livestreams(rng, scale, comm, units)
    del units
    live_cases.add(streams)          # 五步协商 demo cases and their dispute requests (issue 16)
    # The comment export (issue 16) draws nothing at random: made before the meetings, it lets the livestream
    # tables go before the meetings are drawn. It marks one request as raised from the comments.
    comments = live_comments.comment_import(comm, streams)
    while streams:
        yield _take_first(streams)
    while comments:
        yield _take_first(comments)
    meet = governance.meetings(rng, comm, party)
    while meet:
        yield _take_first(meet)


def _take_first(area: dict[str, Columns]) -> tuple[str, Columns]:
    """Remove the first table from `area` and return it, so the area no longer holds it once it is loaded."""
    name = next(iter(area))
    return name, area.pop(name)


def _rows(cols: Columns, chunk: int = CHUNK) -> Iterator[tuple[Any, ...]]:
    """The rows of `cols`, made into Python values a chunk at a time (the whole of a million-row table at once
    was 13 million Python objects)."""
    values = list(cols.values())
    height = len(values[0]) if values else 0
    if any(len(v) != height for v in values):
        raise ValueError(f"columns of different lengths: {[len(v) for v in values]}")
    for lo in range(0, height, chunk):
        parts = [v[lo:lo + chunk].tolist() if isinstance(v, np.ndarray) else v[lo:lo + chunk] for v in values]
        yield from zip(*parts, strict=True)


def is_empty(engine: Engine) -> bool:
    table = data_models.metadata.tables["community"]
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0


def wipe(conn: sa.Connection) -> None:
    """Delete the demo tables' rows; every table gets explicit ids on load, so ids come out the same again."""
    user = data_models.metadata.tables["user"]
    conn.execute(user.update().values(party_id=None))
    for table in reversed(data_models.metadata.sorted_tables):
        if table.name not in KEPT:
            conn.execute(table.delete())


def append_audit(conn: sa.Connection, entries: list[dict[str, Any]]) -> int:
    """Append many entries to the audit chain in one insert, hashed exactly as audit.record hashes one."""
    if not entries:
        return 0
    locks.serialise(conn, locks.AUDIT)
    prev = conn.execute(sa.select(audit.TABLE.c.hash).order_by(audit.TABLE.c.id.desc()).limit(1)).scalar()
    rows = []
    for entry in entries:
        stamp = entry["at"].astimezone(dt.UTC)
        fields = {"at": stamp.isoformat(), "actor": entry["actor"], "action": entry["action"],
                  "entity": entry["entity"], "entity_id": entry["entity_id"],
                  **{side: None if entry[side] is None else json.dumps(entry[side], ensure_ascii=False, sort_keys=True,
                                                                        default=str) for side in ("before", "after")}}
        digest = audit.entry_hash(prev, fields)
        rows.append({**fields, "at": stamp, "import_batch_id": None, "prev_hash": prev, "hash": digest})
        prev = digest
    conn.execute(sa.insert(audit.TABLE), rows)
    return len(rows)


DEMO_QUARTERS = ["2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]


def distribute(conn: sa.Connection, coop_codes: list[str]) -> int:
    """Each quarter's run through the real service: approved ten days after the quarter, the last one a draft."""
    with Session(bind=conn) as session:
        for code in coop_codes:
            for quarter in DEMO_QUARTERS:
                end = parse_period(quarter).end
                run = distribution.compute(session, cooperative_code=code, period=quarter, actor="合作社经理",
                                           at=dt.datetime.combine(end + dt.timedelta(days=5), dt.time(2), dt.UTC))
                if quarter != DEMO_QUARTERS[-1]:
                    at = dt.datetime.combine(end + dt.timedelta(days=10), dt.time(2), dt.UTC)
                    distribution.approve(session, run_code=run.code, actor="合作社理事长", at=at)
        session.flush()
    return len(coop_codes) * len(DEMO_QUARTERS)


# What the steps after the bulk load read of the generated rows; everything else is let go once it is in.
READ_AFTER = {"cooperative", "party", "meeting", "minutes_signature"}


def _give_back_memory() -> None:
    """Return the freed heap to the system (glibc): after an area's arrays are freed, malloc keeps hundreds of MB
    that the next area's Python objects cannot reuse, and the seed's peak grew by them."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc() -> Any:
    if sys.platform != "linux":
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None     # musl has none


_LIBC = _glibc()


def load_demo(engine: Engine, scale_name: str = "demo", *, reset: bool = False,
              actor: str = "system") -> dict[str, int]:
    """Load a scale's demo data; refuse a database that has data unless `reset`. Returns rows per table."""
    started = time.perf_counter()
    counts: dict[str, int] = {}
    with engine.begin() as conn, sorting_threads(conn):
        has_data = conn.execute(
            sa.select(sa.func.count()).select_from(data_models.metadata.tables["community"])
        ).scalar_one() > 0
        if has_data and not reset:
            raise DatabaseNotEmpty(scale_name)
        demo = [t for t in data_models.metadata.sorted_tables if t.name not in KEPT]
        if has_data:
            with guards.suspended(conn):
                wipe(conn)
            reset_sequences(conn, demo)
        kept: dict[str, Columns] = {}
        # Indexes built once over the loaded rows, and the summaries' dirty marks left to the refresh below.
        with deferred(conn, demo):
            for name, cols in tables(scale_name):
                table = data_models.metadata.tables[name]
                counts[name] = bulk_insert(conn, table, list(cols), _rows(cols), stage=False)
                if name in READ_AFTER:
                    kept[name] = cols
                del cols
                _give_back_memory()
        reset_sequences(conn, [data_models.metadata.tables[name] for name in counts])
        counts["distribution_run"] = distribute(conn, kept["cooperative"]["code"])
        append_audit(conn, meeting_minutes.lock_entries(kept))
        audit.record(conn, actor=actor, action="seed", entity="*", entity_id=scale_name,
                     after={"scale": scale_name, "reset": reset, "rows": counts,
                            "seconds": round(time.perf_counter() - started, 1)})
        # After the audit entry, as every writer of a summary table; their indexes built once over the counts too.
        with deferred(conn, [data_models.metadata.tables[name] for name in SUMMARIES]):
            refresh_summaries(conn)
    vacuum(engine, demo)
    return counts


def vacuum(engine: Engine, tables: list[sa.Table]) -> None:
    """On PostgreSQL, VACUUM (ANALYZE) the tables just loaded, as autovacuum would a while later: a page's read of an
    index that holds every column it needs (an index-only scan) still visits each row's table page until the table
    is vacuumed, and the summary tables were rewritten after the load's ANALYZE. At province scale the live page for
    all communities took 114 ms before and 81 ms after (8 s for the whole database); the demo takes ~0.2 s. Named
    tables only: the search path decides which, never another schema's."""
    if engine.dialect.name != "postgresql":
        return
    prep = engine.dialect.identifier_preparer
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"VACUUM (ANALYZE) {', '.join(prep.quote(t.name) for t in tables)}")


# The tables refresh_summaries writes (tests/test_seed_load.py checks the list). Refreshed without their secondary
# indexes, built afterwards: at province scale need_stats' 620,000 rows went in in 12.0 s instead of 16.3 s, and
# its two indexes took 1.4 s to build.
SUMMARIES = ["request_stats", "training_stats", "training_stats_due", "training_stats_employed", "training_stats_dirty",
             "need_stats", "practitioner_stats", "practitioner_stats_quarter", "sale_stats", "need_stats_dirty"]


def refresh_summaries(conn: sa.Connection) -> None:
    """Count every summary table once from the loaded rows: the one place the seed fills them (the bulk load
    suspends the triggers that mark them dirty). A new summary table's refresh_all belongs here."""
    request_stats.refresh_all(conn)
    training_stats.refresh_all(conn)
    need_stats.refresh_all(conn)
