"""Several app servers started at once on one database (a deployment upgraded: systemd starts them together) each
bring the schema to the newest migration on their first session. The migrations must run once, whoever comes first;
the others wait for it and find the schema at the head. Before the lock, two servers on PostgreSQL migrating at once
deadlocked (bench/load.py after migration 0028: «deadlock detected … pg_class_relname_nsp_index»), and a session met
Streamlit's bare error page.

Each server is a process of its own here, as it is in a deployment (Alembic's `op` and `context` are one per process),
and all of them start migrating at the same moment, after their imports."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from dashboard.db import current_revision, head_of_files, make_engine
from tests.conftest import BACKENDS
from tests.legacy import load_demo_at

ROOT = Path(__file__).resolve().parents[1]
SERVER = """
import sys, time
from dashboard.db import make_engine, upgrade
engine = make_engine(sys.argv[1])
late = time.time() - float(sys.argv[2])
time.sleep(max(0.0, -late))
print(f"late {max(0.0, late):.3f}", flush=True)
upgrade(engine)
"""


REPEATABLE_READ = "%20-cdefault_transaction_isolation%3Drepeatable%5C%20read"     # in the URL's libpq options


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
@pytest.mark.parametrize(("start", "isolation"), [(None, ""), ("0025", ""), ("0025", REPEATABLE_READ)],
                         ids=["empty", "at-0025", "at-0025-repeatable-read"])
def test_servers_migrating_at_once_migrate_once(fresh_database_url: str, start: str | None, isolation: str,
                                                tmp_path: Path) -> None:
    """From an empty database (a first start) and from one holding the demo three migrations back (an upgrade); and
    on a PostgreSQL database whose default isolation is repeatable read, where a snapshot taken before the wait for
    the lock would still show the old revision."""
    if isolation:
        if not fresh_database_url.startswith("postgresql"):
            pytest.skip("PostgreSQL's isolation levels")
        fresh_database_url += isolation
    if start is not None:
        engine = make_engine(fresh_database_url)
        load_demo_at(engine, start)
        engine.dispose()
    at = time.time() + 12       # after every process has imported what it needs, on a loaded machine too
    logs = [tmp_path / f"server-{i}.log" for i in range(3)]
    servers = []
    try:
        for log in logs:
            with log.open("w") as out:      # a file, not a pipe: nothing waits on a reader
                servers.append(subprocess.Popen([sys.executable, "-c", SERVER, fresh_database_url, str(at)],
                                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT))
        codes = [proc.wait(timeout=300) for proc in servers]
    finally:
        for proc in servers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    said = [log.read_text() for log in logs]
    assert codes == [0, 0, 0], "\n".join(said)
    # Each was ready by the moment and started migrating then (a migration takes seconds), not after another one.
    assert all(float(text.split()[1]) < 1.0 for text in said), said
    engine = make_engine(fresh_database_url)
    try:
        assert current_revision(engine) == head_of_files()
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    finally:
        engine.dispose()
