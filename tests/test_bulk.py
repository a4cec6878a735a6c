"""Bulk writes and code lookups on SQLite and PostgreSQL: what goes in is what comes out, in order, at any size."""

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import data_models
from dashboard.bulk import SQLITE_SORT_THREADS, STAGE_FROM, among, bulk_insert, bulk_insert_columns, sorting_threads
from tests import factories as f
from tests.conftest import own_demo_database

P = data_models.metadata.tables["practitioner"]
N = STAGE_FROM + 1_500          # enough rows to go through the staging table on SQLite


def _columns(community_id: int, n: int) -> dict[str, list]:
    return {
        "code": [f"P{i:05d}" for i in range(n)],
        "community_id": [community_id] * n,                                   # constant
        "name": [f"人{i % 7}" for i in range(n)],
        "gender": ["female"] * n,                                             # constant
        "birth_year": [1980 + i % 30 for i in range(n)],
        "phone": [None] * n,                                                  # constant NULL
        "education": ["junior_high"] * n, "hukou": ["rural"] * n, "employment_type": ["flexible_worker"] * n,
        "occupation": ["livestream_host"] * n, "daily_work_hours": [8.5] * n,
        "has_labour_contract": [i % 2 == 0 for i in range(n)], "has_pension": [True] * n,
        "has_injury_insurance": [False] * n, "monthly_income_cents": [300_050 + i for i in range(n)],
        "is_association_member": [False] * n, "strengths": [""] * n,
        "registered_on": [dt.date(2025, 1 + i % 12, 1).isoformat() for i in range(n)],
    }


def _stored(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(P.c.id, P.c.code, P.c.name, P.c.phone, P.c.has_labour_contract,
                                      P.c.has_pension, P.c.monthly_income_cents, P.c.registered_on,
                                      P.c.daily_work_hours).order_by(P.c.id)).all()
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("n", [10, N])
def test_columns_in_equal_rows_out_constant_columns_included(engine: Engine, n: int) -> None:
    with engine.begin() as conn:
        cid = f.community(conn)
        data = _columns(cid, n)
        assert bulk_insert_columns(conn, P, data) == n
    stored = _stored(engine)
    assert len(stored) == n
    first_id = stored[0][0]
    for i, (id_, code, name, phone, contract, pension, cents, day, hours) in enumerate(stored):
        assert id_ == first_id + i and code == data["code"][i]       # ids follow the order given
        assert (name, phone, bool(contract), bool(pension), cents, str(day), hours) == (
            data["name"][i], None, i % 2 == 0, True, 300_050 + i, data["registered_on"][i], 8.5)


def test_rows_and_columns_give_the_same_table(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = f.community(conn)
        data = _columns(cid, N)
        bulk_insert(conn, P, list(data), zip(*data.values(), strict=True))
    by_rows = _stored(engine)
    with engine.begin() as conn:
        conn.execute(P.delete())
        bulk_insert_columns(conn, P, data)
    assert [r[1:] for r in _stored(engine)] == [r[1:] for r in by_rows]


def test_a_refused_row_leaves_the_transaction_to_the_caller(engine: Engine) -> None:
    """A CHECK refusal in the staged move raises, the staging table is gone, and the caller's rollback holds."""
    with engine.begin() as conn:
        cid = f.community(conn)
    data = _columns(cid, N)
    data["birth_year"][N - 1] = 1800                      # outside the CHECK's 1900-2100
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        bulk_insert_columns(conn, P, data)
    assert _stored(engine) == []
    with engine.begin() as conn:                          # the staging table does not linger on the connection
        data["birth_year"][N - 1] = 1990
        assert bulk_insert_columns(conn, P, data) == N


def test_among_takes_more_codes_than_sqlite_binds(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = f.community(conn)
        bulk_insert_columns(conn, P, _columns(cid, 40))
        wanted = [f"P{i:05d}" for i in range(0, 40, 3)] + [f"X{i}" for i in range(40_000)]
        found = {code for (code,) in conn.execute(sa.select(P.c.code).where(among(conn, P.c.code, wanted)))}
        ids = list(conn.execute(sa.select(P.c.id).where(among(conn, P.c.code, ["P00001", "P00002"]))).scalars())
        by_id = conn.execute(sa.select(sa.func.count()).where(among(conn, P.c.id, ids))).scalar_one()
    assert found == {f"P{i:05d}" for i in range(0, 40, 3)} and by_id == 2


# --- the summaries' marks on a staged insert (SQLite drops its marking triggers for the move: bulk.SQLITE_INSERT_MARKS)

@pytest.fixture(scope="module")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    yield from own_demo_database("sqlite", tmp_path_factory)


DIRTY = ("need_stats_dirty", "training_stats_dirty")


def _gens(conn: sa.Connection) -> dict[tuple[str, int, str], int]:
    return {(d, c, q): g for d in DIRTY
            for c, q, g in conn.exec_driver_sql(f"SELECT community_id, quarter, gen FROM {d}")}


def _triggers(conn: sa.Connection) -> list[tuple[str, str]]:
    return [tuple(r) for r in conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")]


FIRST = "(SELECT min(id) FROM community)"
# Rows of the first community only, so that the other communities' pairs must stay as they were.
SUBSET = {"practitioner_group": f"practitioner_id IN (SELECT id FROM practitioner WHERE community_id = {FIRST})",
          "enrolment": f"community_id = {FIRST} AND id NOT IN (SELECT enrolment_id FROM training_followup)"}


def _fresh_rows(conn: sa.Connection, name: str) -> tuple[list[str], list[tuple]]:
    """Rows of `name` of the first community that can be inserted now: copies of the demo's under new codes, or,
    where a pair of ids is the key, the demo's own rows deleted first. Ids are left to the database."""
    table = data_models.metadata.tables[name]
    columns = [c.name for c in table.columns if c.name != "id"]
    listed = ", ".join(f'"{c}"' for c in columns)
    picked = f"FROM {name} WHERE {SUBSET.get(name, f'community_id = {FIRST}')}"
    rows = [tuple(r) for r in conn.exec_driver_sql(f"SELECT {listed} {picked}")]
    if name in ("enrolment", "training_followup", "practitioner_group"):
        conn.exec_driver_sql(f"DELETE {picked}")
    else:
        at = columns.index("code")
        rows = [(*r[:at], f"{r[at]}-copy", *r[at + 1:]) for r in rows]
    return columns, rows


WATCHED = ["practitioner", "need_assessment", "sale", "enrolment", "training_followup", "practitioner_group"]


@pytest.mark.parametrize("name", WATCHED)
def test_a_staged_insert_marks_what_the_row_triggers_mark(demo_sqlite: Engine, name: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The same rows, inserted with the triggers firing row by row and through the staging table (triggers
    dropped, the pairs marked once): the same pairs become dirty or have their mark moved, and the triggers are
    there afterwards as they were."""
    from dashboard import bulk

    table = data_models.metadata.tables[name]
    moved = {}
    for staged in (False, True):
        monkeypatch.setattr(bulk, "STAGE_FROM", 1 if staged else 10**9)
        with demo_sqlite.connect() as conn, conn.begin() as tx:
            columns, rows = _fresh_rows(conn, name)
            assert len(rows) > 10, name
            triggers, before = _triggers(conn), _gens(conn)
            assert bulk_insert(conn, table, columns, rows) == len(rows)
            after = _gens(conn)
            moved[staged] = {k for k, g in after.items() if before.get(k) != g}
            assert _triggers(conn) == triggers
            tx.rollback()
    assert moved[True] == moved[False] and moved[True], name
    with demo_sqlite.connect() as conn:
        first = conn.exec_driver_sql(f"SELECT {FIRST}").scalar_one()
    assert {community for _, community, _ in moved[True]} == {first}, name    # the others' pairs are left alone


def test_the_marks_named_are_the_schemas_triggers(demo_sqlite: Engine) -> None:
    """A trigger renamed or added by a migration is not silently left out: every AFTER INSERT trigger that marks a
    summary is named in SQLITE_INSERT_MARKS, and every name there is a trigger of the schema."""
    from dashboard.bulk import SQLITE_INSERT_MARKS

    with demo_sqlite.connect() as conn:
        marking = {n for n, sql in _triggers(conn) if "AFTER INSERT" in sql and "_stats_dirty" in sql}
    assert marking == set(SQLITE_INSERT_MARKS)


def test_a_refused_staged_insert_leaves_the_triggers(demo_sqlite: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The move fails on one row: nothing is added, the triggers are back, and the caller may go on."""
    from dashboard import bulk

    monkeypatch.setattr(bulk, "STAGE_FROM", 1)
    with demo_sqlite.connect() as conn, conn.begin() as tx:
        columns, rows = _fresh_rows(conn, "practitioner")
        rows[-1] = tuple(1800 if c == "birth_year" else v for c, v in zip(columns, rows[-1], strict=True))
        triggers, count = _triggers(conn), conn.execute(sa.select(sa.func.count()).select_from(P)).scalar()
        with pytest.raises(sa.exc.IntegrityError):
            bulk_insert(conn, P, columns, rows)
        assert _triggers(conn) == triggers
        assert conn.execute(sa.select(sa.func.count()).select_from(P)).scalar() == count
        tx.rollback()


def test_outside_a_transaction_the_row_triggers_mark(demo_sqlite: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """On an AUTOCOMMIT connection nothing is dropped (a DROP would commit on its own): the rows are in and marked
    by the triggers, and none of it waits for a COMMIT that nobody will send."""
    from dashboard import bulk

    monkeypatch.setattr(bulk, "STAGE_FROM", 1)
    with demo_sqlite.connect() as conn:
        with conn.begin() as tx:
            columns, rows = _fresh_rows(conn, "practitioner")
            before = _gens(conn)
            tx.rollback()
        auto = conn.execution_options(isolation_level="AUTOCOMMIT")
        assert bulk_insert(auto, P, columns, rows) == len(rows)
        assert not conn.connection.dbapi_connection.in_transaction
    with demo_sqlite.begin() as conn:
        added = conn.execute(sa.select(sa.func.count()).where(P.c.code.like("%-copy"))).scalar_one()
        moved = {k for k, g in _gens(conn).items() if before.get(k) != g}
        conn.execute(P.delete().where(P.c.code.like("%-copy")))
    assert added == len(rows) and moved


def test_an_error_after_the_move_still_marks_and_puts_the_triggers_back(demo_sqlite: Engine) -> None:
    """Whatever ends the block once rows are in (an interrupt, say), while the transaction is open the rows added are
    marked and the triggers are back: a caller that goes on and commits leaves nothing unmarked."""
    from dashboard.bulk import _marks_per_statement

    with demo_sqlite.connect() as conn, conn.begin() as tx:
        columns, rows = _fresh_rows(conn, "practitioner")
        triggers, before = _triggers(conn), _gens(conn)
        cur = conn.connection.dbapi_connection.cursor()
        cur.execute("DELETE FROM need_stats_dirty WHERE 0")     # the driver opens its transaction at a write
        with pytest.raises(KeyboardInterrupt), _marks_per_statement(conn, cur, P, columns):
            cur.executemany(f"INSERT INTO practitioner ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                            rows)
            assert _triggers(conn) != triggers             # dropped for the move
            raise KeyboardInterrupt
        assert _triggers(conn) == triggers
        community = conn.exec_driver_sql(f"SELECT {FIRST}").scalar_one()
        assert {k for k, g in _gens(conn).items() if before.get(k) != g} == {("need_stats_dirty", community, "*")}
        tx.rollback()


def test_sorting_threads_are_lent_for_the_block_and_set_back(tmp_path) -> None:
    """The seed's large sorts get SQLite's helper threads; the connection goes back to the pool as it was, so page
    views never sort with them; PostgreSQL is left alone."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'threads.db'}")
    with engine.connect() as conn:
        before = conn.exec_driver_sql("PRAGMA threads").scalar_one()
        assert before != SQLITE_SORT_THREADS
        with sorting_threads(conn):
            assert conn.exec_driver_sql("PRAGMA threads").scalar_one() == SQLITE_SORT_THREADS
        assert conn.exec_driver_sql("PRAGMA threads").scalar_one() == before
        with pytest.raises(RuntimeError), sorting_threads(conn):
            raise RuntimeError("a failed load")
        assert conn.exec_driver_sql("PRAGMA threads").scalar_one() == before
    engine.dispose()
