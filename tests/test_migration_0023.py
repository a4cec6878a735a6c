"""Migration 0023 on a full demo database at 0021: need_stats gains ix_need_stats_scope and loses ix_need_stats_k1,
its rows do not move; down again the old index comes back and the new one goes; up again, the same."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard import need_stats as ns
from dashboard.db import current_revision, make_engine, upgrade
from tests.conftest import BACKENDS
from tests.legacy import load_demo_at
from tests.test_migration_0013 import downgrade

ROWS = "SELECT grp, kind, community_id, quarter, k1, k2, v, n FROM need_stats ORDER BY 1, 2, 3, 4, 5, 6, 7"


@pytest.fixture
def at_0021(fresh_database_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_database_url)
    load_demo_at(engine, "0021")
    with engine.begin() as conn:      # the summaries as the code counts them (0023 changes indexes only)
        ns.refresh_all(conn)
    yield engine
    engine.dispose()


def _indexes(engine: Engine) -> dict[str, list[str | None]]:
    return {str(ix["name"]): list(ix["column_names"]) for ix in sa.inspect(engine).get_indexes("need_stats")}


def _rows(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(ROWS)).all()]


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_0023_swaps_the_k1_index_for_the_scope_index_and_keeps_the_rows(at_0021: Engine) -> None:
    engine = at_0021
    before = _rows(engine)
    assert len(before) > 100
    assert "ix_need_stats_k1" in _indexes(engine) and "ix_need_stats_scope" not in _indexes(engine)

    upgrade(engine, "0023")

    assert current_revision(engine) == "0023"
    up = _indexes(engine)
    assert up["ix_need_stats_scope"] == ["grp", "kind", "community_id", "quarter", "k1", "k2", "v", "n"]
    assert "ix_need_stats_k1" not in up
    assert _rows(engine) == before

    downgrade(engine, "0021")

    assert current_revision(engine) == "0021"
    down = _indexes(engine)
    assert down["ix_need_stats_k1"] == ["grp", "kind", "community_id", "k1", "n"]
    assert "ix_need_stats_scope" not in down
    assert _rows(engine) == before
    upgrade(engine)
    assert "ix_need_stats_scope" in _indexes(engine) and _rows(engine) == before
