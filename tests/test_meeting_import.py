"""Importing meetings, agenda items and action items: rows that would add to or change a meeting whose minutes have
left draft are refused, naming row and column; unchanged rows of such a meeting and rows of a draft meeting pass."""

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard.excel import importer
from tests import factories as f
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
        ["X-DRAFT", "JM-DRAFT", "事项", "GOV", "2025-08-15", "2025-09-15", "in_progress", "", "李四", "已联系"],
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
        ["X-DRAFT", "JM-DRAFT", "事项", "GOV", "2025-08-15", "2025-09-15", "in_progress", "", "李四", "已联系"]])
    assert draft.status == "committed" and draft.updated == 1, draft.errors
    fresh = run(meetings, "meetings", [MEETING_HEADER, ["JM-NEW", "C1", "新会议", "2025-11-20", "", "14:00"]])
    assert fresh.status == "committed" and fresh.created == 1, fresh.errors
    with meetings.connect() as conn:
        assert conn.execute(sa.text("SELECT owner_person || '|' || note FROM action_item "
                                    "WHERE code = 'X-DRAFT'")).scalar() == "李四|已联系"
        assert conn.execute(sa.text("SELECT starts_at FROM meeting WHERE code = 'JM-NEW'")).scalar() == "14:00"
