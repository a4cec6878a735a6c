"""python -m dashboard: db upgrade and seed, with their exit codes, run as a user would run them."""

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from tests.conftest import BACKENDS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_upgrade_then_seed_then_refuse_then_reset(fresh_database_url: str) -> None:
    up = run(fresh_database_url, "db", "upgrade")
    assert up.returncode == 0, up.stderr
    assert json.loads(up.stdout)["revision"] == "0001"

    first = run(fresh_database_url, "seed")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["tables"]["practitioner"] == 2000 and summary["scale"] == "demo"

    again = run(fresh_database_url, "seed")
    assert again.returncode == 1
    assert "--reset" in again.stderr and "已有数据" in again.stderr
    english = run(fresh_database_url, "--lang", "en", "seed")
    assert english.returncode == 1 and "already holds data" in english.stderr

    reset = run(fresh_database_url, "seed", "--reset")
    assert reset.returncode == 0, reset.stderr
    engine = sa.create_engine(fresh_database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM practitioner")).scalar_one() == 2000
        assert conn.execute(sa.text("SELECT COUNT(*) FROM audit_log WHERE action = 'seed'")).scalar_one() == 2
    engine.dispose()


def test_usage_error_exits_2() -> None:
    assert run("sqlite:///unused.db", "seed", "--scale", "galaxy").returncode == 2
