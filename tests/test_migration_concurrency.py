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
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
upgrade(engine)
"""


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
@pytest.mark.parametrize("start", [None, "0025"], ids=["empty", "at-0025"])
def test_servers_migrating_at_once_migrate_once(fresh_database_url: str, start: str | None) -> None:
    """From an empty database (a first start) and from one holding the demo three migrations back (an upgrade)."""
    if start is not None:
        engine = make_engine(fresh_database_url)
        load_demo_at(engine, start)
        engine.dispose()
    at = time.time() + 8        # after every process has imported what it needs
    servers = [subprocess.Popen([sys.executable, "-c", SERVER, fresh_database_url, str(at)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    said = [proc.communicate(timeout=300)[0] for proc in servers]
    assert time.time() > at, "the processes started migrating together"
    assert [proc.returncode for proc in servers] == [0, 0, 0], "\n".join(said)
    engine = make_engine(fresh_database_url)
    try:
        assert current_revision(engine) == head_of_files()
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    finally:
        engine.dispose()
