"""Excel in and out on SQLite and PostgreSQL: refusals write nothing, errors point at the right cells,
exports re-import as unchanged, LibreOffice reads our files and we read LibreOffice's."""

import datetime as dt
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import data_models
from dashboard.excel import importer, writer
from dashboard.excel.spec import ENTITIES
from dashboard.i18n import set_language, t
from tests import factories as f

HAS_LO = shutil.which("soffice") is not None


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in data_models.metadata.sorted_tables}


def workbook(rows: list[list[object]], title_rows: int = 0) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "从业者名单"
    for _ in range(title_rows):
        ws.append(["2025年第三季度从业者登记表"])
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


HEADER = ["从业者编号", "社区编号", "姓名", "性别", "出生年份", "学历", "户籍", "就业形态", "职业",
          "日工作时长（小时）", "登记日期", "月收入（元）", "弱势群体标签"]
GOOD = ["P1", "C1", " 王秀英 ", "女", "1990", "初中", "农业户口", "灵活从业者", "主播", "11", "2025年3月1日",
        "3,200.50", "流动女性、低收入"]


@pytest.fixture
def community(engine: Engine) -> Engine:
    with engine.begin() as conn:
        f.community(conn, "C1")
    set_language("zh")
    return engine


def test_a_good_file_commits_and_a_reimport_is_unchanged_then_updated(community: Engine) -> None:
    data = workbook([HEADER, GOOD, ["Ｐ２", "C1", "李娟", "女", 1985, "高中/中专", "城镇户口", "平台雇员", "客服", 8,
                                    "2025-03-02", 4000, ""]])
    first = importer.import_file(community, "practitioners", data, "名单.xlsx", actor="社工")
    assert (first.status, first.created, first.updated, first.unchanged) == ("committed", 2, 0, 0)
    with community.connect() as conn:
        row = conn.execute(sa.text("SELECT name, monthly_income_cents, daily_work_hours, hukou FROM practitioner "
                                   "WHERE code = 'P1'")).one()
        groups = {g for (g,) in conn.execute(sa.text("SELECT \"group\" FROM practitioner_group"))}
        batch = conn.execute(sa.text("SELECT entity, created, actor FROM import_batch")).one()
    assert tuple(row) == ("王秀英", 320_050, 11.0, "rural") and groups == {"migrant_women", "low_income"}
    assert tuple(batch) == ("practitioners", 2, "社工")

    again = importer.import_file(community, "practitioners", data, "名单.xlsx", actor="社工")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = workbook([HEADER, [*GOOD[:11], "3300", "流动女性"]])
    third = importer.import_file(community, "practitioners", changed, "名单.xlsx", actor="社工")
    assert (third.created, third.updated, third.unchanged) == (0, 1, 0)
    with community.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM practitioner_group")).scalar_one() == 1


def test_errors_name_the_excel_row_and_column_and_nothing_is_written(community: Engine) -> None:
    bad = [*GOOD]
    bad[0], bad[7], bad[10], bad[11] = "P9", "外卖员", "2025-02-30", "12.345"
    data = workbook([HEADER, GOOD, bad, [*GOOD[:2], "", *GOOD[3:]], GOOD], title_rows=2)
    before = counts(community)
    result = importer.import_file(community, "practitioners", data, "名单.xlsx", actor="社工")
    assert result.status == "rejected" and counts(community) == before
    got = [(e.sheet, e.row, e.column, e.value) for e in result.errors]
    # Two title rows, the header on row 3: data starts on Excel row 4.
    assert ("从业者名单", 5, "就业形态", "外卖员") in got
    assert ("从业者名单", 5, "登记日期", "2025-02-30") in got
    assert ("从业者名单", 5, "月收入（元）", "12.345") in got
    assert ("从业者名单", 6, "姓名", "") in got
    assert ("从业者名单", 7, "从业者编号", "P1") in got and "第 4 行" in result.errors[-1].message
    assert result.rejected == 3 and result.rows == 4


def test_english_headers_are_accepted(community: Engine) -> None:
    by_zh = {fld.zh: fld.name for fld in ENTITIES["practitioners"].fields}
    header = [by_zh[h] for h in HEADER]
    result = importer.import_file(community, "practitioners", workbook([header, GOOD]), "en.xlsx", actor="x")
    assert result.status == "committed" and result.created == 1, result.errors


def test_csv_in_gbk_and_utf8_with_bom(community: Engine) -> None:
    text = ",".join(HEADER) + "\n" + ",".join(f'"{c}"' for c in GOOD) + "\n"
    for data in (text.encode("gbk"), ("\ufeff" + text).encode("utf-8")):
        result = importer.import_file(community, "practitioners", data, "名单.csv", actor="x", dry_run=True)
        assert (result.status, result.created) == ("valid", 1)
    assert counts(community)["practitioner"] == 0        # a dry run writes nothing


def _bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", b"0" * (300 * 2**20))
    return buf.getvalue()


def _lying_bomb() -> bytes:
    """A zip whose headers claim a tiny size for a member that inflates to 300 MB."""
    data = bytearray(_bomb())
    # Patch the declared uncompressed size (local header offset 22, central directory +24) to 1 KB.
    data[22:26] = (1024).to_bytes(4, "little")
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (1024).to_bytes(4, "little")
    return bytes(data)


REFUSALS = [
    ("not a spreadsheet", lambda: b"%PDF-1.4 not a sheet", "report.pdf", "不是表格文件"),
    ("corrupted", lambda: workbook([HEADER, GOOD])[:3000], "cut.xlsx", "已损坏"),
    ("password-protected", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000, "secret.xlsx", "密码"),
    ("too large", lambda: b"PK\x03\x04" + b"\0" * (2 * 2**20), "big.xlsx", "超过上限"),
    ("decompression bomb", _bomb, "bomb.xlsx", "压缩炸弹"),
    ("bomb that lies about its size", _lying_bomb, "liar.xlsx", "已损坏"),   # zipfile stops at the lie
    ("no matching header", lambda: workbook([["编号", "名字"], ["P1", "x"]]), "other.xlsx", "没有找到"),
    ("the same code twice", lambda: workbook([HEADER, GOOD, GOOD]), "twice.xlsx", "重复"),
    ("more rows than Excel allows", lambda: ("a\n" * 1_048_577).encode(), "huge.csv", "超过 Excel 的上限"),
]


@pytest.mark.parametrize(("case", "make", "name", "says"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_write_nothing(community: Engine, case: str, make, name: str, says: str) -> None:  # type: ignore[no-untyped-def]
    before = counts(community)
    result = importer.import_file(community, "practitioners", make(), name, actor="x",
                                  max_bytes=2 * 2**20 if case == "too large" else 50 * 2**20)
    assert result.status == "rejected"
    assert any(says in e.message for e in result.errors), result.errors
    assert counts(community) == before


@pytest.fixture(scope="module")
def demo_export(demo_engine: Engine) -> dict[str, bytes]:
    set_language("zh")
    return {name: writer.export_xlsx(demo_engine, name)[0] for name in ENTITIES}


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_every_export_reimports_as_unchanged(demo_engine: Engine, demo_export: dict[str, bytes], entity: str) -> None:
    result = importer.import_file(demo_engine, entity, demo_export[entity], f"{entity}.xlsx", actor="x",
                                  dry_run=True)
    if entity == "calendar_days":       # the demo leaves an admin's calendar empty: the export is its header alone
        assert result.status == "rejected" and result.rows == 0
        return
    assert result.status == "valid", result.errors[:3]
    assert result.rows > 0 and result.unchanged == result.rows


def test_export_filters_and_cover(demo_engine: Engine) -> None:
    set_language("zh")
    data, n = writer.export_xlsx(demo_engine, "needs", community_code="SQC", quarter="2025Q3")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    cover = {r[0]: r[1] for r in wb["说明"].iter_rows(values_only=True)}
    assert cover["社区"] == "SQC" and cover["季度"] == "2025Q3" and cover["行数"] == f"{n:,}"
    sheet = wb["需求评估"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    assert sheet.max_row == n + 1 and 0 < n < 6000
    dates = [c.value for c in sheet["G"][1:4]]
    assert all(hasattr(d, "year") for d in dates)                 # real date cells


@pytest.mark.parametrize("entity", ["practitioners", "members"])
def test_a_masked_export_hides_names_and_phones_and_cannot_be_imported_back(demo_engine: Engine, entity: str) -> None:
    set_language("zh")
    data, n = writer.export_xlsx(demo_engine, entity, community_code="GA", personal=False)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    rows = list(wb[t(f"entity.{entity}")].iter_rows(values_only=True))
    header = list(rows[0])
    names = [r[header.index("姓名")] for r in rows[1:]]
    phones = [r[header.index("电话")] for r in rows[1:] if r[header.index("电话")]]
    assert n > 0 and all("*" in name for name in names) and all("****" in p for p in phones)
    cover = {r[0]: r[1] for r in wb["说明"].iter_rows(values_only=True)}
    assert cover["个人信息"] == "已按你的角色打码（姓名、电话）"
    csv_text = writer.export_csv(demo_engine, entity, community_code="GA", personal=False).decode("utf-8-sig")
    assert csv_text.splitlines()[1].split(",")[header.index("姓名")] == names[0]

    # Re-importing it would overwrite every real name with 张*华: it is refused, naming each cell.
    result = importer.import_file(demo_engine, entity, data, f"{entity}.xlsx", actor="x", dry_run=True)
    assert result.status == "rejected"
    assert {e.column for e in result.errors} == {"姓名", "电话"} and result.rejected == n
    assert result.errors[0].row == 2 and "打过码" in result.errors[0].message


def test_csv_export_carries_a_bom(demo_engine: Engine) -> None:
    data = writer.export_csv(demo_engine, "communities")
    assert data.startswith(b"\xef\xbb\xbf") and "G市A社区".encode() in data


def test_template_has_dropdowns_instructions_and_a_frozen_header() -> None:
    set_language("zh")
    wb = openpyxl.load_workbook(io.BytesIO(writer.template_xlsx("practitioners")))
    sheet = wb["从业者"]
    assert [c.value for c in sheet[1]][:3] == ["从业者编号", "社区编号", "姓名"] and sheet.freeze_panes == "A2"
    assert len(sheet.data_validations.dataValidation) >= 6
    help_rows = list(wb["填写说明"].iter_rows(values_only=True))
    by_column = {r[0]: r for r in help_rows[1:]}
    assert by_column["就业形态"][2] == "是" and "灵活从业者" in by_column["就业形态"][4]
    examples = Path(__file__).parents[1] / "dashboard/excel/examples.json"
    income = json.loads(examples.read_text(encoding="utf-8"))["practitioners"]
    assert by_column["月收入（元）"][5] == f"{income['monthly_income_cents'] / 100:.2f}"   # from the demo data


def _libreoffice(src: Path, fmt: str, out: Path) -> Path:
    subprocess.run(["soffice", f"-env:UserInstallation=file://{out}/lo", "--headless", "--convert-to", fmt,
                    "--outdir", str(out), str(src)], check=True, capture_output=True, timeout=180)
    produced = out / (src.stem + "." + fmt.split(":")[0])
    assert produced.exists(), "LibreOffice did not write the file"
    return produced


@pytest.mark.skipif(not HAS_LO, reason="LibreOffice is not installed")
def test_a_file_written_by_libreoffice_imports(community: Engine, tmp_path: Path) -> None:
    src = tmp_path / "名单.xlsx"
    src.write_bytes(workbook([HEADER, GOOD]))
    ods = _libreoffice(src, "ods", tmp_path)
    again = tmp_path / "again"
    again.mkdir()
    lo_xlsx = _libreoffice(ods, "xlsx", again)
    result = importer.import_file(community, "practitioners", lo_xlsx.read_bytes(), lo_xlsx.name, actor="x")
    assert (result.status, result.created) == ("committed", 1), result.errors


@pytest.mark.skipif(not HAS_LO, reason="LibreOffice is not installed")
def test_formula_like_text_stays_text_in_libreoffice(community: Engine, tmp_path: Path) -> None:
    with community.begin() as conn:
        f.practitioner(conn, 1, "P1", name="=1+1", strengths="@SUM(A1)", phone="+8613812341234")
    data, _ = writer.export_xlsx(community, "practitioners")
    src = tmp_path / "out.xlsx"
    src.write_bytes(data)
    # Export the second sheet (the data; the first is the cover): LibreOffice names it out-<sheet>.csv.
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2",
                    "--outdir", str(tmp_path), str(src)], check=True, capture_output=True, timeout=180)
    produced = list(tmp_path.glob("out-*.csv"))
    assert produced, "LibreOffice did not write the file"
    text = produced[0].read_text(encoding="utf-8")
    assert "=1+1" in text and "@SUM(A1)" in text and "+8613812341234" in text
    assert ",2," not in text                     # the formula was not evaluated


def test_new_and_existing_rows_in_one_file(community: Engine) -> None:
    """A file that both adds and updates: the update touches only the file's columns (regression)."""
    assert importer.import_file(community, "practitioners", workbook([HEADER, GOOD]), "a.xlsx", actor="x").created
    with community.begin() as conn:
        conn.execute(sa.text("UPDATE practitioner SET has_pension = true, phone = '13800000000' WHERE code = 'P1'"))
    header = HEADER[:11]
    rows = [header, ["P1", "C1", "改名", *GOOD[3:11]], ["P2", "C1", "新人", *GOOD[3:11]]]
    result = importer.import_file(community, "practitioners", workbook(rows), "b.xlsx", actor="x")
    assert (result.status, result.created, result.updated) == ("committed", 1, 1), result.errors
    with community.connect() as conn:
        name, pension, phone = conn.execute(sa.text(
            "SELECT name, has_pension, phone FROM practitioner WHERE code = 'P1'")).one()
    assert (name, bool(pension), phone) == ("改名", True, "13800000000")


def test_the_upload_comes_back_with_error_cells_marked(community: Engine) -> None:
    from dashboard.excel.annotate import annotated

    bad = [*GOOD]
    bad[7] = "外卖员"
    data = workbook([HEADER, GOOD, bad], title_rows=1)
    result = importer.import_file(community, "practitioners", data, "名单.xlsx", actor="x")
    marked = openpyxl.load_workbook(io.BytesIO(annotated(data, "名单.xlsx", result.errors)))["从业者名单"]
    cell = marked.cell(row=4, column=HEADER.index("就业形态") + 1)
    assert cell.value == "外卖员" and cell.fill.start_color.rgb.endswith("FFC7CE")
    assert cell.comment is not None and "不在可选值里" in cell.comment.text
    assert marked.cell(row=3, column=HEADER.index("就业形态") + 1).comment is None
    csv_marked = annotated("\n".join([",".join(HEADER), ",".join(bad)]).encode("gbk"), "名单.csv",
                           importer.import_file(community, "practitioners",
                                                "\n".join([",".join(HEADER), ",".join(bad)]).encode("gbk"),
                                                "名单.csv", actor="x").errors)
    ws = openpyxl.load_workbook(io.BytesIO(csv_marked)).active
    assert ws is not None and ws.cell(row=2, column=HEADER.index("就业形态") + 1).comment is not None


def test_undo_the_last_batch_deletes_what_it_created_and_restores_what_it_changed(community: Engine) -> None:
    importer.import_file(community, "practitioners", workbook([HEADER, GOOD]), "first.xlsx", actor="x")
    second = workbook([HEADER, [*GOOD[:2], "改名", *GOOD[3:12], "残障"], ["P2", *GOOD[1:]]])
    assert importer.import_file(community, "practitioners", second, "second.xlsx", actor="x").updated == 1
    summary = importer.undo_last(community, "practitioners", actor="admin")
    assert (summary["file"], summary["deleted"], summary["restored"]) == ("second.xlsx", 1, 1)
    with community.connect() as conn:
        assert [tuple(r) for r in conn.execute(sa.text("SELECT code, name FROM practitioner"))] == [("P1", "王秀英")]
        groups = {g for (g,) in conn.execute(sa.text('SELECT "group" FROM practitioner_group'))}
        undone = conn.execute(sa.text("SELECT COUNT(*) FROM import_batch WHERE undone_at IS NOT NULL")).scalar_one()
    assert groups == {"migrant_women", "low_income"} and undone == 1
    assert importer.undo_last(community, "practitioners", actor="admin")["deleted"] == 1
    with pytest.raises(importer.RuleError) as none_left:
        importer.undo_last(community, "practitioners", actor="admin")
    assert none_left.value.key == "excel.nothing_to_undo"


def test_undo_of_the_import_shown_is_refused_when_a_newer_one_came_meanwhile(community: Engine) -> None:
    """The page names the import its undo button undoes. Another admin's import that lands between the page drawn
    and the click is newer: the click undid that one, which its user never saw. It is refused, naming both."""
    importer.import_file(community, "practitioners", workbook([HEADER, GOOD]), "mine.xlsx", actor="甲")
    shown = importer.latest_import(community, "practitioners")
    assert shown is not None and (shown.file_name, shown.actor) == ("mine.xlsx", "甲")
    importer.import_file(community, "practitioners", workbook([HEADER, ["P2", *GOOD[1:]]]), "theirs.xlsx",
                         actor="乙")
    before = counts(community)
    with pytest.raises(importer.RuleError) as err:
        importer.undo_last(community, "practitioners", actor="甲", batch_id=shown.id)
    assert err.value.key == "excel.undo_not_latest"
    assert err.value.params["file"] == "mine.xlsx" and err.value.params["newer"] == "theirs.xlsx"
    assert counts(community) == before
    latest = importer.latest_import(community, "practitioners")
    assert latest is not None and latest.file_name == "theirs.xlsx"
    assert importer.undo_last(community, "practitioners", actor="乙", batch_id=latest.id)["file"] == "theirs.xlsx"


def test_undo_is_refused_when_later_data_uses_what_the_batch_created(community: Engine) -> None:
    importer.import_file(community, "practitioners", workbook([HEADER, GOOD]), "first.xlsx", actor="x")
    with community.begin() as conn:
        pid = conn.execute(sa.text("SELECT id FROM practitioner WHERE code = 'P1'")).scalar_one()
        f.need(conn, pid, 1, "N1")
    before = counts(community)
    with pytest.raises(importer.RuleError) as err:
        importer.undo_last(community, "practitioners", actor="admin")
    assert err.value.key == "excel.undo_referenced" and counts(community) == before


def test_progress_is_reported_in_order(community: Engine) -> None:
    """Also more rows than SQLite takes bound parameters in one statement (32,766): lookups go in chunks."""
    seen: list[tuple[float, str]] = []
    rows = [HEADER] + [[f"P{i}", *GOOD[1:]] for i in range(34_000)]
    data = workbook(rows)
    result = importer.import_file(community, "practitioners", data, "big.xlsx", actor="x",
                                  progress=lambda frac, text: seen.append((frac, text)))
    assert result.status == "committed" and result.created == 34_000, result.errors[:3]
    fractions = [frac for frac, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] < 0.1 and fractions[-1] >= 0.85
    assert any(text.startswith("已检查 34,000 行的 1/") for _, text in seen)
    with community.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM practitioner_group")).scalar_one() == 68_000
        ids = conn.execute(sa.text("SELECT MIN(id), MAX(id) FROM practitioner")).one()
        assert tuple(ids) == (1, 34_000)          # ids follow the file's order
    again = importer.import_file(community, "practitioners", data, "big.xlsx", actor="x")
    assert (again.unchanged, again.created, again.updated) == (34_000, 0, 0)
    assert importer.undo_last(community, "practitioners", actor="admin") == {
        "batch": again.batch_id, "file": "big.xlsx", "deleted": 0, "restored": 0}
    assert importer.undo_last(community, "practitioners", actor="admin")["deleted"] == 34_000
    assert counts(community)["practitioner_group"] == 0


def test_cells_as_excel_types_them_at_excel_positions(community: Engine) -> None:
    """A table that starts at B3 with a blank row inside, and cells typed the way Excel stores them: a date, a
    number with binary noise (what =3200.1+0.4 leaves behind), a boolean. Rows and values are as Excel shows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "从业者名单"
    header = [*HEADER, "养老保险"]
    typed = ["P1", "C1", "王秀英", "女", 1990, "初中", "农业户口", "灵活从业者", "主播", 11.0,
             dt.date(2025, 3, 1), 3200.1 + 0.4, "流动女性", True]
    bad = ["P2", "C1", "李娟", "女", 1990.5, "初中", "农业户口", "灵活从业者", "主播", 8, dt.date(2025, 3, 2), 10,
           "", "也许"]
    for r, row in enumerate([header, typed, [], bad], start=3):
        for c, value in enumerate(row, start=2):
            ws.cell(row=r, column=c, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    result = importer.import_file(community, "practitioners", buf.getvalue(), "名单.xlsx", actor="x")
    got = {(e.row, e.column, e.value) for e in result.errors}
    assert got == {(6, "出生年份", "1990.5"), (6, "养老保险", "也许")}, result.errors
    ok = importer.import_file(community, "practitioners", _without_row(buf.getvalue(), 6), "名单.xlsx", actor="x")
    assert (ok.status, ok.created) == ("committed", 1), ok.errors
    with community.connect() as conn:
        row = conn.execute(sa.text("SELECT birth_year, daily_work_hours, registered_on, monthly_income_cents, "
                                   "has_pension FROM practitioner WHERE code = 'P1'")).one()
    assert (row[0], row[1], str(row[2]), row[3], bool(row[4])) == (1990, 11.0, "2025-03-01", 320_050, True)


def _without_row(data: bytes, row: int) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb.active.delete_rows(row)  # type: ignore[union-attr]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_page_table_exports_with_typed_cells_and_its_filters() -> None:
    import pandas as pd

    from dashboard.excel.tables import table_xlsx
    from dashboard.presenters import RUN_COLUMNS

    set_language("zh")
    df = pd.DataFrame([{"code": "R-1", "period": "2025Q3", "status": "approved", "revenue_cents": 123_456,
                        "profit_cents": 100, "carried_loss_cents": 0, "member_pool_cents": 70,
                        "cooperative_pool_cents": 20, "public_fund_cents": 10, "help_fund_cents": 0,
                        "created_by": "=cmd", "approved_by": "理事长",
                        "approved_at": pd.Timestamp("2025-10-10 02:00", tz="UTC")}])
    wb = openpyxl.load_workbook(io.BytesIO(table_xlsx(df, RUN_COLUMNS, title="分配批次",
                                                      filters={"社区": "G市A社区"})))
    sheet = wb["分配批次"]
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["状态"] == "已审批" and row["销售额"] == 1234.56 and row["计算人"] == "=cmd"
    assert sheet.cell(row=2, column=header.index("计算人") + 1).data_type == "s"      # text, not a formula
    assert row["审批时间"].hour == 10                                                 # shown in Beijing time
    cover = {r[0]: r[1] for r in wb["说明"].iter_rows(values_only=True)}
    assert cover["社区"] == "G市A社区" and cover["行数"] == "1"
