"""Issue 14: follow-ups and subsidy rules through the import (keyed by enrolment + wave; refusals naming row and
column), and follow-ups and certificates kept in step when courses or enrolments are imported or undone."""

import csv
import datetime as dt
import io
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard import training_sync
from dashboard.excel import importer, writer
from dashboard.i18n import set_language, use_language
from dashboard.services.errors import RuleError
from tests import factories as f

TODAY = dt.date(2026, 3, 1)
HEAD = ["报名编号", "回访批次", "回访状态", "尝试次数", "最近尝试日期", "联系上日期", "就业情况", "开设网店",
        "每周直播场次", "回访时月收入（元）", "备注", "记录人"]


def as_csv(rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8")


def run(engine: Engine, entity: str, data: bytes, **kw: Any) -> importer.ImportResult:
    return importer.import_file(engine, entity, data, "f.csv", actor="社工甲", today=kw.pop("today", TODAY), **kw)


def errors(result: importer.ImportResult) -> list[tuple[int, str]]:
    return [(e.row, e.column) for e in result.errors]


@pytest.fixture
def course(engine: Engine) -> Engine:
    """Course K1 ends 2025-07-04; E1 and E2 completed (follow-ups due 2025-10-04 and 2026-01-04), E3 not."""
    set_language("zh")
    with engine.begin() as conn:
        c = f.community(conn, "C1")
        k = f.course(conn, c, "K1")
        for code, completed in (("E1", True), ("E2", True), ("E3", False)):
            p = f.practitioner(conn, c, "P" + code)
            f.enrolment(conn, k, p, c, code, completed=completed, attended=True, income_before_cents=300_000)
        training_sync.sync(conn)
    return engine


def stored(engine: Engine, enrolment: str, wave: str) -> dict[str, Any]:
    fu, en = training_sync.FOLLOWUP, training_sync.ENROLMENT
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(fu).join(en, en.c.id == fu.c.enrolment_id)
                                 .where(en.c.code == enrolment, fu.c.wave == wave)).mappings().one())


def test_an_import_answers_the_follow_up_of_that_enrolment_and_wave_and_bumps_its_version(course: Engine) -> None:
    data = as_csv([HEAD,
                   ["E1", "3个月回访", "已联系上", "2", "2025-10-05", "2025-10-06", "电商自主经营", "是", "3",
                    "4200.50", "开了网店", "社工甲"],
                   ["E1", "6个月回访", "待回访", "1", "2026-01-05", "", "", "", "", "", "未接", ""],
                   ["E2", "m3", "联系不上", "3", "2025-10-20", "", "", "", "", "", "", ""]])
    result = run(course, "followups", data)
    assert result.status == "committed", result.errors
    assert (result.created, result.updated, result.unchanged) == (0, 3, 0)
    m3 = stored(course, "E1", "m3")
    assert m3["status"] == "reached" and m3["employment"] == "ecommerce_self" and m3["income_cents"] == 420_050
    assert m3["reached_on"] == dt.date(2025, 10, 6) and m3["opened_store"] and m3["livestreams_per_week"] == 3
    assert m3["version"] == 2 and m3["due_on"] == dt.date(2025, 10, 4)
    assert stored(course, "E1", "m6")["tries"] == 1 and stored(course, "E2", "m3")["status"] == "unreachable"
    # The same file again changes nothing; undo restores what was there, the version moves on again.
    assert run(course, "followups", data, dry_run=True).unchanged == 3
    importer.undo_last(course, "followups", actor="社工甲")
    back = stored(course, "E1", "m3")
    assert back["status"] == "pending" and back["employment"] is None and back["version"] == 3


def test_a_page_form_open_on_the_follow_up_is_told_it_changed(course: Engine) -> None:
    """The import bumps `version`: a compare-and-set on the version the form read matches no row."""
    before = stored(course, "E1", "m3")["version"]
    run(course, "followups", as_csv([HEAD[:3], ["E1", "3个月回访", "待回访"], ["E1", "6个月回访", "待回访"]]))
    assert stored(course, "E1", "m3")["version"] == before        # unchanged rows are not written
    run(course, "followups", as_csv([HEAD[:4], ["E1", "3个月回访", "待回访", "1"]]))
    with course.begin() as conn:
        hit = conn.execute(sa.text("UPDATE training_followup SET tries = 2 WHERE id = :i AND version = :v"),
                           {"i": stored(course, "E1", "m3")["id"], "v": before}).rowcount
    assert hit == 0


REFUSALS = [
    ("not completed", ["E3", "3个月回访", "待回访", "0", "", "", "", "", "", "", "", ""], "报名编号", "没有结业"),
    ("reached without date", ["E1", "3个月回访", "已联系上", "1", "", "", "未就业", "", "", "", "", ""],
     "联系上日期", "联系上日期"),
    ("reached without employment", ["E1", "3个月回访", "已联系上", "1", "", "2025-10-06", "", "", "", "", "", ""],
     "就业情况", "就业情况"),
    ("answer not reached", ["E1", "3个月回访", "待回访", "1", "", "", "", "", "", "3000", "", ""],
     "回访时月收入（元）", "没有联系上"),
    ("store not reached", ["E1", "3个月回访", "联系不上", "3", "", "", "", "否", "", "", "", ""],
     "开设网店", "没有联系上"),
    ("future date", ["E1", "3个月回访", "待回访", "1", "2026-03-02", "", "", "", "", "", "", ""],
     "最近尝试日期", "2026-03-01"),
    ("reached in future", ["E1", "3个月回访", "已联系上", "1", "", "2026-03-02", "未就业", "", "", "", "", ""],
     "联系上日期", "2026-03-01"),
    ("before course end", ["E1", "3个月回访", "已联系上", "1", "", "2025-07-03", "未就业", "", "", "", "", ""],
     "联系上日期", "2025-07-04"),
    ("unreachable, 2 tries", ["E1", "3个月回访", "联系不上", "2", "", "", "", "", "", "", "", ""], "尝试次数",
     "至少为 3 次"),
    ("livestreams out of range", ["E1", "3个月回访", "已联系上", "1", "", "2025-10-06", "未就业", "", "51", "", "",
                                  ""], "每周直播场次", "0 到 50"),
    ("unknown enrolment", ["E9", "3个月回访", "待回访", "0", "", "", "", "", "", "", "", ""], "报名编号", "不存在"),
    ("bad wave", ["E1", "9个月", "待回访", "0", "", "", "", "", "", "", "", ""], "回访批次", "3个月回访"),
]


@pytest.mark.parametrize(("case", "row", "column", "says"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_name_row_and_column_and_write_nothing(course: Engine, case: str, row: list[str], column: str,
                                                        says: str) -> None:
    ok = ["E2", "3个月回访", "待回访", "1", "2025-10-05", "", "", "", "", "", "", ""]
    result = run(course, "followups", as_csv([HEAD, ok, row]))
    assert result.status == "rejected"
    assert errors(result) == [(3, column)], result.errors
    assert says in result.errors[0].message
    assert stored(course, "E2", "m3")["tries"] == 0


def test_refusals_are_said_in_english_too(course: Engine) -> None:
    with use_language("en"):
        result = run(course, "followups", as_csv([
            ["enrolment_code", "wave", "status", "tries"], ["E1", "m3", "unreachable", "1"]]))
    assert errors(result) == [(2, "tries")] and "at least 3 tries" in result.errors[0].message


def test_a_due_date_given_must_be_the_computed_one(course: Engine) -> None:
    head = ["报名编号", "回访批次", "应回访日期", "回访状态"]
    same = run(course, "followups", as_csv([head, ["E1", "3个月回访", "2025-10-04", "待回访"]]), dry_run=True)
    assert same.status == "valid" and same.unchanged == 1
    moved = run(course, "followups", as_csv([head, ["E1", "3个月回访", "2025-10-09", "待回访"]]))
    assert errors(moved) == [(2, "应回访日期")] and "2025-10-04" in moved.errors[0].message


def test_the_same_enrolment_and_wave_twice_is_refused_two_waves_are_not(course: Engine) -> None:
    result = run(course, "followups", as_csv([HEAD[:3], ["E1", "3个月回访", "待回访"], ["E1", "m6", "待回访"],
                                              ["E1", "m3", "待回访"]]))
    assert errors(result) == [(4, "报名编号")] and "第 2 行" in result.errors[0].message


def test_a_partial_file_is_checked_with_the_stored_answers(course: Engine) -> None:
    """Only status and tries in the file: a reached follow-up set back to pending keeps its stored answers,
    which a pending one may not have."""
    full = as_csv([HEAD, ["E1", "3个月回访", "已联系上", "1", "", "2025-10-06", "未就业", "", "", "", "", ""]])
    assert run(course, "followups", full).status == "committed"
    back = run(course, "followups", as_csv([HEAD[:4], ["E1", "3个月回访", "待回访", "1"]]))
    assert back.status == "rejected" and {c for _, c in errors(back)} == {"联系上日期", "就业情况"}


def test_the_export_imports_back_unchanged(course: Engine) -> None:
    run(course, "followups", as_csv([HEAD, ["E1", "3个月回访", "已联系上", "2", "2025-10-05", "2025-10-06",
                                            "电商受雇", "否", "0", "3800", "", "社工甲"]]))
    data, n = writer.export_xlsx(course, "followups")
    assert n == 4
    result = run(course, "followups", data, dry_run=True)
    assert result.status == "valid" and result.unchanged == 4, result.errors


# --- subsidy rules --------------------------------------------------------------------------------------------------

RULE_HEAD = ["规则编号", "规则名称", "生效日期", "失效日期", "初级补贴（元/人）", "中级补贴（元/人）",
             "高级补贴（元/人）", "取证拨付比例（%）", "就业率要求（%）"]


def test_subsidy_rules_import_and_refuse_overlaps_naming_both_rows(engine: Engine) -> None:
    set_language("zh")
    ok = run(engine, "subsidy_rules", as_csv([RULE_HEAD, ["BT1", "2024版", "2024-01-01", "2024-12-31", "800", "1500",
                                                          "2500", "60", "50"]]))
    assert ok.status == "committed", ok.errors
    clash = as_csv([RULE_HEAD,
                    ["BT2", "2025版", "2025-01-01", "", "900", "1600", "2600", "60", "50"],
                    ["BT3", "2025修订", "2025-06-01", "2025-12-31", "900", "1600", "2600", "60", "50"],
                    ["BT4", "旧", "2024-12-01", "2024-12-31", "900", "1600", "2600", "60", "50"]])
    result = run(engine, "subsidy_rules", clash)
    assert result.status == "rejected"
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert set(messages) == {(2, "生效日期"), (3, "生效日期"), (4, "生效日期")}
    assert "第 3 行" in messages[(2, "生效日期")] and "第 2 行" in messages[(3, "生效日期")]
    assert "BT1" in messages[(4, "生效日期")]
    # Re-importing a rule under its own code is not an overlap with itself.
    again = run(engine, "subsidy_rules", as_csv([RULE_HEAD, ["BT1", "2024版", "2024-01-01", "2024-12-31", "800",
                                                             "1500", "2500", "60", "50"]]), dry_run=True)
    assert again.status == "valid" and again.unchanged == 1


@pytest.mark.parametrize(("column", "value"), [("取证拨付比例（%）", "101"), ("就业率要求（%）", "-1")])
def test_subsidy_percentages_outside_0_to_100_are_refused(engine: Engine, column: str, value: str) -> None:
    set_language("zh")
    row = dict(zip(RULE_HEAD, ["BT1", "x", "2024-01-01", "", "800", "1500", "2500", "60", "50"], strict=True))
    row[column] = value
    result = run(engine, "subsidy_rules", as_csv([RULE_HEAD, list(row.values())]))
    assert errors(result) == [(2, column)] and "0 到 100" in result.errors[0].message


# --- training_sync after imports and undos of courses and enrolments ----------------------------------------------

ENROL_HEAD = ["报名编号", "课程编号", "从业者编号", "报名日期", "出勤", "结业", "取得证书"]


def counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return (f.count(conn, "training_followup"), f.count(conn, "certificate"),
                conn.execute(sa.text("SELECT COUNT(*) FROM certificate WHERE revoked_on IS NULL")).scalar_one())


def test_importing_enrolments_makes_follow_ups_and_certificates_and_undo_takes_them_back(engine: Engine) -> None:
    set_language("zh")
    with engine.begin() as conn:
        c = f.community(conn, "C1")
        f.course(conn, c, "K1")
        f.practitioner(conn, c, "P1")
        f.practitioner(conn, c, "P2")
    data = as_csv([ENROL_HEAD, ["E1", "K1", "P1", "2025-07-01", "是", "是", "是"],
                   ["E2", "K1", "P2", "2025-07-01", "是", "否", "否"]])
    assert run(engine, "enrolments", data).status == "committed"
    assert counts(engine) == (2, 1, 1)
    assert stored(engine, "E1", "m6")["due_on"] == dt.date(2026, 1, 4)
    # E2 completed and E1 no longer certified by a second import: E2 gains two follow-ups, E1's certificate is
    # revoked (it stays, to look up as revoked).
    fix = as_csv([ENROL_HEAD, ["E1", "K1", "P1", "2025-07-01", "是", "是", "否"],
                  ["E2", "K1", "P2", "2025-07-01", "是", "是", "否"]])
    assert run(engine, "enrolments", fix).status == "committed"
    assert counts(engine) == (4, 1, 0)
    importer.undo_last(engine, "enrolments", actor="x")
    assert counts(engine) == (2, 1, 1)
    importer.undo_last(engine, "enrolments", actor="x")
    assert counts(engine) == (0, 0, 0)


def test_undo_keeps_a_follow_up_someone_recorded(engine: Engine) -> None:
    set_language("zh")
    with engine.begin() as conn:
        c = f.community(conn, "C1")
        f.course(conn, c, "K1")
        f.practitioner(conn, c, "P1")
    assert run(engine, "enrolments", as_csv([ENROL_HEAD, ["E1", "K1", "P1", "2025-07-01", "是", "是", "否"]])
               ).status == "committed"
    fix = as_csv([ENROL_HEAD, ["E1", "K1", "P1", "2025-07-01", "是", "否", "否"]])
    run(engine, "followups", as_csv([HEAD[:4], ["E1", "3个月回访", "待回访", "1"]]))
    assert run(engine, "enrolments", fix).status == "committed"       # no longer completed
    assert counts(engine)[0] == 1            # the untried 6-month one went; the tried 3-month one stays
    importer.undo_last(engine, "enrolments", actor="x")                      # completed again: m6 is back
    assert counts(engine)[0] == 2 and stored(engine, "E1", "m3")["tries"] == 1
    # Undoing the import that created E1 would delete a follow-up someone worked on: refused, nothing changes.
    with pytest.raises(RuleError):
        importer.undo_last(engine, "enrolments", actor="x")
    assert counts(engine)[0] == 2


def test_importing_a_course_with_a_new_last_day_moves_untried_follow_ups(engine: Engine) -> None:
    set_language("zh")
    with engine.begin() as conn:
        c = f.community(conn, "C1")
        k = f.course(conn, c, "K1")
        f.enrolment(conn, k, f.practitioner(conn, c, "P1"), c, "E1")
        training_sync.sync(conn)
    head = ["课程编号", "社区编号", "课程名称", "主题", "级别", "课时", "开始日期", "结束日期"]
    moved = as_csv([head, ["K1", "C1", "直播带货", "livestreaming", "basic", "12", "2025-07-01", "2025-07-10"]])
    assert run(engine, "courses", moved).status == "committed"
    assert stored(engine, "E1", "m3")["due_on"] == dt.date(2025, 10, 10)
    importer.undo_last(engine, "courses", actor="x")
    assert stored(engine, "E1", "m3")["due_on"] == dt.date(2025, 10, 4)


def test_an_import_does_not_certify_again_whom_a_person_revoked(engine: Engine) -> None:
    """The trainer's roster exported before a revocation still says 取得证书 = 是: importing it must not count the
    learner as certified again next to a revoked certificate."""
    set_language("zh")
    with engine.begin() as conn:
        c = f.community(conn, "C1")
        f.course(conn, c, "K1")
        f.practitioner(conn, c, "P1")
    row = ["E1", "K1", "P1", "2025-07-01", "是", "是", "是"]
    assert run(engine, "enrolments", as_csv([ENROL_HEAD, row])).status == "committed"
    with engine.begin() as conn:      # as dashboard.services.certificates.revoke leaves it
        conn.execute(sa.text("UPDATE certificate SET revoked_on = '2026-02-01', revoked_reason = '代考', "
                             "revoked_by = '协会管理员'"))
        conn.execute(sa.text("UPDATE enrolment SET certified = :f"), {"f": False})
    result = run(engine, "enrolments", as_csv([ENROL_HEAD, row]))
    assert result.status != "committed"
    assert errors(result) == [(2, "取得证书")]
    assert "已于 2026-02-01 撤销（代考）" in result.errors[0].message
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT certified FROM enrolment")).scalar_one() in (False, 0)
    # The same file saying 否 goes in.
    assert run(engine, "enrolments", as_csv([ENROL_HEAD, [*row[:6], "否"]])).status == "committed"


def test_undo_of_a_follow_up_import_never_overwrites_an_answer_recorded_on_the_page_since(course: Engine) -> None:
    from sqlmodel import Session

    from dashboard.accounts import Principal
    from dashboard.services import followups
    from data_models.enums import Role
    run(course, "followups", as_csv([HEAD[:4], ["E1", "3个月回访", "待回访", "1"]]))
    fu = stored(course, "E1", "m3")
    with Session(course) as s:
        followups.record_reached(s, fu["id"], version=fu["version"], on=dt.date(2025, 10, 9),
                                 answer=followups.Answer("ecommerce_employed", None, None, 380_000),
                                 actor=Principal("sw", Role.social_worker), today=TODAY)
        s.commit()
    with pytest.raises(RuleError) as refused:
        importer.undo_last(course, "followups", actor="社工甲")
    assert "E1 / m3" in refused.value.message()
    kept = stored(course, "E1", "m3")
    assert kept["status"] == "reached" and kept["income_cents"] == 380_000


def test_undo_does_not_certify_again_whom_a_person_revoked(engine: Engine) -> None:
    set_language("zh")
    with engine.begin() as conn:
        c = f.community(conn, "C1")
        f.course(conn, c, "K1")
        f.practitioner(conn, c, "P1")
    head = [*ENROL_HEAD, "满意度"]
    assert run(engine, "enrolments", as_csv([head, ["E1", "K1", "P1", "2025-07-01", "是", "是", "是", "4"]])
               ).status == "committed"
    assert run(engine, "enrolments", as_csv([head, ["E1", "K1", "P1", "2025-07-01", "是", "是", "是", "5"]])
               ).status == "committed"
    with engine.begin() as conn:      # as dashboard.services.certificates.revoke leaves it
        conn.execute(sa.text("UPDATE certificate SET revoked_on = '2026-02-01', revoked_reason = '代考', "
                             "revoked_by = '协会管理员'"))
        conn.execute(sa.text("UPDATE enrolment SET certified = :f"), {"f": False})
    importer.undo_last(engine, "enrolments", actor="x")      # puts back the first file's row, 取得证书 = 是
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT certified, satisfaction FROM enrolment")).one() in ((False, 4), (0, 4))
        assert conn.execute(sa.text("SELECT revoked_by FROM certificate")).scalar_one() == "协会管理员"
    # Undoing the import that created E1 would delete the revoked certificate: refused.
    with pytest.raises(RuleError) as refused:
        importer.undo_last(engine, "enrolments", actor="x")
    assert "ZS-" in refused.value.message()
    assert counts(engine)[1] == 1
