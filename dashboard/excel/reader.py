"""Open what people upload — .xlsx from any writer, or .csv in UTF-8 (with or without BOM) or GBK — or refuse it.

Refusals say why in the user's language: not a spreadsheet, corrupted, password-protected, too large, a
decompression bomb, more rows than Excel allows. Nothing here touches the database.
"""

import csv
import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from python_calamine import CalamineWorkbook

MAX_ROWS = 1_048_576          # Excel's limit, header included
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


class RefusedFile(Exception):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: list[list[Any]]


def _check_zip(data: bytes, limit: int) -> None:
    """A workbook is a zip; one that inflates far beyond the limit is a decompression bomb."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            # The sizes the zip declares are checked before anything is inflated.
            inflated = sum(info.file_size for info in zf.infolist())
            if inflated > max(20 * limit, 200 * 2**20) or (len(data) and inflated / len(data) > 200):
                raise RefusedFile("excel.bomb", inflated=f"{inflated / 2**20:,.0f}")
            # Declared sizes can lie: inflate once more with a budget, which also checks every CRC.
            budget, seen = max(20 * limit, 200 * 2**20), 0
            for info in zf.infolist():
                with zf.open(info) as member:
                    while chunk := member.read(2**20):
                        seen += len(chunk)
                        if seen > budget:
                            raise RefusedFile("excel.bomb", inflated=f">{budget / 2**20:,.0f}")
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise RefusedFile("excel.corrupt") from exc


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RefusedFile("excel.bad_encoding")


def read_sheets(data: bytes, file_name: str, *, max_bytes: int) -> Iterator[Sheet]:
    """Every sheet of the file, in order, as rows of raw cells."""
    if len(data) > max_bytes:
        raise RefusedFile("excel.too_large", size=f"{len(data) / 2**20:,.1f}", limit=f"{max_bytes / 2**20:,.0f}")
    if not data:
        raise RefusedFile("excel.empty")
    lower = file_name.lower()
    if data.startswith(OLE_MAGIC):
        # Encrypted .xlsx files are OLE containers; so are old .xls files, which calamine can still read.
        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        except Exception as exc:
            raise RefusedFile("excel.encrypted") from exc
    elif data.startswith(ZIP_MAGIC):
        _check_zip(data, max_bytes)
        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        except Exception as exc:
            raise RefusedFile("excel.corrupt") from exc
    elif lower.endswith((".csv", ".txt")):
        text = _decode(data)
        rows = [row for row in csv.reader(io.StringIO(text))]
        if len(rows) > MAX_ROWS:
            raise RefusedFile("excel.too_many_rows", rows=f"{len(rows):,}")
        yield Sheet(file_name.rsplit("/", 1)[-1], [list(r) for r in rows])
        return
    else:
        raise RefusedFile("excel.not_spreadsheet", name=file_name)
    for name in workbook.sheet_names:
        try:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:
            raise RefusedFile("excel.corrupt") from exc
        if len(rows) > MAX_ROWS:
            raise RefusedFile("excel.too_many_rows", rows=f"{len(rows):,}")
        yield Sheet(name, rows)
