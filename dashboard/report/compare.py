"""环比 and 同比: how a report figure changed against the quarter before and the same quarter a year ago.

Counts, money and days change by a relative amount (+12.5%); rates by percentage points (+2.1 个百分点), since a
relative change of a rate reads wrongly (60% to 66% is +6 points, not +10%). A change rests on a small base when a
rate on either side stands on fewer than SMALL_BASE people or things, or a count or amount is compared with fewer
than SMALL_BASE (from 2 to 4 is +100%): the page, the files and the narrative say so beside it.
"""

from dataclasses import dataclass
from typing import Literal

from dashboard.report.types import Figure, Number

SMALL_BASE = 30
Against = Literal["previous", "year_ago"]


@dataclass(frozen=True)
class Change:
    """`value` is a relative change (0.125 = +12.5%) for counts, money and days, and a difference of shares in
    points (0.021 = +2.1 points) for rates; None when there is nothing to compare with or it cannot be taken
    (no figure either side, or a count against 0: "new", not +∞%). `hidden`: a side is suppressed, so is this."""
    kind: Literal["relative", "points"]
    value: float | None
    small_base: bool
    hidden: bool = False
    new: bool = False               # a count or amount from 0 (or from none) to more than 0


def _side(f: Figure, against: Against) -> tuple[Number | None, int | None]:
    return (f.previous, f.previous_base) if against == "previous" else (f.year_ago, f.year_ago_base)


def change(f: Figure, against: Against) -> Change:
    old, old_base = _side(f, against)
    hidden = "value" in f.hidden or against in f.hidden
    if f.kind == "rate":
        small = any(b is not None and b < SMALL_BASE for b in (f.base, old_base))
        if hidden or f.value is None or old is None:
            return Change("points", None, small, hidden)
        return Change("points", float(f.value) - float(old), small, hidden)
    if hidden or f.value is None or old is None:
        return Change("relative", None, False, hidden)
    small = abs(old) < SMALL_BASE if f.kind == "count" else False
    if old == 0:
        return Change("relative", None, small, new=f.value > 0)
    return Change("relative", (float(f.value) - float(old)) / abs(float(old)), small)
