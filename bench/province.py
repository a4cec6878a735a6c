"""Benchmark: load the province scale into a fresh SQLite file and into a new PostgreSQL schema, then time the
overview's queries on the SQLite file.

Targets: the SQLite seed in at most 90 s at at most 1 GB peak RSS (issue 18); the PostgreSQL seed (COPY) has its
time and peak printed. The overview's figures (issue 2), the needs page's data (issue 5) and a cooperative's
distribution run (issue 6) take under 1 s each. Each seed runs in a process of its own, so each peak is its own.
PostgreSQL: DATABASE_URL_BENCH, else TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/test; the schema
is dropped afterwards. The machine may be shared: the load average is printed beside the figures.
Run: .venv/bin/python bench/province.py [--keep PATH] [--no-postgres]
"""

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.db import init_database, normalise_url
from dashboard.queries import Scope, cooperative, needs_board, overview
from dashboard.services import distribution
from seed import load_demo

SEED_TARGET_S = 90.0
SEED_TARGET_MB = 1024.0
OVERVIEW_TARGET_S = 1.0


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def seed_here(url: str) -> None:
    """The child: migrate and seed `url`, then print one JSON line with the figures."""
    engine = init_database(url)
    started = time.perf_counter()
    counts = load_demo(engine, "province")
    seconds = time.perf_counter() - started
    engine.dispose()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"rows": sum(counts.values()), "seconds": seconds, "peak_mb": usage.ru_maxrss / 1024,
                      "cpu_s": usage.ru_utime + usage.ru_stime}))


def seed(label: str, url: str) -> dict[str, float]:
    """Seed `url` in a process of its own and print its time, rate and peak with the load average."""
    before = load_average()
    out = subprocess.run([sys.executable, __file__, "--seed-only", url], check=True, capture_output=True, text=True)
    fig = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"seed {label}: {fig['rows']:,} rows in {fig['seconds']:.1f} s ({fig['rows'] / fig['seconds']:,.0f} rows/s), "
          f"peak RSS {fig['peak_mb']:,.0f} MB; this process's CPU {fig['cpu_s']:.1f} s, the rest waiting for a core or "
          f"the disk or the server (load average {before} before, {load_average()} after)", flush=True)
    return fig


def pages(engine: sa.Engine) -> float:
    """Time the pages' queries on the seeded database; the slowest in seconds."""
    worst = 0.0
    with Session(engine) as session:
        for scope in (Scope(None, "2026Q3"), Scope(1, "2026Q3"), Scope(60, "2025Q4")):
            t0 = time.perf_counter()
            overview.overview(session, scope=scope, today=dt.date(2026, 11, 22))
            took = time.perf_counter() - t0
            worst = max(worst, took)
            print(f"overview {scope}: {took * 1000:,.0f} ms")

    # The 需求评估 page's data: every aggregate it shows, queries side by side (dashboard.db.gather).
    for scope in (Scope(None, "2026Q3"), Scope(1, "2026Q3"), Scope(None, "2026Q3", ("group", "migrant_women"))):
        t0 = time.perf_counter()
        needs_board.page(engine, scope=scope, today=dt.date(2026, 11, 22))
        took = time.perf_counter() - t0
        worst = max(worst, took)
        print(f"needs page {scope}: {took * 1000:,.0f} ms")

    # One cooperative's quarter recomputed (the page's "compute draft"), and its page queries.
    with Session(engine) as session:
        t0 = time.perf_counter()
        run = distribution.compute(session, cooperative_code="GA-COOP", period="2026Q3", actor="bench")
        took = time.perf_counter() - t0
        print(f"distribution run {run.code}: {took * 1000:,.0f} ms for {run.revenue_cents / 100:,.2f} yuan of sales")
        session.rollback()
        t0 = time.perf_counter()
        for fn in (cooperative.sales_by_month, cooperative.runs, cooperative.fund_ledger):
            fn(session, cooperative_id=1)
        cooperative.top_members(session, cooperative_id=1, period="2026Q3")
        print(f"cooperative page queries: {(time.perf_counter() - t0) * 1000:,.0f} ms")
        worst = max(worst, took)
    return worst


def postgres_seed() -> dict[str, float] | None:
    """The province seed into a new schema on the PostgreSQL server (COPY), dropped afterwards; None if no server."""
    base = normalise_url(os.environ.get("DATABASE_URL_BENCH") or os.environ.get("TEST_DATABASE_URL")
                         or "postgresql://postgres@127.0.0.1:5432/test")
    admin = sa.create_engine(base)
    schema = f"bench_province_{uuid.uuid4().hex[:8]}"
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        print(f"seed PostgreSQL: not reachable at {base} ({exc.orig})")
        return None
    try:
        return seed("PostgreSQL (COPY)", f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}")
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", help="write the SQLite database here and keep it")
    ap.add_argument("--no-postgres", action="store_true", help="seed SQLite only")
    ap.add_argument("--seed-only", metavar="URL", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.seed_only:
        seed_here(args.seed_only)
        return 0
    path = Path(args.keep) if args.keep else Path(tempfile.mkdtemp()) / "province.db"
    for old in path.parent.glob(path.name + "*"):
        old.unlink()

    fig = seed("SQLite", f"sqlite:///{path}")
    print(f"SQLite file {path.stat().st_size / 2**20:,.0f} MB")
    engine = init_database(f"sqlite:///{path}")
    worst = pages(engine)
    engine.dispose()
    if not args.keep:
        for p in path.parent.glob(path.name + "*"):
            p.unlink()
    if not args.no_postgres:
        postgres_seed()

    seed_ok = fig["seconds"] <= SEED_TARGET_S and fig["peak_mb"] <= SEED_TARGET_MB
    print(f"targets: SQLite seed <= {SEED_TARGET_S:.0f} s {'OK' if fig['seconds'] <= SEED_TARGET_S else 'MISSED'}"
          f" ({fig['seconds']:.1f} s), <= {SEED_TARGET_MB:,.0f} MB peak "
          f"{'OK' if fig['peak_mb'] <= SEED_TARGET_MB else 'MISSED'} ({fig['peak_mb']:,.0f} MB); "
          f"pages and runs < {OVERVIEW_TARGET_S:.0f} s {'OK' if worst < OVERVIEW_TARGET_S else 'MISSED'}"
          f" (slowest {worst * 1000:,.0f} ms); load average now {load_average()}")
    return 0 if seed_ok and worst < OVERVIEW_TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
