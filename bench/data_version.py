"""Benchmark: what the data version costs (issue 18 item 3).

- the check each rerun makes (`data_version.current`, one aggregate on its own connection from the pool), in µs per
  check on SQLite and PostgreSQL, with 200 backends' rows in the PostgreSQL table (a long-lived server's worth);
  target < 2 ms;
- the bump on a 100,000-row practitioner import (importer.import_file, as `python -m dashboard import` runs it): the
  import into a database at revision 0015 (no triggers) and at head (triggers), alternated, best of --runs; target:
  at most 5 % slower on either database.

Exit status 1 if a target is missed. Prints the load average: the machine is shared, so run it more than once.
Run: TEST_DATABASE_URL=postgresql://... .venv/bin/python bench/data_version.py [--rows N] [--runs N]
"""

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from excel_io import build  # noqa: E402  (the import benchmark's workbook)
from sqlmodel import Session  # noqa: E402

from dashboard import data_version  # noqa: E402
from dashboard.db import make_engine, normalise_url, upgrade  # noqa: E402
from dashboard.excel import importer  # noqa: E402
from data_models import Community  # noqa: E402

CHECK_TARGET_MS = 2.0
IMPORT_TARGET_PCT = 5.0


def pg_database() -> tuple[str, sa.Engine] | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return None
    admin = sa.create_engine(normalise_url(url))
    return url, admin


def new_url(kind: str, tmp: Path) -> tuple[str, object]:
    """A new empty database: a SQLite file, or a schema on the PostgreSQL server (dropped by the returned cleanup)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'{uuid.uuid4().hex}.db'}", lambda: None
    pg = pg_database()
    assert pg is not None
    url, admin = pg
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    return f"{normalise_url(url)}?options=-csearch_path%3D{schema}", drop


def import_once(kind: str, tmp: Path, data: bytes, n: int, revision: str) -> float:
    url, drop = new_url(kind, tmp)
    try:
        engine = make_engine(url)
        upgrade(engine, revision)
        with Session(engine) as s:
            s.add(Community(code="C1", name="社区", kind="urban"))
            s.commit()
        t0 = time.perf_counter()
        result = importer.import_file(engine, "practitioners", data, "bench.xlsx", actor="bench", max_bytes=2**30)
        seconds = time.perf_counter() - t0
        assert result.status == "committed" and result.created == n, result.errors[:3]
        if revision == "head":
            with engine.connect() as conn:
                print(f"  {kind}: the import moved the version to {data_version.current(conn)}")
        engine.dispose()
        return seconds
    finally:
        drop()  # type: ignore[operator]


def check_cost(kind: str, tmp: Path, checks: int = 2000) -> float:
    url, drop = new_url(kind, tmp)
    try:
        engine = make_engine(url)
        upgrade(engine)
        with engine.begin() as conn:
            if kind == "postgresql":     # the rows of 200 backends that wrote over the server's life
                conn.execute(sa.text("INSERT INTO data_version (slot, n) SELECT g, g FROM generate_series(1, 200) g"))
            else:
                conn.execute(sa.text("INSERT OR IGNORE INTO data_version (slot, n) VALUES (0, 1)"))
        with engine.connect() as conn:       # warm the pool and the plan
            data_version.current(conn)
        t0 = time.perf_counter()
        for _ in range(checks):
            with engine.connect() as conn:   # as the app does: a connection from the pool per check
                data_version.current(conn)
        per = (time.perf_counter() - t0) / checks
        engine.dispose()
        return per * 1000
    finally:
        drop()  # type: ignore[operator]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    kinds = ["sqlite"] + (["postgresql"] if pg_database() else [])
    print(f"load average before: {os.getloadavg()}")
    ok = True
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for kind in kinds:
            ms = check_cost(kind, tmp)
            print(f"check on {kind}: {ms * 1000:,.0f} µs per check (target < {CHECK_TARGET_MS} ms)")
            ok &= ms < CHECK_TARGET_MS
        book = tmp / "practitioners.xlsx"
        build(args.rows, book, inline=False)
        data = book.read_bytes()
        for kind in kinds:
            times: dict[str, list[float]] = {"0015": [], "head": []}
            for _ in range(args.runs):
                for revision in times:
                    times[revision].append(import_once(kind, tmp, data, args.rows, revision))
            before, after = min(times["0015"]), min(times["head"])
            pct = (after - before) / before * 100
            print(f"import of {args.rows:,} practitioners on {kind}: without the triggers {before:.2f} s "
                  f"(runs {', '.join(f'{t:.2f}' for t in times['0015'])}), with them {after:.2f} s "
                  f"(runs {', '.join(f'{t:.2f}' for t in times['head'])}): {pct:+.1f} % "
                  f"(target <= {IMPORT_TARGET_PCT} %)")
            ok &= pct <= IMPORT_TARGET_PCT
    print(f"load average after: {os.getloadavg()}")
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
