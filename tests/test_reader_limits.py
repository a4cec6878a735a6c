"""Issue 11: no upload takes the server down. A 5 KB workbook whose one cell sits at XFD1048576 (or whose
<dimension> claims the whole sheet) is refused with a message before any parser lays out the sheet; whatever the
parser does, it does it in a child process under a memory limit; a formula saved without its value is named."""

import io
import json
import os
import subprocess
import sys
import zipfile

import openpyxl
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard.excel import guard, importer
from dashboard.excel.reader import RefusedFile, read_sheets
from dashboard.excel.sheetscan import Scanner
from dashboard.i18n import set_language
from tests import factories as f
from tests.conftest import BACKENDS
from tests.test_cli import ROOT, accounts_for

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>')
HEADER = ["从业者编号", "社区编号", "姓名", "性别", "出生年份", "学历", "户籍", "就业形态", "职业",
          "日工作时长（小时）", "登记日期"]
ROW = ["P1", "C1", "王秀英", "女", "1990", "初中", "农业户口", "灵活从业者", "主播", "11", "2025-03-01"]


def _letters(n: int) -> str:
    out = ""
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def sheet_xml(extra: str = "", *, dimension: str = "", rows: int = 2, r_attr: str = 'r="{}"') -> str:
    """A practitioners sheet by hand: the header, `rows - 1` good rows, then whatever `extra` adds."""
    body = []
    for r in range(1, rows + 1):
        values = HEADER if r == 1 else [f"P{r}", *ROW[1:]]
        cells = "".join(f'<c {r_attr.format(f"{_letters(c)}{r}")} t="inlineStr"><is><t>{v}</t></is></c>'
                        for c, v in enumerate(values, start=1))
        body.append(f'<row r="{r}">{cells}</row>')
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'{dim}<sheetData>{"".join(body)}{extra}</sheetData></worksheet>')


def far_cell(ref: str) -> str:
    row = "".join(ch for ch in ref if ch.isdigit())
    return f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>x</t></is></c></row>'


def xlsx(sheet: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", PACKAGE_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return buf.getvalue()


# name -> (file, the refusal's key, what its message names)
MALICIOUS = {
    "cell at XFD1048576": (lambda: xlsx(sheet_xml(far_cell("XFD1048576"))), "excel.sheet_too_far", "XFD1048576"),
    "dimension A1:XFD1048576": (lambda: xlsx(sheet_xml(dimension="A1:XFD1048576")), "excel.dimension_too_large",
                                "A1:XFD1048576"),
    "cell at XFD1000": (lambda: xlsx(sheet_xml(far_cell("XFD1000"))), "excel.sheet_too_far", "XFD1000"),
    "cell at Z1048576": (lambda: xlsx(sheet_xml(far_cell("Z1048576"))), "excel.sheet_too_far", "Z1048576"),
}


@pytest.mark.parametrize("case", MALICIOUS)
def test_a_far_cell_or_a_whole_sheet_dimension_is_refused_naming_sheet_and_cell(case: str) -> None:
    make, key, named = MALICIOUS[case]
    data = make()
    assert len(data) < 5_000
    with pytest.raises(RefusedFile) as refused:
        list(read_sheets(data, "bad.xlsx", max_bytes=50 * 2**20))
    assert refused.value.key == key
    assert refused.value.params["sheet"] == "名单"
    assert named in refused.value.params.values()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_refusal_reads_in_the_users_language(engine: Engine, lang: str) -> None:
    set_language(lang)
    try:
        result = importer.import_file(engine, "practitioners", MALICIOUS["cell at Z1048576"][0](), "bad.xlsx",
                                      actor="x")
    finally:
        set_language("zh")
    assert result.status == "rejected"
    message = result.errors[0].message
    assert "Z1048576" in message and "名单" in message
    assert ("离其他数据太远" if lang == "zh" else "far from the rest of the data") in message


ACCEPTED = {
    "a plain sheet": sheet_xml(),
    "a note at Z50 (sparse, but small)": sheet_xml(far_cell("Z50")),
    "a stale <dimension> within the budget": sheet_xml(dimension="A1:AZ9999"),
    "single-quoted addresses": sheet_xml(r_attr="r='{}'"),
    "cells without addresses": sheet_xml(r_attr="s=\"0\""),
}


@pytest.mark.parametrize("case", ACCEPTED)
def test_ordinary_files_still_read(case: str) -> None:
    sheets = list(read_sheets(xlsx(ACCEPTED[case]), "ok.xlsx", max_bytes=50 * 2**20))
    assert sheets[0].row(0)[:2] == HEADER[:2]
    assert sheets[0].cell(1, 0) == "P2"


def test_the_scan_does_not_depend_on_where_chunks_end() -> None:
    xml = sheet_xml(far_cell("XFD1000"), rows=300, r_attr="r='{}'").replace("<c ", "<c\n").encode()
    whole = Scanner("s")
    whole.feed(xml)
    expected = whole.finish()
    for size in (7, 64, 1000):
        scanner = Scanner("s")
        for i in range(0, len(xml), size):
            scanner.feed(xml[i:i + size])
        scan = scanner.finish()
        assert (scan.rows, scan.columns, scan.cells, scan.widest, scan.lowest) == (
            expected.rows, expected.columns, expected.cells, expected.widest, expected.lowest)
    assert (expected.rows, expected.columns, expected.widest, expected.cells) == (1000, 16_384, "XFD1000", 300 * 11 + 1)


def test_a_parser_that_runs_out_of_memory_takes_only_its_child_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defence in depth: whatever slips past the scan meets the child's memory limit, and the caller gets a
    refusal. Here an ordinary sheet meets a limit far too small for it."""
    monkeypatch.setattr(guard, "PARSER_BASE_BYTES", 0)
    monkeypatch.setattr(guard, "PARSER_BYTES_PER_CELL", 1)
    data = xlsx(sheet_xml(rows=30_000))
    with pytest.raises(RefusedFile) as refused:
        list(read_sheets(data, "ok.xlsx", max_bytes=50 * 2**20))
    assert refused.value.key == "excel.unreadable"
    monkeypatch.undo()
    assert next(read_sheets(data, "ok.xlsx", max_bytes=50 * 2**20)).height == 30_000      # and we are still here


def test_an_address_the_scan_cannot_see_still_cannot_take_the_server_down() -> None:
    """`r = "..."` (white space around =) is valid XML that the scan does not decode; calamine places the cell at
    XFD1048576 and fails to allocate in the child."""
    data = xlsx(sheet_xml('<row r = "1048576"><c r = "XFD1048576"><v>1</v></c></row>'))
    with pytest.raises(RefusedFile) as refused:
        list(read_sheets(data, "bad.xlsx", max_bytes=50 * 2**20))
    assert refused.value.key == "excel.unreadable"


def _formula_book() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "名单"
    ws.append(HEADER)
    ws.append(["P1", *ROW[1:4], "=1980+10", *ROW[5:]])           # openpyxl saves no value for a formula
    ws.append(["P2", *ROW[1:]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(("lang", "says"), [("zh", "公式没有计算结果"), ("en", "no saved result")])
def test_a_formula_without_a_computed_value_is_named_not_read_as_blank(engine: Engine, lang: str,
                                                                        says: str) -> None:
    with engine.begin() as conn:
        f.community(conn, "C1")
    set_language(lang)
    try:
        result = importer.import_file(engine, "practitioners", _formula_book(), "公式.xlsx", actor="x")
    finally:
        set_language("zh")
    assert result.status == "rejected"
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [("名单", 2, "出生年份")]
    assert says in result.errors[0].message and "E2" in result.errors[0].message
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM practitioner")).scalar_one() == 0


def test_a_formula_with_its_value_or_an_empty_string_result_reads_normally() -> None:
    computed = '<row r="3"><c r="A3" t="str"><f>""</f><v></v></c><c r="B3"><f>1+1</f><v>2</v></c></row>'
    sheet = next(read_sheets(xlsx(sheet_xml(computed)), "ok.xlsx", max_bytes=50 * 2**20))
    assert sheet.formulas == ()
    assert sheet.cell(2, 1) == "2"


PEAK = (
    "import resource, subprocess, sys\n"
    "out = subprocess.run(sys.argv[1:], capture_output=True, text=True, stdin=subprocess.DEVNULL)\n"
    "sys.stdout.write(out.stdout); sys.stderr.write(out.stderr)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(out.returncode)\n")


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_the_command_line_refuses_each_file_with_status_1_in_little_memory(fresh_database_url: str,
                                                                           tmp_path) -> None:  # type: ignore[no-untyped-def]
    pw = accounts_for(fresh_database_url)
    env = {k: v for k, v in os.environ.items() if k not in ("DASHBOARD_PASSWORD", "DASHBOARD_NEW_PASSWORD")}
    env |= {"DATABASE_URL": fresh_database_url, "DASHBOARD_PASSWORD": pw["boss"]}
    for case, (make, _key, named) in MALICIOUS.items():
        path = tmp_path / "bad.xlsx"
        path.write_bytes(make())
        # The peak resident memory of the command and of every process it waited for (the parser's child).
        out = subprocess.run([sys.executable, "-c", PEAK, sys.executable, "-m", "dashboard", "import",
                              "practitioners", str(path), "--json", "--user", "boss"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 1, (case, out.stderr)
        summary = json.loads(out.stdout)
        assert summary["status"] == "rejected" and named in summary["errors"][0]["message"]
        assert "Traceback" not in out.stderr
        peak_mb = int(out.stderr.strip().splitlines()[-1]) / 1024
        print(f"{case}: exit 1, peak RSS {peak_mb:.0f} MB")
        assert peak_mb < 400, case                     # before: 1 GB (XFD1000, Z1048576) or an abort (exit 134)
    engine = sa.create_engine(fresh_database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM practitioner")).scalar_one() == 0
        assert conn.execute(sa.text("SELECT COUNT(*) FROM import_batch")).scalar_one() == 0
    engine.dispose()


def test_the_scan_keeps_little_between_chunks_whatever_the_xml_holds() -> None:
    """Text with no tag in it, or one endless tag, is not carried from chunk to chunk (which would grow the
    parent's memory with the file)."""
    for endless in (b"<t>" + b"x" * (8 * 2**20), b'<c r="A1" s="' + b"1" * (8 * 2**20)):
        scanner = Scanner("s")
        for i in range(0, len(endless), 2**20):
            scanner.feed(endless[i:i + 2**20])
            assert len(scanner._tail) <= 2**21


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_csv_field_longer_than_the_parser_allows_is_refused_with_a_message(engine: Engine, lang: str) -> None:
    """Python's csv module raises its own error on a field over 131,072 characters: that is a refusal in the user's
    language, not a traceback."""
    data = ("姓名,手机号\n\"" + "长" * 200_000 + "\",13800000000\n").encode()
    set_language(lang)
    try:
        result = importer.import_file(engine, "practitioners", data, "long.csv", actor="x")
    finally:
        set_language("zh")
    assert result.status == "rejected"
    assert ("另存为 .xlsx" if lang == "zh" else "save it as .xlsx") in result.errors[0].message


def _shared_strings_bomb(strings: int) -> bytes:
    """A real workbook whose shared strings (which a parser reads whole when it opens the file) inflate ~300 times."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf)
    book.add_worksheet("名单").write_string(0, 0, "从业者编号")       # xlsxwriter keeps strings in sharedStrings.xml
    book.close()
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            if info.filename == "xl/sharedStrings.xml":
                body = "<si><t>a</t></si>" * strings
                zf.writestr(info.filename, '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
                            f'openxmlformats.org/spreadsheetml/2006/main" count="{strings}">{body}</sst>')
            else:
                zf.writestr(info, src.read(info))
        assert "xl/sharedStrings.xml" in src.namelist()
    return out.getvalue()


def test_a_bomb_in_the_shared_strings_is_refused_before_the_parser_opens_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parser reads the shared strings whole when it opens a workbook: the zip's check must refuse the bomb
    before that, not while the parser inflates it (the review of h-cli: opened alongside the check, a 300 MB bomb
    cost the child 1 GB and 9 s, and a bigger one ended as «unreadable»). With a memory limit too small for the
    strings, a parser that opened them first would fail; the answer is the bomb's."""
    monkeypatch.setattr(guard, "PARSER_BASE_BYTES", 0)
    monkeypatch.setattr(guard, "PARSER_BYTES_PER_CELL", 1)
    data = _shared_strings_bomb(2_500_000)
    with pytest.raises(RefusedFile) as refused:
        list(read_sheets(data, "bomb.xlsx", max_bytes=50 * 2**20))
    assert refused.value.key == "excel.bomb"
