"""The 合作社分配 page in AppTest: approve a draft, refuse a second run, correct, read a statement, spend."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import click, open_page


@pytest.fixture
def at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    yield from open_page(tmp_path, monkeypatch, "app_pages/cooperative.py")


def test_approve_then_refuse_then_correct(at: AppTest) -> None:
    assert at.selectbox(key="coop_cooperative").value == 1
    at.selectbox(key="coop_run").set_value("GA-COOP-2026Q3-1").run()
    click(at, "审批通过")
    assert any("GA-COOP-2026Q3-1 已审批" in s.value for s in at.success)

    at.text_input(key="coop_period").set_value("2026Q3")     # inside a form: sent with the submit
    click(at, "计算草稿")
    assert any("不能再改" in e.value for e in at.error)

    at.text_input(key="coop_period").set_value("2026Q3")
    at.checkbox(key="coop_correction").check()
    click(at, "计算草稿")
    assert any("GA-COOP-2026Q3-2" in s.value for s in at.success)
    runs = next(d.value for d in at.dataframe if "批次" in d.value.columns)
    assert runs.iloc[0]["批次"] == "GA-COOP-2026Q3-2" and runs.iloc[0]["状态"] == "草稿"


def test_a_bad_period_is_explained(at: AppTest) -> None:
    at.text_input(key="coop_period").set_value("2026年3季度")
    click(at, "计算草稿")
    assert any("2025Q3" in e.value for e in at.error)


def test_statement_and_spending(at: AppTest) -> None:
    at.selectbox(key="coop_statement_run").set_value("GA-COOP-2026Q2-1").run()
    rows = dict(at.table[0].value.values.tolist())
    assert rows["分配批次"].startswith("GA-COOP-2026Q2-1") and rows["本人实得"].startswith("¥")

    at.text_input(key="coop_purpose").set_value("社区路灯维修")
    at.number_input(key="coop_amount").set_value(10_000_000.0)
    at.text_input(key="coop_approver").set_value("理事会")
    click(at, "登记支出")
    assert any("公益金余额只有" in e.value for e in at.error)

    at.text_input(key="coop_purpose").set_value("社区路灯维修")
    at.number_input(key="coop_amount").set_value(123.45)
    at.text_input(key="coop_approver").set_value("理事会")
    click(at, "登记支出")
    assert any("¥123.45" in s.value for s in at.success)


def test_every_table_has_an_export_button(at: AppTest) -> None:
    at.selectbox(key="coop_run").set_value("GA-COOP-2026Q3-1").run()
    at.selectbox(key="coop_statement_run").set_value("GA-COOP-2026Q2-1").run()
    labels = [b.label for b in at.get("download_button")]
    # top members, runs, the selected run's lines, the fund ledger; plus the member statement.
    assert labels.count("导出此表（Excel）") == 4 and "下载明细单（Excel）" in labels


def test_meeting_mode_masks_member_names(at: AppTest) -> None:
    at.selectbox(key="coop_run").set_value("GA-COOP-2026Q2-1").run()
    at.selectbox(key="coop_statement_run").set_value("GA-COOP-2026Q2-1").run()
    shown = dict(at.table[0].value.values.tolist())["成员"]
    at.toggle(key="meeting_mode").set_value(True).run()
    masked = dict(at.table[0].value.values.tolist())["成员"]
    assert "*" not in shown and "*" in masked and masked.endswith("（M00001）")
    lines = next(d.value for d in at.dataframe if "成员编号" in d.value.columns and "本人实得" in d.value.columns)
    assert all("*" in name for name in lines["姓名"])


def test_no_run_is_chosen_for_the_user(at: AppTest) -> None:
    assert at.selectbox(key="coop_run").value is None and at.selectbox(key="coop_statement_run").value is None
    assert not any(b.label == "审批通过" for b in at.button) and not at.table


def test_a_draft_recomputed_elsewhere_before_the_approval_is_refused_not_approved(
        at: AppTest, tmp_path: Path) -> None:
    """Someone else recomputes the period between the page drawn and the click on 审批通过: the draft shown is deleted
    and the new one gets the same code (GA-COOP-2026Q3-1 again), so an approval by code approved figures nobody on this
    page had seen. The click names the run it saw (its id): refused with a message, nothing approved."""
    import sqlalchemy as sa
    from sqlmodel import Session

    from dashboard.db import make_engine
    from dashboard.services import distribution

    at.selectbox(key="coop_run").set_value("GA-COOP-2026Q3-1").run()
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    with Session(engine) as session:
        distribution.compute_draft(session, cooperative_code="GA-COOP", period="2026Q3", actor="colleague")
        session.commit()
    click(at, "审批通过")
    assert any("GA-COOP-2026Q3-1" in e.value and "重新计算" in e.value for e in at.error), [e.value for e in at.error]
    with engine.connect() as conn:
        statuses = dict(conn.execute(sa.text("SELECT code, status FROM distribution_run WHERE period = '2026Q3' "
                                             "AND code LIKE 'GA-COOP-%'")).all())
    engine.dispose()
    assert statuses == {"GA-COOP-2026Q3-1": "draft"}          # the colleague's draft waits; nothing approved
