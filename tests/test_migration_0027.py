"""Migration 0027 on a full demo database at 0026: ix_enrolment_practitioner_id gains quarter, completed,
community_id and course_id (the verified income reads a member's completed enrolments of the quarter from it), and
the training page's levels section shows the same figures before it, after it and down again."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.db import current_revision, upgrade
from dashboard.queries import Scope
from dashboard.queries.training_levels import income_verified, levels_board
from data_models.training import PRACTITIONER_INDEX
from seed.load import distribute
from tests.conftest import BACKENDS
from tests.legacy import demo_at
from tests.test_migration_0013 import downgrade

AS_OF = dt.date(2026, 11, 20)


def _distribute(conn: sa.Connection) -> None:
    """The legacy load has no distribution runs: the seed's, approved as it approves them."""
    distribute(conn, [str(c) for c in conn.execute(sa.text("SELECT code FROM cooperative ORDER BY code")).scalars()])


@pytest.fixture
def at_0026(fresh_database_url: str) -> Iterator[Engine]:
    with demo_at(fresh_database_url, "0026", _distribute) as engine:
        yield engine


def _index(engine: Engine) -> list[str | None]:
    return next(list(ix["column_names"]) for ix in sa.inspect(engine).get_indexes("enrolment")
                if ix["name"] == "ix_enrolment_practitioner_id")


def _levels(engine: Engine) -> list[Any]:
    """Every quarter's levels section (the verified income with it), for all communities and for community 1."""
    out = []
    with Session(engine) as s:
        quarters = [str(q) for q in s.execute(sa.text("SELECT DISTINCT quarter FROM enrolment ORDER BY 1")).scalars()]
        for q in quarters:
            for community in (None, 1):
                scope = Scope(community, q)
                board = levels_board(s, scope=scope, as_of=AS_OF, live=True)
                out.append((q, community, board.learning_all,
                            *(f.to_json(orient="records") for f in (board.reaction, board.learning, board.behaviour,
                                                                    board.income_reported, board.income_verified)),
                            income_verified(s, scope=scope).to_json(orient="records")))
    return out


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_0027_widens_the_enrolment_practitioner_index_and_the_levels_stay(at_0026: Engine) -> None:
    engine = at_0026
    before = _levels(engine)
    # The demo has members who completed a course with approved runs before and after it: real figures to compare.
    verified = [row[-1] for row in before]
    assert any('"n":0,' not in v and v != "[]" for v in verified), verified
    assert _index(engine) == ["practitioner_id"]

    upgrade(engine, "0027")

    assert current_revision(engine) == "0027"
    assert _index(engine) == list(PRACTITIONER_INDEX)
    assert _levels(engine) == before

    downgrade(engine, "0026")

    assert current_revision(engine) == "0026" and _index(engine) == ["practitioner_id"]
    assert _levels(engine) == before
