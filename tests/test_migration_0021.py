"""Migration 0021 on a full demo database at 0020: sale_stats is filled per channel exactly as
dashboard/need_stats.py recounts it, its sums per community and quarter are those it held before, nothing else
moves; and back down again, where the rows per community and quarter come back."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard import need_stats as ns
from dashboard.db import current_revision, make_engine, upgrade
from tests.conftest import BACKENDS
from tests.legacy import load_demo_at
from tests.test_migration_0013 import downgrade

BY_CHANNEL = ("SELECT quarter, community_id, channel, orders, revenue_cents, cost_cents FROM sale_stats "
              "ORDER BY 1, 2, 3")
BY_PAIR = ("SELECT quarter, community_id, sum(orders), sum(revenue_cents), sum(cost_cents) FROM sale_stats "
           "GROUP BY quarter, community_id ORDER BY 1, 2")
KEPT = ("sale", "need_stats", "need_stats_dirty", "practitioner_stats")


@pytest.fixture
def at_0020(fresh_database_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_database_url)
    load_demo_at(engine, "0020")
    with engine.begin() as conn:      # as 0020's need_stats.py recounted them: one row per community and quarter
        conn.execute(sa.text("DELETE FROM sale_stats"))
        conn.execute(sa.text(
            "INSERT INTO sale_stats (quarter, community_id, orders, revenue_cents, cost_cents) SELECT quarter, "
            "community_id, count(*), sum(revenue_cents), sum(cost_cents) FROM sale GROUP BY quarter, community_id"))
    yield engine
    engine.dispose()


def _all(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(int(v) if isinstance(v, int) else v for v in r) for r in conn.execute(sa.text(sql)).all()]


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_0021_keeps_the_sales_per_channel_as_the_code_recounts_them_and_goes_back_down(at_0020: Engine) -> None:
    engine = at_0020
    before = _all(engine, "SELECT quarter, community_id, orders, revenue_cents, cost_cents FROM sale_stats "
                          "ORDER BY 1, 2")
    assert len(before) > 10
    counts = {t: _all(engine, f"SELECT COUNT(*) FROM {t}") for t in KEPT}

    upgrade(engine, "0021")

    assert current_revision(engine) == "0021"
    filled = _all(engine, BY_CHANNEL)
    assert len(filled) > len(before)                     # the demo sells through more than one channel
    assert _all(engine, BY_PAIR) == before
    assert {t: _all(engine, f"SELECT COUNT(*) FROM {t}") for t in KEPT} == counts
    with engine.begin() as conn:
        ns.refresh_all(conn)
    assert _all(engine, BY_CHANNEL) == filled

    downgrade(engine, "0020")

    assert current_revision(engine) == "0020"
    assert _all(engine, "SELECT quarter, community_id, orders, revenue_cents, cost_cents FROM sale_stats "
                        "ORDER BY 1, 2") == before
    upgrade(engine)
    assert _all(engine, BY_CHANNEL) == filled
