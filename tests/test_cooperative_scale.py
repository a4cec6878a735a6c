"""The cooperative page and the quarterly report's cooperative area at province scale: their sales queries read an
index alone (migration 0020: ix_sale_cooperative_page; ix_sale_quarter_channel for every community,
ix_sale_community_sums for one), never the sale rows; the migration swaps the indexes for ix_sale_cooperative_month,
ix_sale_quarter and ix_sale_community_quarter and back."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.db import current_revision, init_database, upgrade
from dashboard.queries import cooperative as cq
from dashboard.queries import report as rq
from tests.conftest import BACKENDS
from tests.test_migration_0013 import downgrade

QUERIES: dict[str, Callable[[Session], Any]] = {
    "sales_by_month": lambda s: cq.sales_by_month(s, cooperative_id=1),
    "sales_by_channel": lambda s: cq.sales_by_channel(s, cooperative_id=1, period="2026Q3"),
    "sales_by_channel, every period": lambda s: cq.sales_by_channel(s, cooperative_id=1),
    "top_members": lambda s: cq.top_members(s, cooperative_id=1, period="2026Q3", n=10),
    "the report's sales by channel, every community": lambda s: rq.sales_by_channel(
        s, community_id=None, quarters=["2026Q3", "2026Q2", "2025Q3"]),
    "the report's sales by channel, one community": lambda s: rq.sales_by_channel(
        s, community_id=1, quarters=["2026Q3", "2026Q2", "2025Q3"]),
}
INDEX = {name: "ix_sale_cooperative_page" for name in QUERIES} | {
    "the report's sales by channel, every community": "ix_sale_quarter_channel",
    "the report's sales by channel, one community": "ix_sale_community_sums"}


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The SQL (and parameters) run on `engine` inside the block."""
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)


@pytest.mark.parametrize("name", QUERIES)
def test_the_pages_sales_queries_read_the_index_alone(demo_engine: Engine, name: str) -> None:
    with Session(demo_engine) as s, statements(demo_engine) as seen:
        assert len(QUERIES[name](s)) > 0
    sales = [(sql, params) for sql, params in seen if "FROM sale" in sql]
    assert len(sales) == 1, seen
    sql, params = sales[0]
    with demo_engine.connect() as conn:
        if demo_engine.dialect.name == "sqlite":
            plan = " | ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
            assert f"USING COVERING INDEX {INDEX[name]}" in plan, plan
        else:
            # The demo's few sales are read whole by PostgreSQL's planner; without that choice it takes the index.
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " | ".join(str(r[0]) for r in conn.exec_driver_sql("EXPLAIN " + sql, params))
            assert INDEX[name] in plan, plan
            conn.rollback()


def _sale_indexes(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {str(i["name"]) for i in sa.inspect(conn).get_indexes("sale")}


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_0020_replaces_the_index_and_goes_back_down(fresh_database_url: str) -> None:
    engine = init_database(fresh_database_url)
    try:
        new = {"ix_sale_cooperative_page", "ix_sale_quarter_channel", "ix_sale_community_sums"}
        old = {"ix_sale_cooperative_month", "ix_sale_quarter", "ix_sale_community_quarter"}
        found = _sale_indexes(engine)
        assert new <= found and not old & found
        downgrade(engine, "0018")
        assert current_revision(engine) == "0018"
        found = _sale_indexes(engine)
        assert old <= found and not new & found
        upgrade(engine)
        found = _sale_indexes(engine)
        assert new <= found and not old & found
    finally:
        engine.dispose()
