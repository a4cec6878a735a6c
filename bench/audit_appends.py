"""Audit appends per second with one writer and with several at once, on SQLite and PostgreSQL; the chain is
verified after each run. Appends are serialised (dashboard/locks.py), so this is the ceiling for audited writes.

    .venv/bin/python bench/audit_appends.py [--writers 8] [--appends 100]

PostgreSQL is TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test), in a throwaway schema.
"""

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard import audit
from dashboard.db import init_database, normalise_url


def run(engine: sa.engine.Engine, writers: int, appends: int) -> float:
    """appends/s for `writers` threads, each making `appends` appends in their own transactions."""
    barrier = threading.Barrier(writers)

    def work(w: int) -> None:
        barrier.wait()
        for i in range(appends):
            with engine.begin() as conn:
                audit.record(conn, actor=f"w{w}", action="bench", entity="bench", entity_id=str(i))

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return writers * appends / (time.perf_counter() - started)


def bench(name: str, url: str, writers: int, appends: int) -> None:
    engine = init_database(url)
    one = run(engine, 1, appends * 2)
    many = run(engine, writers, appends)
    with engine.connect() as conn:
        verdict = audit.verify(conn)
    engine.dispose()
    print(f"{name:<11} 1 writer {one:7.0f}/s   {writers} writers {many:7.0f}/s   chain ok: {verdict.ok}"
          f" ({verdict.checked:,} entries)")


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--writers", type=int, default=8)
    p.add_argument("--appends", type=int, default=100)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench("sqlite", f"sqlite:///{tmp}/bench.db", args.writers, args.appends)
    pg = normalise_url(os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        admin = sa.create_engine(pg, connect_args={"connect_timeout": 3})
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError:
        print("postgresql  not reachable, skipped")
        return 0
    try:
        bench("postgresql", f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}", args.writers,
              args.appends)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
