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
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.excel.normalize import SPACES
from dashboard.excel.sandbox import ChildDied, SandboxedWorkbook
from dashboard.excel.sheetscan import Scanner, SheetScan, dimension_area, sheet_paths

MAX_ROWS = 1_048_576          # Excel's limit, header included
# The cells a sheet may span (rows x columns from A1), per MB of the upload limit: 250,000 is what a workbook of
# dense text cells holds per MB (the bench's 100,000 x 18 cells take 8 MB), so any file the size limit admits fits.
CELLS_PER_MB = 250_000
SPARSE_FLOOR = 1_000_000      # below this many cells a sheet may be as sparse as it likes
SPARSE_RATIO = 10             # above it, at most this many laid-out cells per cell that holds something
# The parser's memory, beyond what the child maps at start-up: a dense sheet costs calamine about 35 bytes a cell
# and Arrow's text about as much again (measured: 100,000 x 18 text cells peaked at 200 MB).
PARSER_BYTES_PER_CELL = 160
PARSER_BASE_BYTES = 1 << 30
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


def cell_budget(max_bytes: int) -> int:
    return max(SPARSE_FLOOR, max_bytes // 2**20 * CELLS_PER_MB)


def memory_limit(max_bytes: int) -> int:
    return PARSER_BASE_BYTES + PARSER_BYTES_PER_CELL * cell_budget(max_bytes)


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
    empty = pc.equal(pc.utf8_trim(column, characters=BLANK_CHARS), "")
    return pc.fill_null(empty, True).to_numpy(zero_copy_only=False)


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


def _check_extent(scan: SheetScan, max_bytes: int) -> None:
    """Refuse a sheet whose cells a parser would lay out over more room than the budget, before it does."""
    budget = cell_budget(max_bytes)
    claimed = dimension_area(scan.dimension)
    if scan.rows > MAX_ROWS:
        raise RefusedFile("excel.too_many_rows", rows=f"{scan.rows:,}")
    # Name the cell furthest right and the one furthest down (or the first of a row with no addressed cells).
    lowest = scan.lowest if scan.lowest_row >= scan.rows else f"A{scan.rows}"
    cells = "、".join(dict.fromkeys(c for c in (scan.widest, lowest) if c))
    if scan.area > budget or (scan.area > SPARSE_FLOOR and scan.area > SPARSE_RATIO * scan.cells):
        key = "excel.sheet_too_big" if scan.area <= SPARSE_RATIO * scan.cells else "excel.sheet_too_far"
        raise RefusedFile(key, sheet=scan.name, cell=cells, area=f"{scan.area:,}", limit=f"{budget:,}",
                          cells=f"{scan.cells:,}")
    if claimed > budget:
        raise RefusedFile("excel.dimension_too_large", sheet=scan.name, ref=scan.dimension, area=f"{claimed:,}",
                          limit=f"{budget:,}")


def _check_zip(data: bytes, limit: int) -> dict[str, SheetScan]:
    """A workbook is a zip; one that inflates far beyond the limit is a decompression bomb. While it is inflated,
    each sheet's XML is scanned: what it finds is returned by sheet name."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            # The sizes the zip declares are checked before anything is inflated.
            inflated = sum(info.file_size for info in zf.infolist())
            if inflated > max(20 * limit, 200 * 2**20) or (len(data) and inflated / len(data) > 200):
                raise RefusedFile("excel.bomb", inflated=f"{inflated / 2**20:,.0f}")
            sheets = {path: name for name, path in sheet_paths(zf)}
            scans: dict[str, SheetScan] = {}
            # Declared sizes can lie: inflate once more with a budget, which also checks every CRC.
            budget, seen = max(20 * limit, 200 * 2**20), 0
            for info in zf.infolist():
                scanner = Scanner(sheets[info.filename]) if info.filename in sheets else None
                with zf.open(info) as member:
                    while chunk := member.read(2**20):
                        seen += len(chunk)
                        if seen > budget:
                            raise RefusedFile("excel.bomb", inflated=f">{budget / 2**20:,.0f}")
                        if scanner:
                            scanner.feed(chunk)
                if scanner:
                    scans[scanner.scan.name] = scanner.finish()
            return scans
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
    # The parser's process starts first: it starts up and opens the workbook while the file is checked here, but
    # reads no sheet before the check has passed it.
    workbook = SandboxedWorkbook(memory_limit(max_bytes))
    try:
        try:
            workbook.send(data)
            # Encrypted .xlsx files are OLE containers; so are old .xls files, which calamine can still read.
            scans = _check_zip(data, max_bytes) if data.startswith(ZIP_MAGIC) else {}
            opened = workbook.opened()
        except ChildDied as exc:
            raise RefusedFile("excel.unreadable") from exc
        if not opened:
            raise RefusedFile("excel.encrypted" if data.startswith(OLE_MAGIC) else "excel.corrupt")
        # One sheet at a time: the caller stops at the first whose header matches.
        for index, name in enumerate(workbook.sheet_names):
            scan = scans.get(name)
            if scan is not None:
                _check_extent(scan, max_bytes)
            try:
                loaded = workbook.load(index)
            except ChildDied as exc:
                raise RefusedFile("excel.unreadable") from exc
            if loaded is None:
                raise RefusedFile("excel.corrupt")
            yield _sheet(name, *loaded, formulas=tuple(scan.formulas) if scan else ())
    finally:
        workbook.close()
