"""Word (.docx) building blocks shared by the joint meeting's minutes and the quarterly report: A4 with Chinese fonts
named explicitly, runs of plain text, page-number fields and tables whose header row repeats on every page."""

import re
import string
from collections.abc import Sequence
from typing import Any

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

BODY_FONT, BODY_LATIN = "宋体", "Times New Roman"
HEAD_FONT, HEAD_LATIN = "黑体", "Arial"
# XML 1.0 refuses these (a control character pasted from elsewhere would make Word call the file corrupt).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
GREY = RGBColor(0x55, 0x55, 0x55)


def clean(text: object) -> str:
    """User text as it may go into Word XML: None as empty, control characters (other than tab and newline) out."""
    return "" if text is None else _NOT_XML.sub("", str(text))


def set_fonts(rpr: Any, east_asia: str, latin: str) -> None:
    """Name the East Asian font explicitly (w:eastAsia), dropping theme fonts that would win over it."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr, name in (("w:ascii", latin), ("w:hAnsi", latin), ("w:eastAsia", east_asia), ("w:cs", latin)):
        fonts.set(qn(attr), name)


def add_run(p: Paragraph, text: object, *, bold: bool = False, size: float | None = None, heading: bool = False,
            grey: bool = False) -> None:
    run = p.add_run(clean(text))
    run.bold = bold or None
    if size:
        run.font.size = Pt(size)
    if grey:
        run.font.color.rgb = GREY
    set_fonts(run._r.get_or_add_rPr(), *((HEAD_FONT, HEAD_LATIN) if heading else (BODY_FONT, BODY_LATIN)))


def add_para(container: Any, text: object = "", *, style: str | None = None, heading: bool = False,
             bold: bool = False, size: float | None = None, align: Any = None, grey: bool = False) -> Paragraph:
    p = container.add_paragraph(style=style)
    if text != "":
        add_run(p, text, bold=bold, size=size, heading=heading, grey=grey)
    if align is not None:
        p.alignment = align
    return p


def add_field(p: Paragraph, code: str, size: float) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice fill in when they lay out the pages."""
    def char(kind: str) -> None:
        r = p.add_run()
        r.font.size = Pt(size)
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        r._r.append(el)
    char("begin")
    r = p.add_run()
    r.font.size = Pt(size)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {code} "
    r._r.append(instr)
    char("separate")
    add_run(p, "1", size=size)
    char("end")


def add_page_numbers(p: Paragraph, sentence: str, size: float) -> None:
    """`sentence` is the language's ("第 {page} 页，共 {pages} 页" / "Page {page} of {pages}"): its words as text,
    {page} and {pages} as the PAGE and NUMPAGES fields."""
    for literal, name, _, _ in string.Formatter().parse(sentence):
        if literal:
            add_run(p, literal, size=size)
        if name:
            add_field(p, "PAGE" if name == "page" else "NUMPAGES", size)


def add_table(doc: Any, header: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float], *,
              size: float = 9.5, align: Sequence[Any] | None = None) -> Table:
    """A grid table whose first row repeats on every page it runs over; `align` per column (None: the default)."""
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    head = table.rows[0]
    flag = OxmlElement("w:tblHeader")        # the header row repeats on every page the table runs over
    head._tr.get_or_add_trPr().append(flag)
    aligns = list(align) if align is not None else [None] * len(header)
    for cell, text, how in zip(head.cells, header, aligns, strict=True):
        cell.paragraphs[0].text = ""
        add_run(cell.paragraphs[0], text, bold=True, size=size, heading=True)
        if how is not None:
            cell.paragraphs[0].alignment = how
    for values in rows:
        cells = table.add_row().cells
        for cell, value, how in zip(cells, values, aligns, strict=True):
            add_run(cell.paragraphs[0], value, size=size)
            if how is not None:
                cell.paragraphs[0].alignment = how
    # Word reads the cells' widths, LibreOffice the grid's: set both.
    table.autofit = False
    for i, width in enumerate(widths):
        table.columns[i].width = Mm(width)
        for row in table.rows:
            row.cells[i].width = Mm(width)
    return table


def setup_a4(doc: Any, lang: str) -> None:
    """A4 with room to bind on the left and for the header and footer lines; Chinese named as the East Asian
    language and its fonts named (the template's defaults say en-US and take the font from the theme: LibreOffice
    then draws Chinese with a Japanese CJK font, whose glyphs differ)."""
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(defaults, BODY_FONT, BODY_LATIN)
    language = defaults.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        defaults.append(language)
    language.set(qn("w:val"), "zh-CN" if lang == "zh" else "en-GB")
    language.set(qn("w:eastAsia"), "zh-CN")
    for name, east, latin in (("Normal", BODY_FONT, BODY_LATIN), ("Title", HEAD_FONT, HEAD_LATIN),
                              ("Heading 1", HEAD_FONT, HEAD_LATIN), ("Heading 2", HEAD_FONT, HEAD_LATIN)):
        style = doc.styles[name]
        set_fonts(style.element.get_or_add_rPr(), east, latin)
        if name != "Normal":
            style.font.color.rgb = RGBColor(0, 0, 0)
    doc.styles["Normal"].font.size = Pt(11)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(25), Mm(22)
    section.left_margin, section.right_margin = Mm(28), Mm(22)
    section.header_distance, section.footer_distance = Mm(12), Mm(10)
