"""Open what people upload — .xlsx from any writer, or .csv in UTF-8 (with or without BOM) or GBK — or refuse it.

Refusals say why in the user's language: not a spreadsheet, corrupted, password-protected, too large, a
decompression bomb, more rows than Excel allows. Nothing here touches the database.

Workbooks are read by fastexcel (calamine, in Rust) straight into Arrow columns, every cell as its text: a
number as its shortest form (1980, 3000.5), an Excel date as 2025-03-01 00:00:00, a boolean as true/false.
The normalisers read all of these. Reading by column also saves turning rows into columns afterwards.
"""

import csv
import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import fastexcel
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.excel.normalize import SPACES

MAX_ROWS = 1_048_576          # Excel's limit, header included
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


class RefusedFile(Exception):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


# Arrow sets up its compute functions on first use, about 0.2 s; that is paid once, when this module loads.
pa.array(["warm"]).dictionary_encode()

BLANK_CHARS = " \t\r\n" + SPACES          # what normalize.clean_text strips


@dataclass(frozen=True)
class Sheet:
    """A sheet as Arrow string columns, each as long as the sheet is high; column 0 is Excel's A and item 0 is
    row 1. A blank cell is null."""
    name: str
    columns: list[pa.Array]
    height: int

    def row(self, r: int) -> list[Any]:
        return [col[r].as_py() for col in self.columns] if 0 <= r < self.height else []

    def cell(self, r: int, c: int) -> Any:
        return self.columns[c][r].as_py() if 0 <= r < self.height and 0 <= c < len(self.columns) else None

    @classmethod
    def from_rows(cls, name: str, rows: list[list[Any]]) -> "Sheet":
        width = max((len(r) for r in rows), default=0)
        padded = [r if len(r) == width else [*r, *[None] * (width - len(r))] for r in rows]
        columns = [pa.array(c, type=pa.string()) for c in zip(*padded, strict=True)] if padded else []
        return cls(name, columns, len(rows))


def blank(column: pa.Array) -> np.ndarray:
    """Which cells are blank: empty, or nothing but spaces (full-width ones included)."""
    empty = pc.equal(pc.utf8_trim(column, characters=BLANK_CHARS), "")
    return pc.fill_null(empty, True).to_numpy(zero_copy_only=False)


def _sheet(reader: Any, index: int, name: str) -> Sheet:
    """Every cell of one sheet from A1 on as text or null, padded so that positions are Excel's own."""
    positions: list[int] = []

    def every(info: Any) -> bool:             # told each column fastexcel finds, in order, with its position
        positions.append(info.absolute_index)
        return True

    try:
        table = reader.load_sheet(index, header_row=None, skip_rows=0, dtypes="string", eager=True,
                                  use_columns=every)
    except Exception as exc:
        raise RefusedFile("excel.corrupt") from exc
    height = table.num_rows
    if height > MAX_ROWS:
        raise RefusedFile("excel.too_many_rows", rows=f"{height:,}")
    # The columns start at the first used one; blank rows on top are kept (skip_rows=0).
    width = max(positions, default=-1) + 1
    columns: list[pa.Array] = [pa.nulls(height, pa.string())] * width     # unused columns, shared
    for position, column in zip(positions, table.columns, strict=True):
        columns[position] = column if column.type == pa.string() else column.cast(pa.string())
    return Sheet(name, columns, height)


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
            workbook = fastexcel.read_excel(data)
        except Exception as exc:
            raise RefusedFile("excel.encrypted") from exc
    elif data.startswith(ZIP_MAGIC):
        _check_zip(data, max_bytes)
        try:
            workbook = fastexcel.read_excel(data)
        except Exception as exc:
            raise RefusedFile("excel.corrupt") from exc
    elif lower.endswith((".csv", ".txt")):
        text = _decode(data)
        rows = [row for row in csv.reader(io.StringIO(text))]
        if len(rows) > MAX_ROWS:
            raise RefusedFile("excel.too_many_rows", rows=f"{len(rows):,}")
        yield Sheet.from_rows(file_name.rsplit("/", 1)[-1], rows)
        return
    else:
        raise RefusedFile("excel.not_spreadsheet", name=file_name)
    # One sheet at a time: the caller stops at the first whose header matches.
    for index, name in enumerate(workbook.sheet_names):
        yield _sheet(workbook, index, name)
