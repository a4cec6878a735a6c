"""The cooperative page's data: sales views, the public-fund ledger, spending rules and member statements."""

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.i18n import set_language
from dashboard.privacy import mask_name
from dashboard.queries import cooperative as cq
from dashboard.services import distribution as dist
from dashboard.services import fund, statements
from dashboard.services.errors import RuleError
from data_models import DistributionRun
from tests import factories as f

D = dt.date
UTC = dt.UTC


@pytest.fixture
def coop(engine: Engine) -> int:
    """July: M1 sells ¥500 on Douyin, M2 ¥300 on Kuaishou; profit ¥400.00; the public fund gets ¥40.00."""
    with engine.begin() as conn:
        c = f.community(conn)
        k = f.cooperative(conn, c, "COOP1")
        f.split(conn, k)
        m1 = f.member(conn, k, "M1", name="李娟")
        m2 = f.member(conn, k, "M2", name="王芳")
        f.sale(conn, k, c, "S1", member_id=m1, revenue_cents=50_000, cost_cents=20_000, quantity=2)
        f.sale(conn, k, c, "S2", member_id=m2, revenue_cents=30_000, cost_cents=20_000, channel="kuaishou")
    with Session(engine) as s:
        run = dist.compute(s, cooperative_code="COOP1", period="2025-07", actor="经理")
        dist.approve(s, run_code=run.code, actor="理事长", at=dt.datetime(2025, 8, 5, 2, tzinfo=UTC))
        s.commit()
    return k


def test_sales_views(engine: Engine, coop: int) -> None:
    with Session(engine) as s:
        monthly = cq.sales_by_month(s, cooperative_id=coop)
        channels = cq.sales_by_channel(s, cooperative_id=coop, period="2025Q3")
        top = cq.top_members(s, cooperative_id=coop, period="2025-07", n=1)
        none = cq.sales_by_channel(s, cooperative_id=coop, period="2025Q4")
    assert monthly.values.tolist() == [["2025-07", 80_000, 40_000, 2, 40_000]]
    assert channels.values.tolist() == [["douyin", 50_000, 30_000], ["kuaishou", 30_000, 10_000]]
    assert top.values.tolist() == [["M1", "李娟", 50_000, 2, 1]]
    assert none.empty


def test_ledger_runs_a_balance_and_spending_may_not_exceed_it(engine: Engine, coop: int) -> None:
    with Session(engine) as s:
        fund.add_spending(s, cooperative_id=coop, spent_on=D(2025, 8, 10), purpose="快递货架", amount_cents=1_500,
                          approver="理事会", actor="经理", code="F1")
        s.commit()
        ledger = cq.fund_ledger(s, cooperative_id=coop)
        assert ledger[["on", "kind", "amount_cents", "balance_cents"]].values.tolist() == [
            [D(2025, 8, 5), "inflow", 4_000, 4_000], [D(2025, 8, 10), "spending", -1_500, 2_500]]
        assert cq.fund_balance(s, cooperative_id=coop) == 2_500
        with pytest.raises(RuleError) as over:
            fund.add_spending(s, cooperative_id=coop, spent_on=D(2025, 9, 1), purpose="路灯", amount_cents=2_501,
                              approver="理事会", actor="经理")
        assert over.value.key == "fund.over_balance"
        # Before the run paid in there was nothing to spend, even though there is money now.
        with pytest.raises(RuleError):
            fund.add_spending(s, cooperative_id=coop, spent_on=D(2025, 8, 1), purpose="提前", amount_cents=100,
                              approver="理事会", actor="经理")


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"amount_cents": 0}, "fund.amount_positive"), ({"purpose": "  "}, "fund.purpose_required"),
    ({"approver": ""}, "fund.approver_required"),
])
def test_spending_needs_amount_purpose_and_approver(engine: Engine, coop: int, kwargs: dict, key: str) -> None:
    values = {"cooperative_id": coop, "spent_on": D(2025, 9, 1), "purpose": "x", "amount_cents": 100,
              "approver": "y", "actor": "z"} | kwargs
    with Session(engine) as s, pytest.raises(RuleError) as err:
        fund.add_spending(s, **values)
    assert err.value.key == key


def test_a_member_statement(engine: Engine, coop: int) -> None:
    set_language("zh")
    with Session(engine) as s:
        st = statements.statement(s, run_code="COOP1-2025-07-1", member_code="M1")
        with pytest.raises(RuleError):
            statements.statement(s, run_code="COOP1-2025-07-1", member_code="M9")
    # Members' pool 28,000 fen on 50,000 / 30,000: M1 exactly 17,500.
    assert (st.member_pool_cents, st.contribution, st.contribution_total, st.amount_cents) == (28_000, 50_000,
                                                                                             80_000, 17_500)
    assert st.share == 0.625 and st.adjustment_cents == 0 and st.status == "approved"
    rows = dict(statements.statement_rows(st))
    assert rows["本人实得"] == "¥175.00" and rows["本人占比"] == "62.5000%" and rows["成员"] == "李娟（M1）"
    assert rows["分配比例（成员/合作社/公益金）"] == "70% / 20% / 10%"


def read_back(data: bytes) -> dict[str, object]:
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws is not None
    return {str(a): b for a, b in ws.iter_rows(min_row=3, max_col=2, values_only=True) if a}


def test_statement_workbook_has_typed_cells(engine: Engine, coop: int) -> None:
    set_language("zh")
    with Session(engine) as s:
        data = statements.statement_xlsx(statements.statement(s, run_code="COOP1-2025-07-1", member_code="M2"))
    cells = read_back(data)
    assert cells["本人实得"] == 105.0 and cells["成员分配总额"] == 280.0 and cells["本人占比"] == 0.375
    assert cells["分配批次"] == "COOP1-2025-07-1 · 已审批"
    with Session(engine) as s:
        stmt = statements.statement(s, run_code="COOP1-2025-07-1", member_code="M2")
    masked = read_back(statements.statement_xlsx(stmt, visible=False))
    assert cells["成员"] == f"{stmt.member_name}（M2）" and "*" not in stmt.member_name
    assert masked["成员"] == f"{mask_name(stmt.member_name)}（M2）" and "*" in masked["成员"]
    assert masked["本人实得"] == 105.0


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_statement_opens_in_libreoffice(engine: Engine, coop: int, tmp_path: Path) -> None:
    set_language("zh")
    with Session(engine) as s:
        data = statements.statement_xlsx(statements.statement(s, run_code="COOP1-2025-07-1", member_code="M2"))
    src = tmp_path / "statement.xlsx"
    src.write_bytes(data)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76",
                    "--outdir", str(tmp_path), str(src)], check=True, capture_output=True, timeout=120)
    csv = (tmp_path / "statement.csv").read_text(encoding="utf-8", errors="replace")
    assert "合作社分配明细单" in csv and "105" in csv and "COOP1-2025-07-1" in csv


def test_demo_runs_split_every_quarter_to_the_cent(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        runs = s.execute(sa.select(DistributionRun)).scalars().all()
        assert len(runs) == 18
        for run in runs:
            pools = run.member_pool_cents + run.cooperative_pool_cents + run.public_fund_cents + run.help_fund_cents
            assert pools == run.profit_cents - run.carried_loss_cents
            lines = cq.run_lines(s, run_code=run.code)
            assert int(lines["amount_cents"].sum()) == run.member_pool_cents
        statuses = sorted({(r.period, str(r.status)) for r in runs})
        assert ("2026Q3", "draft") in statuses and ("2026Q2", "approved") in statuses
        for coop_id in (1, 2, 3):
            assert cq.fund_ledger(s, cooperative_id=coop_id)["balance_cents"].min() >= 0
