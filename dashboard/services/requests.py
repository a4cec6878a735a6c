"""直播治理诉求: the request lifecycle, enforced in one place and recorded as events.

已收集 → 已分类 → 已转办 → 办理中 → 已办结 → 已公示反馈 → 已关闭, plus 退回 (back to 已分类; the second return
escalates to the unit's parent), 转办 (to another unit), 重新打开 (back to 办理中) and the escalation of overdue
requests. Every move names the request's version the user saw and is refused if another came first (the UPDATE
checks version and status); every move appends a RequestEvent and an audit entry.

(First version: the signatures the page codes against; the bodies follow.)
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from dashboard.accounts import Principal
from data_models import Request
from data_models.enums import RequestMove


@dataclass(frozen=True)
class QueueRow:
    """One request of a community's report-back queue (what the next livestream reports on)."""

    code: str
    category: str
    description: str
    status: str
    lead_unit: str | None
    outcome: str | None
    resolution: str
    deadline: dt.date | None
    overdue: bool
    last_move: str | None
    last_move_on: dt.date | None
    last_note: str
    needs_report: bool          # 已办结 and not reported yet: report() it in the next session


def collect(session: Session, *, livestream_code: str, category: str, description: str, endorsements: int = 0,
            raised_on: dt.date, actor: Principal, today: dt.date) -> Request:
    """Record a request raised in a livestream (已收集)."""
    raise NotImplementedError


def classify(session: Session, code: str, *, version: int, category: str, priority: str, actor: Principal,
             on: dt.date, today: dt.date) -> Request:
    """已收集 → 已分类, with its category and priority (the priority sets the working days of its deadline)."""
    raise NotImplementedError


def route(session: Session, code: str, *, version: int, lead_unit_code: str, support_unit_codes: Sequence[str] = (),
          actor: Principal, on: dt.date, today: dt.date) -> Request:
    """已分类 → 已转办 to a lead unit and supporting units; the deadline counts from `on`."""
    raise NotImplementedError


def accept(session: Session, code: str, *, version: int, actor: Principal, on: dt.date, today: dt.date) -> Request:
    """已转办 → 办理中 (the lead unit starts on it; the deadline still counts from 转办)."""
    raise NotImplementedError


def finish(session: Session, code: str, *, version: int, outcome: str, resolution: str, actor: Principal,
           on: dt.date, today: dt.date) -> Request:
    """办理中 → 已办结 with an outcome. 不合理诉求 only records the proposal; agree_unreasonable finishes it."""
    raise NotImplementedError


def agree_unreasonable(session: Session, code: str, *, version: int, actor: Principal, on: dt.date,
                       today: dt.date) -> Request:
    """A second person agrees to a 不合理诉求 proposal: 办理中 → 已办结."""
    raise NotImplementedError


def send_back(session: Session, code: str, *, version: int, reason_code: str, note: str, actor: Principal,
              on: dt.date, today: dt.date) -> Request:
    """退回: the lead unit returns the request to 已分类; from the second return on it escalates to the parent."""
    raise NotImplementedError


def transfer(session: Session, code: str, *, version: int, to_unit_code: str, reason: str, actor: Principal,
             on: dt.date, today: dt.date, support_unit_codes: Sequence[str] | None = None) -> Request:
    """转办 to another unit (已转办 again); the deadline restarts from `on`."""
    raise NotImplementedError


def report(session: Session, code: str, *, version: int, livestream_code: str, actor: Principal,
           today: dt.date) -> Request:
    """已办结 → 已公示反馈: reported back in the community's livestream `livestream_code` (on its date)."""
    raise NotImplementedError


def callback(session: Session, code: str, *, version: int, result: str, tries: int, actor: Principal, on: dt.date,
             today: dt.date) -> Request:
    """回访 of a finished request; 不满意 reopens it, unreachable needs 3 tries."""
    raise NotImplementedError


def close(session: Session, code: str, *, version: int, actor: Principal, on: dt.date, today: dt.date) -> Request:
    """已公示反馈 → 已关闭, once the callback is answered (or unreachable after 3 tries)."""
    raise NotImplementedError


def reopen(session: Session, code: str, *, version: int, note: str, actor: Principal, on: dt.date,
           today: dt.date) -> Request:
    """重新打开: a resident says it is not solved; back to 办理中 with the reopenings counted."""
    raise NotImplementedError


def escalate_overdue(session: Session, *, today: dt.date, actor: Principal) -> list[str]:
    """Escalate overdue requests to their lead unit's parent; returns the codes escalated."""
    raise NotImplementedError


def allowed_moves(session: Session, code: str, actor: Principal) -> list[RequestMove]:
    """The moves the page offers this user on this request now."""
    raise NotImplementedError


def report_back_queue(session: Session, *, community_id: int, today: dt.date | None = None) -> list[QueueRow]:
    """What the community's next livestream reports on: what changed since its last session, not yet reported."""
    raise NotImplementedError


def readout_text(session: Session, *, community_id: int, livestream_code: str | None, lang: str = "zh",
                 today: dt.date | None = None) -> str:
    """上期诉求办理进展: the read-out text for the next livestream, in Chinese (or English)."""
    raise NotImplementedError
