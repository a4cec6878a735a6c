"""The data rows of a large export as worksheet XML, spliced into a workbook xlsxwriter made.

xlsxwriter spends about 5 µs of Python per cell, too slow for an export of 100,000 rows × 18 columns. Here each
column gets one small function that renders its cells as XML text: dates and money as numbers with the style
xlsxwriter gave them, text as inline strings (never a formula). Everything else in the file — styles, the
header, column widths, the frozen pane, the autofilter, the cover sheet — is still xlsxwriter's.
"""

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from typing import Any

from xlsxwriter.utility import xl_col_to_name

EPOCH = dt.date(1899, 12, 30)                 # Excel's day 0 in the 1900 date system
# The rows are rendered before the workbook exists (the cover needs their count); its style numbers for dates
# and money are put in for these placeholders when the rows are spliced in.
DATE_STYLE, MONEY_STYLE = "\x01D", "\x01M"
# Characters XML 1.0 cannot carry, written as Excel writes them (_x0001_); \r too, which parsers would drop.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
Cell = Callable[[Any, str], str]


def _text(value: str) -> str:
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if _CONTROL.search(value):
        value = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    if value[:1].isspace() or value[-1:].isspace():
        return f'<t xml:space="preserve">{value}</t>'
    return f"<t>{value}</t>"


def cell_writer(kind: str) -> Cell:
    """How one column's (already converted) values become <c> elements; `ref` is e.g. "B17"."""
    if kind == "date":
        serials: dict[dt.date, int] = {}

        def date(value: dt.date, ref: str) -> str:
            serial = serials.get(value)
            if serial is None:
                serial = serials[value] = (value - EPOCH).days
            return f'<c r="{ref}" s="{DATE_STYLE}"><v>{serial}</v></c>'
        return date
    if kind == "money":
        return lambda value, ref: f'<c r="{ref}" s="{MONEY_STYLE}"><v>{value / 100!r}</v></c>'
    if kind in ("int", "float"):
        return lambda value, ref: f'<c r="{ref}"><v>{value!r}</v></c>'
    return lambda value, ref: f'<c r="{ref}" t="inlineStr"><is>{_text(str(value))}</is></c>'


def rows_xml(rows: Iterable[dict[str, Any]], plan: list[tuple[str, Callable[[Any], Any], Cell]],
             first_row: int = 2) -> tuple[list[str], int]:
    """<row> elements for `rows`, from Excel row `first_row` on, in chunks; and how many rows there were.

    `plan` holds, per column: the row's key, the converter (labels, masking), the cell writer."""
    letters = [xl_col_to_name(c) for c in range(len(plan))]
    columns = list(zip(letters, plan, strict=True))
    chunks: list[str] = []
    part: list[str] = []
    r = first_row - 1
    for r, row in enumerate(rows, start=first_row):
        cells = []
        for letter, (key, convert, write) in columns:
            value = convert(row.get(key))
            if value is not None:
                cells.append(write(value, f"{letter}{r}"))
        part.append(f'<row r="{r}">{"".join(cells)}</row>')
        if len(part) == 2_000:
            chunks.append("".join(part))
            part = []
    chunks.append("".join(part))
    return chunks, r - first_row + 1


_PROBE = re.compile(r'<row r="2"[ >]')
_DIMENSION = re.compile(r'<dimension ref="[^"]*"/>')


def splice(workbook: bytes, member: str, chunks: list[str], last_ref: str, date_style: int, money_style: int
           ) -> bytes:
    """The workbook with `member`'s rows from Excel row 2 on replaced by `chunks`, styles filled in."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename != member:
                dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
                continue
            xml = data.decode("utf-8")
            start = _PROBE.search(xml)
            end = xml.index("</sheetData>")
            head = _DIMENSION.sub(f'<dimension ref="A1:{last_ref}"/>', xml[:start.start() if start else end], 1)
            with dst.open(info.filename, "w", force_zip64=True) as sheet:
                sheet.write(head.encode("utf-8"))
                for chunk in chunks:
                    chunk = chunk.replace(DATE_STYLE, str(date_style)).replace(MONEY_STYLE, str(money_style))
                    sheet.write(chunk.encode("utf-8"))
                sheet.write(xml[end:].encode("utf-8"))
    return out.getvalue()
