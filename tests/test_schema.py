"""The schema: the migration matches the models, and the database itself rejects rows the domain forbids."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

import data_models
from dashboard.db import alembic_config, current_revision
from tests import factories as f

D = f.D


def head_revision() -> str:
    """The newest migration's id: a test of "migrated to the end" need not change with every migration."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def test_migration_builds_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, data_models.metadata) == []
    assert current_revision(engine) == head_revision()


@pytest.fixture
def base(engine: Engine) -> dict[str, int]:
    """One valid row of each parent table; each case below then breaks one rule."""
    with engine.begin() as conn:
        c = f.community(conn)
        p = f.practitioner(conn, c)
        k = f.course(conn, c)
        coop = f.cooperative(conn, c)
        s = f.livestream(conn, c)
        m = f.meeting(conn, c)
        gov = f.party(conn, c)
    return {"c": c, "p": p, "k": k, "coop": coop, "s": s, "m": m, "gov": gov}


Case = Callable[[Connection, dict[str, int]], Any]
BAD_ROWS: list[tuple[str, Case]] = [
    ("work hours over 24", lambda cn, b: f.practitioner(cn, b["c"], "P2", daily_work_hours=25)),
    ("negative income", lambda cn, b: f.practitioner(cn, b["c"], "P2", monthly_income_cents=-1)),
    ("birth year out of range", lambda cn, b: f.practitioner(cn, b["c"], "P2", birth_year=1800)),
    ("community that does not exist", lambda cn, b: f.practitioner(cn, 999, "P2")),
    ("practitioner code twice", lambda cn, b: f.practitioner(cn, b["c"], "P1")),
    ("practitioner without a name", lambda cn, b: f.practitioner(cn, b["c"], "P2", name=None)),
    ("satisfaction 6", lambda cn, b: f.need(cn, b["p"], b["c"], satisfaction=6)),
    ("closed without feedback", lambda cn, b: f.need(
        cn, b["p"], b["c"], status="closed", assessed_on=D(2025, 7, 2), responded_on=D(2025, 7, 3),
        closed_on=D(2025, 7, 9))),
    ("assessed before identified", lambda cn, b: f.need(cn, b["p"], b["c"], assessed_on=D(2025, 6, 1))),
    ("certified without completing", lambda cn, b: f.enrolment(
        cn, b["k"], b["p"], b["c"], completed=False, certified=True)),
    ("completed without attending", lambda cn, b: f.enrolment(
        cn, b["k"], b["p"], b["c"], attended=False, completed=True)),
    ("post score 101", lambda cn, b: f.enrolment(cn, b["k"], b["p"], b["c"], post_score=101)),
    ("course ends before it starts", lambda cn, b: f.course(cn, b["c"], "K2", end_date=D(2025, 6, 1))),
    ("course of zero hours", lambda cn, b: f.course(cn, b["c"], "K2", hours=0)),
    ("shares total 90%", lambda cn, b: f.split(cn, b["coop"], member_bp=6000)),
    ("negative share", lambda cn, b: f.split(cn, b["coop"], member_bp=8100, public_fund_bp=-100)),
    ("profit help fund beyond 100%", lambda cn, b: f.split(
        cn, b["coop"], help_fund_basis="profit", help_fund_bp=1500)),
    ("help fund share without a basis", lambda cn, b: f.split(cn, b["coop"], help_fund_bp=500)),
    ("negative revenue", lambda cn, b: f.sale(cn, b["coop"], b["c"], revenue_cents=-1)),
    ("negative cost", lambda cn, b: f.sale(cn, b["coop"], b["c"], cost_cents=-5)),
    ("zero quantity", lambda cn, b: f.sale(cn, b["coop"], b["c"], quantity=0)),
    ("negative viewers", lambda cn, b: f.livestream(cn, b["c"], "L2", viewers=-1)),
    ("deadline before raised", lambda cn, b: f.request(cn, b["s"], b["c"], deadline=D(2025, 7, 1))),
    ("due before created", lambda cn, b: f.action(cn, b["m"], b["gov"], due_on=D(2025, 8, 1))),
    ("done without a date", lambda cn, b: f.action(cn, b["m"], b["gov"], status="done")),
    ("agenda item of zero minutes", lambda cn, b: f.insert(
        cn, "agenda_item", code="A1", meeting_id=b["m"], order_no=1, title="x", minutes=0, source="manual")),
    ("fund spending of zero", lambda cn, b: f.insert(
        cn, "fund_spending", code="F1", cooperative_id=b["coop"], spent_on=D(2025, 7, 1), purpose="x",
        amount_cents=0, approver="x")),
]


@pytest.mark.parametrize(("rule", "case"), BAD_ROWS, ids=[r for r, _ in BAD_ROWS])
def test_database_rejects(engine: Engine, base: dict[str, int], rule: str, case: Case) -> None:
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        case(conn, base)


def test_valid_rows_are_accepted(engine: Engine, base: dict[str, int]) -> None:
    """The same factories with valid values go in, so the rejections above are about the broken rule."""
    with engine.begin() as conn:
        f.need(conn, base["p"], base["c"], status="closed", assessed_on=D(2025, 7, 2), responded_on=D(2025, 7, 3),
               feedback_on=D(2025, 7, 8), closed_on=D(2025, 7, 9), satisfaction=5)
        f.enrolment(conn, base["k"], base["p"], base["c"], certified=True, post_score=100)
        f.split(conn, base["coop"], member_bp=6000, cooperative_bp=1500, help_fund_basis="profit", help_fund_bp=1500)
        f.split(conn, base["coop"], effective_from=D(2026, 1, 1), help_fund_basis="sales", help_fund_bp=500)
        f.request(conn, base["s"], base["c"], deadline=D(2025, 7, 2))
        f.action(conn, base["m"], base["gov"], status="done", done_on=D(2025, 9, 1))
        g2 = f.insert(conn, "party", code="G2", name="x", kind="government")
        f.insert(conn, "unit", code="U1", name="x", kind="township_department", party_id=g2)
        assert f.count(conn, "cooperative_split") == 2


@pytest.mark.parametrize(("table", "column"), [("practitioner", "hukou"), ("request", "status"),
                                               ("need_assessment", "category"), ("request", "priority")])
def test_database_rejects_unknown_enum_codes(engine: Engine, base: dict[str, int], table: str, column: str) -> None:
    """The CHECK holds in the database itself, not only in Python: raw SQL cannot slip a bad code in."""
    with engine.begin() as conn:
        f.need(conn, base["p"], base["c"])
        f.request(conn, base["s"], base["c"])
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE {table} SET {column} = 'martian'"))


ENUM_COLUMNS = sorted((table.name, column.name) for table in data_models.metadata.sorted_tables
                      for column in table.columns if isinstance(column.type, sa.Enum))


def _sqlite_tables(conn: Connection) -> dict[str, str]:
    return dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'").all())


@pytest.mark.parametrize(("table", "column"), ENUM_COLUMNS, ids=[f"{t}.{c}" for t, c in ENUM_COLUMNS])
def test_every_enum_column_refuses_a_code_it_does_not_know(demo_engine: Engine, table: str, column: str) -> None:
    """Raw SQL on the demo's rows, past every Python check: the column's own CHECK refuses, by its name (on
    SQLite an OR chain since 0006). The failed statement is rolled back, so the shared demo stays as it was."""
    t = data_models.metadata.tables[table]
    rule = f"ck_{table}_{t.c[column].type.name}"  # type: ignore[attr-defined]
    with pytest.raises(sa.exc.IntegrityError) as refused, demo_engine.begin() as conn:
        if table == "user":
            f.insert(conn, "user", username="probe", display_name="x", role="viewer", is_active=True,
                     created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        only = sa.text("status = 'draft'") if table == "distribution_run" else sa.true()   # approved runs are frozen
        conn.execute(t.update().where(only).values({column: sa.literal("martian", sa.String())}))
    # The split's shares rule names each basis too, and SQLite happens to check it first.
    # A follow-up's status is also named by the rules that a reached one has its day and only it has answers;
    # minutes other than a draft need their amendment window.
    first = {("cooperative_split", "help_fund_basis"): ("ck_cooperative_split_shares_total_100",),
             ("training_followup", "status"): ("ck_training_followup_reached_has_date",
                                               "ck_training_followup_answers_need_reached"),
             ("meeting", "minutes_status"): ("ck_meeting_circulated_has_window",)}
    assert any(r in str(refused.value) for r in (rule, *first.get((table, column), ())))


def test_sqlite_checks_list_codes_without_in_lists(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL keeps its IN lists")
    with engine.connect() as conn:
        tables = _sqlite_tables(conn)
    assert not [name for name, sql in tables.items() if " IN (" in sql]
    assert "(hukou = 'rural' OR hukou = 'urban')" in tables["practitioner"]


def test_0006_rewrites_the_checks_of_a_full_database_and_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A demo database made at 0005 moves to 0006 and back: every row stays, every rule still holds."""
    from dashboard.db import make_engine, upgrade
    from tests.legacy import load_demo_at

    engine = make_engine(f"sqlite:///{tmp_path / 'at0005.db'}")
    load_demo_at(engine, "0005")

    def state() -> tuple[dict[str, int], str]:
        with engine.connect() as conn:
            names = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars().all()
            counts = {n: conn.exec_driver_sql(f'SELECT COUNT(*) FROM "{n}"').scalar_one() for n in names}
            return counts, _sqlite_tables(conn)["practitioner"]

    before, old_sql = state()
    assert "hukou IN ('rural', 'urban')" in old_sql
    upgrade(engine, "0006")
    after, new_sql = state()
    assert after == before and "(hukou = 'rural' OR hukou = 'urban')" in new_sql
    with pytest.raises(sa.exc.IntegrityError) as refused, engine.begin() as conn:
        conn.execute(sa.text("UPDATE practitioner SET hukou = 'martian' WHERE id = 1"))
    assert "ck_practitioner_hukou" in str(refused.value)

    from alembic import command

    from dashboard.db import alembic_config
    with engine.begin() as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    back, back_sql = state()
    assert back == before and back_sql == old_sql
    engine.dispose()
