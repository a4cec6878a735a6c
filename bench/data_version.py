"""Benchmark: what the data version costs (issue 18 item 3).

- the check each rerun makes (`data_version.current`, one aggregate on its own connection from the pool), in µs per
  check on SQLite and PostgreSQL, with 200 backends' rows in the PostgreSQL table (a long-lived server's worth);
  target < 2 ms;
- the bump on a 100,000-row practitioner import (importer.import_file, as `python -m dashboard import` runs it), into a
  database at revision 0015 (no stamp) and at head, alternated, best of --runs. SQLite runs in this process, so its
  figure is this process's CPU time (wall time on a machine shared with four others varied 2.7-13 s for one import);
  beside it, the design that was measured and rejected: a row trigger on each data table (target for head: at most
  5 % more CPU). PostgreSQL's work is in the server: wall times, and the trigger's cost per statement, from 2,000
  one-row INSERTs with and without it (target < 0.3 ms a statement).

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
STATEMENT_TARGET_MS = 0.3


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


# The design rejected for SQLite: every data table's row triggers (slot 0, one bump per row).
ROW_TRIGGERS = "row triggers"


def sqlite_row_triggers(engine: sa.Engine) -> None:
    import data_models

    with engine.begin() as conn:
        for table in data_version.data_tables(data_models.metadata.tables):
            for ev in ("INSERT", "UPDATE", "DELETE"):
                conn.exec_driver_sql(f'CREATE TRIGGER bench_dv_{table}_{ev} AFTER {ev} ON "{table}" BEGIN '
                                     f"{data_version.SQLITE_BUMP}; END")


def import_once(kind: str, tmp: Path, data: bytes, n: int, revision: str) -> float:
    url, drop = new_url(kind, tmp)
    try:
        engine = make_engine(url)
        upgrade(engine, "head" if revision == ROW_TRIGGERS else revision)
        if revision == ROW_TRIGGERS:
            sqlite_row_triggers(engine)
        with Session(engine) as s:
            s.add(Community(code="C1", name="社区", kind="urban"))
            s.commit()
        clock = time.process_time if kind == "sqlite" else time.perf_counter
        t0 = clock()
        result = importer.import_file(engine, "practitioners", data, "bench.xlsx", actor="bench", max_bytes=2**30)
        seconds = clock() - t0
        assert result.status == "committed" and result.created == n, result.errors[:3]
        if revision != "0015":
            with engine.connect() as conn:
                print(f"  {kind} ({revision}): the version after the import: {data_version.current(conn)}")
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


def statement_cost(tmp: Path, statements: int = 5000, rounds: int = 3) -> float:
    """PostgreSQL: ms a one-row INSERT costs more with the version's trigger than without. The INSERTs run in a DO block
    inside the server, so the figure is the server's work, not round trips; best of `rounds`, alternated."""
    url, drop = new_url("postgresql", tmp)
    try:
        engine = make_engine(url)
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO community (code, name, kind, city, district) "
                                 "VALUES ('C1', 'c', 'urban', '', '')"))
        times: dict[str, float] = {}
        for r in range(rounds):
            for label in ("with", "without"):
                with engine.begin() as conn:
                    if label == "without":
                        conn.exec_driver_sql("ALTER TABLE course DISABLE TRIGGER trg_data_version")
                    t0 = time.perf_counter()
                    conn.exec_driver_sql(f"""DO $$ BEGIN FOR i IN 1..{statements} LOOP
                        INSERT INTO course (code, community_id, title, topic, level, target_group, hours, start_date,
                                            end_date, quarter)
                        SELECT '{label}{r}-' || i, id, 't', 'livestreaming', 'basic', 'all', 1, '2025-07-01',
                               '2025-07-02', '2025Q3' FROM community WHERE code = 'C1';
                    END LOOP; END $$""")
                    took = (time.perf_counter() - t0) / statements * 1000
                    times[label] = min(times.get(label, took), took)
                    if label == "without":
                        conn.exec_driver_sql("ALTER TABLE course ENABLE TRIGGER trg_data_version")
        print(f"one-row INSERT on postgresql (server side): {times['without'] * 1000:.0f} µs without the trigger, "
              f"{times['with'] * 1000:.0f} µs with it")
        engine.dispose()
        return times["with"] - times["without"]
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
            print(f"check on {kind}: {ms * 1000:,.0f} µs per check, a pooled connection (pinged) and the query "
                  f"(target < {CHECK_TARGET_MS} ms)")
            ok &= ms < CHECK_TARGET_MS
        book = tmp / "practitioners.xlsx"
        build(args.rows, book, inline=False)
        data = book.read_bytes()
        for kind in kinds:
            variants = ["0015", "head"] + ([ROW_TRIGGERS] if kind == "sqlite" else [])
            times: dict[str, list[float]] = {v: [] for v in variants}
            for _ in range(args.runs):
                for variant in variants:
                    times[variant].append(import_once(kind, tmp, data, args.rows, variant))
            what = "CPU time" if kind == "sqlite" else "wall time"
            before = min(times["0015"])
            print(f"import of {args.rows:,} practitioners on {kind}, {what}, best of {args.runs}:")
            for variant in variants:
                best = min(times[variant])
                print(f"  {variant:>12}: {best:.2f} s ({(best - before) / before * 100:+.1f} %; runs "
                      f"{', '.join(f'{t:.2f}' for t in times[variant])})")
            if kind == "sqlite":
                pct = (min(times["head"]) - before) / before * 100
                print(f"  head's bump: {pct:+.1f} % CPU (target <= {IMPORT_TARGET_PCT} %)")
                ok &= pct <= IMPORT_TARGET_PCT
        if "postgresql" in kinds:
            extra = statement_cost(tmp)
            print(f"the trigger costs {extra:.3f} ms a statement (target < {STATEMENT_TARGET_MS} ms); an import "
                  "bumps once per transaction (the version moved by 2: the community, the import)")
            ok &= extra < STATEMENT_TARGET_MS
    print(f"load average after: {os.getloadavg()}")
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
