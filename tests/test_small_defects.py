"""Issue 12 item 13: the small defects a user hits, each pinned by a test that failed before its fix."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dashboard import accounts, presenters
from dashboard.excel import annotate
from dashboard.i18n import use_language
from dashboard.queries import cooperative as coop_q
from dashboard.queries import practitioner as prac_q
from dashboard.services import distribution as dist
from dashboard.services import needs as needs_svc
from dashboard.services import statements
from dashboard.services.errors import RuleError
from tests import factories as f
from tests.apptest_helpers import open_page

D = dt.date
T0 = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)




def user(engine: Engine, username: str, display_name: str) -> None:
    with Session(engine) as session:
        accounts.create_user(session, username=username, role="admin", actor="test", display_name=display_name,
                             password=accounts.new_password())
        session.commit()


# --- the marked error workbook's name -----------------------------------------------------------------------------

@pytest.mark.parametrize(("upload", "lang", "expected"), [
    ("名单.xlsx", "zh", "标注错误_名单.xlsx"),
    ("名单.XLSX", "zh", "标注错误_名单.xlsx"),
    ("roster.csv", "en", "errors_roster.xlsx"),          # the marked copy of a CSV is a workbook
    ("a.b.xlsx", "en", "errors_a.b.xlsx"),
    ("noext", "zh", "标注错误_noext.xlsx"),
])
def test_the_marked_workbook_is_named_once_xlsx(upload: str, lang: str, expected: str) -> None:
    with use_language(lang):
        assert annotate.marked_name(upload) == expected


# --- the counters beside a file-level error -----------------------------------------------------------------------

@pytest.fixture
def data_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    yield from open_page(tmp_path, monkeypatch, "app_pages/data_io.py")


def test_a_file_error_does_not_count_zero_rows_with_errors(data_page: AppTest) -> None:
    at = data_page
    at.selectbox(key="io_entity").set_value("practitioners").run()
    at.file_uploader(key="io_upload_practitioners").set_value(
        ("wrong.csv", "甲,乙\n1,2\n".encode(), "text/csv")).run()
    assert not at.exception, at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown["有误"] != "0"                       # the banner says 发现 1 处问题: not 有误 0
    assert shown["有误"] == "—" and shown["数据行"] == "—"
    assert any("发现 1 处问题" in e.value for e in at.error)


def test_import_counters_for_rows_and_for_a_refused_file() -> None:
    from dashboard.excel.importer import ImportResult, RowError
    with use_language("zh"):
        rows = ImportResult("rejected", rows=1200, created=3, rejected=2, sheet="Sheet1",
                            errors=[RowError("Sheet1", 2, "姓名", "", "x")] * 3)
        assert presenters.import_counts(rows) == [("数据行", "1,200"), ("新增", "3"), ("更新", "0"),
                                                  ("未变", "0"), ("有误", "2")]
        refused = ImportResult("rejected", errors=[RowError("", 0, "", "f.xlsx", "no header")])
        assert [v for _, v in presenters.import_counts(refused)] == ["—"] * 5


# --- the statement's approval time ----------------------------------------------------------------------------------

@pytest.fixture
def approved_run(engine: Engine) -> tuple[str, int]:
    """COOP1's 2025-07 run, computed by 'maker' and approved by 'checker' at 2025-08-10 02:00 UTC."""
    user(engine, "maker", "李会计")
    user(engine, "checker", "王理事长")
    with engine.begin() as conn:
        c = f.community(conn)
        k = f.cooperative(conn, c, "COOP1")
        f.split(conn, k)
        m1 = f.member(conn, k, "M1")
        f.sale(conn, k, c, "S1", member_id=m1, revenue_cents=50_000, cost_cents=30_000)
    with Session(engine) as s:
        run = dist.compute(s, cooperative_code="COOP1", period="2025-07", actor="maker")
        dist.approve(s, run_code=run.code, actor="checker", at=dt.datetime(2025, 8, 10, 2, 0, tzinfo=dt.UTC))
        s.commit()
        return run.code, k


def test_the_statement_shows_the_approval_in_shanghai_time(engine: Engine, approved_run: tuple[str, int]) -> None:
    with Session(engine) as s:
        st = statements.statement(s, run_code=approved_run[0], member_code="M1")
    assert st.approved_at == "2025-08-10 10:00"          # 02:00 UTC, as the runs table shows it
    assert st.approved_by == "王理事长"
    with use_language("zh"):
        row = dict(statements.statement_rows(st))
    assert "UTC" not in row["审批"] and "10:00" in row["审批"]


def test_runs_show_display_names_falling_back_to_the_username(engine: Engine,
                                                              approved_run: tuple[str, int]) -> None:
    code, coop_id = approved_run
    with Session(engine) as s:
        dist.compute(s, cooperative_code="COOP1", period="2025-08", actor="ghost")   # no such account
        s.commit()
        runs = coop_q.runs(s, cooperative_id=coop_id)
    by_code = runs.set_index("code")
    assert by_code.loc[code, "created_by"] == "李会计"
    assert by_code.loc[code, "approved_by"] == "王理事长"
    draft = by_code.loc["COOP1-2025-08-1"]
    assert draft["created_by"] == "ghost"
    assert draft["approved_by"] is None or draft["approved_by"] != draft["approved_by"]      # None or NaN


# --- recording a need without a practitioner code -----------------------------------------------------------------

@pytest.mark.parametrize("blank", ["", "   ", "\u3000"])
def test_an_empty_practitioner_code_asks_for_one(engine: Engine, blank: str) -> None:
    with Session(engine) as s, pytest.raises(RuleError) as err:
        needs_svc.record_need(s, practitioner_code=blank, category="skills_digital", severity="medium",
                              description="", identified_on=D(2025, 11, 1), actor="sw", today=D(2025, 12, 1))
    assert err.value.key == "needs.practitioner_required"
    with use_language("zh"):
        assert err.value.message() == "请填写从业者编号。"
    with use_language("en"):
        assert "practitioner" in err.value.message().lower() and "{" not in err.value.message()


# --- a need's moves in the practitioner's history -----------------------------------------------------------------

def test_the_history_shows_each_moves_note_and_who_moved_it(engine: Engine) -> None:
    user(engine, "sw1", "李社工")
    with engine.begin() as conn:
        c = f.community(conn)
        f.practitioner(conn, c, "P1")
    with Session(engine) as s:
        need = needs_svc.record_need(s, practitioner_code="P1", category="skills_digital", severity="medium",
                                     description="", identified_on=D(2025, 11, 1), actor="sw1", today=D(2025, 12, 1))
        needs_svc.advance_need(s, need_code=need.code, to_status="assessed", on=D(2025, 11, 3), actor="sw1",
                               today=D(2025, 12, 1), note="电话回访，约好上门")
        needs_svc.advance_need(s, need_code=need.code, to_status="responded", on=D(2025, 11, 5), actor="nobody",
                               today=D(2025, 12, 1))
        s.commit()
        card = prac_q.card(s, code="P1")
    assert card is not None
    events = card.events.set_index("status")
    assert events.loc["assessed", "note"] == "电话回访，约好上门"
    assert events.loc["assessed", "actor"] == "李社工"
    assert events.loc["responded", "actor"] == "nobody"           # no account: the name the move recorded
    with use_language("zh"):
        from dashboard import presenters_needs
        shown = presenters.table(card.events, presenters_needs.PROFILE_EVENT_COLUMNS)
    assert {"备注", "经办人"} <= set(shown.columns)
    assert "电话回访，约好上门" in shown["备注"].tolist()


# --- the export caption claims only the filters the entity applies ------------------------------------------------

@pytest.mark.parametrize(("entity", "has_community", "has_quarter"), [
    ("needs", True, True), ("practitioners", True, False), ("communities", False, False),
    ("members", False, False), ("cooperatives", True, False), ("sales", True, True),
])
def test_the_export_caption_names_only_the_filters_applied(entity: str, has_community: bool,
                                                           has_quarter: bool) -> None:
    with use_language("zh"):
        text = presenters.export_scope(entity, community="G市A社区", quarter="2026Q3")
    assert ("G市A社区" in text) == has_community
    assert ("2026Q3" in text) == has_quarter
    with use_language("en"):
        text = presenters.export_scope(entity, community="Community GA", quarter="2026Q3")
    assert ("Community GA" in text) == has_community
    assert ("2026Q3" in text) == has_quarter


# --- the sign-in throttle's first wait ----------------------------------------------------------------------------

def test_the_first_slowed_down_try_waits_two_seconds(engine: Engine) -> None:
    """README: after DASHBOARD_LOGIN_FREE_ATTEMPTS failures, each further try waits 2, 4, 8 … seconds."""
    with Session(engine) as s:
        accounts.create_user(s, username="qian", role="viewer", actor="test", password=accounts.new_password())
        s.commit()
    for i in range(5):
        with pytest.raises(RuleError):
            accounts.login(engine, username="qian", password=accounts.new_password(), now=T0 + dt.timedelta(seconds=i))
    last = T0 + dt.timedelta(seconds=4)
    with pytest.raises(RuleError) as first:           # a second after the last failure, as a person retypes
        accounts.login(engine, username="qian", password=accounts.new_password(), now=last + dt.timedelta(seconds=1))
    assert first.value.key == "accounts.slow_down" and first.value.params == {"seconds": 2}
    # The refused try starts the wait again: it is not over one second later ...
    with pytest.raises(RuleError) as again:
        accounts.login(engine, username="qian", password=accounts.new_password(), now=last + dt.timedelta(seconds=2))
    assert again.value.params == {"seconds": 2}
    # ... and 2 s after the refused try the next try is checked (and fails: 6 in a row, so the next waits 4 s).
    with pytest.raises(RuleError) as checked:
        accounts.login(engine, username="qian", password=accounts.new_password(), now=last + dt.timedelta(seconds=4))
    assert checked.value.key == "accounts.bad_login"
    with Session(engine) as s:
        assert accounts.wait_seconds(s, "qian", last + dt.timedelta(seconds=4)) == 4.0


def test_tries_during_the_wait_keep_waiting_however_many(engine: Engine) -> None:
    """Hammering during the wait neither gets a try checked nor pushes the failures before it out of count."""
    with Session(engine) as s:
        accounts.create_user(s, username="feng", role="viewer", actor="test", password=accounts.new_password())
        s.commit()
    for i in range(5):
        with pytest.raises(RuleError):
            accounts.login(engine, username="feng", password=accounts.new_password(), now=T0 + dt.timedelta(seconds=i))
    at = T0 + dt.timedelta(seconds=4, milliseconds=100)
    for _ in range(40):
        with pytest.raises(RuleError) as err:
            accounts.login(engine, username="feng", password=accounts.new_password(), now=at)
        assert err.value.key == "accounts.slow_down"
        at += dt.timedelta(milliseconds=100)
