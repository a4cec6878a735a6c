"""Benchmark: the subsidy table, the follow-up work list and a certificate lookup on a province-scale database.

Run on a database the province seed was loaded into (bench/province.py --keep PATH, or `python -m dashboard seed
--scale province` on PostgreSQL): .venv/bin/python bench/training_ops.py URL
Target: each under 300 ms for one quarter (every community) and for one community.
"""

import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.db import normalise_url
from dashboard.queries import Scope
from dashboard.services import certificates, followups, subsidy

AS_OF = dt.date(2026, 11, 22)
TARGET_MS = 300.0


def timed(label: str, fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    out = fn()
    ms = (time.perf_counter() - t0) * 1000
    size = getattr(out, "shape", None) or getattr(out, "status", out)
    print(f"{label}: {ms:,.0f} ms ({size})")
    return ms


def main() -> int:
    engine = sa.create_engine(normalise_url(sys.argv[1]))
    worst = 0.0
    with Session(engine) as s:
        def board(scope: Scope) -> Callable[[], Any]:
            return lambda: subsidy.course_subsidies(s, scope=scope, as_of=AS_OF)

        def work(cid: int | None) -> Callable[[], Any]:
            return lambda: followups.worklist(s, community_id=cid, as_of=AS_OF, limit=200)

        def count(cid: int | None) -> Callable[[], Any]:
            return lambda: followups.worklist_count(s, community_id=cid, as_of=AS_OF)

        for scope in (Scope(None, "2026Q3"), Scope(1, "2026Q3"), Scope(1, None)):
            worst = max(worst, timed(f"course_subsidies {scope.community_id} {scope.quarter}", board(scope)))
        timed("course_subsidies all communities, all time (not a target)", board(Scope(None, None)))
        for cid in (None, 1):
            worst = max(worst, timed(f"worklist {cid}", work(cid)), timed(f"worklist_count {cid}", count(cid)))
        number = s.execute(sa.text("SELECT number FROM certificate ORDER BY id DESC LIMIT 1")).scalar_one()
        worst = max(worst, timed("verify", lambda: certificates.verify(s, number)))
    print(f"worst {worst:,.0f} ms (target {TARGET_MS:,.0f} ms)")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
