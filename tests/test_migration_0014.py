"""Migration 0014 on a full demo database at 0013: every request keeps its row and history and reads as typed in,
the new tables start empty, a `consult` move and a 每月一题 agenda item are accepted only from 0014 on; and back
down again, where they read as the acceptance and the hand-added item they stand for."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard.db import current_revision, make_engine, upgrade
from tests.conftest import BACKENDS
from tests.legacy import load_demo_at
from tests.test_migration_0013 import downgrade

NEW_TABLES = ("comment_column_map", "comment_batch", "comment_candidate", "livestream_comment", "consultation_case",
              "case_party", "case_request", "case_check", "case_event")


@pytest.fixture
def at_0013(fresh_database_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_database_url)
    load_demo_at(engine, "0013")
    yield engine
    engine.dispose()


def _all(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


def _event(engine: Engine, move: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE request_event SET move = :m WHERE id = (SELECT MIN(id) FROM request_event "
                             "WHERE move = 'accept')"), {"m": move})


def _agenda_source(engine: Engine, source: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE agenda_item SET source = :s WHERE id = (SELECT MIN(id) FROM agenda_item)"),
                     {"s": source})


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_0014_keeps_requests_adds_the_live_tables_and_goes_back_down(at_0013: Engine) -> None:
    engine = at_0013
    requests = _all(engine, "SELECT code, status, version, endorsements FROM request ORDER BY code")
    events = _all(engine, "SELECT COUNT(*) FROM request_event")
    assert len(requests) > 100
    with pytest.raises(sa.exc.IntegrityError):      # 0013 knows no consult move
        _event(engine, "consult")
    with pytest.raises(sa.exc.IntegrityError):
        _agenda_source(engine, "hot_topic")

    upgrade(engine, "0014")

    assert _all(engine, "SELECT code, status, version, endorsements FROM request ORDER BY code") == requests
    assert _all(engine, "SELECT COUNT(*) FROM request_event") == events
    assert set(_all(engine, "SELECT source, resident, raised_at FROM request")) == {("typed", "", None)}
    for table in NEW_TABLES:
        assert _all(engine, f"SELECT COUNT(*) FROM {table}") == [(0,)]
    _event(engine, "consult")
    _agenda_source(engine, "hot_topic")
    with pytest.raises(sa.exc.IntegrityError):
        _event(engine, "martian")

    downgrade(engine, "0013")
    assert current_revision(engine) == "0013"
    assert _all(engine, "SELECT COUNT(*) FROM request_event WHERE move = 'consult'") == [(0,)]
    assert _all(engine, "SELECT COUNT(*) FROM agenda_item WHERE source = 'hot_topic'") == [(0,)]
    assert _all(engine, "SELECT code, status, version, endorsements FROM request ORDER BY code") == requests
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("request")}
        tables = set(sa.inspect(conn).get_table_names())
    assert not {"resident", "source", "raised_at"} & columns
    assert not set(NEW_TABLES) & tables
    with pytest.raises(sa.exc.IntegrityError):      # and the old rule holds again
        _event(engine, "consult")
