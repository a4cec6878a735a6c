"""现场录入 at once, on PostgreSQL: two people capture in the same second and get distinct codes; an undo and a classify
of the same request race and exactly one wins, the other told why. Each writer has its own session in its own thread."""

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.accounts import Principal
from dashboard.i18n import set_language
from dashboard.services import capture as svc
from dashboard.services import request_steps
from dashboard.services import requests as requests_service
from dashboard.services.errors import RuleError
from data_models.enums import Role
from tests import factories as f
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(PG_URL is None, reason="no PostgreSQL reachable")

TODAY = dt.date(2026, 12, 2)
NOW = dt.datetime(2026, 12, 2, 2, 25, tzinfo=dt.UTC)
SW = Principal("sw", Role.social_worker)
SW2 = Principal("sw2", Role.social_worker)


@pytest.fixture
def pg(engine: Engine) -> Engine:
    if engine.dialect.name != "postgresql":
        pytest.skip("the race is proved on PostgreSQL (SQLite has one writer at a time)")
    set_language("zh")
    with engine.begin() as conn:
        c1 = f.community(conn, "C1")
        f.livestream(conn, c1, "LIVE", held_on=TODAY, quarter="2026Q4")
    return engine


def race(jobs: list[Callable[[Session], Any]], prepare: Callable[[Session], Any] | None = None) -> list[Any]:
    """Run each job in its own thread and session, released together; each result or the exception it raised."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            with Session(ENGINE[0]) as s:
                if prepare is not None:
                    prepare(s)           # what this person's page read, before either writes
                barrier.wait()
                results[i] = jobs[i](s)
                s.commit()
        except Exception as exc:  # noqa: BLE001  (the race's outcome, checked by the caller)
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


ENGINE: list[Engine] = []


@pytest.fixture(autouse=True)
def _engine(request: pytest.FixtureRequest) -> Any:
    if "pg" in request.fixturenames:
        ENGINE[:] = [request.getfixturevalue("pg")]
    yield
    ENGINE.clear()


def test_captures_at_once_get_distinct_codes(pg: Engine) -> None:
    def capture(who: Principal, text: str) -> Callable[[Session], str]:
        return lambda s: svc.capture(s, livestream_code="LIVE", category="sanitation", description=text,
                                     resident="", priority="general", actor=who, now=NOW).code

    for trial in range(5):
        results = race([capture(SW, f"甲{trial}"), capture(SW2, f"乙{trial}"), capture(SW, f"丙{trial}")])
        assert all(isinstance(r, str) for r in results), results
        assert len(set(results)) == 3, (trial, results)
    with pg.connect() as conn:
        codes = conn.execute(sa.text("SELECT code FROM request ORDER BY code")).scalars().all()
        assert codes == [f"R20261202{n:03d}" for n in range(1, 16)]
        assert set(conn.execute(sa.text("SELECT source FROM request")).scalars()) == {"live"}
        assert f.count(conn, "request_event") == 15


def test_undo_and_classify_at_once_exactly_one_wins(pg: Engine) -> None:
    wins = {"undo": 0, "classify": 0}
    for trial in range(10):
        with Session(pg) as s:
            code = svc.capture(s, livestream_code="LIVE", category="sanitation", description=f"第{trial}条",
                               resident="", priority="general", actor=SW, now=NOW).code
            s.commit()
        undo = lambda s, code=code: svc.undo_last(s, code=code, version=1, actor=SW, today=TODAY)  # noqa: E731
        classify = lambda s, code=code: requests_service.classify(  # noqa: E731
            s, code, version=1, category="sanitation", priority="urgent", actor=SW2, on=TODAY, today=TODAY)
        jobs = [undo, classify] if trial % 2 else [classify, undo]
        results = race(jobs, prepare=lambda s, code=code: request_steps.load(s, code))
        errors = [r for r in results if isinstance(r, Exception)]
        assert len(errors) == 1, (trial, results)
        loser = errors[0]
        assert isinstance(loser, RuleError) and loser.key == "requests.changed_meanwhile", (trial, loser)
        with pg.connect() as conn:
            stored = conn.execute(sa.text("SELECT status, version FROM request WHERE code = :c"),
                                  {"c": code}).one_or_none()
            events = conn.execute(sa.text("SELECT count(*) FROM request_event e JOIN request r ON r.id = "
                                          "e.request_id WHERE r.code = :c"), {"c": code}).scalar_one()
            withdrawn = conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = 'withdraw' AND "
                                             "entity_id = :c"), {"c": code}).scalar_one()
        if stored is None:          # the undo won: nothing of the classify is left, the withdrawal is audited
            wins["undo"] += 1
            assert events == 0 and withdrawn == 1
        else:                       # the classify won: the request stays, classified, and nothing was withdrawn
            wins["classify"] += 1
            assert tuple(stored) == ("classified", 2) and events == 2 and withdrawn == 0
        if stored is not None:      # nor can it be withdrawn later, at its new version
            with Session(pg) as s, pytest.raises(RuleError):
                svc.undo_last(s, code=code, version=2, actor=SW, today=TODAY)
    assert wins["undo"] + wins["classify"] == 10
    print(f"undo vs classify over 10 trials: {wins}")


def waiting(engine: Engine, pid: int) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(sa.text("SELECT count(*) FROM pg_locks WHERE pid = :p AND NOT granted"),
                                 {"p": pid}).scalar_one())


@pytest.mark.parametrize("first", ["undo", "classify"])
def test_the_move_that_takes_the_row_first_wins_and_the_other_waits_then_is_told(pg: Engine, first: str) -> None:
    """Both orders for certain: the first move's transaction is open (its write done, not committed) while the
    second starts, waits for it (seen in pg_locks), and is refused once the first commits."""
    with Session(pg) as s:
        code = svc.capture(s, livestream_code="LIVE", category="sanitation", description="抢先", resident="",
                           priority="general", actor=SW, now=NOW).code
        s.commit()
    moves: dict[str, Callable[[Session], Any]] = {
        "undo": lambda s: svc.undo_last(s, code=code, version=1, actor=SW, today=TODAY),
        "classify": lambda s: requests_service.classify(s, code, version=1, category="sanitation", priority="urgent",
                                                        actor=SW2, on=TODAY, today=TODAY)}
    second = "classify" if first == "undo" else "undo"
    outcome: list[Any] = []
    pid: list[int] = []
    ready = threading.Event()

    def run_second() -> None:
        with Session(pg) as s:
            pid.append(int(s.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()))
            request_steps.load(s, code)
            ready.set()
            try:
                moves[second](s)
                s.commit()
                outcome.append("moved")
            except RuleError as exc:
                outcome.append(exc)

    with Session(pg) as s:
        moves[first](s)                       # written, not committed: it holds the locks
        thread = threading.Thread(target=run_second)
        thread.start()
        assert ready.wait(60)
        deadline = threading.Event()
        for _ in range(600):
            if waiting(pg, pid[0]):
                break
            deadline.wait(0.05)
        assert waiting(pg, pid[0]), "the second move did not wait for the first"
        s.commit()
    thread.join(60)
    (loser,) = outcome
    assert isinstance(loser, RuleError) and loser.key == "requests.changed_meanwhile", loser
    with pg.connect() as conn:
        stored = conn.execute(sa.text("SELECT status FROM request WHERE code = :c"), {"c": code}).scalar_one_or_none()
    assert stored == (None if first == "undo" else "classified")
