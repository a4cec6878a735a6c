"""Benchmark: the 季度汇报's data (dashboard.report.figures.report_data) on the province seed.

Issue 17, Speed: one community-quarter's report data in at most 500 ms cold — a new engine and a new connection, no
app cache — on SQLite and on PostgreSQL. All communities is printed beside it (its target is issue 18's). Each is run
three times, each on a new engine; the median is held to the target (the machine is shared) and all three are
printed, with the time of each area. The figures of one community and of all communities are printed too.

The province seed goes into a new SQLite file and a new schema on the PostgreSQL server (DATABASE_URL_BENCH, else
TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/test), both removed afterwards unless --keep; those
are VACUUMed and ANALYZEd on PostgreSQL after the load, as autovacuum does. --sqlite PATH / --postgres URL read a
database that already holds the province seed and write nothing to it (one that is empty is seeded first).
Exits 1 when one community misses the target, or PostgreSQL could not be reached.
Run: .venv/bin/python bench/report.py [--keep] [--sqlite PATH] [--postgres URL] [--community ID] [--quarter 2026Q3]
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.db import current_revision, init_database, make_engine, normalise_url
from dashboard.i18n import use_language
from dashboard.report import figures
from dashboard.report.present import figure_text
from dashboard.report.types import ReportData
from data_models import Community
from data_models.base import table_of
from seed import load_demo

TARGET_MS = 500.0
QUARTER = "2026Q3"
TODAY = dt.date(2026, 11, 20)      # the seed's follow-ups and requests were worked up to this day
RUNS = 3
AREAS = ("_needs", "_training", "_cooperative", "_requests", "_meetings")
TABLES = ("need_assessment, practitioner, enrolment, course, training_stats, sale, fund_spending, distribution_run, "
          "distribution_line, request, request_stats, livestream_session, meeting, decision, action_item, party")

each: dict[str, float] = {}        # the time of each area in the run being timed


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            each[name] = (time.perf_counter() - t0) * 1000
    return run


for _name in AREAS:          # report_data calls these by module attribute: each area's share of the time is seen
    setattr(figures, _name, _timed(_name.strip("_"), getattr(figures, _name)))


def seeded(url: str, *, reuse: bool) -> None:
    """The database at `url` holding the province seed: loaded now if it is new or empty; one given to reuse that
    holds data is only read (its schema must be current)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        has_tables = sa.inspect(conn).has_table("community")
        n = conn.execute(sa.select(sa.func.count()).select_from(table_of(Community))).scalar_one() if has_tables else 0
    if n and reuse:
        revision = current_revision(engine)
        engine.dispose()
        if revision is None:
            raise SystemExit(f"{url} holds data but no schema version")
        return
    engine.dispose()
    engine = init_database(url)
    t0 = time.perf_counter()
    counts = load_demo(engine, "province")
    print(f"  seeded {sum(counts.values()):,} rows in {time.perf_counter() - t0:.0f} s")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"VACUUM ANALYZE {TABLES}")
    engine.dispose()


def cold_ms(url: str, community_id: int | None, quarter: str) -> tuple[float, dict[str, float], ReportData]:
    """report_data once on a new engine (the connection opened before the clock): the total and each area's."""
    engine = make_engine(url)
    each.clear()
    with engine.connect():          # opened and back in the pool: the session's transaction is report_data's own
        pass
    with Session(engine) as session:
        t0 = time.perf_counter()
        data = figures.report_data(session, community_id=community_id, quarter=quarter, today=TODAY)
        total = (time.perf_counter() - t0) * 1000
    engine.dispose()
    return total, dict(each), data


def show(data: ReportData) -> None:
    """Every figure: the quarter, the one before and a year ago, as the report writes them."""
    with use_language("zh"):
        for area in data.areas:
            print(f"    {area.area}: " + "; ".join(
                f"{f.key} {figure_text(f)} ({figure_text(f, 'previous')}, {figure_text(f, 'year_ago')})"
                for f in area.figures))


def run(label: str, url: str, community_id: int, quarter: str, *, reuse: bool) -> list[tuple[str, float, bool]]:
    """(scope, median ms, met) for one community and for all communities on the database at `url`."""
    print(f"{label}:")
    seeded(url, reuse=reuse)
    out = []
    for name, scope in ((f"community {community_id}", community_id), ("all communities", None)):
        load = os.getloadavg()[0]
        got = [cold_ms(url, scope, quarter) for _ in range(RUNS)]
        median = statistics.median(t for t, _, _ in got)
        good = median <= TARGET_MS if scope is not None else True
        out.append((name, median, good))
        verdict = ("OK" if good else "MISSED") if scope is not None else "(issue 18's target)"
        print(f"  {name} {quarter}: median {median:,.0f} ms cold ({', '.join(f'{t:,.0f}' for t, _, _ in got)}; "
              f"load {load:.1f}) {verdict}")
        print("    " + "; ".join(", ".join(f"{k} {v:,.0f}" for k, v in parts.items()) for _, parts, _ in got))
        show(got[-1][2])
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sqlite", help="an SQLite file holding (or to hold) the province seed")
    ap.add_argument("--postgres", help="a PostgreSQL URL holding (or to hold) the province seed")
    ap.add_argument("--keep", action="store_true", help="keep the databases this run creates")
    ap.add_argument("--community", type=int, default=1, help="the community timed against the target (id)")
    ap.add_argument("--quarter", default=QUARTER)
    args = ap.parse_args()
    results: dict[str, list[tuple[str, float, bool]]] = {}

    sqlite_path = Path(args.sqlite) if args.sqlite else Path(tempfile.mkdtemp()) / "province.db"
    results["SQLite"] = run("SQLite", f"sqlite:///{sqlite_path}", args.community, args.quarter,
                            reuse=bool(args.sqlite))
    if not args.sqlite and not args.keep:
        for p in sqlite_path.parent.glob(sqlite_path.name + "*"):
            p.unlink()

    schema, admin, pg_url = None, None, args.postgres
    if pg_url is None:
        base = normalise_url(os.environ.get("DATABASE_URL_BENCH") or os.environ.get("TEST_DATABASE_URL")
                             or "postgresql://postgres@127.0.0.1:5432/test")
        admin = sa.create_engine(base)
        schema = f"bench_report_{uuid.uuid4().hex[:8]}"
        try:
            with admin.begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        except sa.exc.OperationalError as exc:
            print(f"PostgreSQL: not reachable at {base} ({exc.orig}); MISSED")
            summary(results)
            return 1
        pg_url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    try:
        results["PostgreSQL"] = run("PostgreSQL", pg_url, args.community, args.quarter, reuse=bool(args.postgres))
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
    return 0 if summary(results) else 1


def summary(results: dict[str, list[tuple[str, float, bool]]]) -> bool:
    """Medians (ms) per scope and database; True when one community met the target on both databases."""
    print(f"\nmedian ms cold of report_data (target <= {TARGET_MS:.0f} for one community):")
    for db, rows in results.items():
        print(f"  {db:<10} " + "   ".join(f"{scope} {ms:,.0f}{'' if good else ' !'}" for scope, ms, good in rows))
    ok = all(good for rows in results.values() for _, _, good in rows) and "PostgreSQL" in results
    print(f"target: one community-quarter's report data <= {TARGET_MS:.0f} ms cold: {'OK' if ok else 'MISSED'}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
