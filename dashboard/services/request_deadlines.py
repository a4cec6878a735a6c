"""A request's deadline on the Chinese working-day calendar: how it is set, how late it is, and when to warn.

The deadline is the n-th working day after 转办 (n from the request_sla table by priority). Route and transfer
restart it; an escalation does not, so an overdue request stays overdue. At risk: still open and 0 or 1 working day
left; overdue: past the deadline and not 已办结 / 已公示反馈 / 已关闭.
"""

import datetime as dt
from typing import Protocol

import sqlalchemy as sa
from sqlmodel import Session, col

from dashboard.i18n import t
from dashboard.services.workdays import Calendar
from data_models import RequestSla
from data_models.enums import RequestPriority, RequestStatus

# What migration 0008 inserts; used only for a priority whose row an admin deleted.
DEFAULT_SLA = {RequestPriority.urgent: 1, RequestPriority.general: 5, RequestPriority.complex: 15}
DONE = frozenset({RequestStatus.resolved, RequestStatus.reported, RequestStatus.closed})


class Deadlined(Protocol):
    """What the checks read of a request (a Request, or a row of a query with these columns)."""

    @property
    def status(self) -> str: ...

    @property
    def deadline(self) -> dt.date | None: ...


def sla_days(session: Session, priority: str) -> int:
    """Working days a unit has for a request of this priority."""
    days = session.execute(sa.select(col(RequestSla.working_days))
                           .where(col(RequestSla.priority) == RequestPriority(priority))).scalar_one_or_none()
    return int(days) if days is not None else DEFAULT_SLA[RequestPriority(priority)]


def deadline_for(calendar: Calendar, routed_on: dt.date, working_days: int) -> dt.date:
    return calendar.add_working_days(routed_on, working_days)


def is_open(request: Deadlined) -> bool:
    return RequestStatus(request.status) not in DONE


def is_overdue(request: Deadlined, today: dt.date) -> bool:
    return is_open(request) and request.deadline is not None and request.deadline < today


def working_days_left(calendar: Calendar, request: Deadlined, today: dt.date) -> int | None:
    """Working days from today to the deadline (0 on the deadline itself, negative once past); None without one."""
    if request.deadline is None:
        return None
    return calendar.working_days_between(today, request.deadline)


def is_at_risk(calendar: Calendar, request: Deadlined, today: dt.date) -> bool:
    """Open, not yet overdue, and the deadline is today or the next working day."""
    if not is_open(request) or request.deadline is None or request.deadline < today:
        return False
    left = working_days_left(calendar, request, today)
    return left is not None and left <= 1


def deadline_warning(calendar: Calendar, request: Deadlined, routed_on: dt.date | None = None) -> str | None:
    """The page's warning when the deadline was counted through a year whose holidays nobody has entered yet
    (counted Monday to Friday, so it may be off by the holidays); None when the calendar knows every year."""
    if request.deadline is None:
        return None
    years = calendar.unknown_years(routed_on or request.deadline, request.deadline)
    if not years:
        return None
    return t("requests.deadline_unknown_year", deadline=request.deadline.isoformat(),
             years="、".join(str(y) for y in years))
