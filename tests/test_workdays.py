"""The working-day calendar on real 调休 days (chinese-calendar 1.11.0), an admin's overrides, an unknown year."""

import datetime as dt

import pytest
from sqlalchemy.engine import Engine

from dashboard.services import request_deadlines as deadlines
from dashboard.services import workdays
from dashboard.services.workdays import Calendar
from tests import factories as f

D = dt.date
CAL = Calendar()


@pytest.mark.parametrize(("day", "workday"), [
    (D(2026, 9, 20), True),     # Sunday, a make-up working day for National Day
    (D(2026, 10, 10), True),    # Saturday, the same
    (D(2026, 9, 19), False),    # an ordinary Saturday
    (D(2026, 9, 25), False),    # Friday, 中秋节
    (D(2026, 10, 1), False),    # Thursday, 国庆节
    (D(2026, 10, 7), False),    # Wednesday, the last day of the National Day week
    (D(2026, 10, 8), True),     # Thursday, back at work
    (D(2026, 2, 14), True),     # Saturday before the Spring Festival, a make-up working day
    (D(2025, 11, 7), True),     # an ordinary Friday
], ids=str)
def test_holidays_and_make_up_days(day: dt.date, workday: bool) -> None:
    assert CAL.is_workday(day) is workday


@pytest.mark.parametrize(("start", "days", "deadline"), [
    (D(2025, 11, 7), 1, D(2025, 11, 10)),       # Friday + 1 working day = Monday
    (D(2025, 11, 4), 5, D(2025, 11, 11)),       # Tuesday + 5 = next Tuesday
    (D(2026, 9, 19), 1, D(2026, 9, 20)),        # Saturday + 1 = the make-up Sunday
    (D(2026, 9, 24), 1, D(2026, 9, 28)),        # Thursday before 中秋 + 1 = Monday
    (D(2026, 9, 30), 1, D(2026, 10, 8)),        # the day before National Day + 1 = the 8th
    (D(2026, 9, 30), 3, D(2026, 10, 10)),       # … + 3 = the make-up Saturday
    (D(2026, 9, 30), 4, D(2026, 10, 12)),       # … + 4 = Monday
    (D(2026, 10, 3), 0, D(2026, 10, 3)),        # 0 working days is the day itself
    (D(2025, 12, 31), 1, D(2026, 1, 4)),        # 元旦 2026 (1-3 Jan), then the make-up Sunday
], ids=str)
def test_add_working_days(start: dt.date, days: int, deadline: dt.date) -> None:
    assert CAL.add_working_days(start, days) == deadline
    assert CAL.working_days_between(start, deadline) == days


def test_working_days_between_counts_after_start_up_to_end() -> None:
    assert CAL.working_days_between(D(2026, 9, 30), D(2026, 10, 7)) == 0       # the whole holiday week
    assert CAL.working_days_between(D(2026, 9, 18), D(2026, 9, 21)) == 2       # Sunday 20th and Monday
    assert CAL.working_days_between(D(2026, 9, 21), D(2026, 9, 18)) == -2


def test_an_unknown_year_counts_monday_to_friday_and_is_reported() -> None:
    assert not CAL.knows(2027) and CAL.knows(2026) and CAL.knows(2004)
    assert CAL.add_working_days(D(2027, 1, 1), 1) == D(2027, 1, 4)       # New Year's Day 2027 counted as Friday
    assert CAL.is_workday(D(2027, 1, 1)) and not CAL.is_workday(D(2027, 1, 2))
    assert CAL.unknown_years(D(2026, 12, 28), D(2028, 1, 3)) == [2027, 2028]
    assert CAL.unknown_years(D(2026, 1, 1), D(2026, 12, 31)) == []


def test_an_admin_override_wins_and_makes_a_year_known() -> None:
    cal = Calendar({D(2027, 1, 1): False, D(2026, 10, 12): False, D(2026, 10, 11): True})
    assert cal.knows(2027)
    assert cal.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)        # 1 Jan 2027 entered as a holiday
    assert cal.add_working_days(D(2026, 10, 10), 1) == D(2026, 10, 11)      # a local make-up Sunday
    assert cal.add_working_days(D(2026, 10, 11), 1) == D(2026, 10, 13)      # the Monday it replaced
    assert CAL.add_working_days(D(2026, 10, 10), 1) == D(2026, 10, 12)      # the library alone


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(D(2026, 1, 5), -1)


def test_load_reads_the_admins_days(engine: Engine) -> None:
    with engine.begin() as conn:
        f.insert(conn, "calendar_day", day=D(2027, 1, 1), is_workday=False, note="元旦")
        f.insert(conn, "calendar_day", day=D(2027, 2, 20), is_workday=True, note="春节调休")
    with engine.connect() as conn:
        cal = workdays.load(conn)
    assert cal.knows(2027) and not cal.is_workday(D(2027, 1, 1)) and cal.is_workday(D(2027, 2, 20))
    assert cal.add_working_days(D(2027, 2, 19), 1) == D(2027, 2, 20)


class Row:
    def __init__(self, status: str, deadline: dt.date | None) -> None:
        self.status, self.deadline = status, deadline


def test_deadline_warning_for_a_year_nobody_knows() -> None:
    assert deadlines.deadline_warning(CAL, Row("routed", D(2026, 12, 30))) is None
    warning = deadlines.deadline_warning(CAL, Row("routed", D(2027, 1, 8)), routed_on=D(2026, 12, 30))
    assert warning is not None and "2027" in warning and "2027-01-08" in warning
    assert deadlines.deadline_warning(CAL, Row("collected", None)) is None
    assert deadlines.deadline_warning(Calendar({D(2027, 1, 1): False}), Row("routed", D(2027, 1, 8))) is None


@pytest.mark.parametrize(("status", "deadline", "today", "overdue", "at_risk"), [
    ("in_progress", D(2026, 10, 8), D(2026, 10, 9), True, False),     # past the deadline
    ("in_progress", D(2026, 10, 8), D(2026, 10, 8), False, True),     # the deadline is today: 0 left
    ("routed", D(2026, 10, 8), D(2026, 9, 30), False, True),          # 1 working day left (the holiday between)
    ("routed", D(2026, 10, 9), D(2026, 9, 30), False, False),         # 2 left
    ("resolved", D(2026, 10, 8), D(2026, 10, 20), False, False),      # finished late: not overdue, not at risk
    ("classified", D(2026, 10, 8), D(2026, 10, 20), True, False),     # sent back: still waiting, still late
    ("collected", None, D(2026, 10, 20), False, False),
], ids=str)
def test_overdue_and_at_risk(status: str, deadline: dt.date | None, today: dt.date, overdue: bool,
                             at_risk: bool) -> None:
    row = Row(status, deadline)
    assert deadlines.is_overdue(row, today) is overdue
    assert deadlines.is_at_risk(CAL, row, today) is at_risk
