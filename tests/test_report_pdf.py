"""季度汇报 as Word and PDF: the .docx read back with python-docx, the chart pictures' specs, and the PDF read back with
poppler (the version and quarter on every page, 第 X 页 / 共 Y 页, a long table continued with its header, a CJK
font embedded). The first two pages are rendered to PNG in test-artifacts/ to be looked at."""

import io
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn

from dashboard.i18n import t, use_language
from dashboard.report import pdf as report_pdf_module
from dashboard.report.compare import change
from dashboard.report.picture import FONT, chart_png, chart_spec, wrap
from dashboard.report.present import change_text, figure_text
from dashboard.report.types import ReportMeta
from dashboard.services.errors import RuleError
from tests.report_samples import (
    CHANGES,
    DRAFT,
    NARRATIVE,
    REASON,
    RESTATED,
    RESTATEMENT_ROWS,
    SUPPRESSED,
    labels,
    long_report,
    report,
    withheld_report,
)

HAS_TOOLS = all(shutil.which(x) for x in ("soffice", "pdftotext", "pdffonts", "pdftoppm", "pdfinfo"))
needs_lo = pytest.mark.skipif(not HAS_TOOLS, reason="LibreOffice or poppler-utils is not installed")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
AREAS = {"zh": ["需求评估", "培训成效", "合作社分配", "直播治理诉求", "四方联席会议"],
         "en": ["Needs", "Training", "Cooperative", "Livestream requests", "Joint meeting"]}


@pytest.fixture(autouse=True)
def _labels() -> object:
    with labels():
        yield


def docx(lang: str = "zh", meta: ReportMeta = RESTATED, data: object = None) -> DocxDocument:
    raw = report_pdf_module.report_docx(data or report(), NARRATIVE[lang], meta, lang=lang,  # type: ignore[arg-type]
                                        min_cell=5)
    return Document(io.BytesIO(raw))


@pytest.mark.parametrize(("lang", "meta", "header"), [
    ("zh", RESTATED, "GA社区 · 2026Q3 · 第 2 版（修订）"),
    ("en", DRAFT, "GA community · 2026Q3 · Draft (not published)")])
def test_every_page_has_the_filters_and_version_and_page_x_of_y(lang: str, meta: ReportMeta, header: str) -> None:
    doc = docx(lang, meta)
    section = doc.sections[0]
    assert section.header.paragraphs[0].text == header
    assert not section.different_first_page_header_footer
    footer = section.footer._element
    assert [el.text.strip() for el in footer.iter(qn("w:instrText"))] == ["PAGE", "NUMPAGES"]
    words = "".join(el.text for el in footer.iter(qn("w:t")))
    assert words == ("第 1 页 / 共 1 页" if lang == "zh" else "Page 1 of 1")        # the fields' placeholders
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # type: ignore[union-attr]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_area_has_its_title_narrative_figures_and_chart(lang: str) -> None:
    data = report()
    doc = docx(lang, RESTATED, data)
    headings = [p for p in doc.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert [p.text for p in headings] == AREAS[lang]
    assert all(p.paragraph_format.page_break_before for p in headings)
    texts = [p.text for p in doc.paragraphs]
    assert NARRATIVE[lang]["cooperative"] in texts                   # "=SUM(...)" is text in a Word file
    assert NARRATIVE[lang]["requests"].split("\n")[1] in texts
    tables = doc.tables
    assert len(tables) == 4                                          # meetings has none
    with use_language(lang):
        for area, table in zip([a for a in data.areas if a.figures], tables, strict=True):
            head = table.rows[0]
            assert head._tr.trPr.find(qn("w:tblHeader")) is not None     # repeats on every page
            assert [c.text for c in head.cells] == [t(f"report.file.col.{c}") for c in report_pdf_module.COLUMNS]
            for f, row in zip(area.figures, table.rows[1:], strict=True):
                assert [c.text for c in row.cells][:6] == [
                    t(f"report.fig.{f.key}"), figure_text(f, "value", min_cell=5),
                    figure_text(f, "previous", min_cell=5), change_text(change(f, "previous"), min_cell=5),
                    figure_text(f, "year_ago", min_cell=5), change_text(change(f, "year_ago"), min_cell=5)]
    pictures = doc.inline_shapes
    assert len(pictures) == 4                                        # a chart per area with points
    if lang == "zh":
        assert "2026Q3 本领域没有数据。" in texts
        assert next(r for r in tables[0].rows if r.cells[0].text == "残障从业者").cells[1].text == "<5"


def restated_docx(lang: str, meta: ReportMeta = RESTATED) -> DocxDocument:
    raw = report_pdf_module.report_docx(report(), NARRATIVE[lang], meta, lang=lang, min_cell=5, changes=CHANGES,
                                        reason=REASON, suppressed=SUPPRESSED)
    return Document(io.BytesIO(raw))


@pytest.mark.parametrize(("lang", "title", "reason", "heading"), [
    ("zh", "修订说明", "修订原因：", "与第 1 版相比有 7 项数字不同："),
    ("en", "About this restatement", "Reason for restating: ", "Figures that differ from version 1 (7):")])
def test_a_restated_versions_first_page_gives_the_reason_and_the_changed_figures(lang: str, title: str, reason: str,
                                                                                 heading: str) -> None:
    doc = restated_docx(lang)
    body = list(doc.element.body.iterchildren())
    first_area = next(i for i, el in enumerate(body) if el.tag == qn("w:p") and el.find(".//" + qn("w:pageBreakBefore"))
                      is not None)
    cover = [el for el in body[:first_area]]
    texts = ["".join(x.text or "" for x in el.iter(qn("w:t"))) for el in cover if el.tag == qn("w:p")]
    assert title in texts and reason + REASON in texts and heading in texts
    assert texts.index(title) < texts.index(heading)
    tables = [el for el in cover if el.tag == qn("w:tbl")]
    assert len(tables) == 1
    table = doc.tables[0]
    assert [[c.text for c in row.cells] for row in table.rows] == RESTATEMENT_ROWS[lang]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None     # a long one repeats its header


def test_a_first_version_or_a_restatement_given_nothing_says_nothing_of_one() -> None:
    first = ReportMeta(version=1, cut_off=RESTATED.cut_off, published_at=RESTATED.published_at, published_by="陈静")
    for doc in (restated_docx("zh", first), docx("zh", RESTATED)):
        texts = [p.text for p in doc.paragraphs]
        assert "修订说明" not in texts and len(doc.tables) == 4


def test_every_run_names_a_chinese_font() -> None:
    doc = docx("zh")
    section = doc.sections[0]
    parts = [doc.element.body, section.header._element, section.footer._element]
    runs = [r for part in parts for r in part.iter(qn("w:r")) if r.find(qn("w:t")) is not None]
    assert len(runs) > 100
    assert {r.find(qn("w:rPr")).find(qn("w:rFonts")).get(qn("w:eastAsia")) for r in runs} == {"宋体", "黑体"}
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"


def test_the_chart_picture_names_the_cjk_font_and_marks_hidden_values() -> None:
    data = report()
    with use_language("zh"):
        spec = chart_spec(data.area("needs").chart, data, lang="zh", min_cell=5)
        assert spec["config"]["font"] == FONT == "Noto Sans CJK SC"
        rows = spec["datasets"][next(iter(spec["datasets"]))] if "datasets" in spec else spec["data"]["values"]
        hidden = [(r["category"], r["series"], r["mark"]) for r in rows if r["hidden"]]
        assert hidden == [("社会支持网络", "本季度（2026Q3）", "<5"), ("社会支持网络", "去年同期（2025Q3）", "<5"),
                          ("其他", "本季度（2026Q3）", "<5")]
        money = chart_spec(data.area("cooperative").chart, data, lang="zh", min_cell=5)
        values = money["datasets"][next(iter(money["datasets"]))] if "datasets" in money else money["data"]["values"]
        assert values[0]["plot"] == 800000.01                        # yuan, from cents
        png = chart_png(data.area("training").chart, data, lang="zh", min_cell=5)
        assert png is not None and png.startswith(b"\x89PNG")
        assert chart_png(data.area("meetings").chart, data, lang="zh", min_cell=5) is None


def spec_rows(spec: dict) -> list[dict]:
    return spec["datasets"][next(iter(spec["datasets"]))] if "datasets" in spec else spec["data"]["values"]


@pytest.mark.parametrize(("lang", "withheld"), [("zh", "已隐去"), ("en", "withheld")])
def test_withheld_bars_read_withheld_in_the_picture_and_the_document(lang: str, withheld: str) -> None:
    """A bar of 38 hidden only so that a total does not give a 4 away is marked 已隐去 at the foot of its place, as on
    the page; "<5" would say it is fewer than 5."""
    data = withheld_report()
    chart = data.area("training").chart
    with use_language(lang):
        spec = chart_spec(chart, data, lang=lang, min_cell=5)
        series = [t(f"report.file.series.{s}", quarter=q) for s, q in
                  (("value", "2026Q3"), ("previous", "2026Q2"), ("year_ago", "2025Q3"))]
    marks = {(r["category"], r["series"]): r["mark"] for r in spec_rows(spec) if r["hidden"]}
    basic, middle, advanced = (p.names[lang] for p in chart.points)
    assert marks == {(basic, series[0]): withheld, (middle, series[1]): withheld, (middle, series[2]): withheld,
                     (advanced, series[0]): "<5", (advanced, series[1]): "<5", (advanced, series[2]): "<5"}
    assert all(r["plot"] == 0.0 for r in spec_rows(spec) if r["hidden"])      # at zero, its mark above the axis
    doc = docx(lang, RESTATED, data)
    table = doc.tables[1]
    assert [c.text for c in table.rows[1].cells[:6]][4] == withheld            # the total withheld a year ago
    texts = [p.text for p in doc.paragraphs]
    with use_language(lang):
        assert t("report.file.chart_withheld", mark=withheld) in texts
        assert t("report.file.withheld_note", mark=withheld, n=5) in texts


@pytest.mark.parametrize(("name", "units", "lines"), [
    ("Health and a sustainable job", 14, ["Health and a", "sustainable", "job"]),
    ("职业可持续与身心健康", 12, ["职业可持续", "与身心健康"]),
    ("职业可持续与身心健康", 18, ["职业可持续", "与身心健康"]),
    ("GA电商合作社", 8, ["GA电商", "合作社"]),
    ("Rights", 18, ["Rights"]),
    ("Supercalifragilistic word", 8, ["Supercalifragilistic", "word"])])
def test_long_category_names_wrap_under_their_columns(name: str, units: int, lines: list[str]) -> None:
    assert wrap(name, units).split("\n") == lines


def test_two_categories_of_one_name_stay_two_groups() -> None:
    data = report()
    chart = data.area("training").chart
    twins = replace(chart, points=[replace(p, names={"zh": "其他", "en": "Other"}) for p in chart.points[:2]])
    with use_language("zh"):
        spec = chart_spec(twins, data, lang="zh", min_cell=5)
    rows = spec["datasets"][next(iter(spec["datasets"]))] if "datasets" in spec else spec["data"]["values"]
    assert len({r["category"] for r in rows}) == 2
    assert {r["category"].rstrip("\u200b") for r in rows} == {"其他"}


def pdf_text(path: Path, page: int | None = None, *, layout: bool = True) -> str:
    """The text of the PDF (or one page) without white space (pdftotext spaces Chinese from Latin); `layout` False
    reads cell by cell (a note on two lines in its cell stays whole) rather than line by line across the page."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    text = subprocess.run(["pdftotext", *(["-layout"] if layout else []), *pages, str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return re.sub(r"\s+", "", text)


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))      # type: ignore[union-attr]


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not HAS_TOOLS:
        pytest.skip("LibreOffice or poppler-utils is not installed")
    out = tmp_path_factory.mktemp("report-pdf")
    files = {}
    with labels():
        for name, data, lang, meta in (("zh", report(), "zh", RESTATED), ("en", report(), "en", DRAFT),
                                       ("long", long_report(), "zh", RESTATED)):
            files[name] = out / f"report-{name}.pdf"
            files[name].write_bytes(report_pdf_module.report_pdf(data, NARRATIVE[lang], meta, lang=lang, min_cell=5))
        files["restated"] = out / "report-restated.pdf"
        files["restated"].write_bytes(report_pdf_module.report_pdf(
            withheld_report(), NARRATIVE["zh"], RESTATED, lang="zh", min_cell=5, changes=CHANGES, reason=REASON,
            suppressed=SUPPRESSED))
    return files


@needs_lo
@pytest.mark.parametrize(("name", "words", "page_words"), [
    ("zh", ("2026Q3", "第2版（修订）"), "第{n}页/共{pages}页"),
    ("en", ("2026Q3", "Draft(notpublished)"), "Page{n}of{pages}")])
def test_the_pdf_says_the_quarter_version_and_page_on_every_page(pdfs: dict[str, Path], name: str,
                                                                 words: tuple[str, ...], page_words: str) -> None:
    path = pdfs[name]
    pages = pdf_pages(path)
    assert pages == 6                                                  # the cover and one page per area
    for n in range(1, pages + 1):
        text = pdf_text(path, n)
        for word in words:
            assert word in text, (n, word)
        assert page_words.format(n=n, pages=pages) in text, n


@needs_lo
def test_the_pdf_is_chinese_in_a_cjk_font(pdfs: dict[str, Path]) -> None:
    text = pdf_text(pdfs["zh"], layout=False)
    for expected in ("GA社区2026Q3季度汇报", "需求评估", "本季度共评估需求1,234项", "从业者人数", "¥1,234,567.89",
                     "+3.7个百分点", "同比基数不足30，仅供参考", "数据截至：2026-10-0809:30（北京时间）"):
        assert expected in text, expected
    fonts = subprocess.run(["pdffonts", str(pdfs["zh"])], check=True, capture_output=True, text=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk)                 # embedded, so no boxes on another machine


@needs_lo
def test_a_long_table_continues_with_its_header(pdfs: dict[str, Path]) -> None:
    path = pdfs["long"]
    head = "指标本季度上季度环比去年同期同比说明"
    # Cell by cell: a label may wrap in its cell (it did with DejaVu Sans as the Latin font), reading across it would
    # put the row's figures between "report.fig.extra_" and its number.
    first = next(n for n in range(1, pdf_pages(path) + 1) if "report.fig.extra_0" in pdf_text(path, n, layout=False))
    last = next(n for n in range(1, pdf_pages(path) + 1) if "report.fig.extra_69" in pdf_text(path, n, layout=False))
    assert last > first                                                # it runs over a page
    for n in range(first, last + 1):
        text = pdf_text(path, n)
        assert head in text, n
        # The header comes before the page's first figure: repeated at the top, not only where the table began.
        assert text.index(head) < text.index("report.fig.extra_"), n


@needs_lo
def test_the_restated_pdfs_first_page_has_the_reason_and_the_table(pdfs: dict[str, Path]) -> None:
    first = pdf_text(pdfs["restated"], 1)                 # line by line: a row of the table reads across
    assert "修订说明" in first and "修订原因：" + re.sub(r"\s+", "", REASON) in first
    assert "与第1版相比有7项数字不同：" in first
    for row in RESTATEMENT_ROWS["zh"]:
        assert "".join(row).replace(" ", "") in first, row
    assert "第1页/共6页" in pdf_text(pdfs["restated"], 1)


@needs_lo
def test_the_first_two_pages_render(pdfs: dict[str, Path]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for name in ("zh", "en", "restated"):
        prefix = ARTIFACTS / f"report-{name}"
        subprocess.run(["pdftoppm", "-r", "80", "-f", "1", "-l", "2", "-png", str(pdfs[name]), str(prefix)],
                       check=True, capture_output=True, timeout=60)
        shots = sorted(ARTIFACTS.glob(f"report-{name}-[0-9]*.png"))   # pdftoppm's pages, not the browser test's
        assert len(shots) >= 2 and all(p.stat().st_size > 10_000 for p in shots)


def test_no_libreoffice_is_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuleError) as err:
        report_pdf_module.report_pdf(report(), NARRATIVE["zh"], RESTATED, lang="zh", min_cell=5)
    assert err.value.key == "report.file.pdf_failed"
    assert ".xlsx" in str(err.value)


def test_an_area_without_a_narrative_or_chart_points() -> None:
    data = report()
    areas = [replace(a, chart=replace(a.chart, points=[])) if a.area == "training" else a for a in data.areas]
    raw = report_pdf_module.report_docx(replace(data, areas=areas), {}, DRAFT, lang="zh", min_cell=None)
    doc = Document(io.BytesIO(raw))
    texts = [p.text for p in doc.paragraphs]
    assert "2026Q3 没有可分类比较的数据。" in texts
    assert len(doc.inline_shapes) == 3
    assert not any("本季度共评估需求" in x for x in texts)
