"""Fixtures: every database test runs on SQLite (a file) and on PostgreSQL where one is reachable.

TEST_DATABASE_URL names the PostgreSQL server; without it the local default is tried and, if it does not
answer, the PostgreSQL half is skipped. DASHBOARD_REQUIRE_POSTGRES=1 (set in CI) turns that skip into a failure.
"""

import gc
import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import data_models
from dashboard.db import init_database, normalise_url
from dashboard.i18n import set_language
from dashboard.settings import get_settings
from data_models import guards

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def worker_database(url: str, worker: str) -> str:
    """Under pytest-xdist, worker `gw1` works in its own database `<name>_gw1` on the same server (created here when
    missing, from template0). Advisory locks are one per database, so one worker's audit append or catch-up never
    waits on another's; the throwaway schemas inside it are as without xdist."""
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            if conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
                try:
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
                except sa.exc.ProgrammingError as exc:     # another run on this server made it meanwhile
                    if "already exists" not in str(exc.orig):
                        raise
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def postgres_url() -> str | None:
    """The PostgreSQL server for tests, or None if none answers (a failure instead when it is required)."""
    url = normalise_url(os.environ.get("TEST_DATABASE_URL") or PG_DEFAULT)
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:
        if os.environ.get("DASHBOARD_REQUIRE_POSTGRES") == "1":
            raise RuntimeError(f"PostgreSQL required but not reachable at {url}: {exc}") from exc
        return None
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    # The server answers: a failure to make the worker's database is its own error, not "no PostgreSQL".
    return worker_database(url, worker) if worker else url


PG_URL = postgres_url()
# Appended to a query of pg_locks (which shows the whole server): only the sessions on this test's database, so
# another xdist worker's waits are not taken for this test's.
IN_THIS_DATABASE = "AND pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(PG_URL is None,
                                                                         reason="no PostgreSQL reachable"))]


class PgSchema:
    """A throwaway schema on the test server, so tests never touch anything else in that database."""

    def __init__(self) -> None:
        assert PG_URL is not None
        self.name = f"t_{uuid.uuid4().hex[:12]}"
        # No pool: a schema lives until the session ends, and an idle connection kept for each of them (times three
        # xdist workers) ran the server out of its 100 connections.
        self.admin = sa.create_engine(PG_URL, poolclass=sa.pool.NullPool)
        with self.admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{self.name}"'))
        self.url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{self.name}"

    def drop(self) -> None:
        with self.admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{self.name}" CASCADE'))
        self.admin.dispose()


def fresh_url(backend: str, tmp_path_factory: pytest.TempPathFactory, cleanups: list) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    schema = PgSchema()
    cleanups.append(schema.drop)
    return schema.url


@pytest.fixture(scope="session")
def _cleanups() -> Iterator[list]:
    todo: list = []
    yield todo
    for fn in todo:
        fn()


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                    _cleanups: list) -> Iterator[Engine]:
    engine = init_database(fresh_url(request.param, tmp_path_factory, _cleanups))
    yield engine
    engine.dispose()


# The schema's sequences back at their start, as TRUNCATE ... RESTART IDENTITY would set them: one statement.
RESTART_SEQUENCES = ("SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s JOIN pg_class c "
                     "ON c.oid = s.seqrelid WHERE c.relnamespace = current_schema()::regnamespace")


def wipe(engine: Engine) -> None:
    """Empty every table and restart the ids. On PostgreSQL only the tables holding rows are truncated (found in one
    statement): a TRUNCATE of all ~80 tables took 100-190 ms, twice for each of the ~1,500 database tests there."""
    tables = [t for t in reversed(data_models.metadata.sorted_tables)]
    with engine.begin() as conn, guards.suspended(conn):   # TRUNCATE is refused too while a run is approved
        if conn.dialect.name == "postgresql":
            quote = conn.dialect.identifier_preparer.format_table
            # First wait for any writer still open on them (as the TRUNCATE of all did), so its rows are seen.
            conn.execute(sa.text(f"LOCK TABLE {', '.join(quote(t) for t in tables)} IN SHARE MODE"))
            probe = " UNION ALL ".join(f"SELECT {i} WHERE EXISTS (SELECT 1 FROM {quote(t)})"
                                       for i, t in enumerate(tables))
            holding = [tables[int(i)] for (i,) in conn.execute(sa.text(probe))]
            if holding:
                conn.execute(sa.text(f"TRUNCATE {', '.join(quote(t) for t in holding)} CASCADE"))
            conn.execute(sa.text(RESTART_SEQUENCES))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def engine(migrated_engine: Engine) -> Iterator[Engine]:
    """An empty, migrated database on each backend; emptied again after the test."""
    wipe(migrated_engine)
    yield migrated_engine
    wipe(migrated_engine)


@pytest.fixture(scope="session", params=BACKENDS)
def demo_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                _cleanups: list) -> Iterator[Engine]:
    """A database holding the demo scale, shared read-only by the tests that read it."""
    from seed import load_demo

    engine = init_database(fresh_url(request.param, tmp_path_factory, _cleanups))
    load_demo(engine, "demo")
    yield engine
    engine.dispose()


def own_demo_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database of its own holding the demo seed, for a module whose tests write to it in order (a module-scoped
    fixture yields from this)."""
    from seed import load_demo

    cleanups: list = []
    engine = init_database(fresh_url(backend, tmp_path_factory, cleanups))
    load_demo(engine, "demo")
    yield engine
    engine.dispose()
    for fn in cleanups:
        fn()


@pytest.fixture
def fresh_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                       _cleanups: list) -> str:
    """The URL of a database that does not exist yet (SQLite) or an empty schema (PostgreSQL)."""
    return fresh_url(request.param, tmp_path_factory, _cleanups)


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
    set_language("zh")      # a test that switched to English must not leave the next one reading English


@pytest.fixture(autouse=True, scope="module")
def _close_dropped_engines() -> Iterator[None]:
    """After each module, collect the engines its tests let go: an engine in a reference cycle keeps its pooled
    connections open until the garbage collector finds it, and three xdist workers' worth of those ran the
    PostgreSQL server out of its 100 connections."""
    yield
    gc.collect()
