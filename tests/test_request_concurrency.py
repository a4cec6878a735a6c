"""Two people move one request at the same moment: exactly one wins, the other is told, nothing is lost.

Each writer has its own session (its own connection) in its own thread. Both read the request (the version their
page showed) before either writes. Runs on PostgreSQL (required in CI) and on SQLite.
"""

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import audit
from dashboard.accounts import Principal
from dashboard.i18n import set_language
from dashboard.services import request_steps
from dashboard.services import requests as svc
from dashboard.services.errors import RuleError
from data_models.enums import Role
from tests import factories as f
from tests.conftest import IN_THIS_DATABASE
from tests.import_race import write_during_import

D = dt.date
TODAY = D(2025, 12, 1)
SW = Principal("sw", Role.social_worker)


@pytest.fixture
def desk(engine: Engine) -> dict[str, Any]:
    """C1 with its street office TOP (acted for by the government party) and the village committee VC."""
    set_language("zh")
    with engine.begin() as conn:
        c1 = f.community(conn, "C1")
        gov = f.party(conn, c1, "C1-GOV")
        top = f.insert(conn, "unit", code="TOP", name="街道办", kind="township_department", community_id=c1,
                       township="", party_id=gov, parent_id=None, is_active=True)
        f.insert(conn, "unit", code="VC", name="居委会", kind="village_committee", community_id=c1, township="",
                 party_id=None, parent_id=top, is_active=True)
        f.insert(conn, "request_sla", priority="general", working_days=5)
        f.livestream(conn, c1, "L1", held_on=D(2025, 11, 3), quarter="2025Q4")
    return {"engine": engine, "gov": Principal("gov", Role.government, party_id=gov)}


def routed_request(engine: Engine) -> str:
    with Session(engine) as s:
        req = svc.collect(s, livestream_code="L1", category="parcel_stacking", description="包裹堆放",
                          raised_on=D(2025, 11, 3), actor=SW, today=TODAY)
        code = req.code
        svc.classify(s, code, version=1, category="parcel_stacking", priority="general", actor=SW,
                     on=D(2025, 11, 3), today=TODAY)
        svc.route(s, code, version=2, lead_unit_code="TOP", actor=SW, on=D(2025, 11, 4), today=TODAY)
        s.commit()
    return code


def events(engine: Engine, code: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(
            "SELECT e.move FROM request_event e JOIN request r ON r.id = e.request_id WHERE r.code = :c "
            "ORDER BY e.id"), {"c": code}).scalars())


def audited(engine: Engine, code: str) -> int:
    a = audit.TABLE.c
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(audit.TABLE)
                                .where(a.entity == "request", a.entity_id == code)).scalar_one())


def version_of(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT version FROM request WHERE code = :c"), {"c": code}).scalar_one())


Move = Callable[[Session, str, int], Any]
MOVES: dict[str, Callable[[dict[str, Any]], Move]] = {
    "accept": lambda d: lambda s, code, v: svc.accept(s, code, version=v, actor=d["gov"], on=D(2025, 11, 5),
                                                      today=TODAY),
    "send_back": lambda d: lambda s, code, v: svc.send_back(s, code, version=v, reason_code="not_our_remit",
                                                            note="不属本单位", actor=d["gov"], on=D(2025, 11, 5),
                                                            today=TODAY),
    "transfer": lambda d: lambda s, code, v: svc.transfer(s, code, version=v, to_unit_code="VC", reason="居委会处理",
                                                          actor=SW, on=D(2025, 11, 5), today=TODAY),
}


@pytest.mark.parametrize(("first", "second"), [("accept", "accept"), ("accept", "send_back"),
                                               ("send_back", "transfer")])
def test_two_moves_at_once_exactly_one_wins(desk: dict[str, Any], first: str, second: str) -> None:
    engine = desk["engine"]
    jobs = [MOVES[first](desk), MOVES[second](desk)]
    for trial in range(8):
        code = routed_request(engine)
        seen = version_of(engine, code)
        barrier = threading.Barrier(2)
        results: list[Any] = [None, None]

        def run(i: int, code: str = code, seen: int = seen, barrier: threading.Barrier = barrier,
                results: list[Any] = results) -> None:
            try:
                with Session(engine) as s:
                    request_steps.load(s, code)          # what this person's page read, before either writes
                    barrier.wait()
                    jobs[i](s, code, seen)
                    s.commit()
                results[i] = "moved"
            except Exception as exc:  # noqa: BLE001  (the race's outcome, checked below)
                results[i] = exc

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results.count("moved") == 1, (trial, results)
        loser = next(r for r in results if r != "moved")
        assert isinstance(loser, RuleError) and loser.key == "requests.changed_meanwhile", (trial, loser)
        assert code in loser.message() and "其他人" in loser.message()
        history = events(engine, code)
        assert history[:3] == ["collect", "classify", "route"] and len(history) == 4, (trial, history)
        winner = [first, second][results.index("moved")]
        assert history[3] == winner
        assert version_of(engine, code) == seen + 1
        assert audited(engine, code) == 4
    with engine.connect() as conn:
        verdict = audit.verify(conn)
    assert verdict.ok, verdict


def test_the_second_update_waits_for_the_first_and_is_refused(desk: dict[str, Any]) -> None:
    """On PostgreSQL: the loser passed the version check (the winner had not committed), its UPDATE waits on the
    winner's row lock, then finds the version gone and writes nothing."""
    engine = desk["engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer")
    code = routed_request(engine)
    seen = version_of(engine, code)
    outcome: list[Any] = []

    def late() -> None:
        try:
            with Session(engine) as s:
                MOVES["send_back"](desk)(s, code, seen)
                s.commit()
            outcome.append("moved")
        except Exception as exc:  # noqa: BLE001
            outcome.append(exc)

    with Session(engine) as first:
        MOVES["accept"](desk)(first, code, seen)          # updated, not committed: the row is locked
        thread = threading.Thread(target=late)
        thread.start()
        with engine.connect() as watcher:                 # until the late UPDATE waits on that lock
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                waiting = watcher.execute(sa.text(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid() "
                    + IN_THIS_DATABASE)).scalar_one()
                if waiting or not thread.is_alive():
                    break
                watcher.rollback()
                threading.Event().wait(0.005)
        assert waiting, outcome
        first.commit()
    thread.join()
    assert len(outcome) == 1 and isinstance(outcome[0], RuleError), outcome
    assert outcome[0].key == "requests.changed_meanwhile" and "办理中" in outcome[0].message()
    assert events(engine, code) == ["collect", "classify", "route", "accept"]
    assert audited(engine, code) == 4
    with engine.connect() as conn:
        assert audit.verify(conn).ok


def test_a_move_made_while_a_requests_import_writes_the_request_is_never_lost(desk: dict[str, Any],
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A unit accepts a request while a requests import of the same row is between its checks and its write: the
    move waits for the import (the import's lock) and is then told the request changed; the import stands."""
    from dashboard.excel import importer
    engine = desk["engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite: the import holds the database's one write lock from its first write")
    code = routed_request(engine)
    data = ("诉求编号,直播编号,提出日期,诉求类别,状态,诉求内容\n"
            f"{code},L1,2025-11-03,parcel_stacking,routed,包裹堆放在楼道\n")
    result, move = write_during_import(
        engine, monkeypatch,
        lambda s: svc.accept(s, code, version=3, actor=desk["gov"], on=D(2025, 11, 5), today=TODAY),
        lambda: importer.import_file(engine, "requests", data.encode(), "r.csv", actor="社工甲", today=TODAY))
    assert result.status == "committed", result.errors
    assert move == "requests.changed_meanwhile"
    assert version_of(engine, code) == 4 and events(engine, code) == ["collect", "classify", "route"]
    with engine.connect() as conn:
        assert audit.verify(conn).ok
