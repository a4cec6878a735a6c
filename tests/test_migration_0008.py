"""Migration 0008 on a full demo database at 0007: departments become units, nothing is lost, and on SQLite a
migration that fails half way leaves the database exactly as it was."""

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard.db import current_revision, make_engine, upgrade
from tests.conftest import BACKENDS
from tests.legacy import load_demo_at


@pytest.fixture
def at_0007(fresh_database_url: str) -> Engine:
    engine = make_engine(fresh_database_url)
    load_demo_at(engine, "0007")
    yield engine
    engine.dispose()


def _all(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_0008_turns_departments_into_units_and_keeps_every_request(at_0007: Engine) -> None:
    engine = at_0007
    before = dict(_all(engine, "SELECT r.code, c.code || '|' || COALESCE(r.department, '') FROM request r "
                               "JOIN community c ON c.id = r.community_id"))
    reopened = {c for (c,) in _all(engine, "SELECT code FROM request WHERE status = 'reopened'")}
    events = _all(engine, "SELECT COUNT(*) FROM request_event")[0][0]
    reopenings = _all(engine, "SELECT COUNT(*) FROM request_event WHERE to_status = 'reopened'")[0][0]
    gov = dict(_all(engine, "SELECT code, department FROM party WHERE department IS NOT NULL"))
    assert reopened and gov and any(v.split("|")[1] for v in before.values())

    upgrade(engine)

    after = dict(_all(engine, "SELECT r.code, c.code || '|' || COALESCE(u.code, '') FROM request r "
                              "JOIN community c ON c.id = r.community_id LEFT JOIN unit u ON u.id = r.lead_unit_id"))
    assert after.keys() == before.keys()
    for code, old in before.items():
        community, dept = old.split("|")
        assert after[code] == f"{community}|" + (f"U-{community}-{dept}" if dept else ""), code
    # The government party acts for its own office's unit, which every other unit of the community escalates to.
    acted = dict(_all(engine, "SELECT p.code, u.code FROM unit u JOIN party p ON p.id = u.party_id"))
    for party, dept in gov.items():
        community = party.split("-")[0]
        assert acted[party] == f"U-{community}-{dept}"
    orphans = _all(engine, "SELECT u.code FROM unit u JOIN unit top ON top.community_id = u.community_id "
                           "AND top.party_id IS NOT NULL WHERE u.id != top.id AND "
                           "(u.parent_id IS NULL OR u.parent_id != top.id)")
    assert orphans == []
    # reopened is no longer a status: back in progress, its reopening counted, its history still whole.
    now = dict(_all(engine, "SELECT code, status || '|' || reopen_count FROM request"))
    assert all(now[c].startswith("in_progress|") and int(now[c].split("|")[1]) >= 1 for c in reopened)
    assert _all(engine, "SELECT COUNT(*) FROM request_event")[0][0] == events
    assert _all(engine, "SELECT COUNT(*) FROM request_event WHERE move = 'reopen'")[0][0] == reopenings
    assert _all(engine, "SELECT SUM(reopen_count) FROM request")[0][0] == reopenings
    assert _all(engine, "SELECT COUNT(*) FROM request_event WHERE from_status = 'reopened' "
                        "OR to_status = 'reopened'")[0][0] == 0
    routed = _all(engine, "SELECT COUNT(*), COUNT(routed_on), COUNT(first_routed_on), "
                          "SUM(CASE WHEN routed_on < raised_on THEN 1 ELSE 0 END) "
                          "FROM request WHERE lead_unit_id IS NOT NULL")[0]
    assert routed[0] == routed[1] == routed[2] and routed[3] == 0
    assert _all(engine, "SELECT priority, working_days FROM request_sla ORDER BY working_days") == [
        ("urgent", 1), ("general", 5), ("complex", 15)]
    if engine.dialect.name == "sqlite":
        assert _all(engine, "PRAGMA foreign_key_check") == []
        assert _all(engine, "PRAGMA foreign_keys") == [(1,)]      # back on for the connections that follow


def test_a_failing_sqlite_migration_leaves_nothing_behind(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A stray table named like one 0008 creates makes it fail after it has created four others: none stays."""
    engine = make_engine(f"sqlite:///{tmp_path / 'half.db'}")
    load_demo_at(engine, "0007")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE request_support (x INTEGER)")
    with pytest.raises(sa.exc.OperationalError, match="request_support"):
        upgrade(engine)
    assert current_revision(engine) == "0007"
    with engine.connect() as conn:
        tables = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars())
        assert not {"calendar_day", "request_sla", "unit", "request_callback"} & tables
        assert "department" in {c["name"] for c in sa.inspect(conn).get_columns("request")}
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
