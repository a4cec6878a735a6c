"""季度汇报 publishing at the same moment, on PostgreSQL: two people publishing one community-quarter from the same
version, the same party confirming twice at once, a confirmation racing a restatement, and two scopes published at
once. Each writer has its own session in its own thread, released together (dashboard/services/report.py)."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import audit
from dashboard.queries import report_versions as rv
from dashboard.services import report as svc
from dashboard.services.errors import RuleError
from tests.test_report_publish import LATER, NARRATIVE, NOW, TODAY, changed, publish, sample, town
from tests.test_training_concurrency import race

TRIALS = 4
QUARTERS = ("2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2")


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


def publisher(town: dict[str, Any], who: str, quarter: str, expected: int = 0, community: str = "c1",
              reason: str = "") -> Callable[[threading.Barrier], None]:
    data = sample(town[community], quarter=quarter) if not reason else changed(sample(town[community],
                                                                                       quarter=quarter))
    return job(town["engine"], lambda s: svc.publish(s, data=data, narrative=NARRATIVE, actor=town["who"][who],
                                                     expected_version=expected, reason=reason, today=TODAY,
                                                     now=NOW))


def confirmer(town: dict[str, Any], who: str, version_id: int) -> Callable[[threading.Barrier], None]:
    return job(town["engine"], lambda s: svc.confirm(s, version_id=version_id, actor=town["who"][who], now=LATER))


def versions(engine: Engine, quarter: str) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(sa.select(rv.V).where(rv.V.c.quarter == quarter).order_by(rv.V.c.scope_key,
                                                                                      rv.V.c.version)).all()


def entries(engine: Engine, action: str) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(sa.select(audit.TABLE).where(audit.TABLE.c.action == action)).all()


def chain_ok(engine: Engine) -> None:
    with engine.connect() as conn:
        assert audit.verify(conn).ok
        assert svc.verify_versions(conn) == []


def test_two_publish_the_same_quarter_at_once_one_version_1(pg_town: dict[str, Any]) -> None:
    engine = pg_town["engine"]
    for trial, quarter in enumerate(QUARTERS[:TRIALS]):
        results = race([publisher(pg_town, "sw", quarter), publisher(pg_town, "sw_free", quarter)])
        assert results.count("ok") == 1, (trial, results)
        loser = next(r for r in results if r != "ok")
        assert isinstance(loser, RuleError) and loser.key == "report.pub.stale", (trial, loser)
        winner = ("sw", "sw2")[results.index("ok")]
        assert loser.params["version"] == 1
        assert loser.params["by"] == {"sw": "社工小王", "sw2": "sw2"}[winner]
        [row] = versions(engine, quarter)
        assert (row.version, row.published_by) == (1, winner)
    assert len(entries(engine, "publish")) == TRIALS
    chain_ok(engine)


def test_two_restate_the_same_version_at_once_one_version_2(pg_town: dict[str, Any]) -> None:
    engine = pg_town["engine"]
    for trial, quarter in enumerate(QUARTERS[:TRIALS]):
        publish(pg_town, sample(pg_town["c1"], quarter=quarter), expected=0)
        results = race([publisher(pg_town, "sw", quarter, expected=1, reason="补录甲"),
                        publisher(pg_town, "sw_free", quarter, expected=1, reason="补录乙")])
        assert results.count("ok") == 1, (trial, results)
        loser = next(r for r in results if r != "ok")
        assert isinstance(loser, RuleError) and loser.key == "report.pub.stale" and loser.params["version"] == 2
        assert [r.version for r in versions(engine, quarter)] == [1, 2]
    assert len(entries(engine, "restate")) == TRIALS
    chain_ok(engine)


def test_the_same_party_confirms_twice_at_once_one_row(pg_town: dict[str, Any]) -> None:
    engine = pg_town["engine"]
    for trial, quarter in enumerate(QUARTERS[:TRIALS]):
        v1 = publish(pg_town, sample(pg_town["c1"], quarter=quarter), expected=0)
        results = race([confirmer(pg_town, "gov", v1.id), confirmer(pg_town, "gov2", v1.id)])
        assert results.count("ok") == 1, (trial, results)
        loser = next(r for r in results if r != "ok")
        assert isinstance(loser, RuleError) and loser.key == "report.pub.already", (trial, loser)
        with engine.connect() as conn:
            rows = conn.execute(sa.select(rv.RC).where(rv.RC.c.report_version_id == v1.id)).all()
        assert len(rows) == 1 and rows[0].by == ("gov", "gov2")[results.index("ok")]
    assert len(entries(engine, "accept")) == TRIALS
    chain_ok(engine)


def test_a_confirmation_racing_a_restatement_never_lands_on_a_superseded_version(pg_town: dict[str, Any]) -> None:
    engine = pg_town["engine"]
    outcomes: set[str] = set()
    for trial, quarter in enumerate(QUARTERS):
        v1 = publish(pg_town, sample(pg_town["c1"], quarter=quarter), expected=0)
        results = race([publisher(pg_town, "sw", quarter, expected=1, reason="补录"), confirmer(pg_town, "plt", v1.id)])
        assert results[0] == "ok", (trial, results)
        if results[1] == "ok":
            outcomes.add("confirmed, then restated")
        else:
            assert isinstance(results[1], RuleError) and results[1].key == "report.pub.not_latest", results
            outcomes.add("restated, confirmation refused")
        with Session(engine) as s:
            latest = rv.latest(s, community_id=pg_town["c1"], quarter=quarter)
        assert latest is not None and latest.version == 2 and latest.confirmations == []
    chain_ok(engine)
    print(f"\nconfirmation racing a restatement: {sorted(outcomes)}")


def test_two_communities_publish_at_once_both_land(pg_town: dict[str, Any]) -> None:
    engine = pg_town["engine"]
    for quarter in QUARTERS[:TRIALS]:
        results = race([publisher(pg_town, "sw", quarter), publisher(pg_town, "sw_free", quarter, community="c2")])
        assert results == ["ok", "ok"], results
        assert [(r.scope_key, r.version) for r in versions(engine, quarter)] == \
            [(f"c{pg_town['c1']}", 1), (f"c{pg_town['c2']}", 1)]
    chain_ok(engine)


__all__ = ["town"]   # the fixture, imported
