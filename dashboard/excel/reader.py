"""Open what people upload — .xlsx from any writer, or .csv in UTF-8 (with or without BOM) or GBK — or refuse it.

Refusals say why in the user's language: not a spreadsheet, corrupted, password-protected, too large, a
decompression bomb, more rows than Excel allows, a sheet that spans more cells than a parser should lay out (a
stray cell at XFD1048576 is 17 billion of them), or one that ran the parser out of memory. Nothing here touches the
database.

Before a parser sees a sheet, its XML is scanned (sheetscan) for how far its cells reach; the parser itself runs in
a child process under a memory limit (sandbox), so that whatever it does, the server lives.

Workbooks are read by fastexcel (calamine, in Rust) straight into Arrow columns, every cell as its text: a
number as its shortest form (1980, 3000.5), an Excel date as 2025-03-01 00:00:00, a boolean as true/false.
The normalisers read all of these. Reading by column also saves turning rows into columns afterwards.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.excel import guard
from dashboard.excel.guard import MAX_ROWS, RefusedFile
from dashboard.excel.normalize import SPACES
from dashboard.excel.sandbox import ChildDied, SandboxedWorkbook

__all__ = ["MAX_ROWS", "RefusedFile", "Sheet", "blank", "read_sheets"]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


def arrow_ints(values: np.ndarray) -> pa.Array:
    """A numpy int64 array as Arrow, through its buffer. pa.array(), pa.scalar() and Array.to_numpy() import
    pandas on first use (0.3 s or more of a command's start-up), though nothing here needs it."""
    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def as_numpy(array: pa.Array) -> np.ndarray:
    """The values of an Arrow array of integers or booleans as numpy, from its buffers (see arrow_ints); a null's
    slot holds whatever the buffer has there."""
    start, end = array.offset, array.offset + len(array)
    data = array.buffers()[1]
    if pa.types.is_boolean(array.type):
        if data is None:
            return np.zeros(len(array), bool)
        bits = np.unpackbits(np.frombuffer(data, np.uint8), bitorder="little")
        return bits[start:end].astype(bool)
    assert pa.types.is_integer(array.type), array.type
    kind = "i" if pa.types.is_signed_integer(array.type) else "u"
    return np.frombuffer(data, np.dtype(f"{kind}{array.type.bit_width // 8}"))[start:end]


# Arrow sets up its compute functions on first use, about 0.1-0.2 s; that is paid once, when this module loads.
pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(np.array([0, 4], np.int32)),
                                       pa.py_buffer(b"warm")]).dictionary_encode()

BLANK_CHARS = " \t\r\n" + SPACES          # what normalize.clean_text strips


@dataclass(frozen=True)
class Sheet:
    """A sheet as Arrow string columns, each as long as the sheet is high; column 0 is Excel's A and item 0 is
    row 1. A blank cell is null."""
    name: str
    columns: list[pa.Array]
    height: int
    formulas: tuple[tuple[int, int], ...] = ()      # (row, column) of formulas saved without a value: read as blank

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
    lengths = pc.utf8_length(pc.utf8_trim(column, characters=BLANK_CHARS))
    return as_numpy(column.is_null()) | (as_numpy(lengths) == 0)


def _sheet(name: str, height: int, positions: list[int], found: list[pa.Array],
           formulas: tuple[tuple[int, int], ...] = ()) -> Sheet:
    """Every cell of one sheet from A1 on as text or null, padded so that positions are Excel's own."""
    if height > MAX_ROWS:
        raise RefusedFile("excel.too_many_rows", rows=f"{height:,}")
    # The columns start at the first used one; blank rows on top are kept (skip_rows=0).
    width = max(positions, default=-1) + 1
    columns: list[pa.Array] = [pa.nulls(height, pa.string())] * width     # unused columns, shared
    for position, column in zip(positions, found, strict=True):
        columns[position] = column if column.type == pa.string() else column.cast(pa.string())
    return Sheet(name, columns, height, formulas)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RefusedFile("excel.bad_encoding")


def read_sheets(data: bytes, file_name: str, *, max_bytes: int,
                parser: SandboxedWorkbook | None = None) -> Iterator[Sheet]:
    """Every sheet of the file, in order, as rows of raw cells. `parser`: a child the caller started earlier (the
    command line does, so that it starts up while the caller does other work); it is closed here either way."""
    try:
        yield from _read_sheets(data, file_name, max_bytes=max_bytes, parser=parser)
    finally:
        if parser is not None:
            parser.close()


def _read_sheets(data: bytes, file_name: str, *, max_bytes: int,
                 parser: SandboxedWorkbook | None) -> Iterator[Sheet]:
    if len(data) > max_bytes:
        raise RefusedFile("excel.too_large", size=f"{len(data) / 2**20:,.1f}", limit=f"{max_bytes / 2**20:,.0f}")
    if not data:
        raise RefusedFile("excel.empty")
    lower = file_name.lower()
    if not data.startswith((OLE_MAGIC, ZIP_MAGIC)):
        if not lower.endswith((".csv", ".txt")):
            raise RefusedFile("excel.not_spreadsheet", name=file_name)
        text = _decode(data)
        try:
            rows = [row for row in csv.reader(io.StringIO(text))]
        except csv.Error as exc:    # e.g. one field longer than the csv module's limit (131,072 characters)
            raise RefusedFile("excel.bad_csv", detail=str(exc)[:200]) from exc
        if len(rows) > MAX_ROWS:
            raise RefusedFile("excel.too_many_rows", rows=f"{len(rows):,}")
        yield Sheet.from_rows(file_name.rsplit("/", 1)[-1], rows)
        return
    # The checks (the bomb check, each sheet's extent before it is parsed) run in the parser's process, under its
    # memory limit (guard, sandbox): this process never inflates the file.
    workbook = parser or SandboxedWorkbook()
    try:
        try:
            # Encrypted .xlsx files are OLE containers; so are old .xls files, which calamine can still read.
            if not workbook.sent:
                workbook.send(data, memory_limit=guard.memory_limit(max_bytes), max_bytes=max_bytes,
                              check_zip=data.startswith(ZIP_MAGIC))
            opened = workbook.opened()
        except ChildDied as exc:
            raise RefusedFile("excel.unreadable") from exc
        if not opened:
            raise RefusedFile("excel.encrypted" if data.startswith(OLE_MAGIC) else "excel.corrupt")
        # One sheet at a time: the caller stops at the first whose header matches.
        for index, name in enumerate(workbook.sheet_names):
            try:
                loaded = workbook.load(index)
            except ChildDied as exc:
                raise RefusedFile("excel.unreadable") from exc
            if loaded is None:
                raise RefusedFile("excel.corrupt")
            height, positions, found, formulas = loaded
            yield _sheet(name, height, positions, found, formulas)
    finally:
        workbook.close()
