"""Factory helpers for the 培训成效 tests: a learner on a course, with vulnerable-group tags and follow-ups."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Connection

from tests import factories as fx

D = dt.date

# Follow-up shorthands: what a contact found (reached) or how far it got (not reached).
OUTCOMES: dict[str, dict[str, Any]] = {
    "ecommerce": {"status": "reached", "employment": "ecommerce_employed"},
    "self": {"status": "reached", "employment": "ecommerce_self", "opened_store": True},
    "other": {"status": "reached", "employment": "other_work"},
    "not_employed": {"status": "reached", "employment": "not_employed"},
    "unreachable": {"status": "unreachable", "tries": 3},
    "trying": {"status": "pending", "tries": 1},
    "waiting": {"status": "pending", "tries": 0},
}


def followup_spec(spec: str | dict[str, Any]) -> dict[str, Any]:
    """'ecommerce' or ('ecommerce', income) style specs as factory keywords; a dict passes through."""
    if isinstance(spec, dict):
        return dict(spec)
    return dict(OUTCOMES[spec])


def learner(conn: Connection, course_id: int, community_id: int, code: str, *, quarter: str = "2025Q3",
            enrolled_on: dt.date | None = None, groups: Iterable[str] = (), m3: str | dict[str, Any] | None = None,
            m6: str | dict[str, Any] | None = None, m3_income: int | None = None, m6_income: int | None = None,
            **enrolment: Any) -> int:
    """A practitioner enrolled on the course (attended and completed unless told), tagged with `groups`, with the
    3- and 6-month follow-ups given (None: none made). Returns the enrolment's id."""
    pid = fx.practitioner(conn, community_id, code=f"P-{code}")
    for g in groups:
        fx.insert(conn, "practitioner_group", practitioner_id=pid, group=g)
    if enrolled_on is None:
        year, q = int(quarter[:4]), int(quarter[-1])
        enrolled_on = D(year, 3 * q - 2, 1)
    eid = fx.enrolment(conn, course_id, pid, community_id, code=f"E-{code}", quarter=quarter,
                       enrolled_on=enrolled_on, **enrolment)
    for wave, spec, income in (("m3", m3, m3_income), ("m6", m6, m6_income)):
        if spec is not None:
            kw = followup_spec(spec)
            if income is not None:
                kw["income_cents"] = income
            fx.followup(conn, eid, community_id, wave, **kw)
    return eid
