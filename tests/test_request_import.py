"""Issue 13 item 10 and the admin side of item 4: units, calendar days, SLA and requests through the import engine.

Units name their parent, party and community by code, and no unit is its own parent or ancestor. The calendar and
the SLA are an admin's tables. A request's status history must follow the lifecycle; an error names the Excel row
and the column in the user's language, and nothing is written. A routed request without a deadline gets one on the
Chinese working-day calendar (National Day, a 调休 Sunday).
"""

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard import access
from dashboard.excel import importer, writer
from dashboard.excel.spec import ENTITIES
from dashboard.i18n import use_language
from dashboard.services import workdays
from data_models.enums import Role
from tests import factories as f

D = dt.date
T = f.T


def book(entity: str, rows: list[dict[str, Any]], lang: str = "zh") -> bytes:
    """A sheet with the entity's columns that any row fills (in template order), headers in `lang`."""
    fields = [x for x in ENTITIES[entity].fields if any(x.zh in r for r in rows)]
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append([x.header(lang) for x in fields])
    for r in rows:
        ws.append([r.get(x.zh) for x in fields])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


TODAY = D(2026, 1, 31)


def load(engine: Engine, entity: str, rows: list[dict[str, Any]], lang: str = "zh") -> importer.ImportResult:
    with use_language(lang):
        return importer.import_file(engine, entity, book(entity, rows, lang), f"{entity}.xlsx", actor="admin",
                                    today=TODAY)


def table(engine: Engine, name: str, *columns: str) -> list[tuple[Any, ...]]:
    t = T[name]
    with engine.connect() as conn:
        key = t.c.code if "code" in t.c else t.primary_key.columns.values()[0]
        return [tuple(r) for r in conn.execute(sa.select(*(t.c[c] for c in columns)).order_by(key))]


def errors(result: importer.ImportResult) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in result.errors]


@pytest.fixture
def place(engine: Engine) -> Engine:
    with engine.begin() as conn:
        c1 = f.community(conn, "C1")
        c2 = f.community(conn, "C2")
        f.party(conn, c1, "C1-GOV")
        f.party(conn, c1, "C1-PLT", kind="platform")
        f.livestream(conn, c1, "L1", held_on=D(2025, 7, 2))
        f.livestream(conn, c1, "L2", held_on=D(2025, 7, 23))
        f.livestream(conn, c2, "L9", held_on=D(2025, 7, 2))
        for priority, days in (("urgent", 1), ("general", 5), ("complex", 15)):     # as the migration inserts
            f.insert(conn, "request_sla", priority=priority, working_days=days)
    return engine


TOP = {"单位编号": "U-TOP", "单位名称": "C1街道办", "单位类型": "乡镇（街道）部门", "社区编号": "C1",
       "联席会议单位编号": "C1-GOV"}
DEPT = {"单位编号": "U-A", "单位名称": "C1城管中队", "单位类型": "乡镇（街道）部门", "社区编号": "C1",
        "上级单位编号": "U-TOP"}


def units(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        u, p = T["unit"], T["unit"].alias("p")
        return dict(conn.execute(sa.select(u.c.code, p.c.code).join_from(u, p, p.c.id == u.c.parent_id,
                                                                          isouter=True)).all())


# ---- units -------------------------------------------------------------------------------------------------------

def test_units_name_a_parent_of_the_same_file_party_and_community_by_code(place: Engine) -> None:
    # The department comes first: its parent is written after it and still found.
    result = load(place, "units", [DEPT, TOP])
    assert result.status == "committed", errors(result)
    assert result.created == 2
    assert units(place) == {"U-A": "U-TOP", "U-TOP": None}
    with place.connect() as conn:
        party = conn.execute(sa.select(T["party"].c.code).join(T["unit"], T["unit"].c.party_id == T["party"].c.id)
                             .where(T["unit"].c.code == "U-TOP")).scalar_one()
    assert party == "C1-GOV"
    # The export writes the parent as its code, and reads back as unchanged.
    with use_language("zh"):
        data, n = writer.export_xlsx(place, "units")
        again = importer.import_file(place, "units", data, "units.xlsx", actor="admin", dry_run=True)
    assert n == 2 and again.status == "valid" and again.unchanged == 2


def test_a_unit_cannot_be_its_own_parent(place: Engine) -> None:
    result = load(place, "units", [TOP, {**DEPT, "上级单位编号": "U-A"}])
    assert result.status == "rejected"
    assert errors(result) == [(3, "上级单位编号", "上级单位不能是本单位。")]
    assert units(place) == {}


def test_a_parent_cycle_is_refused_naming_the_circle(place: Engine) -> None:
    assert load(place, "units", [TOP, DEPT]).status == "committed"
    # The stored township now names its own department as its parent: U-TOP -> U-A -> U-TOP.
    result = load(place, "units", [{**TOP, "上级单位编号": "U-A"}])
    assert result.status == "rejected"
    [(row, column, message)] = errors(result)
    assert (row, column) == (2, "上级单位编号")
    assert "U-TOP → U-A → U-TOP" in message
    # Two new units that name each other, in English.
    result = load(place, "units", [{**DEPT, "单位编号": "U-X", "上级单位编号": "U-Y"},
                                   {**DEPT, "单位编号": "U-Y", "上级单位编号": "U-X"}], lang="en")
    assert [(r, c) for r, c, _ in errors(result)] == [(2, "parent_code"), (3, "parent_code")]
    assert "go round in a circle (U-X → U-Y → U-X)" in result.errors[0].message
    assert units(place) == {"U-A": "U-TOP", "U-TOP": None}


def test_unknown_party_and_parent_codes_are_named(place: Engine) -> None:
    result = load(place, "units", [{**TOP, "联席会议单位编号": "C9-GOV"}, {**DEPT, "上级单位编号": "U-NONE"}])
    assert [(r, c) for r, c, _ in errors(result)] == [(2, "联席会议单位编号"), (3, "上级单位编号")]
    assert "C9-GOV" in result.errors[0].message and "U-NONE" in result.errors[1].message


def test_undo_restores_a_unit_that_pointed_at_a_unit_the_batch_created(place: Engine) -> None:
    assert load(place, "units", [TOP, DEPT]).status == "committed"
    # A new township office becomes U-A's parent in one file; undoing it must restore U-A first.
    result = load(place, "units", [{**TOP, "单位编号": "U-NEW", "联席会议单位编号": None},
                                   {**DEPT, "上级单位编号": "U-NEW"}])
    assert result.status == "committed" and (result.created, result.updated) == (1, 1)
    assert units(place)["U-A"] == "U-NEW"
    summary = importer.undo_last(place, "units", actor="admin")
    assert (summary["deleted"], summary["restored"]) == (1, 1)
    assert units(place) == {"U-A": "U-TOP", "U-TOP": None}


# ---- the calendar and the SLA --------------------------------------------------------------------------------------

def test_calendar_days_import_update_and_undo_by_date(place: Engine) -> None:
    rows = [{"日期": "2027-01-01", "是否工作日": "否", "说明": "元旦"},
            {"日期": "2027/2/20", "是否工作日": "是", "说明": "春节调休上班"}]
    result = load(place, "calendar_days", rows)
    assert result.status == "committed" and result.created == 2, errors(result)
    with place.connect() as conn:
        calendar = workdays.load(conn)
    assert not calendar.is_workday(D(2027, 1, 1)) and calendar.is_workday(D(2027, 2, 20))   # a Saturday
    assert calendar.knows(2027)
    # Re-import by date: one changed note is an update, the other unchanged.
    result = load(place, "calendar_days", [{**rows[0], "说明": "元旦假期"}, rows[1]])
    assert (result.status, result.created, result.updated, result.unchanged) == ("committed", 0, 1, 1)
    assert table(place, "calendar_day", "day", "note")[0] == (D(2027, 1, 1), "元旦假期")
    importer.undo_last(place, "calendar_days", actor="admin")
    assert table(place, "calendar_day", "note")[0] == ("元旦",)
    importer.undo_last(place, "calendar_days", actor="admin")
    assert table(place, "calendar_day", "day") == []


def test_calendar_day_errors_name_row_and_column(place: Engine) -> None:
    result = load(place, "calendar_days", [{"日期": "2027-01-01", "是否工作日": "否"},
                                           {"日期": "2027年1月1日", "是否工作日": "否"},
                                           {"日期": "2027-13-01", "是否工作日": "是"},
                                           {"日期": "2027-01-02", "是否工作日": "也许"}])
    assert [(r, c) for r, c, _ in errors(result)] == [(3, "日期"), (4, "日期"), (5, "是否工作日")]
    assert "与第 2 行重复" in result.errors[0].message
    assert table(place, "calendar_day", "day") == []


def test_sla_rows_are_updated_by_priority_within_range(place: Engine) -> None:
    result = load(place, "request_slas", [{"优先级": "紧急", "工作日数": 2}, {"优先级": "一般", "工作日数": 5}])
    assert (result.status, result.updated, result.unchanged) == ("committed", 1, 1)
    assert dict(table(place, "request_sla", "priority", "working_days")) == {"urgent": 2, "general": 5,
                                                                            "complex": 15}
    result = load(place, "request_slas", [{"优先级": "复杂", "工作日数": 0}, {"优先级": "一般", "工作日数": 400},
                                          {"优先级": "很急", "工作日数": 1}], lang="zh")
    assert [(r, c) for r, c, _ in errors(result)] == [(2, "工作日数"), (3, "工作日数"), (4, "优先级")]
    assert "1 到 365" in result.errors[0].message


@pytest.mark.parametrize("role", list(Role))
def test_only_an_admin_imports_the_calendar_and_the_sla(role: Role) -> None:
    for entity in ("calendar_days", "request_slas"):
        assert access.can_import(role, entity) == (role is Role.admin)


# ---- requests ----------------------------------------------------------------------------------------------------

@pytest.fixture
def routing(place: Engine) -> Engine:
    other = {"单位编号": "U-C2", "单位名称": "C2村委会", "单位类型": "村（居）委会", "社区编号": "C2"}
    assert load(place, "units", [TOP, DEPT, other]).status == "committed"
    return place


NEW = {"诉求编号": "R1", "直播编号": "L1", "提出日期": "2025-07-02", "诉求类别": "快递堆放", "状态": "已收集",
       "诉求内容": "快递堆在楼道"}
ROUTED = {**NEW, "状态": "已转办", "主办单位编号": "U-A", "转办日期": "2025-07-03", "优先级": "一般"}
RESOLVED = {**ROUTED, "状态": "已办结", "办结类型": "已解决", "办结日期": "2025-07-08", "办理结果": "已清理"}
CLOSED = {**RESOLVED, "状态": "已关闭", "反馈直播编号": "L2", "回访结果": "满意", "回访次数": 1,
          "关闭日期": "2025-07-25"}


def test_a_closed_request_with_its_whole_history_imports(routing: Engine) -> None:
    result = load(routing, "requests", [CLOSED, {**ROUTED, "诉求编号": "R2"}])
    assert result.status == "committed", errors(result)
    rows = table(routing, "request", "code", "status", "outcome", "satisfaction", "first_routed_on", "deadline",
                 "version")
    assert rows == [("R1", "closed", "solved", "satisfied", D(2025, 7, 3), D(2025, 7, 10), 1),
                    ("R2", "routed", None, None, D(2025, 7, 3), D(2025, 7, 10), 1)]


LIFECYCLE = [
    # (what the row says, the column named, part of the message)
    ({**CLOSED, "反馈直播编号": None}, "反馈直播编号", "在哪一期直播中反馈"),
    ({**CLOSED, "关闭日期": None}, "关闭日期", "必须填写关闭日期"),
    ({**ROUTED, "主办单位编号": None}, "主办单位编号", "「已转办」或之后"),
    ({**ROUTED, "转办日期": None}, "转办日期", "「已转办」或之后"),
    ({**RESOLVED, "办结日期": None}, "办结日期", "「已办结」或之后"),
    ({**RESOLVED, "办结类型": None}, "办结类型", "「已办结」或之后"),
    ({**ROUTED, "转办日期": "2025-07-01"}, "转办日期", "早于「提出日期」（2025-07-02）"),
    ({**CLOSED, "关闭日期": "2025-07-07"}, "关闭日期", "早于「办结日期」（2025-07-08）"),
    ({**RESOLVED, "办结日期": "2025-07-01"}, "办结日期", "早于「提出日期」"),
    ({**ROUTED, "办理期限": "2025-07-01"}, "办理期限", "早于「提出日期」"),
    ({**RESOLVED, "状态": "办理中", "关闭日期": "2025-07-20"}, "关闭日期", "只有「已关闭」的诉求才有关闭日期"),
    ({**RESOLVED, "办结类型": "不合理诉求", "办理结果": None, "不合理认定提出人": "社工甲",
      "不合理认定同意人": "站长乙"}, "办理结果", "写明理由"),
    ({**RESOLVED, "办结类型": "不合理诉求", "不合理认定提出人": "社工甲"}, "不合理认定同意人", "第二个人同意"),
    ({**RESOLVED, "办结类型": "不合理诉求", "不合理认定提出人": "社工甲", "不合理认定同意人": "社工甲"},
     "不合理认定同意人", "不能是提出人本人"),
    ({**CLOSED, "回访结果": "三次未接通", "回访次数": 2}, "回访次数", "至少为 3 次"),
    ({**NEW, "附议数": -1}, "附议数", "不能为负数"),
    ({**CLOSED, "反馈直播编号": "L9"}, "反馈直播编号", "另一个社区的直播"),
    ({**ROUTED, "主办单位编号": "U-C2"}, "主办单位编号", "主办单位属于另一个社区"),
]


@pytest.mark.parametrize(("row", "column", "says"), LIFECYCLE, ids=[f"{c}-{s}" for _, c, s in LIFECYCLE])
def test_a_broken_lifecycle_is_refused_naming_row_and_column(routing: Engine, row: dict[str, Any], column: str,
                                                             says: str) -> None:
    good = {**CLOSED, "诉求编号": "R0"}
    result = load(routing, "requests", [good, {**row, "诉求编号": "R9"}])
    assert result.status == "rejected"
    assert [(r, c) for r, c, _ in errors(result)] == [(3, column)], errors(result)
    assert says in result.errors[0].message
    assert table(routing, "request", "code") == []             # all or nothing: the good row is not written


def test_the_lifecycle_speaks_english_with_english_headers(routing: Engine) -> None:
    result = load(routing, "requests", [{**CLOSED, "反馈直播编号": None}], lang="en")
    assert errors(result) == [(2, "reported_session_code",
                               "A request that is Reported back or Closed needs the livestream it was reported in.")]


def test_a_column_the_file_lacks_is_named_as_the_template_names_it(routing: Engine) -> None:
    row = {k: v for k, v in CLOSED.items() if k != "反馈直播编号"}
    result = load(routing, "requests", [row])
    assert [(r, c) for r, c, _ in errors(result)] == [(2, "反馈直播编号")]


def test_a_deadline_left_blank_counts_working_days_on_the_chinese_calendar(routing: Engine) -> None:
    # Routed on the eve of National Day 2025 with 5 working days: Oct 1-8 are holidays, Saturday Oct 11 a 调休
    # working day: 9, 10, 11, 13, 14. Routed on Friday Sep 26 with 1 (urgent): the 调休 Sunday Sep 28.
    rows = [{**ROUTED, "提出日期": "2025-09-29", "转办日期": "2025-09-30"},
            {**ROUTED, "诉求编号": "R2", "提出日期": "2025-09-26", "转办日期": "2025-09-26", "优先级": "紧急"},
            {**ROUTED, "诉求编号": "R3", "办理期限": "2025-07-31"},                 # given: kept
            {**NEW, "诉求编号": "R4"}]                                             # not routed: none
    result = load(routing, "requests", rows)
    assert result.status == "committed", errors(result)
    assert table(routing, "request", "code", "deadline") == [
        ("R1", D(2025, 10, 14)), ("R2", D(2025, 9, 28)), ("R3", D(2025, 7, 31)), ("R4", None)]


def test_the_deadline_follows_the_admins_calendar_and_sla(routing: Engine) -> None:
    assert load(routing, "calendar_days", [{"日期": "2025-10-09", "是否工作日": "否", "说明": "本地停工"}]).status \
        == "committed"
    assert load(routing, "request_slas", [{"优先级": "一般", "工作日数": 2}]).status == "committed"
    result = load(routing, "requests", [{**ROUTED, "提出日期": "2025-09-29", "转办日期": "2025-09-30"}])
    assert result.status == "committed", errors(result)
    assert table(routing, "request", "deadline") == [(D(2025, 10, 11),)]     # Oct 10, then the 调休 Saturday


def test_a_priority_without_sla_cannot_get_a_deadline(routing: Engine) -> None:
    with routing.begin() as conn:
        conn.execute(T["request_sla"].delete().where(T["request_sla"].c.priority == "complex"))
    result = load(routing, "requests", [{**ROUTED, "优先级": "复杂"}, {**ROUTED, "诉求编号": "R2"}])
    assert [(r, c) for r, c, _ in errors(result)] == [(2, "办理期限")]
    assert "「复杂」没有设置办理时限" in result.errors[0].message


def test_reimport_moves_forward_bumps_the_version_and_never_goes_back(routing: Engine) -> None:
    assert load(routing, "requests", [NEW]).status == "committed"
    result = load(routing, "requests", [ROUTED])
    assert (result.status, result.updated) == ("committed", 1), errors(result)
    assert table(routing, "request", "status", "version") == [("routed", 2)]
    # Unchanged: no write, no new version.
    assert load(routing, "requests", [ROUTED]).unchanged == 1
    assert table(routing, "request", "version") == [(2,)]
    back = load(routing, "requests", [NEW])
    assert errors(back) == [(2, "状态", "这条诉求已存的状态是「已转办」，导入不能把它改回更早的状态；"
                                        "退回、重新打开请在诉求页面操作。")]
    assert table(routing, "request", "status") == [("routed",)]


def test_an_update_is_checked_with_the_stored_columns_it_leaves_alone(routing: Engine) -> None:
    assert load(routing, "requests", [RESOLVED]).status == "committed"
    # Closing with only the required columns and the closing date: the stored lead unit and outcome count, the
    # missing livestream it was reported in does not exist yet.
    close = {k: CLOSED[k] for k in ("诉求编号", "直播编号", "提出日期", "诉求类别", "状态", "关闭日期")}
    result = load(routing, "requests", [close])
    assert [(r, c) for r, c, _ in errors(result)] == [(2, "反馈直播编号")]
    result = load(routing, "requests", [{**close, "反馈直播编号": "L2"}])
    assert result.status == "committed", errors(result)
    assert table(routing, "request", "status", "lead_unit_id", "reported_session_id") == [("closed", 2, 2)]
    # Closing before the stored resolution: the file's date is named.
    result = load(routing, "requests", [{**close, "诉求编号": "R1", "反馈直播编号": "L2", "关闭日期": "2025-07-05"}])
    assert [(r, c) for r, c, _ in errors(result)] == [(2, "关闭日期")]


def test_masked_request_text_is_not_imported_back(routing: Engine) -> None:
    result = load(routing, "requests", [{**NEW, "诉求内容": "*先生反映快递堆放，电话138****5678"}])
    assert [(r, c) for r, c, _ in errors(result)] == [(2, "诉求内容")]
    assert "打过码" in result.errors[0].message
    # A plain star in a resident's text is not a mask.
    assert load(routing, "requests", [{**NEW, "诉求内容": "希望评分*5星的快递点"}]).status == "committed"
