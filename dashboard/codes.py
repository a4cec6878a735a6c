"""Typed codes matched to stored ones: exactly, else regardless of case where that is unambiguous, else a hint.

Full-width letters and digits are folded to ASCII before this (normalize.code), so ＧＡ, ga and GA all find GA.
Where two stored codes differ only in case (GA and Ga), a typed "ga" matches neither and names both. A code that
matches nothing gets the closest stored code as a hint, taken from its neighbours in the code index (a few rows
per code, for a bounded number of codes), never by reading a whole table of codes.
"""

import difflib
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dashboard.bulk import among

HINTED = 20          # codes given a "did you mean" hint per lookup; the rest are just unknown
NEIGHBOURS = 4       # stored codes read on each side of a missing one
CUTOFF = 0.5         # difflib's ratio: a two-letter code with one letter wrong (GB for GA) is 0.5


@dataclass
class Lookup:
    found: dict[str, tuple[Any, ...]] = field(default_factory=dict)   # typed code -> (code, *columns)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)     # typed code -> stored codes it could be
    close: dict[str, str] = field(default_factory=dict)               # typed code -> the closest stored code


def lookup(conn: Connection, table: sa.Table, codes: Collection[str], columns: list[Any]) -> Lookup:
    """Find each of `codes` in `table`; `columns` are read with the code for each row found."""
    out = Lookup()
    wanted = {c for c in codes if c}
    if not wanted:
        return out
    for row in conn.execute(sa.select(table.c.code, *columns).where(among(conn, table.c.code, wanted))):
        out.found[row[0]] = tuple(row)
    rest = wanted - out.found.keys()
    if not rest:
        return out
    by_fold: dict[str, list[tuple[Any, ...]]] = {}
    folded = sa.func.upper(table.c.code, type_=table.c.code.type)
    for row in conn.execute(sa.select(table.c.code, *columns)
                            .where(among(conn, folded, {c.upper() for c in rest}))):
        by_fold.setdefault(row[0].upper(), []).append(tuple(row))
    for code in sorted(rest):
        rows = by_fold.get(code.upper(), [])
        if len(rows) == 1:
            out.found[code] = rows[0]
        elif rows:
            out.ambiguous[code] = sorted(r[0] for r in rows)
    missing = sorted(rest - out.found.keys() - out.ambiguous.keys())
    for code in missing[:HINTED]:
        hint = _closest(conn, table, code)
        if hint is not None:
            out.close[code] = hint
    return out


def _closest(conn: Connection, table: sa.Table, code: str) -> str | None:
    """The stored code most like `code` among a few read by the unique index on code: its neighbours in sort order
    (a slip in a later character sorts close by) and the first codes sharing all but its last character (a digit
    left out), each as typed and in upper case. Ties go to the nearer length, then the lower code."""
    candidates: set[str] = set()
    c = table.c.code
    for probe in {code, code.upper()}:
        prefix = probe[:-1] or probe
        for stmt in (sa.select(c).where(c < probe).order_by(c.desc()).limit(NEIGHBOURS),
                     sa.select(c).where(c >= probe).order_by(c).limit(NEIGHBOURS),
                     sa.select(c).where(c >= prefix, c < prefix + "\uffff").order_by(c).limit(NEIGHBOURS * 4)):
            candidates.update(found for (found,) in conn.execute(stmt))
    typed = code.upper()
    scored = [(difflib.SequenceMatcher(None, typed, s.upper()).ratio(), s) for s in candidates]
    good = [(-score, abs(len(s) - len(code)), s) for score, s in scored if score >= CUTOFF]
    return min(good)[2] if good else None
