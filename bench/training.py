"""Benchmark: the 培训成效 page's data on the province seed (500,000 enrolments).

Target (issue 14, Speed): training_board plus, where dashboard/queries/training_levels.py is on the branch,
levels_board, for all communities and for one community in the current quarter, load in at most 300 ms cold — a new
engine and new connections, no app cache — on SQLite and on PostgreSQL. Each load runs three times, each on a new
engine; the median is held to the target (the machine is shared) and all three are printed, with each part's time.

The province seed goes into a new SQLite file and a new schema on the PostgreSQL server (DATABASE_URL_BENCH, else
TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/test), both removed afterwards unless --keep.
--sqlite PATH / --postgres URL reuse a database already holding the province seed (seeded there if empty).
PostgreSQL's training tables are VACUUMed and ANALYZEd first, as autovacuum does after a bulk load.
Run: .venv/bin/python bench/training.py [--keep] [--sqlite PATH] [--postgres URL]
"""

import argparse
import datetime as dt
import importlib
import importlib.util
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from sqlmodel import Session

from dashboard import training_stats
from dashboard.db import init_database, make_engine, normalise_url
from dashboard.queries import Scope
from dashboard.queries.training import training_board
from seed import load_demo

TARGET_MS = 300.0
QUARTER = "2026Q3"
AS_OF = dt.date(2026, 11, 20)      # the seed's follow-ups were worked up to this day
RUNS = 3
TABLES = "enrolment, course, training_followup, practitioner_group, training_stats, training_stats_due"


def seeded(url: str) -> None:
    """The database at `url`, migrated, holding the province seed (loaded now if it is empty)."""
    engine = init_database(url)
    with engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(training_stats.E)).scalar_one()
    if n == 0:
        t0 = time.perf_counter()
        counts = load_demo(engine, "province")
        print(f"  seeded {sum(counts.values()):,} rows ({counts['enrolment']:,} enrolments) "
              f"in {time.perf_counter() - t0:.0f} s")
    elif n < 400_000:
        raise SystemExit(f"{url} holds {n:,} enrolments, not the province seed")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"VACUUM ANALYZE {TABLES}")
    engine.dispose()


def parts() -> dict[str, Callable[[Session, Scope], object]]:
    out: dict[str, Callable[[Session, Scope], object]] = {
        "training_board": lambda s, scope: training_board(s, scope=scope, as_of=AS_OF)}
    if importlib.util.find_spec("dashboard.queries.training_levels") is not None:
        levels: Any = importlib.import_module("dashboard.queries.training_levels")
        out["levels_board"] = lambda s, scope: levels.levels_board(s, scope=scope, as_of=AS_OF)
    return out


def cold_ms(url: str, scope: Scope) -> tuple[float, dict[str, float]]:
    """The page's data once on a new engine: the total and each part (its connection opened before the clock)."""
    engine = make_engine(url)
    each = {}
    with Session(engine) as session:
        session.connection()
        for name, part in parts().items():
            t0 = time.perf_counter()
            part(session, scope)
            each[name] = (time.perf_counter() - t0) * 1000
    engine.dispose()
    return sum(each.values()), each


def run(label: str, url: str) -> bool:
    print(f"{label}:")
    seeded(url)
    ok = True
    for name, scope in (("all communities", Scope(None, QUARTER)), ("one community", Scope(1, QUARTER))):
        load = os.getloadavg()[0]
        got = [cold_ms(url, scope) for _ in range(RUNS)]
        median = statistics.median(t for t, _ in got)
        good = median <= TARGET_MS
        ok &= good
        print(f"  page data, {name} {QUARTER}: median {median:,.0f} ms cold "
              f"({', '.join(f'{t:,.0f}' for t, _ in got)}; load {load:.1f}) {'OK' if good else 'MISSED'}")
        print("    " + "; ".join(", ".join(f"{k} {v:,.0f}" for k, v in each.items()) for _, each in got))
    return ok


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sqlite", help="an SQLite file holding (or to hold) the province seed")
    ap.add_argument("--postgres", help="a PostgreSQL URL holding (or to hold) the province seed")
    ap.add_argument("--keep", action="store_true", help="keep the databases this run creates")
    args = ap.parse_args()
    print("parts timed: " + ", ".join(parts()))

    sqlite_path = Path(args.sqlite) if args.sqlite else Path(tempfile.mkdtemp()) / "province.db"
    ok = run("SQLite", f"sqlite:///{sqlite_path}")
    if not args.sqlite and not args.keep:
        for p in sqlite_path.parent.glob(sqlite_path.name + "*"):
            p.unlink()

    schema, admin, pg_url = None, None, args.postgres
    if pg_url is None:
        base = normalise_url(os.environ.get("DATABASE_URL_BENCH") or os.environ.get("TEST_DATABASE_URL")
                             or "postgresql://postgres@127.0.0.1:5432/test")
        admin = sa.create_engine(base)
        schema = f"bench_training_{uuid.uuid4().hex[:8]}"
        try:
            with admin.begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        except sa.exc.OperationalError as exc:
            print(f"PostgreSQL: not reachable at {base} ({exc.orig}); MISSED")
            return 1
        pg_url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    try:
        ok &= run("PostgreSQL", pg_url)
    finally:
        if admin is not None and schema is not None:
            if args.keep:
                print(f"  kept: {pg_url}")
            else:
                with admin.begin() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    if args.keep and not args.sqlite:
        print(f"kept: {sqlite_path}")
    print(f"target: page data <= {TARGET_MS:.0f} ms cold: {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
