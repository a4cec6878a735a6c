"""python -m dashboard requests escalate-overdue: the nightly escalation of overdue requests, run as a cron would run
it (signed in as a social worker), its JSON, a second run that finds nothing new, and the roles it refuses."""

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import BACKENDS
from tests.test_cli import accounts_for, run

TODAY = "2026-12-01"


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_escalate_overdue_moves_each_overdue_request_to_its_units_parent_once(fresh_database_url: str) -> None:
    url = fresh_database_url
    assert run(url, "seed").returncode == 0
    pw = accounts_for(url, "social_worker", "viewer", "government")
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    overdue_with_parent = sa.text(
        "SELECT r.code, r.lead_unit_id, u.parent_id, r.escalation_level FROM request r "
        "JOIN unit u ON u.id = r.lead_unit_id JOIN unit p ON p.id = u.parent_id "
        "WHERE r.status IN ('routed', 'in_progress') AND r.deadline < :today AND p.is_active")
    with engine.connect() as conn:
        before = {r.code: r for r in conn.execute(overdue_with_parent, {"today": TODAY})}
    assert before                                   # the demo has overdue requests below a street office

    done = run(url, "requests", "escalate-overdue", "--today", TODAY, "--user", "social_worker",
               password=pw["social_worker"])
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["today"] == TODAY and out["count"] == len(out["escalated"]) > 0
    assert set(out["escalated"]) <= set(before)
    with engine.connect() as conn:
        after = {r.code: r for r in conn.execute(sa.text(
            "SELECT code, lead_unit_id, escalation_level FROM request WHERE code IN :codes")
            .bindparams(sa.bindparam("codes", expanding=True)), {"codes": out["escalated"]})}
        moves = conn.execute(sa.text(
            "SELECT COUNT(*) FROM request_event e JOIN request r ON r.id = e.request_id "
            "WHERE e.move = 'escalate' AND e.actor = 'social_worker' AND r.code IN :codes")
            .bindparams(sa.bindparam("codes", expanding=True)), {"codes": out["escalated"]}).scalar_one()
    for code in out["escalated"]:                    # the parent leads now, one level up
        assert after[code].lead_unit_id == before[code].parent_id
        assert after[code].escalation_level == before[code].escalation_level + 1
    assert moves == len(out["escalated"])

    again = run(url, "requests", "escalate-overdue", "--today", TODAY, "--user", "social_worker",
                password=pw["social_worker"])
    assert again.returncode == 0 and json.loads(again.stdout)["escalated"] == []   # the parent's period starts now

    for role in ("viewer", "government"):
        refused = run(url, "requests", "escalate-overdue", "--today", TODAY, "--user", role, password=pw[role])
        assert refused.returncode == 1 and refused.stdout == "", (role, refused.stdout)
    engine.dispose()


def test_a_date_that_is_not_one_is_a_usage_error() -> None:
    bad = run("sqlite:///unused.db", "--lang", "en", "requests", "escalate-overdue", "--today", "2026-13-01",
              "--user", "someone", password="x")
    assert bad.returncode == 2 and "2026-13-01" in bad.stderr and "YYYY-MM-DD" in bad.stderr


def test_it_needs_an_account(tmp_path: Path) -> None:
    missing = run(f"sqlite:///{tmp_path / 'app.db'}", "--lang", "en", "requests", "escalate-overdue")
    assert missing.returncode == 2 and "--user" in missing.stderr
