"""The requests spreadsheet after issue 16: an optional 提问居民 (resident) column in the template and the import;
the source of a request (手工录入, 直播现场录入, 评论导入, 表格导入) shown in exports but never read from a file; a
request an import creates is 表格导入; the resident's personal data masked in an export for a role that may not see
it."""

import csv
import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.accounts import Principal
from dashboard.excel import importer, writer
from dashboard.excel.spec import ENTITIES
from dashboard.i18n import use_language
from dashboard.services import capture
from data_models.enums import Role
from tests import factories as f

D = dt.date
TODAY = D(2026, 12, 2)


def book(rows: list[dict[str, Any]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    headers = list(rows[0])
    ws.append(headers)
    for r in rows:
        ws.append([r[h] for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def place(engine: Engine) -> Engine:
    with engine.begin() as conn:
        c1 = f.community(conn, "C1")
        f.livestream(conn, c1, "L1", held_on=D(2026, 11, 25), quarter="2026Q4")
        f.livestream(conn, c1, "LIVE", held_on=TODAY, quarter="2026Q4")
    return engine


def test_the_template_has_the_resident_and_not_the_source() -> None:
    entity = ENTITIES["requests"]
    assert [x.zh for x in entity.fields if x.column in ("resident", "source")] == ["提问居民"]
    assert not next(x for x in entity.fields if x.column == "resident").required
    assert [x.zh for x in entity.exported][-1] == "来源"
    with use_language("zh"):
        ws = openpyxl.load_workbook(io.BytesIO(writer.template_xlsx("requests"))).worksheets[0]
    headers = [c.value for c in ws[1]]
    assert "提问居民" in headers and "来源" not in headers


def test_an_imported_request_is_source_imported_whatever_the_file_says(place: Engine) -> None:
    rows = [{"诉求编号": "R-IMP-1", "直播编号": "L1", "提出日期": "2026-11-25", "诉求类别": "快递堆放",
             "状态": "已收集", "诉求内容": "快递堆放", "提问居民": "5号楼 王阿姨", "来源": "直播现场录入"}]
    with use_language("zh"):
        result = importer.import_file(place, "requests", book(rows), "r.xlsx", actor="admin", today=TODAY)
    assert result.status == "committed", [e.message for e in result.errors]
    with place.connect() as conn:
        row = conn.execute(sa.text("SELECT resident, source FROM request WHERE code = 'R-IMP-1'")).one()
    assert tuple(row) == ("5号楼 王阿姨", "imported")


def test_a_reimport_keeps_how_a_request_came_in(place: Engine) -> None:
    with Session(place) as s:
        code = capture.capture(s, livestream_code="LIVE", category="sanitation", description="垃圾", resident="小燕子",
                               priority="general", actor=Principal("sw", Role.social_worker),
                               now=dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)).code
        s.commit()
    rows = [{"诉求编号": code, "直播编号": "LIVE", "提出日期": "2026-12-02", "诉求类别": "环境卫生", "状态": "已收集",
             "诉求内容": "垃圾没人收", "提问居民": "小燕子（5栋）"}]
    with use_language("zh"):
        result = importer.import_file(place, "requests", book(rows), "r.xlsx", actor="admin", today=TODAY)
    assert result.status == "committed", [e.message for e in result.errors]
    with place.connect() as conn:
        row = conn.execute(sa.text("SELECT resident, source, description FROM request WHERE code = :c"),
                           {"c": code}).one()
    assert tuple(row) == ("小燕子（5栋）", "live", "垃圾没人收")


@pytest.mark.parametrize(("personal", "resident"), [(True, "王先生 13812345678"), (False, "*先生 138****5678")])
def test_exports_show_the_resident_and_the_source(place: Engine, personal: bool, resident: str) -> None:
    with place.begin() as conn:
        f.request(conn, 2, 1, code="R-X", raised_on=TODAY, quarter="2026Q4", deadline=None, source="live",
                  resident="王先生 13812345678")
    with use_language("zh"):
        data = writer.export_csv(place, "requests", personal=personal)
        book_bytes, count = writer.export_xlsx(place, "requests", personal=personal)
    header, row = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header[-1] == "来源" and "提问居民" in header
    assert row[header.index("提问居民")] == resident and row[-1] == "直播现场录入"
    ws = openpyxl.load_workbook(io.BytesIO(book_bytes)).worksheets[1]
    cells = [[c.value for c in r] for r in ws.iter_rows(max_row=2)]
    assert count == 1 and cells[0][-1] == "来源" and cells[1][-1] == "直播现场录入"
    assert cells[1][cells[0].index("提问居民")] == resident
