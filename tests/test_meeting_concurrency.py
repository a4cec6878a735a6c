"""Joint meeting writes at the same moment, on PostgreSQL: two parties signing, two owners moving one action, an
amendment racing a signature. Each writer has its own session in its own thread, released together."""

import datetime as dt
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import audit
from dashboard.accounts import Principal
from dashboard.services import meetings as svc
from dashboard.services import minutes
from dashboard.services.errors import RuleError
from dashboard.services.meeting_types import text_sha256
from data_models.enums import Role
from tests.meeting_factories import TODAY, town, version
from tests.test_minutes import NOW, circulated, meeting, sign
from tests.test_training_concurrency import race

TRIALS = 4


@pytest.fixture
def pg_town(town: dict[str, Any]) -> dict[str, Any]:
    if town["engine"].dialect.name != "postgresql":
        pytest.skip("two sessions writing at the same moment: PostgreSQL")
    return town


def job(engine: Engine, write: Callable[[Session], Any]) -> Callable[[threading.Barrier], None]:
    def go(barrier: threading.Barrier) -> None:
        with Session(engine) as s:
            barrier.wait()
            write(s)
            s.commit()
    return go


def entries(engine: Engine, action: str, entity_id: str) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(sa.select(audit.TABLE).where(audit.TABLE.c.action == action,
                                                         audit.TABLE.c.entity_id == entity_id)).all()


def signatures(engine: Engine, mid: int) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(sa.select(minutes.SIG).where(minutes.SIG.c.meeting_id == mid)).all()


def test_the_last_two_parties_sign_at_once_both_land_and_the_minutes_lock_once(pg_town: dict[str, Any]) -> None:
    engine, who = pg_town["engine"], pg_town["who"]
    for trial in range(TRIALS):
        mid = circulated(pg_town)
        code = meeting(engine, mid).code
        sign(pg_town, mid, "gov")
        sign(pg_town, mid, "plt")
        v = version(engine, mid)
        locked: list[bool] = []

        def signer(name: str, v: int = v, mid: int = mid, out: list[bool] = locked) -> Callable[[Session], Any]:
            return lambda s: out.append(minutes.sign(s, meeting_id=mid, version=v, actor=who[name], today=TODAY,
                                                        now=NOW))

        results = race([job(engine, signer("asn")), job(engine, signer("sw"))])
        assert results == ["ok", "ok"], (trial, results)
        assert sorted(locked) == [False, True], (trial, locked)
        row = meeting(engine, mid)
        assert row.minutes_status == "locked" and row.minutes_sha256 == text_sha256(row.minutes_text)
        assert len(signatures(engine, mid)) == 4
        lock_entries = entries(engine, "minutes_lock", code)
        assert len(lock_entries) == 1, (trial, lock_entries)
        assert len(json.loads(lock_entries[0].after)["signatures"]) == 4
        with engine.connect() as conn:
            assert minutes.verify_minutes(conn) == []
            assert audit.verify(conn).ok


def test_two_owners_move_the_same_action_at_once_one_wins(pg_town: dict[str, Any]) -> None:
    engine, p = pg_town["engine"], pg_town["p"]
    gov2 = Principal("gov2", Role.government, party_id=p["GOV"])
    mid = circulated(pg_town)
    for trial in range(TRIALS):
        with Session(engine, expire_on_commit=False) as s:
            action = svc.add_action(s, meeting_id=mid, version=version(engine, mid), decision_id=None,
                                    title=f"事项{trial}", owner_party_id=p["GOV"], owner_person="王主任",
                                    due_on=dt.date(2027, 1, 10), actor=pg_town["who"]["sw"], today=TODAY)
            s.commit()
        xid = int(action.id or 0)
        first = job(engine, lambda s, xid=xid: svc.move_action(s, action_id=xid, version=1, to_status="in_progress",
                                                               note="已联系", actor=pg_town["who"]["gov"],
                                                               today=TODAY))
        second = job(engine, lambda s, xid=xid: svc.move_action(s, action_id=xid, version=1, to_status="cancelled",
                                                                note="不再需要", actor=gov2, today=TODAY))
        results = race([first, second])
        assert results.count("ok") == 1, (trial, results)
        loser = next(r for r in results if r != "ok")
        assert isinstance(loser, RuleError) and loser.key == "action.changed_meanwhile", (trial, loser)
        winner = ["gov", "gov2"][results.index("ok")]
        assert winner in loser.message()
        with engine.connect() as conn:
            row = conn.execute(sa.select(svc.X).where(svc.X.c.id == xid)).one()
            history = conn.execute(sa.select(svc.XU).where(svc.XU.c.action_item_id == xid)).all()
        assert (row.version, row.updated_by) == (2, winner) and len(history) == 1
        assert row.status == ("in_progress" if winner == "gov" else "cancelled")
        assert len(entries(engine, "action_move", row.code)) == 1
    with engine.connect() as conn:
        assert audit.verify(conn).ok


def test_an_amendment_racing_a_signature_never_leaves_a_signature_on_another_text(pg_town: dict[str, Any]) -> None:
    engine, who = pg_town["engine"], pg_town["who"]
    outcomes: set[str] = set()
    for trial in range(TRIALS + 2):
        mid = circulated(pg_town)
        sign(pg_town, mid, "gov")
        v = version(engine, mid)
        amend = job(engine, lambda s, mid=mid, v=v: minutes.reassemble(s, meeting_id=mid, version=v, actor=who["sw"],
                                                                       today=TODAY, now=NOW))
        signer = job(engine, lambda s, mid=mid, v=v: minutes.sign(s, meeting_id=mid, version=v, actor=who["plt"],
                                                                  today=TODAY, now=NOW))
        results = race([amend, signer])
        assert results[0] == "ok", (trial, results)
        if results[1] == "ok":
            outcomes.add("signed first, then voided")
        else:
            assert isinstance(results[1], RuleError) and results[1].key == "meeting.changed_meanwhile", results
            outcomes.add("amended first, signature refused")
        row = meeting(engine, mid)
        assert signatures(engine, mid) == []          # whichever came first, no signature is left on another text
        assert row.minutes_status == "circulated" and row.version == v + 1
    with engine.connect() as conn:
        assert audit.verify(conn).ok


__all__ = ["town"]   # the fixture, imported
