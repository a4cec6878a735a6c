"""Two social workers act on one candidate (or store one file) at the same moment: exactly one wins, the other is
told, and nothing of the loser's is written. Each in its own session and thread; runs on PostgreSQL and SQLite."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import audit
from dashboard.queries import comments as queries
from dashboard.services import comment_import as svc
from dashboard.services.errors import RuleError
from tests.test_comment_import import SW, TODAY, desk, export, stored  # noqa: F401  (desk is a fixture)

Move = Callable[[Session, list[int]], Any]
MOVES: dict[str, Move] = {
    "accept": lambda s, ids: svc.accept(s, ids[0], version=1, description="快递堆放", category="parcel_stacking",
                                        actor=SW, today=TODAY),
    "discard": lambda s, ids: svc.discard(s, ids[0], version=1, actor=SW),
    "merge": lambda s, ids: svc.merge(s, ids[0], ids[1:], versions={i: 1 for i in ids}, actor=SW),
    "merge_back": lambda s, ids: svc.merge(s, ids[1], [ids[0]], versions={i: 1 for i in ids}, actor=SW),
}


def race(engine: Engine, jobs: list[Callable[[Session], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            with Session(engine) as s:
                s.connection().execute(sa.text("SELECT 1"))
                barrier.wait()
                jobs[i](s)
                s.commit()
            results[i] = "done"
        except Exception as exc:  # noqa: BLE001  (the race's outcome, checked by the caller)
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize(("first", "second"), [("accept", "accept"), ("accept", "discard"),
                                               ("merge", "merge_back"), ("discard", "merge")])
def test_two_moves_on_one_candidate_exactly_one_wins(desk: Engine, first: str, second: str) -> None:  # noqa: F811
    made = 0
    for trial in range(4):
        batch_id = stored(desk, data=export() + f"2025-11-03 20:00:0{trial},x,第{trial}次\n".encode())
        with Session(desk) as s:
            ids = [int(i) for i in queries.candidates(s, batch_id=batch_id)["id"]]
        results = race(desk, [lambda s, m=MOVES[first], i=ids: m(s, i),
                             lambda s, m=MOVES[second], i=ids: m(s, i)])
        assert results.count("done") == 1, (trial, results)
        loser = next(r for r in results if r != "done")
        assert isinstance(loser, RuleError), (trial, loser)
        assert loser.key in ("comment_import.changed_meanwhile", "comment_import.not_pending"), loser.key
        with desk.connect() as conn:
            requests = conn.execute(sa.text("SELECT count(*) FROM request")).scalar_one()
            versions = conn.execute(sa.select(svc.CANDIDATE.c.version).where(svc.CANDIDATE.c.id == ids[0])).scalar()
        made += [first, second][results.index("done")] == "accept"
        assert requests == made and versions == 2, (trial, requests, versions)
    with desk.connect() as conn:
        assert audit.verify(conn).ok
        accepted = conn.execute(sa.text("SELECT count(*) FROM comment_candidate WHERE status = 'accepted'")
                                ).scalar_one()
    assert accepted == made       # no request without its candidate, no candidate accepted twice


def test_the_same_file_stored_twice_at_once_is_stored_once(desk: Engine) -> None:  # noqa: F811
    results = race(desk, [lambda s: svc.store(s, livestream_code="L1", data=export(), filename="c.csv",
                                              platform=None, mapping=None, actor=SW, today=TODAY)] * 2)
    assert results.count("done") == 1, results
    loser = next(r for r in results if r != "done")
    assert isinstance(loser, RuleError) and loser.key == "comment_import.duplicate_file", loser
    with desk.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM comment_batch")).scalar_one() == 1
        assert conn.execute(sa.text("SELECT count(*) FROM livestream_comment")).scalar_one() == 7
        assert audit.verify(conn).ok


def test_two_first_saves_of_one_platforms_columns_at_once_both_land(desk: Engine) -> None:  # noqa: F811
    """Both find no mapping for a new platform; without the lock the second INSERT would fail on the key (review)."""
    from dashboard.accounts import Principal
    from dashboard.comments.types import ColumnMap
    from data_models.enums import Role

    for trial in range(5):
        platform = f"新平台{trial}"
        results = race(desk, [lambda s, who=who, p=platform: svc._remember(s, p, ColumnMap(text=f"内容{who}"),
                                                                          Principal(f"sw{who}", Role.social_worker))
                              for who in (1, 2)])
        assert results == ["done", "done"], results
        with desk.connect() as conn:
            assert conn.execute(sa.text("SELECT COUNT(*) FROM comment_column_map WHERE platform = :p"),
                                {"p": platform}).scalar_one() == 1
