"""Benchmark: the joint meeting's agenda builder (dashboard.services.agenda.propose) on the province seed.

Target (issue 15, Speed): propose answers in at most 1 s cold — a new engine and a new connection, nothing cached —
on SQLite and on PostgreSQL. Timed for the latest meeting of the community with the most requests, of the one with
the fewest, and the earliest meeting of the biggest (its 上次决议落实情况 is empty, its other figures as large),
each three times on a new engine; the median is held to the target (the machine is shared) and all runs printed.

The province seed goes into a new SQLite file and a new schema on the PostgreSQL server (DATABASE_URL_BENCH, else
TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/test), both removed afterwards unless --keep.
--sqlite PATH / --postgres URL reuse a database already holding the province seed (seeded there if empty).
PostgreSQL is VACUUMed and ANALYZEd first, as autovacuum does after a bulk load. Exits 1 when a run misses.
Run: .venv/bin/python bench/agenda.py [--keep] [--sqlite PATH] [--postgres URL]
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from dashboard.db import init_database, make_engine, normalise_url
from dashboard.services.agenda import propose
from seed import load_demo

TARGET_MS = 1000.0
TODAY = dt.date(2026, 12, 1)
RUNS = 3


def seeded(url: str) -> None:
    """The database at `url`, migrated, holding the province seed (loaded now if it is empty)."""
    engine = init_database(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM request")).scalar_one()
    if n == 0:
        t0 = time.perf_counter()
        counts = load_demo(engine, "province")
        print(f"  seeded {sum(counts.values()):,} rows ({counts.get('request', 0):,} requests) "
              f"in {time.perf_counter() - t0:.0f} s")
    elif n < 100_000:
        raise SystemExit(f"{url} holds {n:,} requests, not the province seed")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def meetings(url: str) -> list[tuple[str, int, int]]:
    """(label, meeting id, the community's requests) of the meetings timed."""
    engine = make_engine(url)
    with engine.connect() as conn:
        sizes = conn.execute(sa.text("SELECT community_id, count(*) AS n FROM request GROUP BY community_id "
                                     "ORDER BY n DESC, community_id")).all()
        (big, n_big), (small, n_small) = sizes[0], sizes[-1]

        def pick(community: int, order: str) -> int:
            stmt = sa.text(f"SELECT id FROM meeting WHERE community_id = :c ORDER BY held_on {order}, id LIMIT 1")
            return int(conn.execute(stmt, {"c": community}).scalar_one())

        out = [("biggest community, latest meeting", pick(big, "DESC"), int(n_big)),
               ("biggest community, earliest meeting", pick(big, "ASC"), int(n_big)),
               ("smallest community, latest meeting", pick(small, "DESC"), int(n_small))]
    engine.dispose()
    return out


def cold_ms(url: str, meeting_id: int) -> tuple[float, int]:
    """One propose() on a new engine (the connection opened before the clock): ms and how many items."""
    engine = make_engine(url)
    with engine.connect() as conn:
        t0 = time.perf_counter()
        items = propose(conn, meeting_id=meeting_id, today=TODAY)
        took = (time.perf_counter() - t0) * 1000
    engine.dispose()
    return took, len(items)


def run(label: str, url: str) -> list[tuple[str, float, bool]]:
    print(f"{label}:")
    seeded(url)
    out = []
    for name, meeting_id, requests in meetings(url):
        load = os.getloadavg()[0]
        got = [cold_ms(url, meeting_id) for _ in range(RUNS)]
        median = statistics.median(ms for ms, _ in got)
        good = median <= TARGET_MS
        out.append((name, median, good))
        print(f"  {name} (meeting {meeting_id}, {requests:,} requests): median {median:,.0f} ms cold, "
              f"{got[0][1]} items ({', '.join(f'{ms:,.0f}' for ms, _ in got)}; load {load:.1f}) "
              f"{'OK' if good else 'MISSED'}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sqlite", help="an SQLite file holding (or to hold) the province seed")
    ap.add_argument("--postgres", help="a PostgreSQL URL holding (or to hold) the province seed")
    ap.add_argument("--keep", action="store_true", help="keep the databases this run creates")
    args = ap.parse_args()
    results: dict[str, list[tuple[str, float, bool]]] = {}

    sqlite_path = Path(args.sqlite) if args.sqlite else Path(tempfile.mkdtemp()) / "province.db"
    results["SQLite"] = run("SQLite", f"sqlite:///{sqlite_path}")
    if not args.sqlite and not args.keep:
        for p in sqlite_path.parent.glob(sqlite_path.name + "*"):
            p.unlink()
    elif not args.sqlite:
        print(f"  kept: {sqlite_path}")

    schema, admin, pg_url = None, None, args.postgres
    if pg_url is None:
        base = normalise_url(os.environ.get("DATABASE_URL_BENCH") or os.environ.get("TEST_DATABASE_URL")
                             or "postgresql://postgres@127.0.0.1:5432/test")
        admin = sa.create_engine(base)
        schema = f"bench_agenda_{uuid.uuid4().hex[:8]}"
        try:
            with admin.begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        except sa.exc.OperationalError as exc:
            print(f"PostgreSQL: not reachable at {base} ({exc.orig}); MISSED")
            return 1
        pg_url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    try:
        results["PostgreSQL"] = run("PostgreSQL", pg_url)
    finally:
        if admin is not None and schema is not None:
            if args.keep:
                print(f"  kept: {pg_url}")
            else:
                with admin.begin() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    ok = all(good for rows in results.values() for _, _, good in rows) and "PostgreSQL" in results
    print(f"target: propose <= {TARGET_MS:.0f} ms cold: {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
