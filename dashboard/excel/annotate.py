"""The uploaded file handed back with every error cell highlighted and commented, so it can be fixed in place."""

import csv
import io
from typing import Any

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from dashboard.excel.importer import HEADER_SCAN, RowError
from dashboard.excel.reader import OLE_MAGIC, ZIP_MAGIC, _decode
from dashboard.i18n import t

ERROR_FILL = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")


def _workbook(data: bytes, file_name: str) -> Any:
    if data.startswith(ZIP_MAGIC):
        return openpyxl.load_workbook(io.BytesIO(data))
    if data.startswith(OLE_MAGIC):
        raise ValueError("an old or encrypted workbook cannot be annotated")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = file_name.rsplit("/", 1)[-1][:31]
    for row in csv.reader(io.StringIO(_decode(data))):
        ws.append(row)
    return wb


def marked_name(file_name: str) -> str:
    """The marked copy's file name: always a workbook, so the upload's own extension (.xlsx, .csv) is dropped."""
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    return t("io.marked_file", name=stem if dot and stem and ext.lower() in ("xlsx", "xls", "csv") else base)


def annotated(data: bytes, file_name: str, errors: list[RowError]) -> bytes:
    """The workbook with each error's cell filled red and carrying the message as a comment."""
    wb = _workbook(data, file_name)
    for err in errors:
        if err.row <= 0 or err.sheet not in wb.sheetnames:
            continue
        ws = wb[err.sheet]
        column = 1
        for row in ws.iter_rows(min_row=1, max_row=HEADER_SCAN):
            for cell in row:
                if err.column and str(cell.value or "").strip() == err.column:
                    column = cell.column
        cell = ws.cell(row=err.row, column=column)
        cell.fill = ERROR_FILL
        text = err.message if cell.comment is None else f"{cell.comment.text}\n{err.message}"
        cell.comment = Comment(text, "协同治理看板", width=320, height=120)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
