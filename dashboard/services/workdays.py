"""Working days on the Chinese calendar: public holidays and the 调休 make-up working days.

The `chinese-calendar` package knows each year the State Council has published (2004-2026 in 1.11.0). For a year it
does not know yet, an admin fills the `calendar_day` table (import or CLI) with that year's holidays and make-up
days; until then such a year counts Monday to Friday, and the page warns about every deadline that falls in it.
A row in `calendar_day` also wins over the package for a year it knows (a local correction).

Counting: the n-th working day *after* a day (the day itself is not counted), so a request routed on a Friday with
one working day has the next Monday as its deadline, or the next working day after a holiday.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

import chinese_calendar
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_models import CalendarDay
from data_models.base import table_of

TABLE = table_of(CalendarDay)
MAX_SPAN = 3660   # days: a deadline more than ten years out is a typo, not a deadline


@cache
def library_years() -> frozenset[int]:
    """The years the installed chinese-calendar package knows (its holiday table's years)."""
    return frozenset(day.year for day in chinese_calendar.holidays)


@dataclass(frozen=True)
class Calendar:
    """Which days are working days: the admin's rows first, then the package, then Monday to Friday."""

    overrides: Mapping[dt.date, bool] = field(default_factory=dict)

    def admin_years(self) -> frozenset[int]:
        return frozenset(day.year for day in self.overrides)

    def knows(self, year: int) -> bool:
        """Whether `year`'s holidays are known: the package has it, or an admin entered days of that year."""
        return year in library_years() or year in self.admin_years()

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day.year in library_years():
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The `days`-th working day after `start` (`days` >= 0; 0 is `start` itself)."""
        if days < 0:
            raise ValueError("days must be >= 0")
        day, left = start, days
        for _ in range(MAX_SPAN):
            if left == 0:
                return day
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        raise ValueError(f"no {days} working days within {MAX_SPAN} days of {start}")

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end`; negative when `end` is before `start`."""
        if end < start:
            return -self.working_days_between(end, start)
        if (end - start).days > MAX_SPAN:
            raise ValueError(f"{start} to {end} is more than {MAX_SPAN} days")
        return sum(self.is_workday(start + dt.timedelta(days=i)) for i in range(1, (end - start).days + 1))

    def unknown_years(self, start: dt.date, end: dt.date) -> list[int]:
        """The years from `start` to `end` whose holidays nobody knows yet (counted Monday to Friday)."""
        return [y for y in range(start.year, end.year + 1) if not self.knows(y)]


def load(conn: Connection) -> Calendar:
    """The calendar with the admin's days from the database."""
    rows = conn.execute(sa.select(TABLE.c.day, TABLE.c.is_workday)).all()
    return Calendar({day: bool(workday) for day, workday in rows})
