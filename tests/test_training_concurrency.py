"""Two people record the same follow-up, or revoke the same certificate, at the same moment: one wins, one is told.

Each writer has its own session (its own connection) in its own thread; both read what their page showed before
either writes. Runs on PostgreSQL and on SQLite; the lock-wait cases only on PostgreSQL.
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
from dashboard.services import certificates, followups
from dashboard.services.errors import RuleError
from data_models import TrainingFollowup
from data_models.enums import Role
from tests import factories as f
from tests import training_ops_factories as tf
from tests.conftest import IN_THIS_DATABASE
from tests.import_race import write_during_import

D = dt.date
TODAY = D(2025, 12, 1)
SW = Principal("sw", Role.social_worker)
SW2 = Principal("sw2", Role.social_worker)
ASSOC = Principal("assoc", Role.association)
ADMIN = Principal("root", Role.admin)
ANSWER = followups.Answer("ecommerce_employed", False, 3, 350_000)

Write = Callable[[Session, int, int], Any]
WRITES: dict[str, Write] = {
    "reached": lambda s, fid, v: followups.record_reached(s, fid, version=v, on=D(2025, 10, 8), answer=ANSWER,
                                                          actor=SW, today=TODAY),
    "reached_other": lambda s, fid, v: followups.record_reached(
        s, fid, version=v, on=D(2025, 10, 9), answer=followups.Answer("not_employed", None, None, None), actor=SW2,
        today=TODAY),
    "try": lambda s, fid, v: followups.record_try(s, fid, version=v, on=D(2025, 10, 8), note="关机", actor=SW2,
                                                  today=TODAY),
}


@pytest.fixture
def desk(engine: Engine) -> dict[str, Any]:
    set_language("zh")
    with engine.begin() as conn:
        c1 = f.community(conn, "C1")
        k1 = tf.course(conn, c1)
    return {"engine": engine, "c1": c1, "k1": k1}


def fresh_learner(desk: dict[str, Any], code: str) -> int:
    with desk["engine"].begin() as conn:
        enrolment = tf.learner(conn, desk["c1"], desk["k1"], code)
        tf.sync(conn)
        return enrolment


def race(jobs: list[Callable[[threading.Barrier], None]]) -> list[Any]:
    """Run the jobs in two threads released together; each result is "ok" or the exception raised."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            jobs[i](barrier)
            results[i] = "ok"
        except Exception as exc:  # noqa: BLE001  (the race's outcome, checked by the caller)
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def audit_ok(engine: Engine) -> None:
    with engine.connect() as conn:
        verdict = audit.verify(conn)
    assert verdict.ok, verdict


@pytest.mark.parametrize(("first", "second"), [("reached", "reached_other"), ("reached", "try"), ("try", "try")])
def test_two_followup_records_at_once_exactly_one_wins(desk: dict[str, Any], first: str, second: str) -> None:
    engine = desk["engine"]
    for trial in range(6):
        enrolment = fresh_learner(desk, f"E{first}{second}{trial}")
        with engine.connect() as conn:
            fid = tf.followup_id(conn, enrolment, "m3")

        def job(name: str, fid: int = fid) -> Callable[[threading.Barrier], None]:
            def go(barrier: threading.Barrier) -> None:
                with Session(engine) as s:
                    seen = s.get_one(TrainingFollowup, fid).version   # what this person's form read
                    barrier.wait()
                    WRITES[name](s, fid, seen)
                    s.commit()
            return go

        results = race([job(first), job(second)])
        assert results.count("ok") == 1, (trial, results)
        loser = next(r for r in results if r != "ok")
        assert isinstance(loser, RuleError) and loser.key == "followup.changed_meanwhile", (trial, loser)
        assert "其他人" in loser.message() and f"E{first}{second}{trial}" in loser.message()
        row = tf.followup_row(engine, fid)
        assert row["version"] == 2, (trial, row)
        winner = [first, second][results.index("ok")]
        assert row["recorded_by"] == ("sw" if winner == "reached" else "sw2")
        assert row["status"] == ("pending" if winner == "try" else "reached")
        entries = [e for e in tf.audited(engine, "training_followup")
                   if e["entity_id"] == f"E{first}{second}{trial}/m3"]
        assert len(entries) == 1, (trial, entries)
    audit_ok(engine)


def test_two_revocations_at_once_exactly_one_wins(desk: dict[str, Any]) -> None:
    engine = desk["engine"]
    for trial in range(6):
        enrolment = fresh_learner(desk, f"R{trial}")
        with engine.connect() as conn:
            number = tf.certificate_of(conn, enrolment)

        def job(actor: Principal, reason: str, number: str = number) -> Callable[[threading.Barrier], None]:
            def go(barrier: threading.Barrier) -> None:
                with Session(engine) as s:
                    assert certificates.verify(s, number).status == "valid"     # what this person's page showed
                    barrier.wait()
                    certificates.revoke(s, number, reason=reason, actor=actor, on=D(2025, 11, 2), today=TODAY)
                    s.commit()
            return go

        results = race([job(ASSOC, "冒名"), job(ADMIN, "证书信息有误")])
        assert results.count("ok") == 1, (trial, results)
        loser = next(r for r in results if r != "ok")
        assert isinstance(loser, RuleError) and loser.key == "certificate.already_revoked", (trial, loser)
        winner = ["assoc", "root"][results.index("ok")]
        assert winner in loser.message() and number in loser.message()
        entries = [e for e in tf.audited(engine, "certificate") if e["entity_id"] == number]
        assert len(entries) == 1 and entries[0]["actor"] == winner
    audit_ok(engine)


def pg_waits(engine: Engine, thread: threading.Thread) -> bool:
    """Whether another session is waiting on a lock (the late writer's UPDATE on the winner's row)."""
    with engine.connect() as watcher:
        deadline = time.monotonic() + 60     # a slowed thread (other test processes on the cores) gets there
        while time.monotonic() < deadline:
            waiting = watcher.execute(sa.text(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid() "
                + IN_THIS_DATABASE)).scalar_one()
            if waiting or not thread.is_alive():
                return bool(waiting)
            watcher.rollback()
            threading.Event().wait(0.005)
    return False


def test_the_late_followup_update_waits_for_the_first_and_is_refused(desk: dict[str, Any]) -> None:
    """On PostgreSQL: the loser read version 1 (the winner had not committed), its UPDATE waits on the winner's row
    lock, then finds the version gone and writes nothing."""
    engine = desk["engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer")
    enrolment = fresh_learner(desk, "W1")
    with engine.connect() as conn:
        fid = tf.followup_id(conn, enrolment, "m3")
    outcome: list[Any] = []

    def late() -> None:
        try:
            with Session(engine) as s:
                WRITES["try"](s, fid, 1)
                s.commit()
            outcome.append("ok")
        except Exception as exc:  # noqa: BLE001
            outcome.append(exc)

    with Session(engine) as first:
        WRITES["reached"](first, fid, 1)          # updated and audited, not committed: the row is locked
        thread = threading.Thread(target=late)
        thread.start()
        assert pg_waits(engine, thread), outcome
        first.commit()
    thread.join()
    assert len(outcome) == 1 and isinstance(outcome[0], RuleError), outcome
    assert outcome[0].key == "followup.changed_meanwhile" and "已联系上" in outcome[0].message()
    row = tf.followup_row(engine, fid)
    assert (row["status"], row["version"], row["tries"]) == ("reached", 2, 1)
    assert len(tf.audited(engine, "training_followup")) == 1
    audit_ok(engine)


def test_the_late_revocation_waits_for_the_first_and_is_refused(desk: dict[str, Any]) -> None:
    engine = desk["engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer")
    enrolment = fresh_learner(desk, "W2")
    with engine.connect() as conn:
        number = tf.certificate_of(conn, enrolment)
    outcome: list[Any] = []

    def late() -> None:
        try:
            with Session(engine) as s:
                certificates.revoke(s, number, reason="重复", actor=ADMIN, on=D(2025, 11, 3), today=TODAY)
                s.commit()
            outcome.append("ok")
        except Exception as exc:  # noqa: BLE001
            outcome.append(exc)

    with Session(engine) as first:
        certificates.revoke(first, number, reason="冒名", actor=ASSOC, on=D(2025, 11, 2), today=TODAY)
        thread = threading.Thread(target=late)
        thread.start()
        assert pg_waits(engine, thread), outcome
        first.commit()
    thread.join()
    assert len(outcome) == 1 and isinstance(outcome[0], RuleError), outcome
    assert outcome[0].key == "certificate.already_revoked" and "assoc" in outcome[0].message()
    with Session(engine) as s:
        v = certificates.verify(s, number)
    assert (v.status, v.revoked_on, v.revoked_reason) == ("revoked", D(2025, 11, 2), "冒名")
    assert len(tf.audited(engine, "certificate")) == 1
    audit_ok(engine)


def test_a_follow_up_recorded_while_an_import_writes_it_is_never_lost(engine: Engine,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The page records a follow-up while a follow-ups import of the same row is between its checks and its
    commit: the page's write waits for the import (the import's lock) and is then told the row changed; the
    import's values stand, and nothing is overwritten without someone being told."""
    from dashboard.excel import importer
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite: the import holds the database's one write lock from its first write")
    set_language("zh")
    with engine.begin() as conn:
        c1 = f.community(conn, "C1")
        k1 = tf.course(conn, c1)
        e1 = tf.learner(conn, c1, k1, "E1")
        tf.sync(conn)
        fid = tf.followup_id(conn, e1, "m3")
    data = "报名编号,回访批次,回访状态,尝试次数,最近尝试日期\nE1,3个月回访,待回访,1,2025-10-05\n".encode()
    result, page = write_during_import(
        engine, monkeypatch, lambda s: WRITES["reached"](s, fid, 1),
        lambda: importer.import_file(engine, "followups", data, "f.csv", actor="社工甲", today=TODAY))
    row = tf.followup_row(engine, fid)
    assert result.status == "committed", result.errors
    assert page == "followup.changed_meanwhile"
    assert (row["status"], row["tries"], row["version"]) == ("pending", 1, 2)
    with engine.connect() as conn:
        assert audit.verify(conn).ok
