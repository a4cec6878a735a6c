"""Factory helpers for the levels tests: a learner in one call, and a distribution run with its members' lines."""

import datetime as dt
from typing import Any

from sqlalchemy.engine import Connection

from tests import factories as fx

D = dt.date


def learner(conn: Connection, course_id: int, community_id: int, code: str, *, quarter: str = "2025Q3",
            practitioner_id: int | None = None, **enrolment: Any) -> int:
    """A practitioner enrolled on the course (completed unless told otherwise); returns the enrolment id."""
    pid = practitioner_id or fx.practitioner(conn, community_id, f"P-{code}")
    values: dict[str, Any] = {"quarter": quarter}
    values.update(enrolment)
    return fx.enrolment(conn, course_id, pid, community_id, code, **values)


def practitioner_of(conn: Connection, enrolment_id: int) -> int:
    return int(conn.execute(fx.T["enrolment"].select().where(fx.T["enrolment"].c.id == enrolment_id))
               .one().practitioner_id)


def run(conn: Connection, cooperative_id: int, split_id: int, period: str, start: D, end: D,
        lines: dict[int, int], *, status: str = "approved") -> int:
    """A distribution run of `period` paying `lines` {member_id: cents}. Inserted as a draft with its lines and then
    moved on, as the service does: the database refuses lines under a run that is no longer a draft."""
    total = sum(lines.values())
    rid = fx.insert(conn, "distribution_run", code=f"RUN-{cooperative_id}-{period}-{status}",
                    cooperative_id=cooperative_id, split_id=split_id, period=period, period_start=start,
                    period_end=end, basis="revenue", status="draft", revenue_cents=total * 2, cost_cents=0,
                    profit_cents=total * 2, carried_loss_cents=0, help_fund_cents=0, member_pool_cents=total,
                    cooperative_pool_cents=total - total // 2, public_fund_cents=total // 2,
                    created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), created_by="test")
    for member_id, cents in lines.items():
        fx.insert(conn, "distribution_line", run_id=rid, member_id=member_id, basis_value=cents,
                  amount_cents=cents, rounding_adjustment_cents=0)
    if status != "draft":
        conn.execute(fx.T["distribution_run"].update().where(fx.T["distribution_run"].c.id == rid).values(
            status=status, approved_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC), approved_by="理事长"))
    return rid


QUARTER_DATES = {
    "2024Q4": (D(2024, 10, 1), D(2024, 12, 31)), "2025Q1": (D(2025, 1, 1), D(2025, 3, 31)),
    "2025Q2": (D(2025, 4, 1), D(2025, 6, 30)), "2025Q3": (D(2025, 7, 1), D(2025, 9, 30)),
    "2025Q4": (D(2025, 10, 1), D(2025, 12, 31)), "2026Q1": (D(2026, 1, 1), D(2026, 3, 31)),
    "2026Q2": (D(2026, 4, 1), D(2026, 6, 30)),
}


def quarterly_run(conn: Connection, cooperative_id: int, split_id: int, quarter: str, lines: dict[int, int],
                  *, status: str = "approved") -> int:
    start, end = QUARTER_DATES[quarter]
    return run(conn, cooperative_id, split_id, quarter, start, end, lines, status=status)
