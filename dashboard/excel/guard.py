"""The checks a workbook passes before any parser lays out a sheet: a decompression bomb, a sheet whose cells
reach (or whose <dimension> claims) more cells than the budget. They run in the parser's child process (sandbox),
under its memory limit, so that the web server or the command line never inflates an upload itself.

Light to import (no numpy, no Arrow): the command line imports it before it starts the child.
"""

import io
import zipfile
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dashboard.excel.sheetscan import SheetScan

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


class RefusedFile(Exception):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def cell_budget(max_bytes: int) -> int:
    return max(SPARSE_FLOOR, max_bytes // 2**20 * CELLS_PER_MB)


def memory_limit(max_bytes: int) -> int:
    return PARSER_BASE_BYTES + PARSER_BYTES_PER_CELL * cell_budget(max_bytes)


def check_extent(scan: "SheetScan", max_bytes: int) -> None:
    """Refuse a sheet whose cells a parser would lay out over more room than the budget, before it does."""
    from dashboard.excel.sheetscan import dimension_area

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


def check_zip(data: bytes, limit: int) -> "dict[str, SheetScan]":
    """A workbook is a zip; one that inflates far beyond the limit is a decompression bomb. While it is inflated,
    each sheet's XML is scanned: what it finds is returned by sheet name."""
    from dashboard.excel.sheetscan import Scanner, sheet_paths

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
