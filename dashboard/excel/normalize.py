"""What people type into spreadsheets, turned into clean values — or a NormError naming what is wrong.

Each function takes one raw cell (str, int, float, bool, date, datetime or None, as the readers give them)
and returns the clean value. A blank cell is None; whether that is allowed is the caller's business.
"""

import datetime as dt
import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from dashboard.i18n import STRINGS


class NormError(ValueError):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


SPACES = "\u3000\u00a0\u2002\u2003\u2009\u200b\ufeff"
EXCEL_EPOCH = dt.date(1899, 12, 30)    # Excel's day 0 (it counts 1900 as a leap year; serials > 60 are right)


def clean_text(raw: Any) -> str | None:
    """Leading and trailing spaces, full-width ones included, go; a cell of only spaces is blank."""
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)                 # a code typed as 1001 comes back from Excel as 1001.0
    text = str(raw).strip(" \t\r\n" + SPACES)
    return text or None


def _ascii(text: str) -> str:
    """Full-width digits, letters and signs to ASCII (１２３ -> 123); used for numbers, dates and codes."""
    return unicodedata.normalize("NFKC", text)


def code(raw: Any) -> str | None:
    text = clean_text(raw)
    return None if text is None else _ascii(text).strip()


def _decimal(raw: Any, error_key: str) -> Decimal | None:
    """Typed text as a number: full-width digits, thousands separators, ¥ and 元 allowed; blank is None."""
    text = clean_text(raw)
    if text is None:
        return None
    text = _ascii(text).replace(",", "").replace(" ", "").removeprefix("¥").removesuffix("元")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise NormError(error_key, value=raw) from exc
    if not value.is_finite():
        raise NormError(error_key, value=raw)
    return value


# C0 control characters but tab, line feed and carriage return: PostgreSQL refuses NUL in text, and none of them
# belongs in a cell; they come from pasted binary or another system's export.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def control_char(text: str) -> str | None:
    """The first control character in `text`, written U+0000, or None."""
    m = CONTROL.search(text)
    return None if m is None else f"U+{ord(m.group()):04X}"


def _range_error(raw: Any, lo: float, hi: float, scale: int = 1) -> NormError:
    if scale == 100:
        return NormError("excel.out_of_range", value=raw, min=f"{lo / 100:,.2f}",
                         max=f"{Decimal(hi) / 100:,.2f}")
    if isinstance(lo, float):
        return NormError("excel.out_of_range", value=raw, min=f"{lo:.4g}", max=f"{hi:.4g}")
    return NormError("excel.out_of_range", value=raw, min=f"{lo:,}", max=f"{hi:,}")


def integer(raw: Any, lo: int | None = None, hi: int | None = None) -> int | None:
    """A whole number; with `lo` and `hi`, one the column holds (checked before a huge one is ever built)."""
    if isinstance(raw, bool):
        raise NormError("excel.not_integer", value=raw)
    if isinstance(raw, float):
        if not raw.is_integer():
            raise NormError("excel.not_integer", value=raw)
        raw = Decimal(raw)
    if isinstance(raw, int):
        value: Decimal | None = None
        whole = raw
    else:
        value = raw if isinstance(raw, Decimal) else _decimal(raw, "excel.not_integer")
        if value is None:
            return None
        if value != value.to_integral_value():
            raise NormError("excel.not_integer", value=raw)
    if lo is not None and hi is not None and not lo <= (whole if value is None else value) <= hi:
        raise _range_error(raw, lo, hi)
    return whole if value is None else int(value)


def number(raw: Any, lo: float | None = None, hi: float | None = None) -> float | None:
    """A number as a float; one beyond a double (1e400) is out of range rather than infinite."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = Decimal(raw) if math.isfinite(raw) else None
        if value is None:
            raise NormError("excel.not_number", value=raw)
    else:
        parsed = _decimal(raw, "excel.not_number")
        if parsed is None:
            return None
        value = parsed
    if lo is not None and hi is not None and not lo <= value <= hi:
        raise _range_error(raw, lo, hi)
    return float(value)


def money(raw: Any, hi: int | None = None) -> int | None:
    """Yuan with at most two decimals, as integer cents (fen). 1,234.5 -> 123450. With `hi`, at most that many
    cents: the range is checked before any arithmetic, so 1e30 yuan is refused, not a decimal overflow."""
    if isinstance(raw, bool):
        raise NormError("excel.not_money", value=raw)
    if isinstance(raw, float):
        value = Decimal(repr(raw))     # repr is the shortest text that round-trips: 0.1, not 0.1000000000000000055
    elif isinstance(raw, int):
        value = Decimal(raw)
    else:
        parsed = _decimal(raw, "excel.not_money")
        if parsed is None:
            return None
        value = parsed
    if value < 0:
        raise NormError("excel.negative", value=raw)
    if hi is not None and value > Decimal(hi) / 100:
        raise _range_error(raw, 0, hi, scale=100)
    cents = value * 100
    if cents != cents.quantize(Decimal(1), ROUND_HALF_UP):
        raise NormError("excel.money_decimals", value=raw)
    return int(cents)


TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "✔", "有", "对", "t"}
FALSE = {"否", "n", "no", "false", "0", "×", "✗", "✘", "x", "无", "没有", "错", "f"}


def boolean(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    text = clean_text(raw)
    if text is None:
        return None
    key = _ascii(text).lower()
    if key in TRUE:
        return True
    if key in FALSE:
        return False
    raise NormError("excel.not_boolean", value=raw)


DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T]?\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def date(raw: Any) -> dt.date | None:
    """Excel dates (or their serial numbers), 2025-03-01, 2025/3/1, 2025年3月1日, 2025.3.1, 20250301."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if float(raw).is_integer() and 19_000_101 <= raw <= 29_991_231:
            return date(str(int(raw)))          # 20250301 typed as a number
        if 1 <= raw < 2_958_466:
            return EXCEL_EPOCH + dt.timedelta(days=int(raw))
        raise NormError("excel.not_date", value=raw)
    text = clean_text(raw)
    if text is None:
        return None
    text = _ascii(text).replace(" ", "")
    for pattern in DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError as exc:
                raise NormError("excel.not_date", value=raw) from exc
    raise NormError("excel.not_date", value=raw)


def enum_lookup(enum: type[StrEnum]) -> dict[str, str]:
    """Every way a value may be written — its code, its Chinese label, its English label — to its code."""
    out: dict[str, str] = {}
    for member in enum:
        out[member.value.lower()] = member.value
        for lang in ("zh", "en"):
            label = STRINGS[lang].get(f"enum.{enum.__name__}.{member.value}")
            if label:
                out[label.lower()] = member.value
    return out


def enum_value(raw: Any, lookup: dict[str, str], allowed: str) -> str | None:
    text = clean_text(raw)
    if text is None:
        return None
    hit = lookup.get(text.lower()) or lookup.get(_ascii(text).lower())
    if hit is None:
        raise NormError("excel.not_in_list", value=raw, allowed=allowed)
    return hit
