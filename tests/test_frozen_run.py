"""An approved distribution run cannot be changed by raw SQL either: the holes of issue 11 item 11, on both databases.

Each statement below goes past every Python check straight to the database; the triggers of data_models/guards.py
(migration 0007) must refuse it with their own message, and the run must stay exactly as it was.
"""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.db import alembic_config, make_engine, upgrade
from dashboard.services import distribution as dist
from data_models import guards
from tests import factories as f
from tests.conftest import BACKENDS

COLUMNS = ("id, code, cooperative_id, split_id, period, period_start, period_end, basis, status, revenue_cents, "
           "cost_cents, profit_cents, carried_loss_cents, help_fund_cents, member_pool_cents, cooperative_pool_cents, "
           "public_fund_cents, replaces_run_id, created_at, created_by, approved_at, approved_by")
# A copy of run :src as a new row (new id and code unless given); `{status}` and `{cents}` pick what differs.
COPY_RUN = ("INSERT {verb} INTO distribution_run (" + COLUMNS + ") SELECT {id}, {code}, cooperative_id, split_id, "
            "period, period_start, period_end, basis, {status}, revenue_cents, cost_cents, profit_cents, "
            "carried_loss_cents, help_fund_cents, member_pool_cents + {cents}, cooperative_pool_cents, "
            "public_fund_cents, replaces_run_id, created_at, created_by, approved_at, approved_by "
            "FROM distribution_run WHERE id = :src")


@pytest.fixture
def runs(engine: Engine) -> dict[str, int]:
    """COOP1: the 2025-07 run approved (lines for M1, M2); the 2025-08 run a draft with a line for M3 too, who
    joined after July was approved."""
    with engine.begin() as conn:
        c = f.community(conn)
        k = f.cooperative(conn, c, "COOP1")
        f.split(conn, k)
        m1 = f.member(conn, k, "M1")
        m2 = f.member(conn, k, "M2")
        f.sale(conn, k, c, "S1", member_id=m1, revenue_cents=50_000, cost_cents=30_000)
        f.sale(conn, k, c, "S2", member_id=m2, revenue_cents=30_000, cost_cents=20_000)
    with Session(engine) as s:
        approved = dist.compute(s, cooperative_code="COOP1", period="2025-07", actor="manager")
        dist.approve(s, run_code=approved.code, actor="chair")
        s.commit()
        approved_id = approved.id
    with engine.begin() as conn:
        m3 = f.member(conn, k, "M3")
        f.sale(conn, k, c, "S3", member_id=m3, revenue_cents=40_000, cost_cents=10_000, sold_on=f.D(2025, 8, 2),
               month="2025-08")
    with Session(engine) as s:
        draft = dist.compute(s, cooperative_code="COOP1", period="2025-08", actor="manager")
        s.commit()
        draft_id = draft.id
    assert approved_id is not None and draft_id is not None
    return {"approved": approved_id, "draft": draft_id, "m3": m3, "community": c, "coop": k}


def snapshot(engine: Engine) -> tuple[list, list]:
    with engine.connect() as conn:
        run_rows = conn.execute(sa.text("SELECT * FROM distribution_run ORDER BY id")).all()
        line_rows = conn.execute(sa.text("SELECT * FROM distribution_line ORDER BY id")).all()
    return [tuple(r) for r in run_rows], [tuple(r) for r in line_rows]


def refused(engine: Engine, sql: str, **params: int) -> None:
    """The statement fails with the guard's own message, and nothing about any run or line changed."""
    before = snapshot(engine)
    with pytest.raises(sa.exc.IntegrityError) as error, engine.begin() as conn:
        conn.execute(sa.text(sql), params)
    assert guards.MESSAGE in str(error.value)
    assert snapshot(engine) == before


def test_a_draft_line_cannot_be_moved_into_an_approved_run(engine: Engine, runs: dict[str, int]) -> None:
    refused(engine, "UPDATE distribution_line SET run_id = :approved WHERE run_id = :draft AND member_id = :m3",
            approved=runs["approved"], draft=runs["draft"], m3=runs["m3"])
    with engine.begin() as conn:   # lines still move between drafts and change inside a draft
        conn.execute(sa.text("UPDATE distribution_line SET amount_cents = amount_cents WHERE run_id = :draft"),
                     {"draft": runs["draft"]})


def test_an_approved_line_cannot_be_moved_out_either(engine: Engine, runs: dict[str, int]) -> None:
    refused(engine, "UPDATE distribution_line SET run_id = :draft WHERE run_id = :approved AND member_id = "
            "(SELECT MIN(member_id) FROM distribution_line WHERE run_id = :approved)",
            approved=runs["approved"], draft=runs["draft"])


@pytest.mark.parametrize("status", ["approved", "reversed"])
def test_a_run_cannot_be_inserted_already_frozen(engine: Engine, runs: dict[str, int], status: str) -> None:
    refused(engine, COPY_RUN.format(verb="", id="id + 100", code="code || '-copy'", status=f"'{status}'", cents=0),
            src=runs["approved"])


def test_a_draft_can_still_be_inserted_and_approved_by_sql(engine: Engine, runs: dict[str, int]) -> None:
    """The refusal is about frozen runs only: the service's own way (insert a draft, then approve it) still works."""
    with engine.begin() as conn:
        conn.execute(sa.text(COPY_RUN.format(verb="", id="id + 100", code="code || '-copy'", status="'draft'",
                                             cents=0)), {"src": runs["draft"]})
        conn.execute(sa.text("UPDATE distribution_run SET status = 'approved', approved_at = created_at, "
                             "approved_by = 'chair' WHERE id = :id"),
                     {"id": runs["draft"] + 100})


@pytest.mark.parametrize("key", ["id", "code"])
def test_replacing_an_approved_run_is_refused(engine: Engine, runs: dict[str, int], key: str) -> None:
    """SQLite's INSERT OR REPLACE deletes the conflicting row without firing its DELETE trigger; PostgreSQL's
    upsert is its nearest equivalent. A conflict on the id or on the code must not replace a frozen run."""
    new_id, new_code = ("id", "code || '-x'") if key == "id" else ("id + 100", "code")
    if engine.dialect.name == "sqlite":
        sql = COPY_RUN.format(verb="OR REPLACE", id=new_id, code=new_code, status="'draft'", cents=1)
    else:
        sql = (COPY_RUN.format(verb="", id=new_id, code=new_code, status="'draft'", cents=1)
               + f" ON CONFLICT ({key}) DO UPDATE SET status = EXCLUDED.status,"
               " member_pool_cents = EXCLUDED.member_pool_cents")
    refused(engine, sql, src=runs["approved"])


def test_replacing_an_approved_line_is_refused(engine: Engine, runs: dict[str, int]) -> None:
    """A line of the draft written over a line of the approved run by its id."""
    take = "(SELECT MIN(id) FROM distribution_line WHERE run_id = :approved)"
    values = (f"SELECT {take}, :draft, member_id, basis_value, amount_cents + 1, rounding_adjustment_cents "
              "FROM distribution_line WHERE run_id = :draft AND member_id = :m3")
    cols = "(id, run_id, member_id, basis_value, amount_cents, rounding_adjustment_cents)"
    if engine.dialect.name == "sqlite":
        sql = f"INSERT OR REPLACE INTO distribution_line {cols} {values}"
    else:
        sql = (f"INSERT INTO distribution_line {cols} {values} ON CONFLICT (id) DO UPDATE SET "
               "run_id = EXCLUDED.run_id, amount_cents = EXCLUDED.amount_cents")
    refused(engine, sql, approved=runs["approved"], draft=runs["draft"], m3=runs["m3"])


@pytest.mark.parametrize("sql", [
    "UPDATE OR REPLACE distribution_run SET code = (SELECT code FROM distribution_run WHERE id = :approved) "
    "WHERE id = :draft",
    "UPDATE OR REPLACE distribution_line SET id = (SELECT MIN(id) FROM distribution_line WHERE run_id = :approved) "
    "WHERE run_id = :draft AND member_id = :m3",
], ids=["run-by-code", "line-by-id"])
def test_sqlite_update_or_replace_over_a_frozen_row_is_refused(engine: Engine, runs: dict[str, int], sql: str) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("OR REPLACE is SQLite's; on PostgreSQL the same statement is a unique violation")
    refused(engine, sql, approved=runs["approved"], draft=runs["draft"], m3=runs["m3"])


@pytest.mark.parametrize("table", ["distribution_line", "distribution_run CASCADE", "cooperative CASCADE"])
def test_truncate_is_refused_while_a_run_is_frozen(engine: Engine, runs: dict[str, int], table: str) -> None:
    """PostgreSQL's TRUNCATE fires no row trigger; SQLite has none, and its DELETE without WHERE fires them."""
    if engine.dialect.name == "sqlite":
        if table.startswith("cooperative"):
            pytest.skip("SQLite has no TRUNCATE ... CASCADE; a cooperative with runs cannot be deleted")
        refused(engine, f"DELETE FROM {table.split()[0]}")
    else:
        refused(engine, f"TRUNCATE {table}")


def test_truncate_works_when_every_run_is_a_draft(engine: Engine, runs: dict[str, int]) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    with engine.begin() as conn, guards.suspended(conn):
        conn.execute(sa.text("DELETE FROM distribution_line WHERE run_id = :id"), {"id": runs["approved"]})
        conn.execute(sa.text("DELETE FROM distribution_run WHERE id = :id"), {"id": runs["approved"]})
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE distribution_line, distribution_run"))
        assert f.count(conn, "distribution_run") == 0


def test_a_wipe_under_suspended_guards_restores_them(engine: Engine, runs: dict[str, int]) -> None:
    """The tests' wipe (TRUNCATE on PostgreSQL) lifts the guard inside its own transaction and puts it back."""
    from tests.conftest import wipe

    wipe(engine)
    with engine.connect() as conn:
        assert f.count(conn, "distribution_run") == 0
    with engine.begin() as conn:
        c = f.community(conn)
        k = f.cooperative(conn, c, "COOP1")
        s = f.split(conn, k)
    with pytest.raises(sa.exc.IntegrityError) as error, engine.begin() as conn:
        f.insert(conn, "distribution_run", code="R1", cooperative_id=k, split_id=s, period="2025-07",
                 period_start=f.D(2025, 7, 1), period_end=f.D(2025, 7, 31), basis="revenue", status="approved",
                 revenue_cents=0, cost_cents=0, profit_cents=0, carried_loss_cents=0, help_fund_cents=0,
                 member_pool_cents=0, cooperative_pool_cents=0, public_fund_cents=0, created_by="x",
                 created_at=sa.func.now(), approved_at=sa.func.now(), approved_by="y")
    assert guards.MESSAGE in str(error.value)


@pytest.fixture
def at_0006(fresh_database_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_database_url)
    upgrade(engine, "0006")
    yield engine
    engine.dispose()


def _frozen_insert_allowed(engine: Engine) -> bool:
    try:
        with engine.begin() as conn:
            c = f.community(conn)
            k = f.cooperative(conn, c, "COOP1")
            s = f.split(conn, k)
            f.insert(conn, "distribution_run", code="R1", cooperative_id=k, split_id=s, period="2025-07",
                     period_start=f.D(2025, 7, 1), period_end=f.D(2025, 7, 31), basis="revenue", status="approved",
                     revenue_cents=0, cost_cents=0, profit_cents=0, carried_loss_cents=0, help_fund_cents=0,
                     member_pool_cents=0, cooperative_pool_cents=0, public_fund_cents=0, created_by="x",
                     created_at=sa.func.now(), approved_at=sa.func.now(), approved_by="y")
            raise _Probe(True)
    except _Probe:
        return True     # rolled back either way
    except sa.exc.IntegrityError:
        return False


class _Probe(Exception):
    pass


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_0007_closes_the_holes_and_its_downgrade_restores_the_old_guards(at_0006: Engine) -> None:
    engine = at_0006
    assert _frozen_insert_allowed(engine)          # the hole at 0006
    upgrade(engine, "0007")
    assert not _frozen_insert_allowed(engine)
    with engine.begin() as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    assert _frozen_insert_allowed(engine)          # exactly the old definitions again
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            names = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars())
        else:
            names = set(conn.execute(sa.text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND "
                                             "tgrelid::regclass::text LIKE 'distribution_%'")).scalars())
    old = {"trg_distribution_run_update", "trg_distribution_run_delete", "trg_distribution_line_insert",
           "trg_distribution_line_update", "trg_distribution_line_delete"} if engine.dialect.name == "sqlite" \
        else {"trg_distribution_run_guard", "trg_distribution_line_guard"}
    assert names == old
    upgrade(engine, "head")
    assert not _frozen_insert_allowed(engine)
