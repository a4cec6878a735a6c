"""Period keys: quarters written 2025Q3 and months written 2025-07, as stored in the period columns."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def shanghai_today() -> dt.date:
    """Today where the dashboard is used: the default `today` of the rules that refuse a date not reached yet."""
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


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


def quarter_state(key: str, today: dt.date) -> str:
    """'past' once the quarter's last day is behind us, 'current' while today falls in it, else 'future'."""
    start, end = quarter_bounds(key)
    return "past" if end < today else "current" if start <= today else "future"


def default_quarter(quarters: list[str], today: dt.date) -> str | None:
    """The quarter pages open on: the newest one that has ended. An unfinished quarter reads as a collapse on a
    projector (sales ¥0 against a whole quarter), and a mistyped future date must not move everyone's default."""
    ended = [q for q in quarters if quarter_state(q, today) == "past"]
    if ended:
        return max(ended)
    started = [q for q in quarters if quarter_state(q, today) == "current"]
    return started[0] if started else (max(quarters) if quarters else None)
