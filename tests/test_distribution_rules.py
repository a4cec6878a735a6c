"""The rules issue 12 item 3 asked for, on SQLite and PostgreSQL: no run for a period that has not ended unless
confirmed, no approval of a run without sales, and a recomputed draft names whose draft it replaced."""

import datetime as dt

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.services import distribution as dist
from dashboard.services.errors import RuleError
from tests import factories as f

TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def coop(engine: Engine) -> dict[str, int]:
    with engine.begin() as conn:
        c = f.community(conn)
        k = f.cooperative(conn, c, "COOP1")
        f.split(conn, k)
        m = f.member(conn, k, "M1")
        f.sale(conn, k, c, "S1", member_id=m, sold_on=dt.date(2026, 10, 5), month="2026-10", quarter="2026Q4")
        f.sale(conn, k, c, "S2", member_id=m, sold_on=dt.date(2026, 9, 5), month="2026-09", quarter="2026Q3")
    return {"community": c, "coop": k}


@pytest.mark.parametrize("period", ["2026Q4", "2026-12", "2027Q1"])
def test_a_period_that_has_not_ended_is_refused_unless_confirmed(engine: Engine, coop: dict[str, int],
                                                                 period: str) -> None:
    with Session(engine) as s:
        with pytest.raises(RuleError) as err:
            dist.compute(s, cooperative_code="COOP1", period=period, actor="m", today=TODAY)
        assert err.value.key == "distribution.unfinished" and period in err.value.message()
        run = dist.compute(s, cooperative_code="COOP1", period=period, actor="m", today=TODAY, allow_unfinished=True)
        assert run.status == "draft"


def test_an_ended_period_needs_no_confirmation(engine: Engine, coop: dict[str, int]) -> None:
    with Session(engine) as s:
        assert dist.compute(s, cooperative_code="COOP1", period="2026-11", actor="m", today=TODAY).period == "2026-11"
        with pytest.raises(RuleError):      # the last day of a period is not over yet
            dist.compute(s, cooperative_code="COOP1", period="2026-11", actor="m", today=dt.date(2026, 11, 30))


def test_a_run_without_sales_cannot_be_approved(engine: Engine, coop: dict[str, int]) -> None:
    with Session(engine) as s:
        empty = dist.compute(s, cooperative_code="COOP1", period="2026-11", actor="m", today=TODAY)
        assert empty.revenue_cents == 0
        with pytest.raises(RuleError) as err:
            dist.approve(s, run_code=empty.code, actor="chair")
        assert err.value.key == "distribution.no_sales" and empty.code in err.value.message()
        assert empty.status == "draft"
        sold = dist.compute(s, cooperative_code="COOP1", period="2026Q3", actor="m", today=TODAY)
        assert dist.approve(s, run_code=sold.code, actor="chair").status == "approved"


def test_recomputing_names_whose_draft_it_replaces(engine: Engine, coop: dict[str, int]) -> None:
    with Session(engine) as s:
        first = dist.compute_draft(s, cooperative_code="COOP1", period="2026Q3", actor="张经理", today=TODAY)
        assert first.replaced is None
        code = first.run.code
        again = dist.compute_draft(s, cooperative_code="COOP1", period="2026Q3", actor="李经理", today=TODAY)
        assert again.replaced == dist.ReplacedDraft(code, "张经理")
        assert again.run.created_by == "李经理"
