"""Benchmark: load the province scale into a fresh SQLite file, then time the overview's queries on it.

Targets: the seed finishes in under 120 s (issue 2). The overview's figures (issue 2), the needs page's data
(issue 5) and a cooperative's distribution run (issue 6) take under 1 s each.
Run: .venv/bin/python bench/province.py [--keep PATH]
"""

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session

from dashboard.db import init_database
from dashboard.queries import Scope, cooperative, needs_board, overview
from dashboard.services import distribution
from seed import load_demo

SEED_TARGET_S = 120.0
OVERVIEW_TARGET_S = 1.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", help="write the database here and keep it")
    args = ap.parse_args()
    path = Path(args.keep) if args.keep else Path(tempfile.mkdtemp()) / "province.db"
    path.unlink(missing_ok=True)
    engine = init_database(f"sqlite:///{path}")

    started = time.perf_counter()
    counts = load_demo(engine, "province")
    seed_s = time.perf_counter() - started
    rows = sum(counts.values())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"seed province: {rows:,} rows in {seed_s:.1f} s ({rows / seed_s:,.0f} rows/s), "
          f"peak RSS {peak_mb:,.0f} MB, file {path.stat().st_size / 2**20:,.0f} MB")

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

    ok = seed_s < SEED_TARGET_S and worst < OVERVIEW_TARGET_S
    print(f"targets: seed < {SEED_TARGET_S:.0f} s {'OK' if seed_s < SEED_TARGET_S else 'MISSED'}; "
          f"pages and runs < {OVERVIEW_TARGET_S:.0f} s {'OK' if worst < OVERVIEW_TARGET_S else 'MISSED'}"
          f" (slowest {worst * 1000:,.0f} ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
