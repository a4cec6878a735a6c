"""Migration 0015 on a full demo database at 0014: every existing row stays, report_version and report_confirmation
start empty and hold their rules (one row per scope, quarter and version; a restatement needs a reason; one word per
party on a version, gone with its version); and back down again, where the two tables go and nothing else moves."""

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard.db import current_revision, make_engine, upgrade
from tests.conftest import BACKENDS
from tests.legacy import load_demo_at
from tests.test_migration_0013 import downgrade

NEW_TABLES = ("report_version", "report_confirmation")
KEPT = ("community", "party", "practitioner", "need_assessment", "enrolment", "sale", "request", "request_event",
        "meeting", "action_item", "consultation_case", "audit_log")
AT = dt.datetime(2026, 7, 2, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def at_0014(fresh_database_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_database_url)
    load_demo_at(engine, "0014")
    yield engine
    engine.dispose()


def _all(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


def _counts(engine: Engine) -> dict[str, int]:
    return {t: _all(engine, f"SELECT COUNT(*) FROM {t}")[0][0] for t in KEPT}


def _version(engine: Engine, version: int, reason: str = "", scope: str = "c1", community: int | None = 1) -> int:
    with engine.begin() as conn:
        return int(conn.execute(sa.text(
            "INSERT INTO report_version (scope_key, community_id, quarter, version, cut_off_at, published_at, "
            "published_by, snapshot, narrative, reason, changes, sha256) VALUES (:s, :c, '2026Q2', :v, :at, :at, "
            "'sw', '{}', '{}', :r, '[]', 'x') RETURNING id"),
            {"s": scope, "c": community, "v": version, "at": AT, "r": reason}).scalar_one())


def _confirmation(engine: Engine, version_id: int, kind: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO report_confirmation (report_version_id, party_kind, decision, by, at, note) "
                             "VALUES (:v, :k, 'confirmed', 'plt', :at, '')"), {"v": version_id, "k": kind, "at": AT})


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_0015_adds_the_report_tables_keeps_everything_and_goes_back_down(at_0014: Engine) -> None:
    engine = at_0014
    before = _counts(engine)
    assert before["request"] > 100 and before["practitioner"] > 100
    codes = _all(engine, "SELECT code, status, version FROM request ORDER BY code")
    with engine.connect() as conn:
        assert not set(NEW_TABLES) & set(sa.inspect(conn).get_table_names())

    upgrade(engine, "0015")

    assert current_revision(engine) == "0015"
    assert _counts(engine) == before
    assert _all(engine, "SELECT code, status, version FROM request ORDER BY code") == codes
    for table in NEW_TABLES:
        assert _all(engine, f"SELECT COUNT(*) FROM {table}") == [(0,)]
    v1 = _version(engine, 1)
    _version(engine, 1, scope="all", community=None)                    # the same quarter for all communities
    with pytest.raises(sa.exc.IntegrityError):                          # one version 1 per scope-quarter
        _version(engine, 1)
    with pytest.raises(sa.exc.IntegrityError):                          # a restatement needs its reason
        _version(engine, 2)
    with pytest.raises(sa.exc.IntegrityError):
        _version(engine, 0, reason="x")
    with pytest.raises(sa.exc.IntegrityError):                          # no such community
        _version(engine, 1, scope="c999", community=999)
    v2 = _version(engine, 2, reason="补录")
    _confirmation(engine, v1, "government")
    _confirmation(engine, v1, "platform")
    _confirmation(engine, v2, "government")
    with pytest.raises(sa.exc.IntegrityError):                          # once per party on a version
        _confirmation(engine, v1, "government")
    with engine.begin() as conn:                                        # a version's confirmations go with it
        conn.execute(sa.text("DELETE FROM report_version WHERE id = :id"), {"id": v1})
    assert _all(engine, "SELECT report_version_id, party_kind FROM report_confirmation") == [(v2, "government")]
    assert _all(engine, "SELECT scope_key, version FROM report_version ORDER BY id") == [("all", 1), ("c1", 2)]

    downgrade(engine, "0014")

    assert current_revision(engine) == "0014"
    with engine.connect() as conn:
        assert not set(NEW_TABLES) & set(sa.inspect(conn).get_table_names())
    assert _counts(engine) == before
    assert _all(engine, "SELECT code, status, version FROM request ORDER BY code") == codes
    upgrade(engine)                                                     # and up again to the head
    assert _all(engine, "SELECT COUNT(*) FROM report_version") == [(0,)]
