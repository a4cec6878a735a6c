"""Migration 0028 on a full demo database at 0027: ix_training_stats_funnel (the overview's and the report's training
funnel from an index), and the overview's funnel and the report's funnel per course level are the same before it,
after it and down again."""

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import training_stats
from dashboard.db import current_revision, upgrade
from dashboard.queries import Scope, overview
from dashboard.queries.report import training_by_level
from data_models.training_stats import FUNNEL_INDEX
from tests.conftest import BACKENDS
from tests.legacy import demo_at
from tests.test_migration_0013 import downgrade


@pytest.fixture
def at_0027(fresh_database_url: str) -> Iterator[Engine]:
    with demo_at(fresh_database_url, "0027", training_stats.refresh_all) as engine:   # the legacy load leaves the
        yield engine                                                                   # kept counts to a refresh


def _index(engine: Engine) -> list[str | None] | None:
    return next((list(ix["column_names"]) for ix in sa.inspect(engine).get_indexes("training_stats")
                 if ix["name"] == "ix_training_stats_funnel"), None)


def _funnels(engine: Engine) -> list[Any]:
    """Every quarter's overview funnel and the report's funnel per level, for all communities and community 1."""
    out: list[Any] = []
    with Session(engine) as s:
        quarters = [str(q) for q in s.execute(sa.text("SELECT DISTINCT quarter FROM enrolment ORDER BY 1")).scalars()]
        for community in (None, 1):
            for q in quarters:
                out.append(overview.training(s, scope=Scope(community, q), live=False))
            out.append(sorted(training_by_level(s, community_id=community, quarters=quarters).items()))
    return out


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_0028_adds_the_funnel_index_and_the_funnels_stay(at_0027: Engine) -> None:
    engine = at_0027
    before = _funnels(engine)
    assert any(f.enrolled and f.completed and f.reached for f in before if isinstance(f, overview.TrainingSummary))
    assert _index(engine) is None

    upgrade(engine, "0028")

    assert current_revision(engine) == "0028" and _index(engine) == list(FUNNEL_INDEX)
    assert _funnels(engine) == before

    downgrade(engine, "0027")

    assert current_revision(engine) == "0027" and _index(engine) is None
    assert _funnels(engine) == before
