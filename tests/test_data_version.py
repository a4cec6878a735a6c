"""The data version (issue 18 item 3): every write of data moves it, on SQLite and PostgreSQL, whoever makes it (a
page's write, an import and its undo, the seed, SQL); reading, a sign-in and a page's recount of the summary tables
do not. On PostgreSQL, concurrent writers each move it, a bump is seen only once its transaction commits, and nothing
deadlocks."""

import secrets
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

import data_models
from dashboard import accounts, data_version, training_stats
from dashboard.excel import importer
from data_models import Community
from tests import factories as f
from tests.conftest import PG_URL, PgSchema
from tests.test_excel import GOOD, HEADER, workbook


def version(engine: Engine) -> int:
    with engine.connect() as conn:
        return data_version.current(conn)


def test_the_migrations_list_every_data_table() -> None:
    """A table added later must be added to the version's triggers (data_version.install in its migration)."""
    import importlib

    m = importlib.import_module("data_models.migrations.versions.0016_data_version")
    assert sorted(m.TABLES) == data_version.data_tables(data_models.metadata.tables)


def test_every_data_table_carries_the_trigger_on_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite bumps in the engine, not by triggers")
    with engine.connect() as conn:
        assert data_version.watched(conn) == set(data_version.data_tables(data_models.metadata.tables))


@pytest.mark.parametrize(("statement", "table"), [
    ('INSERT INTO "practitioner" (code) VALUES (?)', "practitioner"),
    ("INSERT OR IGNORE INTO sale VALUES (1)", "sale"),
    ("UPDATE need_assessment SET status = ?", "need_assessment"),
    ("DELETE FROM main.enrolment WHERE id = ?", "enrolment"),
    ("  replace into course VALUES (1)", "course"),
    ("INSERT INTO temp._bulk_stage VALUES (?)", None),
    ("SELECT * FROM practitioner", None),
    ("CREATE TABLE x (a)", None),
    ("WITH x AS (SELECT 1) SELECT * FROM x", None),
    ("WITH x AS (SELECT 1)\nUPDATE sale SET cost_cents = 0", data_version.UNKNOWN),
])
def test_written_table(statement: str, table: str | None) -> None:
    assert data_version.written_table(statement) == table


def test_a_write_moves_it_and_a_read_does_not(engine: Engine) -> None:
    start = version(engine)
    with Session(engine) as s:                      # as loaders.write runs a page's write
        s.add(Community(code="C1", name="一社区", kind="urban"))
        s.commit()
    after_write = version(engine)
    assert after_write > start
    with Session(engine) as s:
        s.execute(sa.select(Community)).all()
        s.commit()
    with engine.connect() as conn:
        training_stats.catch_up(engine, conn)       # a page's read may recount the summary tables
    assert version(engine) == after_write


def test_many_statements_in_one_transaction_move_it_once(engine: Engine) -> None:
    """PostgreSQL's trigger fires per statement but bumps once per transaction (an UPDATE per row, as executemany
    sends them, would otherwise stack a row version per statement); SQLite's engine bumps at the commit."""
    with engine.begin() as conn:
        cid = f.community(conn, "C1")
    start = version(engine)
    with engine.begin() as conn:
        for i in range(30):
            f.course(conn, cid, code=f"K{i}")
        conn.exec_driver_sql("UPDATE course SET hours = hours + 1")
    assert version(engine) == start + 1


def test_a_rolled_back_write_does_not_move_it(engine: Engine) -> None:
    start = version(engine)
    with Session(engine) as s:
        s.add(Community(code="C1", name="一社区", kind="urban"))
        s.flush()
        s.rollback()
    assert version(engine) == start


def test_an_import_and_its_undo_move_it(engine: Engine) -> None:
    with engine.begin() as conn:
        f.community(conn, "C1")
    before = version(engine)
    result = importer.import_file(engine, "practitioners", workbook([HEADER, GOOD]), "名单.xlsx", actor="社工")
    assert result.status == "committed"
    imported = version(engine)
    assert imported > before
    importer.undo_last(engine, "practitioners", actor="admin")
    assert version(engine) > imported


def test_sql_typed_by_hand_moves_it(engine: Engine) -> None:
    with engine.begin() as conn:
        f.community(conn, "C1")
    start = version(engine)
    if engine.dialect.name == "postgresql":
        # Not the app's engine: a bare connection, as psql would be; the database's triggers see it.
        bare = sa.create_engine(engine.url)
        with bare.begin() as conn:
            conn.exec_driver_sql("UPDATE community SET name = '改名' WHERE code = 'C1'")
        bare.dispose()
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE community SET name = '改名' WHERE code = 'C1'")
    assert version(engine) > start


def test_a_sign_in_does_not_move_it(engine: Engine) -> None:
    good, bad = secrets.token_urlsafe(16), secrets.token_urlsafe(16)     # no password written in the source
    with Session(engine) as s:
        accounts.create_user(s, username="wang", role="social_worker", actor="admin", password=good)
        s.commit()
    start = version(engine)
    accounts.login(engine, username="wang", password=good)
    with pytest.raises(Exception):  # noqa: B017  (a RuleError; the failure is audited)
        accounts.login(engine, username="wang", password=bad)
    accounts.record_event(engine, username="wang", action="logout")
    assert version(engine) == start


def test_the_seed_moves_it(demo_engine: Engine) -> None:
    assert version(demo_engine) > 0


def test_a_reset_seed_moves_it_forward_never_back(engine: Engine) -> None:
    """A reset wipes the demo tables: the stamp is not demo data, or the version would fall back below what an idle
    app server last saw and, once it climbed back, that server would keep its cached figures from before."""
    from seed import load_demo
    load_demo(engine, "demo")
    for n in range(5):                              # writes after the seed, as days of use
        with Session(engine) as s:
            s.add(Community(code=f"X{n}", name=f"社区{n}", kind="urban"))
            s.commit()
    before = version(engine)
    load_demo(engine, "demo", reset=True)
    assert version(engine) > before


@pytest.mark.skipif(PG_URL is None, reason="no PostgreSQL reachable")
def test_postgresql_concurrent_writers_each_move_it_and_never_deadlock() -> None:
    """Writers on many connections at once, each transaction writing two tables in an order opposite to its
    neighbour's: no writer waits for another on the version, none deadlocks, and every transaction's bump is
    counted. A bump is invisible to other connections until its transaction commits."""
    from dashboard.db import init_database

    schema = PgSchema()
    engine = init_database(schema.url)
    try:
        with engine.begin() as conn:
            cid = f.community(conn, "C1")
        start = version(engine)

        # Invisible until committed, so a reader never reloads the old data under the new version.
        with engine.connect() as writer:
            tx = writer.begin()
            writer.exec_driver_sql("UPDATE community SET name = 'x'")
            assert version(engine) == start
            tx.commit()
        assert version(engine) == start + 1
        start += 1

        threads, per_thread = 6, 15
        barrier = threading.Barrier(threads)
        errors: list[BaseException] = []

        def work(i: int) -> None:
            try:
                barrier.wait()
                for k in range(per_thread):
                    with engine.begin() as conn:
                        for table in (("practitioner", "course") if i % 2 else ("course", "practitioner")):
                            make = f.practitioner if table == "practitioner" else f.course
                            make(conn, cid, code=f"{table[0]}{i}-{k}")
                        conn.exec_driver_sql("SELECT pg_sleep(0.002)")   # hold the transaction open a moment
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=120)
        assert not any(w.is_alive() for w in workers), "a writer hung"
        assert errors == []
        assert version(engine) == start + threads * per_thread      # once per transaction
    finally:
        engine.dispose()
        schema.drop()


def test_sqlite_before_0016_writes_without_a_stamp(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A database migrated only part of the way (as the migration tests make) still takes writes."""
    from dashboard.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0015")
    with engine.begin() as conn:
        f.community(conn, "C1")
    upgrade(engine)
    with engine.begin() as conn:
        f.community(conn, "C2")
    assert version(engine) >= 1
    engine.dispose()
