"""The schema: the migration matches the models, and the database itself rejects rows the domain forbids."""

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

import data_models
from dashboard.db import current_revision
from tests import factories as f

D = f.D


def test_migration_builds_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, data_models.metadata) == []
    assert current_revision(engine) == "0005"


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
        f.insert(conn, "party", code="G2", name="x", kind="government", department="street_office")
        assert f.count(conn, "cooperative_split") == 2


@pytest.mark.parametrize(("table", "column"), [("practitioner", "hukou"), ("request", "status"),
                                               ("need_assessment", "category"), ("party", "department")])
def test_database_rejects_unknown_enum_codes(engine: Engine, base: dict[str, int], table: str, column: str) -> None:
    """The CHECK holds in the database itself, not only in Python: raw SQL cannot slip a bad code in."""
    with engine.begin() as conn:
        f.need(conn, base["p"], base["c"])
        f.request(conn, base["s"], base["c"])
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE {table} SET {column} = 'martian'"))
