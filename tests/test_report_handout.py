"""季度汇报's handout workbook, read back with openpyxl (typed cells, number formats, page setup), as a zip (native
charts) and in LibreOffice Calc (it opens, and each figure reads there as the page writes it)."""

import csv
import io
import re
import shutil
import subprocess
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from dashboard.i18n import t, use_language
from dashboard.report.compare import change
from dashboard.report.cover import change_rows as cover_rows
from dashboard.report.diff import FigureChange
from dashboard.report.handout import handout_xlsx, number_formats, sheet_name
from dashboard.report.present import change_text, figure_text, half_up
from dashboard.report.types import Figure, ReportData, ReportMeta
from tests.report_samples import (
    CHANGES,
    DRAFT,
    LAST_SENTENCE,
    NARRATIVE,
    REASON,
    RESTATED,
    RESTATEMENT_ROWS,
    SUPPRESSED,
    labels,
    long_paragraph,
    report,
    withheld_report,
)

needs_lo = pytest.mark.skipif(not all(shutil.which(x) for x in ("soffice", "pdftotext")),
                              reason="LibreOffice or poppler-utils is not installed")
AREA_SHEETS = {"zh": ["需求评估", "培训成效", "合作社分配", "直播治理诉求", "四方联席会议"],
               "en": ["Needs", "Training", "Cooperative", "Livestream requests", "Joint meeting"]}


@pytest.fixture(autouse=True)
def _labels() -> object:
    with labels():
        yield


def build(lang: str = "zh", meta: ReportMeta = RESTATED, data: ReportData | None = None,
          narrative: dict[str, str] | None = None) -> bytes:
    return handout_xlsx(data or report(), NARRATIVE[lang] if narrative is None else narrative, meta, lang=lang,
                        min_cell=5)


def book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def cover(ws: Worksheet) -> dict[str, object]:
    return {row[0].value: row[1].value for row in ws.iter_rows(max_col=2) if row[0].value}


def figure_rows(ws: Worksheet, lang: str) -> list[tuple]:
    """The rows of the figures table (the cells, header row excluded)."""
    with use_language(lang):
        head = t("report.file.col.figure")
    rows = list(ws.iter_rows())
    start = next(i for i, row in enumerate(rows) if row[0].value == head)
    out = []
    for row in rows[start + 1:]:
        if row[0].value is None:
            break
        out.append(row)
    return out


def test_the_cover_says_which_report_version_and_times() -> None:
    wb = book(build("zh", RESTATED))
    assert wb.sheetnames == ["封面", *AREA_SHEETS["zh"]]
    ws = wb["封面"]
    assert ws["A1"].value == "GA社区 2026Q3 季度汇报"
    facts = cover(ws)
    assert facts["社区"] == "GA社区"
    assert facts["季度"] == "2026Q3"
    assert facts["上季度（环比）"] == "2026Q2" and facts["去年同期（同比）"] == "2025Q3"
    assert facts["版本"] == "第 2 版（修订）"
    assert facts["数据截至"] == "2026-10-08 09:30（北京时间）"          # 01:30 UTC
    assert facts["发布时间"] == "2026-10-09 14:05（北京时间）"
    assert facts["发布人"] == "陈静"
    notes = [row[1].value for row in ws.iter_rows(max_col=2) if row[1].value]
    assert any(str(n).startswith("“<5”表示少于 5（人或件") for n in notes)
    assert not any("草稿" in str(n) for n in notes)
    # The contents link to the area sheets.
    links = {c.value: c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink}
    assert links == {name: f"'{name}'!A1" for name in AREA_SHEETS["zh"]}


def restated_book(lang: str, meta: ReportMeta = RESTATED, changes: Sequence[FigureChange] = CHANGES
                  ) -> openpyxl.Workbook:
    return book(handout_xlsx(report(), NARRATIVE[lang], meta, lang=lang, min_cell=5, changes=changes, reason=REASON,
                             suppressed=SUPPRESSED))


@pytest.mark.parametrize(("lang", "sheet", "reason", "heading"), [
    ("zh", "封面", "修订原因", "与第 1 版相比有 7 项数字不同："),
    ("en", "Cover", "Reason for restating", "Figures that differ from version 1 (7):")])
def test_a_restated_versions_cover_gives_the_reason_and_the_changed_figures(lang: str, sheet: str, reason: str,
                                                                            heading: str) -> None:
    ws = restated_book(lang)[sheet]
    rows = [[c.value for c in row[:5]] for row in ws.iter_rows()]
    facts = {r[0]: r[1] for r in rows if r[0]}
    assert facts[reason] == REASON
    start = next(i for i, r in enumerate(rows) if r[0] == heading)
    table = rows[start + 1:start + 1 + len(RESTATEMENT_ROWS[lang])]
    assert table == RESTATEMENT_ROWS[lang]
    assert all(ws.cell(row=start + 2 + i, column=c).data_type == "s" for i in range(8) for c in range(1, 6))
    assert re.search(r"!\$A\$1:\$E\$\d+$", ws.print_area)                           # the table's columns print


def test_a_restatement_without_a_table_or_reason_and_a_first_version_say_nothing_of_one() -> None:
    first = ReportMeta(version=1, cut_off=RESTATED.cut_off, published_at=RESTATED.published_at, published_by="陈静")
    for wb in (restated_book("zh", first), book(build("zh", RESTATED))):
        texts = {str(c.value) for row in wb["封面"].iter_rows() for c in row if c.value}
        assert "修订原因" not in texts and not any("项数字不同" in x for x in texts)


def test_a_restatement_with_a_reason_but_no_table() -> None:
    ws = restated_book("zh", RESTATED, ())["封面"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value]
    assert "修订原因" in texts and REASON in texts and not any("项数字不同" in x for x in texts)


@dataclass(frozen=True)
class SideChange(FigureChange):
    """A change as the diff gives it once it says which quarter of a figure changed (FigureChange.which)."""
    which: str = "value"


def test_a_change_of_the_quarter_before_is_named_so_and_marked_by_that_sides_suppression() -> None:
    """A back-dated correction changes a figure's 上季度; its row says so, and reads "<5" only where that side is
    hidden (残障从业者 shows 12 the quarter before but hides this quarter and a year ago)."""
    data = report()
    changes = [SideChange("needs.disabled", "needs", "report.fig.disabled", "count", 10, 12, 2, which="previous"),
               SideChange("needs.disabled", "needs", "report.fig.disabled", "count", 3, 4, 1, which="year_ago"),
               SideChange("needs.needs_by_category.rights", "needs", "report.chart.needs_by_category", "count", 425,
                          430, 5, {"zh": "权益保障", "en": "Rights"}, which="previous")]
    with use_language("zh"):
        rows = cover_rows(data, changes, lang="zh", min_cell=5)
    assert rows == [("需求评估", "残障从业者 · 上季度", "10", "12", "+2"),
                    ("需求评估", "残障从业者 · 去年同期", "<5", "<5", "<5"),
                    ("需求评估", "需求类别 · 权益保障 · 上季度", "425", "430", "+5")]


def test_a_draft_in_english_says_it_is_not_published() -> None:
    wb = book(build("en", DRAFT))
    assert wb.sheetnames == ["Cover", *AREA_SHEETS["en"]]
    facts = cover(wb["Cover"])
    assert facts["Version"] == "Draft (not published)"
    assert facts["Published"] == "Not published" and facts["Published by"] == "—"
    assert facts["Data as of"] == "2026-10-08 09:30 (Beijing time)"
    notes = [str(row[1].value) for row in wb["Cover"].iter_rows(max_col=2) if row[1].value]
    assert any(n.startswith("This is a draft") for n in notes)
    assert any(n.startswith('"<5" marks a figure under 5') for n in notes)
    text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
    assert not re.search(r"[\u4e00-\u9fff]", text.replace("GA社区", "").replace("陈静", "")
                         .replace("GA电商合作社", "").replace("GB农品合作社", ""))


def test_no_privacy_note_where_nothing_is_hidden() -> None:
    plain = report()
    areas = [replace(a, figures=[replace(f, hidden=()) for f in a.figures],
                     chart=replace(a.chart, points=[replace(p, hidden=()) for p in a.chart.points]))
             for a in plain.areas]
    wb = book(build("zh", RESTATED, replace(plain, areas=areas)))
    notes = [str(row[1].value) for row in wb["封面"].iter_rows(max_col=2) if row[1].value]
    assert not any("<5" in n for n in notes)


def expected_value(f: Figure, which: str) -> object:
    value = getattr(f, which)
    if which in f.hidden:
        return "<5"
    if value is None:
        return "—"
    return value


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_figures_are_typed_cells_equal_to_the_data(lang: str) -> None:
    data = report()
    wb = book(build(lang, RESTATED, data))
    formats = {"count": "#,##0", "money": '"¥"#,##0.00', "rate": "0.0%"}
    seen = 0
    for area, name in zip(data.areas, AREA_SHEETS[lang], strict=True):
        if not area.figures:
            continue
        rows = figure_rows(wb[name], lang)
        assert len(rows) == len(area.figures)
        for f, row in zip(area.figures, rows, strict=True):
            with use_language(lang):
                assert row[0].value == t(f"report.fig.{f.key}")
            for col, which in ((1, "value"), (2, "previous"), (4, "year_ago")):
                cell, want = row[col], expected_value(f, which)
                if isinstance(want, str):
                    assert (cell.data_type, cell.value) == ("s", want), (f.key, which)
                    continue
                assert cell.data_type == "n", (f.key, which)
                if f.kind == "money":           # yuan to the cent, exactly
                    assert Decimal(repr(cell.value)) * 100 == want
                elif f.kind == "count":
                    assert cell.value == want and isinstance(cell.value, int)
                else:
                    assert cell.value == pytest.approx(want)
                if f.kind in formats:
                    assert cell.number_format == formats[f.kind]
                seen += 1
            for col, against in ((3, "previous"), (5, "year_ago")):
                c, cell = change(f, against), row[col]       # type: ignore[arg-type]
                if c.hidden or c.value is None:
                    with use_language(lang):
                        assert cell.value == change_text(c, min_cell=5)
                else:       # rounded as change_text rounds it: points as their number, a relative change as a share
                    shown = Decimal(half_up(abs(c.value) * 100)) * (1 if c.value > 0 else -1)
                    assert Decimal(repr(cell.value)) == (shown if c.kind == "points" else shown / 100), (f.key, col)
    assert seen > 25
    money = figure_rows(wb[AREA_SHEETS[lang][2]], lang)
    assert money[0][1].value == 1234567.89 and money[1][4].value == 700000.01


def test_hidden_figures_read_lt5_and_small_bases_are_noted() -> None:
    wb = book(build("zh"))
    needs = {row[0].value: [c.value for c in row] for row in figure_rows(wb["需求评估"], "zh")}
    # 本季度 <5, 上季度 12, 环比 — (a side hidden: no change to read), 去年同期 <5, 同比 —
    assert needs["残障从业者"][1:6] == ["<5", 12, "—", "<5", "—"]
    assert needs["需求结案率"][6] == "同比基数不足 30，仅供参考"       # 12 behind the rate a year ago
    training = {row[0].value: [c.value for c in row] for row in figure_rows(wb["培训成效"], "zh")}
    assert training["结业率"][6] == "环比、同比基数不足 30，仅供参考"
    assert training["3个月就业率"][2:6] == ["—", "—", "—", "—"]
    assert needs["需求评估数"][5] == "新增"                               # from 0 a year ago
    chart = [[c.value for c in row[:4]] for row in wb["需求评估"].iter_rows() if row[0].value == "社会支持网络"]
    assert chart == [["社会支持网络", "<5", 9, "<5"]]


@pytest.mark.parametrize(("lang", "withheld", "sheet", "cover_sheet"), [
    ("zh", "已隐去", "培训成效", "封面"), ("en", "withheld", "Training", "Cover")])
def test_withheld_points_and_figures_read_withheld_not_lt5(lang: str, withheld: str, sheet: str,
                                                           cover_sheet: str) -> None:
    """Secondary suppression hides a bar of 38 (and a total) only so that the 4 beside it cannot be worked out: it is
    not fewer than 5, so it reads 已隐去 as on the page, and the files say what that means."""
    data = withheld_report()
    wb = book(build(lang, RESTATED, data))
    ws = wb[sheet]
    with use_language(lang):
        levels = [p.names[lang] for p in data.area("training").chart.points]
        bars = {row[0].value: [c.value for c in row[1:4]] for row in ws.iter_rows() if row[0].value in levels}
        assert bars == {levels[0]: [withheld, 10, 20], levels[1]: [38, withheld, withheld],
                        levels[2]: ["<5", "<5", "<5"]}
        enrolled = figure_rows(ws, lang)[0]
        assert [c.value for c in enrolled[:6]] == [t("report.fig.enrolled"), 54, 18, 2, withheld, "—"]
        remarks = [str(c.value) for row in ws.iter_rows() for c in row[:1] if c.value]
        assert t("report.file.chart_withheld", mark=withheld) in remarks
        notes = [str(row[1].value) for row in wb[cover_sheet].iter_rows(max_col=2) if row[1].value]
        assert t("report.file.withheld_note", mark=withheld, n=5) in notes


def test_a_report_with_nothing_withheld_does_not_explain_withheld() -> None:
    wb = book(build("zh"))
    texts = [str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value]
    assert not any("已隐去" in x for x in texts)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_narrative_is_text_even_when_it_starts_with_an_equals_sign(lang: str) -> None:
    raw = build(lang)
    wb = book(raw)
    ws = wb[AREA_SHEETS[lang][2]]
    cells = [c for row in ws.iter_rows(max_row=4) for c in row if isinstance(c.value, str) and "SUM" in c.value]
    assert [(c.value, c.data_type) for c in cells] == [(NARRATIVE[lang]["cooperative"], "s")]
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        assert not any("<f>" in z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
    # A narrative of two paragraphs is two rows of text.
    requests = [c.value for row in wb[AREA_SHEETS[lang][3]].iter_rows(min_row=2, max_row=3) for c in row[:1]]
    assert requests == NARRATIVE[lang]["requests"].split("\n")


def narrative_rows(ws: Worksheet, lang: str) -> list:
    """The rows between the area's title and its figures' table: the narrative's."""
    with use_language(lang):
        head = t("report.file.col.figure")
    out = []
    for row in ws.iter_rows(min_row=2):
        if row[0].value in (None, head):
            break
        out.append(row[0])
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_long_paragraph_is_split_by_sentence_over_rows_that_hold_it(lang: str) -> None:
    """Publishing accepts 4,000 characters; one row holds at most 409 pt (about 1,200 Chinese characters), so a
    long paragraph goes over several rows, each ending where a sentence does."""
    paragraph = long_paragraph(lang)
    second = NARRATIVE[lang]["needs"]
    wb = book(build(lang, narrative={**NARRATIVE[lang], "needs": f"{paragraph}\n{second}"}))
    ws = wb[AREA_SHEETS[lang][0]]
    cells = narrative_rows(ws, lang)
    assert "".join(c.value for c in cells[:-1]) == paragraph and cells[-1].value == second
    assert len(cells) - 1 >= 3                                      # the long one over three rows at least
    for c in cells[:-2]:
        assert c.value.rstrip()[-1] in "。；.", c.value[-20:]
    for c in cells:
        height = ws.row_dimensions[c.row].height
        assert height is not None and height <= 300, c.row          # well under the 409 pt a row can hold
        assert ws.merged_cells.__contains__(f"A{c.row}") and f"A{c.row}:G{c.row}" in {
            str(m) for m in ws.merged_cells.ranges}


def test_a_sentence_longer_than_a_row_is_split_where_it_must() -> None:
    words = "无标点的长句" * 500                                       # 3,000 characters with no sentence end
    wb = book(build("zh", narrative={"needs": words}))
    cells = narrative_rows(wb["需求评估"], "zh")
    assert len(cells) > 1 and "".join(c.value for c in cells) == words


@needs_lo
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_libreoffices_pdf_of_the_workbook_prints_a_long_narrative_to_its_last_sentence(tmp_path: Path,
                                                                                        lang: str) -> None:
    paragraph = long_paragraph(lang)
    source = tmp_path / "handout.xlsx"
    source.write_bytes(build(lang, narrative={**NARRATIVE[lang], "needs": paragraph}))
    pdf = libreoffice(tmp_path, source, "pdf") / "handout.pdf"
    assert pdf.exists(), "LibreOffice could not convert the workbook"
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                                              text=True).stdout)
    assert re.sub(r"\s+", "", LAST_SENTENCE[lang]) in text
    numbers = [int(n) for n in re.findall(r"(?:第|Sentence)(\d+)(?:句|:)", text)]
    assert numbers == list(range(1, max(numbers) + 1)) and max(numbers) > 40      # every sentence, in order


def test_the_charts_are_native_excel_charts_over_the_cells() -> None:
    raw = build("zh")
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        names = z.namelist()
        charts = sorted(n for n in names if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        assert len(charts) == 4                              # one per area sheet with a chart; meetings is empty
        assert not any(n.startswith("xl/media/") for n in names)   # no pictures
        for n, sheet in zip(charts, AREA_SHEETS["zh"][:4], strict=True):
            xml = z.read(n).decode()
            assert '<c:barDir val="col"/>' in xml and '<c:grouping val="clustered"/>' in xml
            assert xml.count("<c:ser>") == 3
            refs = set(re.findall(r"<c:f>(.*?)</c:f>", xml))
            assert refs and all(r.startswith(f"{sheet}!") or r.startswith(f"'{sheet}'!") for r in refs), refs
        drawn = [n for n in names if re.fullmatch(r"xl/worksheets/_rels/sheet\d+\.xml\.rels", n)
                 and "drawing" in z.read(n).decode()]
        assert len(drawn) == 4


@pytest.mark.parametrize(("lang", "meta", "version", "pages"),
                         [("zh", RESTATED, "第 2 版（修订）", "第 &P 页 / 共 &N 页"),
                          ("en", DRAFT, "Draft (not published)", "Page &P of &N")])
def test_every_sheet_prints_on_a4_with_header_and_page_numbers(lang: str, meta: ReportMeta, version: str,
                                                               pages: str) -> None:
    wb = book(build(lang, meta))
    for ws in wb:
        assert ws.page_setup.paperSize == 9                  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
        assert ws.print_area
        assert ws.oddHeader.left.text == ("GA社区" if lang == "zh" else "GA community")
        assert ws.oddHeader.center.text == "2026Q3"
        assert ws.oddHeader.right.text == version
        assert ws.oddFooter.center.text == pages
    needs = wb[AREA_SHEETS[lang][0]]
    header_row = figure_rows(needs, lang)[0][0].row - 1
    assert needs.print_title_rows == f"${header_row}:${header_row}"
    # The print area reaches past the chart (18 rows under its table).
    assert int(re.search(r"\$(\d+)$", needs.print_area).group(1)) > needs.max_row + 10  # type: ignore[union-attr]


def test_an_empty_area_says_so() -> None:
    wb = book(build("zh"))
    texts = [c.value for row in wb["四方联席会议"].iter_rows() for c in row if c.value]
    assert texts == ["四方联席会议", "本领域还没有专门页面，这里列出概况数字。", "2026Q3 本领域没有数据。"]


def test_an_area_with_figures_but_no_chart_points_has_no_chart() -> None:
    data = report()
    areas = [replace(a, chart=replace(a.chart, points=[])) if a.area == "training" else a for a in data.areas]
    raw = build("zh", RESTATED, replace(data, areas=areas))
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        assert len([n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]) == 3
    texts = [c.value for row in book(raw)["培训成效"].iter_rows() for c in row if c.value]
    assert "2026Q3 没有可分类比较的数据。" in texts


@pytest.mark.parametrize(("text", "name"), [
    ("需求评估", "需求评估"), ("a[b]c:d*e?f/g\\h", "a b c d e f g h"), ("'quoted'", "quoted"),
    ("x" * 40, "x" * 31), ("", "Sheet"), ("???", "Sheet")])
def test_sheet_names_excel_accepts(text: str, name: str) -> None:
    assert sheet_name(text, set()) == name


def test_sheet_names_are_unique() -> None:
    used: set[str] = set()
    assert [sheet_name(n, used) for n in ("封面", "封面", "Cover", "cover", "y" * 31, "y" * 31)] == [
        "封面", "封面 (2)", "Cover", "cover (2)", "y" * 31, "y" * 27 + " (2)"]


def test_change_formats_read_as_the_page_writes_them() -> None:
    with use_language("zh"):
        assert number_formats()["points"] == '"+"0.0" 个百分点";"−"0.0" 个百分点";"±"0.0" 个百分点"'
        assert number_formats()["days"] == '0.0" 天"'
    with use_language("en"):
        assert number_formats()["points"] == '"+"0.0" pts";"−"0.0" pts";"±"0.0" pts"'
        assert number_formats()["relative"] == '"+"0.0%;"−"0.0%;"±"0.0%'


def libreoffice(tmp_path: Path, source: Path, target: str) -> Path:
    """Convert `source` with LibreOffice headless into tmp_path/out; soffice exits 0 even when it failed."""
    out = tmp_path / "out"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", target,
                    "--outdir", str(out), str(source)], check=True, capture_output=True, timeout=180)
    return out


@needs_lo
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_libreoffice_opens_it_and_every_figure_reads_as_on_the_page(tmp_path: Path, lang: str) -> None:
    data = report()
    source = tmp_path / "handout.xlsx"
    source.write_bytes(build(lang, RESTATED if lang == "zh" else DRAFT, data))
    # Every sheet as CSV, each cell as LibreOffice shows it (its number format applied).
    out = libreoffice(tmp_path, source, "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1")
    sheets = {p.stem.removeprefix("handout-"): list(csv.reader(p.read_text(encoding="utf-8").splitlines()))
              for p in out.glob("*.csv")}
    with use_language(lang):
        assert set(sheets) == {t("report.file.sheet_cover"), *AREA_SHEETS[lang]}
        for area, name in zip(data.areas, AREA_SHEETS[lang], strict=True):
            rows = {r[0]: r for r in sheets[name] if r}
            for f in area.figures:
                shown = rows[t(f"report.fig.{f.key}")]
                assert shown[1:6] == [figure_text(f, "value", min_cell=5), figure_text(f, "previous", min_cell=5),
                                      change_text(change(f, "previous"), min_cell=5),
                                      figure_text(f, "year_ago", min_cell=5),
                                      change_text(change(f, "year_ago"), min_cell=5)], f.key
        money = {r[0]: r for r in sheets[AREA_SHEETS[lang][2]] if r}
        assert money[t("report.fig.sales")][1] == "¥1,234,567.89"
        assert [r for r in sheets[t("report.file.sheet_cover")] if r and r[0] == t("report.file.quarter")] == [
            [t("report.file.quarter"), "2026Q3"]]


@needs_lo
def test_libreoffice_saves_it_again_with_its_numbers_and_charts(tmp_path: Path) -> None:
    data = report()
    source = tmp_path / "handout.xlsx"
    source.write_bytes(build("zh", RESTATED, data))
    again = libreoffice(tmp_path, source, "xlsx") / "handout.xlsx"
    assert again.exists(), "LibreOffice could not load the workbook"
    wb = book(again.read_bytes())
    coop = figure_rows(wb["合作社分配"], "zh")
    assert [Decimal(repr(c.value)) * 100 for c in coop[0][1:3]] == [123_456_789, 98_765_432]
    needs = {row[0].value: row for row in figure_rows(wb["需求评估"], "zh")}
    assert needs["从业者人数"][1].value == 2000 and needs["需求结案率"][1].value == pytest.approx(0.837)
    with zipfile.ZipFile(again) as z:
        assert len([n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]) == 4


def test_the_areas_come_in_the_reports_order() -> None:
    data = report()
    order = ["requests", "needs", "meetings", "cooperative", "training"]
    shuffled = replace(data, areas=[data.area(a) for a in order])
    wb = book(build("en", DRAFT, shuffled))
    assert wb.sheetnames[1:] == ["Livestream requests", "Needs", "Joint meeting", "Cooperative", "Training"]


# Changes that round to nothing (±0.0) or to a tenth either way: 2501 against 2500 is +0.04%, which the page writes
# ±0.0%; 2501 against 2499 is +0.08%, written +0.1%; a rate 0.04 points up reads ±0.0 个百分点.
NEAR_ZERO = [Figure("requests", "count", 2501, 2500, 2499),
             Figure("on_time_rate", "rate", 0.5004, 0.5, 0.4992, base=300, previous_base=300, year_ago_base=300),
             Figure("response_days", "days", 2.499, 2.5, 2.5)]


def near_zero_report() -> ReportData:
    data = report()
    return replace(data, areas=[replace(a, figures=NEAR_ZERO) if a.area == "requests" else a for a in data.areas])


def test_a_change_is_written_rounded_as_the_page_rounds_it() -> None:
    """The typed change cell holds the change as change_text rounds it (half up to a tenth of a percent or point),
    so its number format writes the same text: 0.0004 would read +0.0% where the page writes ±0.0%."""
    wb = book(build("zh", RESTATED, near_zero_report()))
    rows = {row[0].value: row for row in figure_rows(wb["直播治理诉求"], "zh")}
    cells = {name: (row[3].value, row[5].value) for name, row in rows.items()}
    assert cells == {"收集诉求": (0, 0.001), "按期办结率": (0, 0.1), "平均响应时间": (0, 0)}
    assert all(str(v) != "-0.0" for pair in cells.values() for v in pair)       # no −0 to read as −0.0%
    with use_language("zh"):
        assert [change_text(change(f, "previous")) for f in NEAR_ZERO] == ["±0.0%", "±0.0 个百分点", "±0.0%"]


@needs_lo
def test_near_zero_changes_read_the_same_in_libreoffice_as_on_the_page(tmp_path: Path) -> None:
    source = tmp_path / "handout.xlsx"
    source.write_bytes(build("zh", RESTATED, near_zero_report()))
    out = libreoffice(tmp_path, source, "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1")
    rows = {r[0]: r for r in csv.reader((out / "handout-直播治理诉求.csv").read_text(encoding="utf-8").splitlines())
            if r}
    with use_language("zh"):
        for f in NEAR_ZERO:
            assert [rows[t(f"report.fig.{f.key}")][i] for i in (3, 5)] == [
                change_text(change(f, "previous")), change_text(change(f, "year_ago"))], f.key


@needs_lo
def test_a_half_rounds_the_same_in_the_workbook_as_on_the_page(tmp_path: Path) -> None:
    data = report()
    halves = [Figure("response_days", "days", 3.25, 0.125), Figure("on_time_rate", "rate", 0.0625, 0.8125, base=80)]
    areas = [replace(a, figures=halves) if a.area == "requests" else a for a in data.areas]
    source = tmp_path / "handout.xlsx"
    source.write_bytes(build("zh", RESTATED, replace(data, areas=areas)))
    out = libreoffice(tmp_path, source, "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1")
    rows = {r[0]: r for r in csv.reader((out / "handout-直播治理诉求.csv").read_text(encoding="utf-8").splitlines())
            if r}
    with use_language("zh"):
        for f in halves:
            assert rows[t(f"report.fig.{f.key}")][1:3] == [figure_text(f, "value"), figure_text(f, "previous")]
