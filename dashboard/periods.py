"""Period keys: quarters written 2025Q3 and months written 2025-07, as stored in the period columns."""

import datetime as dt
import re

QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def quarter_key(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def month_key(day: dt.date) -> str:
    return f"{day.year}-{day.month:02d}"


def parse_quarter(key: str) -> tuple[int, int]:
    m = QUARTER_RE.match(key)
    if not m:
        raise ValueError(f"not a quarter: {key!r} (expected e.g. 2025Q3)")
    return int(m.group(1)), int(m.group(2))


def quarter_bounds(key: str) -> tuple[dt.date, dt.date]:
    """First and last day of the quarter."""
    year, q = parse_quarter(key)
    start = dt.date(year, 3 * q - 2, 1)
    nxt = dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return start, nxt - dt.timedelta(days=1)


def previous_quarter(key: str) -> str:
    year, q = parse_quarter(key)
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"
