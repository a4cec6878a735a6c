"""Importing meetings, agenda items and action items: rows that would add to or change a meeting whose minutes have
left draft are refused, naming row and column; unchanged rows of such a meeting and rows of a draft meeting pass."""

import datetime as dt
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.accounts import Principal
from dashboard.excel import importer
from dashboard.i18n import set_language
from dashboard.services import meetings as svc
from dashboard.services import minutes
from dashboard.services.errors import RuleError
from data_models.enums import Role
from tests import factories as f
from tests.conftest import IN_THIS_DATABASE
from tests.meeting_factories import version
from tests.test_import_validation import as_csv

D = dt.date
NOW = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)
ACTION_HEADER = ["事项编号", "会议编号", "事项", "责任单位编号", "提出日期", "完成期限", "状态", "完成日期", "责任人",
                 "进展说明"]
AGENDA_HEADER = ["议程编号", "会议编号", "顺序", "议题", "时长（分钟）"]
MEETING_HEADER = ["会议编号", "社区编号", "会议名称", "会议日期", "地点", "开始时间"]


@pytest.fixture
def meetings(engine: Engine) -> Engine:
    with engine.begin() as conn:
        c = f.community(conn, "C1")
        gov = f.party(conn, c, "GOV")
        draft = f.meeting(conn, c, "JM-DRAFT", held_on=D(2025, 8, 15))
        locked = f.meeting(conn, c, "JM-LOCKED", held_on=D(2025, 5, 15), quarter="2025Q2", minutes_status="locked",
                           amend_until=D(2025, 5, 25), minutes_text="{}", minutes_sha256="0" * 64, locked_at=NOW)
        f.meeting(conn, c, "JM-OUT", held_on=D(2025, 6, 15), quarter="2025Q2", minutes_status="circulated",
                  amend_until=D(2025, 6, 25), minutes_text="{}")
        f.action(conn, locked, gov, "X-LOCKED", created_on=D(2025, 5, 15), due_on=D(2025, 6, 15))
        f.action(conn, draft, gov, "X-DRAFT", created_on=D(2025, 8, 15), due_on=D(2025, 9, 15))
        f.insert(conn, "agenda_item", code="A-LOCKED", meeting_id=locked, order_no=1, title="落实情况", minutes=10,
                 source="manual")
    return engine


def run(engine: Engine, entity: str, rows: list[list[Any]]) -> importer.ImportResult:
    return importer.import_file(engine, entity, as_csv(rows), "f.csv", actor="测试", today=D(2025, 12, 31))


def action(code: str, meeting: str, title: str = "事项", person: str = "", note: str = "",
           created: str = "2025-05-15") -> list[Any]:
    return [code, meeting, title, "GOV", created, "2025-06-15", "open", "", person, note]


def test_rows_of_a_meeting_out_of_draft_are_refused_naming_row_and_column(meetings: Engine) -> None:
    result = run(meetings, "action_items", [
        ACTION_HEADER,
        action("X-LOCKED", "JM-LOCKED", person="王主任"),                            # a change
        action("X-NEW", "JM-OUT", created="2025-06-15"),                              # a new row, circulated
        ["X-DRAFT", "JM-DRAFT", "事项", "GOV", "2025-08-15", "2025-09-15", "open", "", "李四", "已联系"],
    ])
    assert result.status == "rejected"
    assert [(e.row, e.column) for e in result.errors] == [(2, "会议编号"), (3, "会议编号")]
    assert "JM-LOCKED" in result.errors[0].message and "已会签锁定" in result.errors[0].message
    assert "JM-OUT" in result.errors[1].message and "征求意见中" in result.errors[1].message
    with meetings.connect() as conn:
        assert conn.execute(sa.text("SELECT owner_person FROM action_item WHERE code = 'X-LOCKED'")).scalar() == ""


def test_moving_an_item_out_of_a_locked_meeting_and_changing_the_meeting_are_refused(meetings: Engine) -> None:
    moved = run(meetings, "agenda_items", [AGENDA_HEADER, ["A-LOCKED", "JM-DRAFT", "1", "落实情况", "10"]])
    assert moved.status == "rejected" and [(e.row, e.column) for e in moved.errors] == [(2, "会议编号")]
    renamed = run(meetings, "meetings", [MEETING_HEADER, ["JM-LOCKED", "C1", "改过的名称", "2025-05-15", "", "09:30"]])
    assert renamed.status == "rejected" and [(e.row, e.column) for e in renamed.errors] == [(2, "会议编号")]


def test_unchanged_rows_of_locked_meetings_and_rows_of_draft_ones_are_accepted(meetings: Engine) -> None:
    same = run(meetings, "agenda_items", [AGENDA_HEADER, ["A-LOCKED", "JM-LOCKED", "1", "落实情况", "10"]])
    assert same.status == "committed" and same.unchanged == 1
    draft = run(meetings, "action_items", [
        ACTION_HEADER,
        ["X-DRAFT", "JM-DRAFT", "事项", "GOV", "2025-08-15", "2025-09-15", "open", "", "李四", "已联系"]])
    assert draft.status == "committed" and draft.updated == 1, draft.errors
    fresh = run(meetings, "meetings", [MEETING_HEADER, ["JM-NEW", "C1", "新会议", "2025-11-20", "", "14:00"]])
    assert fresh.status == "committed" and fresh.created == 1, fresh.errors
    with meetings.connect() as conn:
        assert conn.execute(sa.text("SELECT owner_person || '|' || note FROM action_item "
                                    "WHERE code = 'X-DRAFT'")).scalar() == "李四|已联系"
        assert conn.execute(sa.text("SELECT starts_at FROM meeting WHERE code = 'JM-NEW'")).scalar() == "14:00"


# --- Undo, the write's re-check and the action rules (review of the import rule) ---

SW = Principal("sw", Role.social_worker)


def set_status(engine: Engine, code: str, status: str) -> None:
    """The meeting's minutes leave draft (the page's moves are tested in test_minutes; here only the state counts)."""
    extra = {"minutes_sha256": "1" * 64, "locked_at": NOW} if status == "locked" else {}
    with engine.begin() as conn:
        conn.execute(sa.update(svc.M).where(svc.M.c.code == code).values(
            minutes_status=status, amend_until=D(2025, 12, 31), minutes_text="{}", **extra))


def meeting_id(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(svc.M.c.id).where(svc.M.c.code == code)).scalar_one())


def circulate(engine: Engine, code: str) -> None:
    mid = meeting_id(engine, code)
    with Session(engine) as s:
        minutes.circulate(s, meeting_id=mid, version=version(engine, mid), amend_until=D(2025, 12, 31), actor=SW,
                          today=D(2025, 12, 1))
        s.commit()


def scalar(engine: Engine, sql: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


UNDO_CASES = {
    # entity: (file rows, what undo would delete or restore, the query that shows the import is still there)
    "agenda_items": ([AGENDA_HEADER, ["A-NEW", "JM-DRAFT", "2", "新议题", "15"]],
                     "SELECT count(*) FROM agenda_item WHERE code = 'A-NEW'", 1),
    "action_items": ([ACTION_HEADER, ["X-DRAFT", "JM-DRAFT", "事项", "GOV", "2025-08-15", "2025-09-15", "open", "",
                                      "李四", "已联系"]],
                     "SELECT owner_person FROM action_item WHERE code = 'X-DRAFT'", "李四"),
    "meetings": ([MEETING_HEADER, ["JM-DRAFT", "C1", "改过的名称", "2025-08-15", "", "09:30"]],
                 "SELECT title FROM meeting WHERE code = 'JM-DRAFT'", "改过的名称"),
}


@pytest.mark.parametrize("status", ["locked", "circulated"])
@pytest.mark.parametrize("entity", list(UNDO_CASES))
def test_undo_is_refused_when_the_meeting_it_would_change_left_draft(meetings: Engine, entity: str,
                                                                      status: str) -> None:
    rows, query, imported = UNDO_CASES[entity]
    result = run(meetings, entity, rows)
    assert result.status == "committed" and result.created + result.updated == 1, result.errors
    set_status(meetings, "JM-DRAFT", status)
    with pytest.raises(RuleError) as refused:
        importer.undo_last(meetings, entity, actor="测试")
    assert refused.value.key == "excel.undo_meeting_not_draft"
    state = {"locked": "已会签锁定", "circulated": "征求意见中"}[status]
    assert "JM-DRAFT" in refused.value.message() and state in refused.value.message()
    set_language("en")
    try:
        assert "JM-DRAFT" in refused.value.message() and "Cannot undo" in refused.value.message()
    finally:
        set_language("zh")
    assert scalar(meetings, query) == imported                          # nothing undone
    assert scalar(meetings, f"SELECT count(*) FROM import_batch WHERE id = {result.batch_id} "
                            "AND undone_at IS NULL") == 1


def test_undo_that_would_move_an_item_back_into_a_locked_meeting_is_refused(meetings: Engine) -> None:
    with meetings.begin() as conn:
        f.meeting(conn, conn.execute(sa.text("SELECT id FROM community")).scalar_one(), "JM-DRAFT2",
                  held_on=D(2025, 8, 20))
    moved = run(meetings, "action_items", [ACTION_HEADER, ["X-DRAFT", "JM-DRAFT2", "事项", "GOV", "2025-08-15",
                                                           "2025-09-15", "open", "", "", ""]])
    assert moved.status == "committed" and moved.updated == 1, moved.errors
    set_status(meetings, "JM-DRAFT", "locked")        # where undo would put the item back
    with pytest.raises(RuleError) as refused:
        importer.undo_last(meetings, "action_items", actor="测试")
    assert "JM-DRAFT" in refused.value.message()
    assert scalar(meetings, "SELECT m.code FROM action_item a JOIN meeting m ON m.id = a.meeting_id "
                            "WHERE a.code = 'X-DRAFT'") == "JM-DRAFT2"


def test_undo_of_rows_of_a_draft_meeting_still_works(meetings: Engine) -> None:
    for entity, (rows, query, _) in UNDO_CASES.items():
        assert run(meetings, entity, rows).status == "committed"
        importer.undo_last(meetings, entity, actor="测试")
        assert scalar(meetings, query) in (0, "", "联席会议"), entity


def test_a_meeting_circulated_between_the_checks_and_the_write_receives_no_rows(
        meetings: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importer._serialise_imports
    calls: list[str] = []

    def circulate_first(conn: Any, entity: Any) -> None:
        if not calls:             # the checks are done and read JM-DRAFT as draft; the page circulates it now
            calls.append("circulated")
            circulate(meetings, "JM-DRAFT")
        real(conn, entity)

    monkeypatch.setattr(importer, "_serialise_imports", circulate_first)
    result = run(meetings, "agenda_items", [AGENDA_HEADER, ["A-NEW", "JM-DRAFT", "2", "新议题", "15"]])
    assert calls == ["circulated"]
    assert result.status == "rejected"
    assert "JM-DRAFT" in result.errors[0].message and "征求意见中" in result.errors[0].message
    assert scalar(meetings, "SELECT count(*) FROM agenda_item WHERE code = 'A-NEW'") == 0
    assert scalar(meetings, "SELECT count(*) FROM import_batch") == 0


def test_an_import_waits_for_a_circulation_in_progress_and_then_refuses(meetings: Engine) -> None:
    """PostgreSQL: the page's circulation has written but not committed when the import checks; the import's write
    waits for it (the meeting's lock) and then sees the minutes circulated. Without the lock it would read draft."""
    if meetings.dialect.name != "postgresql":
        pytest.skip("two sessions at the same moment: PostgreSQL")
    mid = meeting_id(meetings, "JM-DRAFT")
    page = Session(meetings)
    try:
        minutes.circulate(page, meeting_id=mid, version=version(meetings, mid), amend_until=D(2025, 12, 31),
                          actor=SW, today=D(2025, 12, 1))
        out: dict[str, importer.ImportResult] = {}
        thread = threading.Thread(target=lambda: out.setdefault("r", run(meetings, "action_items", [
            ACTION_HEADER, action("X-NEW", "JM-DRAFT")])))
        thread.start()
        waiting = 0
        deadline = time.monotonic() + 60   # until the import waits on a lock the page holds (or has finished)
        while time.monotonic() < deadline:
            waiting = scalar(meetings, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                             + IN_THIS_DATABASE)
            if waiting or not thread.is_alive():
                break
            time.sleep(0.05)
        assert waiting == 1
        page.commit()
    finally:
        page.close()
    thread.join(20)
    assert out["r"].status == "rejected", out["r"]
    assert "JM-DRAFT" in out["r"].errors[0].message
    assert scalar(meetings, "SELECT count(*) FROM action_item WHERE code = 'X-NEW'") == 0


def test_an_owner_party_of_another_community_is_refused_naming_row_and_column(meetings: Engine) -> None:
    with meetings.begin() as conn:
        f.party(conn, f.community(conn, "C2"), "C2-GOV")
    result = run(meetings, "action_items", [
        ACTION_HEADER, ["X-NEW", "JM-DRAFT", "事项", "C2-GOV", "2025-08-15", "2025-09-15", "open", "", "", ""]])
    assert result.status == "rejected"
    assert [(e.row, e.column) for e in result.errors] == [(2, "责任单位编号")]
    assert "JM-DRAFT" in result.errors[0].message
    assert scalar(meetings, "SELECT count(*) FROM action_item WHERE code = 'X-NEW'") == 0


@pytest.mark.parametrize(("status", "done_on"), [("done", "2025-09-01"), ("cancelled", ""), ("in_progress", "")])
def test_a_status_change_of_an_existing_action_is_refused_new_rows_carry_any_status(
        meetings: Engine, status: str, done_on: str) -> None:
    changed = run(meetings, "action_items", [
        ACTION_HEADER, ["X-DRAFT", "JM-DRAFT", "事项", "GOV", "2025-08-15", "2025-09-15", status, done_on, "", ""]])
    assert changed.status == "rejected"
    assert [(e.row, e.column) for e in changed.errors] == [(2, "状态")]
    assert "未开始" in changed.errors[0].message and "联席会议页面" in changed.errors[0].message
    assert scalar(meetings, "SELECT status FROM action_item WHERE code = 'X-DRAFT'") == "open"
    assert scalar(meetings, "SELECT count(*) FROM action_update") == 0
    history = run(meetings, "action_items", [
        ACTION_HEADER, ["X-OLD", "JM-DRAFT", "事项", "GOV", "2025-08-15", "2025-09-15", status, done_on, "", ""]])
    assert history.status == "committed" and history.created == 1, history.errors


def test_a_done_on_change_of_an_existing_done_action_is_refused(meetings: Engine) -> None:
    with meetings.begin() as conn:
        conn.execute(sa.text("UPDATE action_item SET status = 'done', done_on = :d WHERE code = 'X-DRAFT'"),
                     {"d": D(2025, 9, 1)})
    moved = run(meetings, "action_items", [
        ACTION_HEADER, ["X-DRAFT", "JM-DRAFT", "事项", "GOV", "2025-08-15", "2025-09-15", "done", "2025-09-05", "",
                        ""]])
    assert moved.status == "rejected" and [(e.row, e.column) for e in moved.errors] == [(2, "完成日期")]
    same = run(meetings, "action_items", [
        ACTION_HEADER, ["X-DRAFT", "JM-DRAFT", "事项", "GOV", "2025-08-15", "2025-09-15", "done", "2025-09-01", "王",
                        ""]])
    assert same.status == "committed" and same.updated == 1, same.errors
