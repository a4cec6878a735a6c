"""Migration 0025 on a demo database at 0024 whose need_stats went stale as the triggers before 0019 left them: a
practitioner moved to another community and changed employment type, and the pairs of the needs they left behind
were never marked. After 0025 the next catch-up recounts those pairs: need_stats equals a full recount again."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard import need_stats as ns
from dashboard.db import current_revision, make_engine, upgrade
from tests.conftest import BACKENDS
from tests.legacy import load_demo_at

ROWS = "SELECT grp, kind, community_id, quarter, k1, k2, v, n FROM need_stats ORDER BY 1, 2, 3, 4, 5, 6, 7"


@pytest.fixture
def at_0024(fresh_database_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_database_url)
    load_demo_at(engine, "0024")
    with engine.begin() as conn:
        ns.refresh_all(conn)
    yield engine
    engine.dispose()


def _rows(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(ROWS)).all()]


def _recounted(engine: Engine) -> list[tuple]:
    """need_stats as a full recount gives it (rolled back)."""
    with engine.connect() as conn:
        tx = conn.begin()
        ns.refresh_all(conn)
        rows = [tuple(r) for r in conn.execute(sa.text(ROWS)).all()]
        tx.rollback()
    return rows


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_0025_marks_the_pairs_of_needs_left_behind_by_a_moved_practitioner(at_0024: Engine) -> None:
    engine = at_0024
    with engine.begin() as conn:
        pid, home, etype = conn.execute(sa.text(
            "SELECT p.id, p.community_id, p.employment_type FROM practitioner p "
            "WHERE (SELECT count(*) FROM need_assessment n WHERE n.practitioner_id = p.id) >= 2 "
            "ORDER BY p.id LIMIT 1")).one()
        other = conn.execute(sa.text("SELECT min(id) FROM community WHERE id <> :c"), {"c": home}).scalar_one()
        new_type = conn.execute(sa.text("SELECT employment_type FROM practitioner WHERE employment_type <> :t "
                                        "LIMIT 1"), {"t": etype}).scalar_one()
        conn.execute(sa.text("UPDATE practitioner SET community_id = :o, employment_type = :t WHERE id = :p"),
                     {"o": other, "t": new_type, "p": pid})
        conn.execute(sa.text("DELETE FROM need_stats_dirty"))     # what the triggers before 0019 did not mark
    assert ns.catch_up(engine)
    stale = _rows(engine)
    assert stale != _recounted(engine)          # the needs left in `home` still count the old employment type

    upgrade(engine, "0025")

    assert current_revision(engine) == "0025"
    with engine.connect() as conn:
        marked = {(int(c), str(q)) for c, q in conn.execute(sa.text("SELECT community_id, quarter FROM "
                                                                    "need_stats_dirty"))}
        left = {(int(c), str(q)) for c, q in conn.execute(sa.text(
            "SELECT community_id, quarter FROM need_assessment WHERE practitioner_id = :p"), {"p": pid})}
    assert left <= marked and all(c == home for c, _ in left)
    assert ns.catch_up(engine)
    assert _rows(engine) == _recounted(engine)


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_0025_marks_nothing_where_every_need_is_in_its_practitioners_community(at_0024: Engine) -> None:
    engine = at_0024
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM need_stats_dirty"))
    upgrade(engine, "0025")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM need_stats_dirty")).scalar_one() == 0
