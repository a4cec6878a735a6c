"""Migration 0018 on a full demo database at 0015: training_stats_employed is filled with its own SQL exactly as
dashboard/training_stats.py recounts it, nothing else moves; and back down again, where only the table goes."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard import training_stats as ts
from dashboard.db import current_revision, make_engine, upgrade
from tests.conftest import BACKENDS
from tests.legacy import load_demo_at
from tests.test_migration_0013 import downgrade

ROWS = "SELECT quarter, community_id, course_id, m3_on, m6_on, n FROM training_stats_employed ORDER BY 1, 2, 3, 4, 5"
KEPT = ("enrolment", "training_followup", "course", "practitioner_group")


@pytest.fixture
def at_0015(fresh_database_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_database_url)
    load_demo_at(engine, "0015")
    yield engine
    engine.dispose()


def _all(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names())


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_0018_fills_the_employed_days_as_the_code_recounts_them_and_goes_back_down(at_0015: Engine) -> None:
    engine = at_0015
    counts = {t: _all(engine, f"SELECT COUNT(*) FROM {t}") for t in KEPT}
    assert "training_stats_employed" not in _tables(engine)

    upgrade(engine, "0018")

    assert current_revision(engine) == "0018"
    filled = _all(engine, ROWS)
    assert len(filled) > 100 and sum(r[-1] for r in filled) > 100
    assert {t: _all(engine, f"SELECT COUNT(*) FROM {t}") for t in KEPT} == counts
    with engine.begin() as conn:
        ts.refresh_all(conn)
    assert _all(engine, ROWS) == filled

    downgrade(engine, "0015")

    assert current_revision(engine) == "0015"
    assert "training_stats_employed" not in _tables(engine)
    assert {t: _all(engine, f"SELECT COUNT(*) FROM {t}") for t in KEPT} == counts
    upgrade(engine)                                                     # and up again to the head
    assert _all(engine, ROWS) == filled
