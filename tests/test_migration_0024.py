"""Migration 0024 on a full demo database at 0023: request gains ix_request_topic (the columns 每月一题 reads), the
topics it ranks are the same before and after and down again, and down again the index goes."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard.db import current_revision, make_engine, upgrade
from dashboard.queries.hot_topics import Topic, hot_topics
from data_models.livestream import TOPIC_INDEX
from tests.conftest import BACKENDS
from tests.legacy import load_demo_at
from tests.test_migration_0013 import downgrade


@pytest.fixture
def at_0023(fresh_database_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_database_url)
    load_demo_at(engine, "0023")
    yield engine
    engine.dispose()


def _index(engine: Engine) -> list[str | None] | None:
    for ix in sa.inspect(engine).get_indexes("request"):
        if ix["name"] == "ix_request_topic":
            return list(ix["column_names"])
    return None


def _topics(engine: Engine) -> list[list[Topic]]:
    with engine.connect() as conn:
        quarters = [str(q) for q in conn.execute(sa.text("SELECT DISTINCT quarter FROM request ORDER BY 1")).scalars()]
        return [hot_topics(conn, quarter=q, community_id=c, limit=None) for q in quarters for c in (None, 1)]


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_0024_adds_the_topic_index_and_the_topics_stay(at_0023: Engine) -> None:
    engine = at_0023
    before = _topics(engine)
    assert sum(len(x) for x in before) > 20 and any(t.sessions > 1 and t.codes for x in before for t in x)
    assert _index(engine) is None

    upgrade(engine, "0024")

    assert current_revision(engine) == "0024"
    assert _index(engine) == list(TOPIC_INDEX)
    assert _topics(engine) == before

    downgrade(engine, "0023")

    assert current_revision(engine) == "0023" and _index(engine) is None
    assert _topics(engine) == before
    upgrade(engine)
    assert _index(engine) == list(TOPIC_INDEX)
