"""Migration 0013 on a full demo database at 0012: attendance yes/no becomes present/absent, every meeting row and
action item is kept, new columns get their defaults (minutes in draft, version 1); and back down again."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from dashboard.db import alembic_config, current_revision, make_engine, upgrade
from tests.conftest import BACKENDS
from tests.legacy import load_demo_at


@pytest.fixture
def at_0012(fresh_database_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_database_url)
    load_demo_at(engine, "0012")
    yield engine
    engine.dispose()


def downgrade(engine: Engine, revision: str) -> None:
    """As dashboard.db.upgrade runs migrations: on SQLite with foreign keys off while tables are rebuilt."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        with conn.begin():
            cfg = alembic_config(engine)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)
            if sqlite:
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


def _all(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_0013_keeps_attendance_and_meetings_and_goes_back_down(at_0012: Engine) -> None:
    engine = at_0012
    present = dict(((m, p), bool(v)) for m, p, v in _all(
        engine, "SELECT meeting_id, party_id, present FROM meeting_attendance"))
    meetings = _all(engine, "SELECT code, held_on, title FROM meeting ORDER BY code")
    actions = _all(engine, "SELECT code, status, due_on FROM action_item ORDER BY code")
    assert any(present.values()) and not all(present.values())

    upgrade(engine, "0013")

    status = dict(((m, p), s) for m, p, s, d in _all(
        engine, "SELECT meeting_id, party_id, status, deputy FROM meeting_attendance"))
    assert status.keys() == present.keys()
    assert all(status[k] == ("present" if v else "absent") for k, v in present.items())
    assert _all(engine, "SELECT code, held_on, title FROM meeting ORDER BY code") == meetings
    assert _all(engine, "SELECT code, status, due_on FROM action_item ORDER BY code") == actions
    assert set(_all(engine, "SELECT minutes_status, version, starts_at FROM meeting")) == {("draft", 1, "09:30")}
    assert set(_all(engine, "SELECT version, owner_person, note FROM action_item")) == {(1, "", "")}
    assert _all(engine, "SELECT COUNT(*) FROM minutes_signature") == [(0,)]

    with engine.begin() as conn:          # a deputy goes back down as present
        conn.execute(sa.text("UPDATE meeting_attendance SET status = 'deputy', deputy = '李四' "
                             "WHERE status = 'present' AND party_id = (SELECT MIN(party_id) FROM meeting_attendance)"))
    downgrade(engine, "0012")
    assert current_revision(engine) == "0012"
    back = dict(((m, p), bool(v)) for m, p, v in _all(
        engine, "SELECT meeting_id, party_id, present FROM meeting_attendance"))
    assert back == present
    assert _all(engine, "SELECT code, held_on, title FROM meeting ORDER BY code") == meetings
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("meeting")}
        tables = set(sa.inspect(conn).get_table_names())
    assert "minutes_status" not in columns and "minutes_signature" not in tables

    upgrade(engine)
    assert _all(engine, "SELECT COUNT(*) FROM meeting_attendance WHERE status = 'absent'") == [
        (sum(not v for v in present.values()),)]
