"""Training workbooks: a course's roster for its trainer (filled and imported back) and the subsidy claim."""

import datetime as dt

from sqlmodel import Session

from dashboard.queries import Scope


def course_roster(session: Session, course_code: str, *, lang: str, personal: bool) -> bytes:
    """A course's enrolments under the enrolments import's own headers, with read-only name and phone columns."""
    raise NotImplementedError


def subsidy_workbook(session: Session, *, scope: Scope, as_of: dt.date, lang: str) -> bytes:
    """Per course in scope: the rule in force, both tranches and what is claimable, pending or lost."""
    raise NotImplementedError
