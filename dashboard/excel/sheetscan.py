"""A look at a workbook's sheets before any parser opens them: how far their cells reach, what their <dimension>
claims, and which formulas were saved without a computed value.

A parser lays a sheet out as rows x columns from A1 to its last cell, so one cell at XFD1048576 costs it 17
billion cells of memory. This pass costs one inflation of the XML (which the bomb check does anyway) and a few
numpy operations per megabyte: every `r="..."` attribute (cells and rows) is decoded at once, not one by one.
"""

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field

import numpy as np

MAX_ROWS = 1_048_576            # Excel's limits
MAX_COLUMNS = 16_384
FORMULA_CELLS_KEPT = 10_000     # a whole column of formulas is named cell by cell up to this many
_FORMULA = re.compile(rb"<f[\s>/]")
_VALUE = re.compile(rb"<v>\s*[^<\s]")
_REF = re.compile(rb"""\sr=["']([A-Z]{1,3})(\d{1,7})["']""")
_STRING_RESULT = re.compile(rb"""\st=["']str["']""")
_DIMENSION = re.compile(rb"""<(?:\w+:)?dimension\b[^>]*?\sref=["']([^"']*)["']""")
_ADDRESS_MAX = 12              # looked at past an address's start for its closing quote (XFD1048576 is 10)
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


@dataclass
class SheetScan:
    """What one sheet's XML says. Rows and columns are counted from 1; `formulas` are 0-based (row, column)."""
    name: str
    rows: int = 0
    columns: int = 0
    cells: int = 0                  # cells with an address
    lowest: str = ""                # a cell in the last row, and one in the last column, e.g. "Z1048576"
    lowest_row: int = 0
    widest: str = ""
    dimension: str = ""             # the <dimension ref> as written
    formulas: list[tuple[int, int]] = field(default_factory=list)
    formula_count: int = 0

    @property
    def area(self) -> int:
        """The cells a parser allocates for this sheet: rows x columns from A1."""
        return self.rows * self.columns


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(n: int) -> str:
    out = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def dimension_area(ref: str) -> int:
    """rows x columns of a <dimension ref> such as A1:XFD1048576 (from A1, as a parser would lay it out)."""
    last = ref.split(":")[-1].replace("$", "").upper()
    m = re.fullmatch(r"([A-Z]{1,3})(\d{1,7})", last)
    if not m:
        return 0
    return column_number(m.group(1)) * int(m.group(2))


def sheet_paths(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, member path) in the workbook's order, found the way a parser finds them: the package's
    relationships name the workbook, the workbook's relationships name each sheet's part."""
    names = set(zf.namelist())
    workbook = "xl/workbook.xml"
    try:
        for rel in ET.fromstring(zf.read("_rels/.rels")):
            if rel.get("Type", "").endswith("/officeDocument"):
                workbook = _resolve("", rel.get("Target", ""))
        rels_path = posixpath.join(posixpath.dirname(workbook), "_rels", posixpath.basename(workbook) + ".rels")
        targets = {rel.get("Id"): _resolve(posixpath.dirname(workbook), rel.get("Target", ""))
                   for rel in ET.fromstring(zf.read(rels_path))}
        sheets = ET.fromstring(zf.read(workbook))
    except (KeyError, ET.ParseError):
        return []                    # no workbook to speak of: the parser refuses it as corrupt
    out = []
    for sheet in sheets.iter():
        if sheet.tag.endswith("}sheet") and targets.get(sheet.get(_REL_NS)) in names:
            out.append((sheet.get("name", ""), targets[sheet.get(_REL_NS)]))
    return out


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base, target))


class Scanner:
    """Fed a sheet's XML in chunks of any size; holds what it found in `scan`."""

    def __init__(self, name: str) -> None:
        self.scan = SheetScan(name)
        self._tail = b""
        self._in_data = False

    def feed(self, chunk: bytes, *, last: bool = False) -> None:
        buf = self._tail + chunk
        if last:
            cut = len(buf)
        else:
            # Cut after the last whole cell, so that every tag and formula cell is seen in one piece; failing that
            # before an unfinished tag. What is kept for the next chunk stays small whatever the XML holds: a "tag"
            # of over a megabyte is none a writer makes (and the parser's memory limit is there for it).
            end = buf.rfind(b"</c>")
            if end >= 0 and len(buf) - end < 2**20:
                cut = end + 4
            else:
                opened, closed = buf.rfind(b"<"), buf.rfind(b">")
                cut = opened if opened > closed and len(buf) - opened < 2**20 else len(buf)
        self._tail = buf[cut:]
        if cut:
            self._addresses(buf[:cut])
            if self._has_formula(buf[:cut]):
                self._formulas(buf[:cut])

    def finish(self) -> SheetScan:
        self.feed(b"", last=True)
        return self.scan

    def _addresses(self, buf: bytes) -> None:
        s = self.scan
        if not self._in_data:          # <dimension> comes before <sheetData>
            data_at = buf.find(b"sheetData")
            head = buf if data_at < 0 else buf[:data_at]
            if b"dimension" in head and (m := _DIMENSION.search(head)):
                s.dimension = m.group(1).decode("ascii", "replace")
            self._in_data = data_at >= 0
        a = np.frombuffer(buf + bytes(16), np.uint8)
        # r=" or r=' after white space: the address of a cell (<c r="B7">) or of a row (<row r="7">).
        eq = np.flatnonzero(a == 0x3D)
        eq = eq[eq >= 2]
        q = a[eq + 1]
        eq = eq[(a[eq - 1] == 0x72) & ((q == 0x22) | (q == 0x27))]
        before = a[eq - 2]
        eq = eq[(before == 0x20) | (before == 0x09) | (before == 0x0A) | (before == 0x0D)]
        if not eq.size:
            return
        start = eq + 2
        # Each address ends at the next quote, looked for in the few characters after its start (an address has at
        # most 10): no pass over the whole chunk. One with no quote that close is no address a parser could place.
        single = bool((a[eq + 1] == 0x27).any())
        length = np.full(len(start), 99, np.int64)
        open_ = np.ones(len(start), bool)
        a = np.concatenate([a, np.zeros(_ADDRESS_MAX, np.uint8)]) if len(a) < int(start[-1]) + _ADDRESS_MAX else a
        for k in range(_ADDRESS_MAX):
            c = a[start + k]
            ends = open_ & ((c == 0x22) | (c == 0x27) if single else c == 0x22)
            length[ends] = k
            open_ &= ~ends
        n_letters = np.zeros(len(start), np.int64)
        going = np.ones(len(start), bool)
        for j in range(4):
            c = a[start + j]
            going &= (c >= 65) & (c <= 90)
            n_letters += going
        cell = n_letters > 0
        n_cells = int(np.count_nonzero(cell))
        s.cells += n_cells
        if n_cells < len(start):           # <row r="..">: a parser keeps rows without cells too
            rows = ~cell
            s.rows = max(s.rows, self._largest_row(a, start[rows], n_letters[rows], length[rows])[0])
        if not n_cells:
            return
        start, n_letters, length = start[cell], n_letters[cell], length[cell]
        # Only the longest addresses can be the furthest: their numbers are worked out, the rest are not.
        row, k = self._largest_row(a, start, n_letters, length)
        s.rows = max(s.rows, row)
        if row > s.lowest_row:
            s.lowest_row, s.lowest = row, self._ref(a, start[k], length[k])
        top = int(n_letters.max())
        if top > 3:
            k, col = int(np.flatnonzero(n_letters > 3)[0]), MAX_COLUMNS + 1
        else:
            widest = np.flatnonzero(n_letters == top)
            letters = a[start[widest][:, None] + np.arange(top)].astype(np.int64) - 64
            cols = letters @ (26 ** np.arange(top - 1, -1, -1))
            k, col = int(widest[cols.argmax()]), int(cols.max())
        if col > s.columns:
            s.columns, s.widest = col, self._ref(a, start[k], length[k])

    @staticmethod
    def _largest_row(a: np.ndarray, start: np.ndarray, n_letters: np.ndarray, length: np.ndarray
                     ) -> tuple[int, int]:
        """The largest row number among these addresses, and which address holds it."""
        n_digits = length - n_letters
        longest = int(n_digits.max())
        if longest > 7:
            return MAX_ROWS + 1, int(np.flatnonzero(n_digits > 7)[0])
        if longest <= 0:
            return 0, 0
        best, where = -1, 0
        candidates = n_digits == longest
        for skip in range(4):
            at = np.flatnonzero(candidates & (n_letters == skip))
            # Digit by digit, keeping the addresses with the largest so far: few survive the first digit.
            for j in range(longest):
                d = a[start[at] + skip + j]
                if (d < 48).any() or (d > 57).any():
                    return MAX_ROWS + 1, int(at[0])     # not an address a parser could place
                if at.size:
                    at = at[d == d.max()]
            if at.size:
                row = int(a[start[at[0]] + skip:start[at[0]] + skip + longest].tobytes())
                if row > best:
                    best, where = row, int(at[0])
        return best, where

    @staticmethod
    def _ref(a: np.ndarray, start: int, length: int) -> str:
        return a[start:start + min(int(length), 12)].tobytes().decode("ascii", "replace")

    @staticmethod
    def _has_formula(buf: bytes) -> bool:
        a = np.frombuffer(buf, np.uint8)
        f = np.flatnonzero(a[1:] == 0x66) + 1          # an "f" after "<" (numpy finds it faster than bytes.find)
        return bool((a[f - 1] == 0x3C).any()) and _FORMULA.search(buf) is not None

    def _formulas(self, buf: bytes) -> None:
        """Cells with a formula and no cached value (openpyxl writes <v />): a parser reads them as blank. A formula
        whose result is an empty string says so (t="str") and is not one of them."""
        s = self.scan
        for m in _FORMULA.finditer(buf):
            start = max(buf.rfind(b"<c ", 0, m.start()), buf.rfind(b"<c\t", 0, m.start()),
                        buf.rfind(b"<c\n", 0, m.start()))
            end = buf.find(b"</c>", m.start())
            if start < 0 or end < 0:
                continue
            head_end = buf.find(b">", start)
            head = buf[start:head_end]
            if _VALUE.search(buf, m.start(), end) or _STRING_RESULT.search(head):
                continue
            ref = _REF.search(head)
            if ref is None:
                continue
            s.formula_count += 1
            if len(s.formulas) < FORMULA_CELLS_KEPT:
                s.formulas.append((int(ref.group(2)) - 1, column_number(ref.group(1).decode()) - 1))

