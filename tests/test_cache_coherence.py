"""Cached figures that agree across app servers (issue 18 item 3), as plain functions of the Streamlit-aware loaders
(bare mode): a write made elsewhere (another server, the CLI, SQL) drops this process's cached results at the next
check, a read does not; and DATABASE_READ_URL sends the cached reads to a second database while writes, and the
version, stay on the primary."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
import streamlit as st
from sqlalchemy.engine import Engine

from dashboard import loaders
from dashboard.access import Action
from dashboard.accounts import Principal
from dashboard.db import init_database
from data_models.enums import Role
from tests import factories as f
from tests.apptest_helpers import clear_caches
from tests.conftest import fresh_url


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def app_on(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The loaders on the test database, as an app server's process has them."""
    monkeypatch.setenv("DATABASE_URL", url_of(engine))
    monkeypatch.delenv("DATABASE_READ_URL", raising=False)
    monkeypatch.setenv("DASHBOARD_CACHE_TTL_SECONDS", "3600")
    clear_caches()
    with engine.begin() as conn:
        f.community(conn, "C1", name="一社区")
    yield engine
    clear_caches()


def names() -> list[str]:
    return sorted(loaders.load_communities()["name"])


def test_a_write_elsewhere_drops_the_cached_figures_at_the_next_check(app_on: Engine) -> None:
    loaders.drop_stale_caches()                 # the process's first look
    assert names() == ["一社区"]
    other_server = sa.create_engine(app_on.url)  # not this process's engine: another app server, the CLI, psql
    with other_server.begin() as conn:
        conn.execute(sa.text("UPDATE community SET name = '改名社区' WHERE code = 'C1'"))
    other_server.dispose()
    if app_on.dialect.name == "sqlite":         # SQLite bumps in the app's engines, not by triggers: as the CLI does
        with loaders.get_engine().begin() as conn:
            conn.execute(sa.text("UPDATE community SET kind = kind WHERE code = 'C1'"))
    assert names() == ["一社区"]                 # still cached: the TTL is an hour
    assert loaders.drop_stale_caches() is True
    assert names() == ["改名社区"]


def test_nothing_is_dropped_while_nothing_was_written(app_on: Engine) -> None:
    loaders.drop_stale_caches()
    names()
    assert loaders.drop_stale_caches() is False
    loaders.load_communities()
    assert loaders.drop_stale_caches() is False


@pytest.fixture
def replica(app_on: Engine, tmp_path_factory: pytest.TempPathFactory,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A second database standing in for a read replica, holding other data than the primary."""
    cleanups: list = []
    second = init_database(fresh_url(app_on.dialect.name, tmp_path_factory, cleanups))
    with second.begin() as conn:
        f.community(conn, "R1", name="副本社区")
    monkeypatch.setenv("DATABASE_READ_URL", url_of(second))
    clear_caches()
    yield second
    second.dispose()
    for fn in cleanups:
        fn()


def test_the_loaders_read_the_replica_and_writes_go_to_the_primary(app_on: Engine, replica: Engine) -> None:
    st.session_state["principal"] = Principal("admin", Role.admin)
    try:
        assert names() == ["副本社区"]
        loaders.write(lambda session: f.community(session.connection(), "C2", name="新社区"),
                      permission=Action.need_write)
        with app_on.connect() as conn:
            assert sorted(conn.execute(sa.text("SELECT code FROM community")).scalars()) == ["C1", "C2"]
        with replica.connect() as conn:
            assert list(conn.execute(sa.text("SELECT code FROM community")).scalars()) == ["R1"]
        assert names() == ["副本社区"]
    finally:
        del st.session_state["principal"]


def test_without_a_read_url_the_loaders_read_the_primary(app_on: Engine) -> None:
    assert loaders.read_engine() is loaders.get_engine()
    assert names() == ["一社区"]


def test_while_the_replica_lags_every_check_drops_the_caches(app_on: Engine, replica: Engine) -> None:
    def set_version(engine: Engine, n: int) -> None:
        bare = sa.create_engine(engine.url)     # writing the stamp itself moves nothing
        with bare.begin() as conn:
            conn.execute(sa.text("DELETE FROM data_version"))
            conn.execute(sa.text("INSERT INTO data_version (slot, n) VALUES (0, :n)"), {"n": n})
        bare.dispose()

    set_version(app_on, 7)
    set_version(replica, 6)                     # the replica has not replayed the primary's last write yet
    loaders.drop_stale_caches()
    assert loaders.drop_stale_caches() is True
    assert loaders.drop_stale_caches() is True
    set_version(replica, 7)                     # caught up
    loaders.drop_stale_caches()
    assert loaders.drop_stale_caches() is False


def test_a_read_on_the_replica_recounts_the_training_summary_on_the_primary(app_on: Engine, replica: Engine) -> None:
    """training_stats.catch_up, which a page's read calls with the read engine, writes on the primary (a replica is
    read-only)."""
    from dashboard import db, training_stats

    reader = loaders.read_engine()
    assert reader is not loaders.get_engine() and db.primary_of(reader) is loaders.get_engine()
    with app_on.begin() as conn:
        cid = conn.execute(sa.text("SELECT id FROM community WHERE code = 'C1'")).scalar_one()
        pid, kid = f.practitioner(conn, cid), f.course(conn, cid)
        f.enrolment(conn, kid, pid, cid)
    assert training_stats.catch_up(reader) is True
    with app_on.connect() as conn:
        assert training_stats.dirty(conn) == []
    with replica.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM training_stats")).scalar_one() == 0


def _version(engine: Engine) -> int:
    from dashboard import data_version

    with engine.connect() as conn:
        return data_version.current(conn)


def _write_need_and_enrolment(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = conn.execute(sa.text("SELECT id FROM community WHERE code = 'C1'")).scalar_one()
        pid, kid = f.practitioner(conn, cid), f.course(conn, cid)
        f.enrolment(conn, kid, pid, cid)
        f.need(conn, pid, cid)


def test_a_recount_for_a_page_read_on_a_replica_moves_the_version(app_on: Engine, replica: Engine) -> None:
    """The recount commits on the primary; the page then reads the summary on the replica, which may not have it yet.
    A recount moves the data version, so what the page cached from the replica is dropped at the next check, and
    again at each check until the replica has replayed it (as for any write), instead of being kept until the TTL."""
    from dashboard import need_stats, training_stats

    reader = loaders.read_engine()
    _write_need_and_enrolment(app_on)
    before = _version(app_on)
    assert need_stats.catch_up(reader) is True
    after_needs = _version(app_on)
    assert after_needs > before
    assert training_stats.catch_up(reader) is True
    assert _version(app_on) > after_needs
    settled = _version(app_on)
    assert need_stats.catch_up(reader) is True and training_stats.catch_up(reader) is True
    assert _version(app_on) == settled                  # nothing recounted: nothing moved


def test_without_a_replica_a_recount_does_not_move_the_version(app_on: Engine) -> None:
    """On one database the page reads the recount it just made: moving the version would only drop every cache."""
    from dashboard import need_stats, training_stats

    _write_need_and_enrolment(app_on)
    before = _version(app_on)
    assert need_stats.catch_up(app_on) is True and training_stats.catch_up(app_on) is True
    with app_on.connect() as conn:
        assert need_stats.dirty(conn) == [] and training_stats.dirty(conn) == []
    assert _version(app_on) == before


def test_the_training_income_loader_through_a_replica_moves_the_version(app_on: Engine, replica: Engine) -> None:
    """load_income_reported read through the replica but caught up with the primary's engine: its recount moved
    nothing, and the section kept what it read on the replica before the recount arrived there (the review)."""
    import datetime as dt

    from dashboard import loaders_training
    from dashboard.queries import Scope

    _write_need_and_enrolment(app_on)
    with app_on.connect() as conn:
        marks = conn.execute(sa.text("SELECT community_id, quarter FROM training_stats_dirty")).all()
    assert marks
    bare = sa.create_engine(replica.url)            # the marks replicated, as a streaming replica has them
    with bare.begin() as conn:
        for c, q in marks:
            conn.execute(sa.text("INSERT INTO training_stats_dirty (community_id, quarter, gen) VALUES (:c, :q, 1)"),
                         {"c": c, "q": q})
    bare.dispose()
    before = _version(app_on)
    loaders_training.load_income_reported(Scope(None, "2026Q3"), dt.date(2026, 10, 1))
    assert _version(app_on) > before


def test_a_read_that_began_before_a_write_is_not_kept_after_it(app_on: Engine,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A loader reads the old figures, a write commits and drops the caches, and only then does the loader store what
    it read: the next rerun must not be served those figures (they would stay until the TTL, an hour here)."""
    import threading

    from dashboard.queries import common

    read, release = threading.Event(), threading.Event()
    communities = common.communities

    def slow(session):  # type: ignore[no-untyped-def]
        frame = communities(session)
        if threading.current_thread().name == "before-the-write":
            read.set()                          # the old figures are read ...
            release.wait(10)                    # ... and stored only after the write's clear
        return frame

    monkeypatch.setattr(common, "communities", slow)
    loaders.drop_stale_caches()
    got = []
    reader = threading.Thread(target=lambda: got.append(names()), name="before-the-write")
    reader.start()
    assert read.wait(10)
    st.session_state["principal"] = Principal("admin", Role.admin)
    try:
        loaders.write(lambda session: session.connection().execute(
            sa.text("UPDATE community SET name = '改名社区' WHERE code = 'C1'")), permission=Action.need_write)
    finally:
        del st.session_state["principal"]
    release.set()
    reader.join(10)
    assert got == [["一社区"]]                        # it did read the old name
    assert names() == ["改名社区"]
