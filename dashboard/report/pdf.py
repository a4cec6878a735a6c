"""季度汇报 as a printable document: Word (.docx, python-docx) and the PDF that LibreOffice makes of it.

Why LibreOffice and not WeasyPrint: it is already our PDF path (the joint meeting's minutes, `minutes_doc.pdf_bytes`,
installed and tested on every server), it lays Chinese out with the system's CJK fonts, Word's repeated header rows
(w:tblHeader) and PAGE / NUMPAGES fields give tables continued with their header and "第 X 页 / 共 Y 页" with nothing
of our own, and the .docx it converts is a useful file too (a social worker can edit it in WPS). WeasyPrint would be
a second renderer with its own fonts and an HTML copy of the report to keep in step.

Every page's header names the community, the quarter and the version; a restated version's first page gives the
reason and the figures that changed; each area starts on a new page with its title, its narrative, its figures (the
table's header repeats where it runs over a page) and its chart as a picture (`picture.chart_png`). The data comes
in suppressed already: a hidden figure reads "<5", a withheld one 已隐去.
"""

import io
from collections.abc import Mapping, Sequence
from typing import Any

from docx import Document
from docx.enum.table import WD_ALIGN_VERTICAL
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from dashboard.docx_parts import add_page_numbers, add_para, add_run, add_table, clean, setup_a4
from dashboard.i18n import t, use_language
from dashboard.minutes_doc import pdf_bytes
from dashboard.report import cover
from dashboard.report.compare import change
from dashboard.report.diff import FigureChange
from dashboard.report.picture import chart_png
from dashboard.report.present import change_text, figure_text
from dashboard.report.types import AreaReport, ReportData, ReportMeta
from dashboard.services.errors import RuleError

# 指标, 本季度, 上季度, 环比, 去年同期, 同比, 说明 in mm: 170 between margins of 20, with cells' margins of 1.2 mm
# (¥1,234,567.89 and +3.7 个百分点 stay on one line at 9 pt).
WIDTHS = (28, 21, 21, 24, 21, 24, 31)
RESTATE_WIDTHS = (30, 59, 27, 27, 27)           # a restatement's 领域, 指标, 原数字, 现数字, 差额
CELL_MARGIN_TWIPS = 68
COLUMNS = ("figure", "value", "previous", "qoq", "year_ago", "yoy", "note")
R, C = WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.CENTER


def _header_footer(doc: Any, data: ReportData, meta: ReportMeta, lang: str) -> None:
    section = doc.sections[0]
    place, quarter, version = cover.header_parts(data, meta, lang)
    head = section.header.paragraphs[0]
    head.alignment = R
    add_run(head, f"{place} · {quarter} · ", size=9, grey=True)
    add_run(head, version, size=9.5, bold=True, heading=True)
    add_page_numbers(add_para(section.footer, align=C), t("report.file.page"), 9)


def _cover(doc: Any, data: ReportData, meta: ReportMeta, lang: str, min_cell: int | None,
           restatement: cover.Restatement) -> None:
    add_para(doc, cover.title(data, lang), style="Title", heading=True, align=C)
    for label, value in cover.facts(data, meta, lang):
        p = add_para(doc)
        p.paragraph_format.space_after = Pt(2)
        add_run(p, t("report.file.label", label=label), bold=True)
        add_run(p, value)
    if cover.restatement_shown(meta, restatement.changes, restatement.reason):
        _restatement(doc, data, meta, lang, min_cell, restatement)
    for i, text in enumerate(cover.notes(data, meta, min_cell)):
        p = add_para(doc, text, size=9, grey=True)
        if i == 0:
            p.paragraph_format.space_before = Pt(10)
    add_para(doc, t("report.file.contents"), style="Heading 2", heading=True)
    for a in data.areas:
        line = add_para(doc, t(f"report.area.{a.area}")).paragraph_format
        line.left_indent, line.space_after = Mm(6), Pt(2)


def _restatement(doc: Any, data: ReportData, meta: ReportMeta, lang: str, min_cell: int | None,
                 restatement: cover.Restatement) -> None:
    """On the first page of a restated version: why it was restated and the figures that changed (the table's
    header repeats where a long one runs over a page)."""
    add_para(doc, t("report.file.restate_title"), style="Heading 2", heading=True)
    p = add_para(doc)
    add_run(p, t("report.file.label", label=t("report.file.restate_reason")), bold=True)
    add_run(p, cover.reason_text(restatement.reason))
    if not restatement.changes:
        return
    add_para(doc, cover.restatement_heading(meta, restatement.changes), bold=True).paragraph_format.space_before = Pt(4)
    rows = cover.change_rows(data, restatement.changes, lang=lang, min_cell=min_cell,
                             suppressed=restatement.suppressed)
    table = add_table(doc, [t(f"report.file.restate_col.{c}") for c in cover.RESTATE_COLUMNS], rows,
                      RESTATE_WIDTHS, size=9, align=(None, None, R, R, R))
    for cell in table.rows[0].cells:
        cell.paragraphs[0].alignment = C
    _tight(table)


def _tight(table: Any) -> None:
    """Narrow cell margins, text centred in its row, and a row kept on one page (a figure's name and its note are
    not cut in two)."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(CELL_MARGIN_TWIPS))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    table._tbl.tblPr.append(margins)
    for row in table.rows:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for cell in row.cells:
            cell.vertical_alignment = WD_ALIGN_VERTICAL.CENTER


def _area(doc: Any, a: AreaReport, data: ReportData, narrative: str, lang: str, min_cell: int | None) -> None:
    heading = add_para(doc, t(f"report.area.{a.area}"), style="Heading 1", heading=True)
    heading.paragraph_format.page_break_before = True
    if not a.has_page:
        add_para(doc, t("report.file.no_page"), size=9, grey=True)
    for line in clean(narrative).splitlines():
        if line.strip():
            add_para(doc, line).paragraph_format.first_line_indent = Pt(22) if lang == "zh" else None
    if not a.figures and not a.chart.points:
        add_para(doc, t("report.file.empty", quarter=data.quarter), grey=True)
        return
    if a.figures:
        rows = [[t(f"report.fig.{f.key}"), figure_text(f, "value", min_cell=min_cell),
                 figure_text(f, "previous", min_cell=min_cell),
                 change_text(change(f, "previous"), min_cell=min_cell),
                 figure_text(f, "year_ago", min_cell=min_cell),
                 change_text(change(f, "year_ago"), min_cell=min_cell), cover.figure_note(f)] for f in a.figures]
        table = add_table(doc, [t(f"report.file.col.{c}") for c in COLUMNS], rows, WIDTHS, size=9,
                          align=(None, R, R, R, R, R, None))
        for row in table.rows[1:]:                     # the note smaller and grey, as in the workbook
            for run in row.cells[6].paragraphs[0].runs:
                run.font.size = Pt(8)
        for cell in table.rows[0].cells:
            cell.paragraphs[0].alignment = C
        _tight(table)
    png = chart_png(a.chart, data, lang=lang, min_cell=min_cell)
    if png is None:
        add_para(doc, t("report.file.chart_empty", quarter=data.quarter), size=9, grey=True)
        return
    p = add_para(doc, align=C)
    p.paragraph_format.space_before = Pt(12)
    p.paragraph_format.keep_together = True
    p.add_run().add_picture(io.BytesIO(png), width=Mm(165))
    for remark in cover.chart_remarks(a.chart, min_cell):
        add_para(doc, remark, size=9, grey=True, align=C)


def report_docx(data: ReportData, narrative: dict[str, str], meta: ReportMeta, *, lang: str,
                min_cell: int | None, changes: Sequence[FigureChange] = (), reason: str = "",
                suppressed: Mapping[str, str] | None = None) -> bytes:
    """The report in `lang` as Word: a cover, then each area on its own page. A restated version's cover gives
    `reason` and the table of `changes` from the version before, suppressed for the viewer by the caller (as in
    handout.handout_xlsx)."""
    with use_language(lang):
        doc = Document()
        doc.core_properties.title = clean(cover.title(data, lang))
        doc.core_properties.subject = clean(cover.version_text(meta))
        doc.core_properties.language = "zh-CN" if lang == "zh" else "en"
        setup_a4(doc, lang)
        section = doc.sections[0]
        section.left_margin = section.right_margin = Mm(20)     # a handout, not a bound file: room for the table
        _header_footer(doc, data, meta, lang)
        _cover(doc, data, meta, lang, min_cell, cover.Restatement(changes, reason, suppressed))
        for a in data.areas:
            _area(doc, a, data, narrative.get(a.area, ""), lang, min_cell)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()


def report_pdf(data: ReportData, narrative: dict[str, str], meta: ReportMeta, *, lang: str,
               min_cell: int | None, changes: Sequence[FigureChange] = (), reason: str = "",
               suppressed: Mapping[str, str] | None = None) -> bytes:
    """The same document as PDF (LibreOffice headless, through the minutes' converter)."""
    docx = report_docx(data, narrative, meta, lang=lang, min_cell=min_cell, changes=changes, reason=reason,
                       suppressed=suppressed)
    try:
        return pdf_bytes(docx)
    except RuleError:
        raise RuleError("report.file.pdf_failed") from None

