"""Migration 0026 on a full demo database at 0025: ix_request_open gains first_routed_on (the «waiting to be routed»
count reads the open requests alone), and the request page shows the same figures, categories, units and list before
it, after it and down again."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard import request_stats
from dashboard.db import current_revision, upgrade
from dashboard.queries import requests
from data_models.livestream import OPEN_INDEX
from tests.conftest import BACKENDS
from tests.legacy import demo_at
from tests.test_migration_0013 import downgrade


@pytest.fixture
def at_0025(fresh_database_url: str) -> Iterator[Engine]:
    with demo_at(fresh_database_url, "0025", request_stats.refresh_all) as engine:   # the legacy load leaves the
        yield engine                                                                  # kept counts to a refresh


def _index(engine: Engine) -> list[str | None]:
    return next(list(ix["column_names"]) for ix in sa.inspect(engine).get_indexes("request")
                if ix["name"] == "ix_request_open")


def _pages(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        quarters = [str(q) for q in conn.execute(sa.text("SELECT DISTINCT quarter FROM request ORDER BY 1")).scalars()]
        last = conn.execute(sa.text("SELECT max(raised_on) FROM request")).scalar_one()
    # The day after the last request was raised: some are still within their working day to be routed.
    today = (last if isinstance(last, dt.date) else dt.date.fromisoformat(str(last))) + dt.timedelta(days=1)
    out = []
    for q in quarters:
        for community in (None, 1):
            p = requests.page(engine, scope=requests.RequestScope(community, q), filters=requests.RequestFilters(),
                              today=today)
            out.append((p.summary, *(f.to_json(orient="records", date_format="iso")       # NaN as null
                                     for f in (p.trend, p.by_category, p.by_unit, p.requests)), p.total))
    return out


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_0026_adds_first_routed_on_to_the_open_index_and_the_page_stays(at_0025: Engine) -> None:
    engine = at_0025
    before = _pages(engine)
    assert any(s.current.open and s.current.overdue and s.current.collected > s.current.open for s, *_ in before)
    assert _index(engine) == list(OPEN_INDEX[:-1])

    upgrade(engine, "0026")

    assert current_revision(engine) == "0026"
    assert _index(engine) == list(OPEN_INDEX) and OPEN_INDEX[-1] == "first_routed_on"
    assert _pages(engine) == before

    downgrade(engine, "0025")

    assert current_revision(engine) == "0025" and _index(engine) == list(OPEN_INDEX[:-1])
    assert _pages(engine) == before
