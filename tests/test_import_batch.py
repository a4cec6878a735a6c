"""批量导入 as plain functions: each file's entity is recognised from its template's header; the files are written in
dependency order in one transaction, all or nothing; an entity the role may not import is refused by name."""

import datetime as dt
import itertools
import random
from functools import cache
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard import audit
from dashboard.excel import batch, writer
from dashboard.excel.batch import Upload
from dashboard.excel.spec import ENTITIES
from dashboard.i18n import use_language
from dashboard.periods import quarter_bounds
from tests import factories as f
from tests import journey_data as jd

QUARTER = "2026Q2"
TODAY = dt.date(2026, 7, 15)
MAX = 50 * 2**20
PEOPLE = 12
COUNTED = ("practitioner", "need_assessment", "course", "enrolment", "livestream_session", "request", "import_batch")


@cache
def rows() -> dict[str, list[dict[str, Any]]]:
    return jd.quarter_rows(QUARTER, people=PEOPLE)


@cache
def book(entity: str, lang: str = "zh") -> bytes:
    return jd.workbook(entity, rows()[entity], lang)


def uploads(*entities: str, changed: dict[str, bytes] | None = None) -> list[Upload]:
    """The quarter's files of `entities` (in this order), recognised as the page does."""
    files = {e: (changed or {}).get(e) or book(e) for e in entities}
    return [batch.recognised(Upload(jd.file_name(e, QUARTER), data), max_bytes=MAX) for e, data in files.items()]


def set_up(engine: Engine) -> None:
    jd.insert_setup(engine)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: f.count(conn, name) for name in COUNTED}


def audit_entries(engine: Engine) -> int:
    with engine.connect() as conn:
        return f.count(conn, "audit_log")


# --- recognition -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("entity", list(ENTITIES))
def test_every_template_header_is_recognised_as_its_entity(entity: str, lang: str) -> None:
    header = [f.header(lang) for f in ENTITIES[entity].fields]
    with use_language(lang):
        assert batch.fitting(header, "Sheet1")[0] == entity
        assert batch.fitting(header[::-1], "")[0] == entity                  # columns in any order


@pytest.mark.parametrize(("header", "sheet", "expected"), [
    (["单位编号", "单位名称", "单位类型", "社区编号"], "联席会议单位", "parties"),
    (["单位编号", "单位名称", "单位类型", "社区编号", "乡镇（街道）", "上级单位编号"], "Sheet1", "units"),
    (["单位编号", "单位名称", "单位类型"], "承办单位", "units"),       # the required columns only: the sheet decides
    (["单位编号", "单位名称", "单位类型"], "Sheet1", "parties"),
    (["*报名编号*", "课程编号", "从业者编号", "报名日期"], "", "enrolments"),   # a required marker is read through
    (["报名编号", "回访批次", "回访状态"], "", "followups"),
    (["code", "session_code", "raised_on", "category", "status"], "", "requests"),
    (["从业者编号", "姓名"], "从业者", None),                               # a required column is missing
    (["姓名", "电话", "备注"], "", None),
])
def test_a_header_fits_the_entity_with_most_of_its_columns(header: list[str], sheet: str,
                                                            expected: str | None) -> None:
    found = batch.fitting(header, sheet)
    assert (found[0] if found else None) == expected


def test_files_are_recognised_by_their_header_whatever_their_name() -> None:
    with use_language("en"):
        english = jd.workbook("livestreams", rows()["livestreams"], "en")
    csv = ("需求编号,从业者编号,需求类别,紧急程度,状态,识别日期\nN1,HX-P001,权益保障,中,需求识别,2026-05-01\n").encode()
    found = [batch.recognised(Upload(name, data), max_bytes=MAX) for name, data in [
        ("新建 XLSX 工作表.xlsx", book("practitioners")), ("直播.xlsx", english), ("需求.csv", csv),
        ("联系人.csv", "姓名,电话\n王芳,13800000000\n".encode()), ("照片.xlsx", b"not a workbook")]]
    assert [u.entity for u in found] == ["practitioners", "livestreams", "needs", None, None]
    assert found[3].problem is not None and "模板" in found[3].problem
    assert found[4].problem


def test_the_help_sheet_of_a_template_is_not_taken_for_data() -> None:
    """A template's second sheet lists every column's Chinese and English name: it must not fit any entity."""
    template = writer.template_xlsx("requests", "zh")
    assert batch.recognised(Upload("requests.xlsx", template), max_bytes=MAX).entity == "requests"


# --- order -------------------------------------------------------------------------------------------------------


def test_every_entity_is_written_after_the_entities_it_names() -> None:
    shuffled = list(ENTITIES)
    random.Random(42).shuffle(shuffled)
    order = [u.entity for u in batch.import_order([Upload(e, b"", e) for e in shuffled])]
    for i, entity in enumerate(order):
        assert not batch.depends_on(entity) & set(order[i + 1:]), entity      # type: ignore[arg-type]


@pytest.mark.parametrize("given", list(itertools.permutations(jd.CASEWORK))[::97])
def test_a_quarters_casework_is_ordered_practitioners_first(given: tuple[str, ...]) -> None:
    order = [u.entity for u in batch.import_order([Upload(e, b"", e) for e in given])]
    assert order == ["practitioners", "needs", "courses", "enrolments", "livestreams", "requests"]


def test_files_of_one_entity_keep_their_upload_order_and_unrecognised_files_come_last() -> None:
    given = [Upload("b", b"", "needs"), Upload("x", b""), Upload("a", b"", "practitioners"), Upload("c", b"", "needs")]
    assert [u.name for u in batch.import_order(given)] == ["a", "b", "c", "x"]


# --- all or nothing ------------------------------------------------------------------------------------------------


def test_the_quarter_is_checked_then_imported_in_one_go(engine: Engine) -> None:
    set_up(engine)
    files = uploads(*jd.CASEWORK)                                 # needs first, requests before livestreams
    before = audit_entries(engine)
    preview = batch.run_batch(engine, files, role="social_worker", actor="sw", commit=False, today=TODAY)
    assert preview.status == "valid", [(o.name, o.message, o.errors[:2]) for o in preview.files]
    assert preview.order == ["practitioners", "needs", "courses", "enrolments", "livestreams", "requests"]
    assert [o.result.created for o in preview.files if o.result] == [len(rows()[e]) for e in preview.order]
    assert counts(engine) == dict.fromkeys(COUNTED, 0) and audit_entries(engine) == before   # a preview writes nothing

    done = batch.run_batch(engine, files, role="social_worker", actor="sw", commit=True, today=TODAY)
    assert done.status == "committed"
    assert {o.status for o in done.files} == {"committed"}
    assert counts(engine) == {"practitioner": PEOPLE, "need_assessment": len(rows()["needs"]),
                              "course": 4, "enrolment": len(rows()["enrolments"]),
                              "livestream_session": len(rows()["livestreams"]),
                              "request": len(rows()["requests"]), "import_batch": 6}
    with engine.connect() as conn:
        assert audit.verify(conn).ok                                    # one chain, every file's entry in it
        quarters = set(conn.execute(sa.select(f.T["need_assessment"].c.quarter)).scalars())
        routed = conn.execute(sa.select(sa.func.count()).select_from(f.T["request"]).where(
            f.T["request"].c.lead_unit_id.is_not(None), f.T["request"].c.deadline.is_(None))).scalar_one()
    assert quarters == {QUARTER} and routed == 0                      # deadlines worked out from the SLA
    again = batch.run_batch(engine, files, role="social_worker", actor="sw", commit=False, today=TODAY)
    assert [o.result.unchanged for o in again.files if o.result] == [o.result.rows for o in again.files if o.result]


def test_an_error_in_the_third_file_writes_none_of_them(engine: Engine) -> None:
    set_up(engine)
    courses = [dict(r) for r in rows()["courses"]]
    start, _ = quarter_bounds(QUARTER)
    courses[1] = {**courses[1], "end_date": start - dt.timedelta(days=1)}        # ends before it starts
    files = uploads(*jd.CASEWORK, changed={"courses": jd.workbook("courses", courses)})
    before = audit_entries(engine)
    result = batch.run_batch(engine, files, role="social_worker", actor="sw", commit=True, today=TODAY)
    assert result.status == "rejected"
    assert [(o.entity, o.status) for o in result.files] == [
        ("practitioners", "valid"), ("needs", "valid"), ("courses", "rejected"), ("enrolments", "waiting"),
        ("livestreams", "valid"), ("requests", "valid")]
    bad = result.files[2]
    assert [(e.row, e.column) for e in bad.errors] == [(3, "结束日期")]      # the Excel row and the column
    assert "培训课程" in result.files[3].message                               # what the enrolments wait for
    assert counts(engine) == dict.fromkeys(COUNTED, 0) and audit_entries(engine) == before


def test_files_already_written_in_the_batch_are_rolled_back_when_a_later_one_fails(engine: Engine) -> None:
    """The practitioners are written (inside the batch's transaction) before the livestreams are checked; the
    livestreams fail, and the practitioners go with them."""
    set_up(engine)
    clash = [dict(r) for r in rows()["livestreams"]]
    clash[0] = {**clash[0], "code": clash[1]["code"]}                      # the same code twice in one file
    files = uploads("practitioners", "livestreams", changed={"livestreams": jd.workbook("livestreams", clash)})
    result = batch.run_batch(engine, files, role="social_worker", actor="sw", commit=True, today=TODAY)
    assert [o.status for o in result.files] == ["valid", "rejected"]
    assert result.files[0].result is not None and result.files[0].result.batch_id is None
    assert counts(engine)["practitioner"] == 0 and counts(engine)["import_batch"] == 0


@pytest.mark.parametrize(("role", "refused"), [("social_worker", "units"), ("association", "practitioners"),
                                               ("platform", "courses")])
def test_an_entity_the_role_may_not_import_is_refused_by_name(engine: Engine, role: str, refused: str) -> None:
    set_up(engine)
    allowed = {"social_worker": "livestreams", "association": "courses", "platform": "livestreams"}[role]
    extra = {"units": jd.workbook("units", jd.setup_rows()["units"])}.get(refused)
    files = uploads(allowed, refused, changed={refused: extra} if extra else None)
    result = batch.run_batch(engine, files, role=role, actor="x", commit=True, today=TODAY)
    assert result.status == "rejected"
    outcome = next(o for o in result.files if o.entity == refused)
    assert outcome.status == "refused"
    name = {"units": "承办单位", "practitioners": "从业者", "courses": "培训课程"}[refused]
    assert name in outcome.message and "没有权限导入" in outcome.message
    assert counts(engine) == dict.fromkeys(COUNTED, 0)


def test_an_unrecognised_file_holds_the_batch_back(engine: Engine) -> None:
    set_up(engine)
    contacts = batch.recognised(Upload("联系人.csv", "姓名,电话\n王芳,1\n".encode()), max_bytes=MAX)
    files = [*uploads("practitioners"), contacts]
    result = batch.run_batch(engine, files, role="social_worker", actor="sw", commit=True, today=TODAY)
    assert [(o.name, o.status) for o in result.files][-1] == ("联系人.csv", "unrecognised")
    assert result.status == "rejected" and counts(engine)["practitioner"] == 0
