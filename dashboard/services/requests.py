"""直播治理诉求: the request lifecycle, enforced in one place and recorded as events.

已收集 → 已分类 → 已转办 → 办理中 → 已办结 → 已公示反馈 → 已关闭, plus 退回 (back to 已分类; from the second return on
it escalates to the unit's parent), 转办 (to another unit), 重新打开 (back to 办理中) and the escalation of overdue
requests. Nothing is skipped, nothing goes back except by those moves, nothing closes before it was reported back in
a livestream and called back.

Every move names the request's version the user saw. The UPDATE checks that version and the status the move starts
from, so of two people at once exactly one wins and the other is told (requests.changed_meanwhile); nothing of the
loser's is written. Each move appends a RequestEvent and an audit entry (after its writes: the audit lock is held
to the end of the transaction).

The checks and the compare-and-set write are in request_steps.py, the report-back queue and the read-out text in
request_report.py, deadlines in request_deadlines.py (the page's names are re-exported here).
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from dashboard import access, audit, locks
from dashboard.access import Action
from dashboard.accounts import Principal
from dashboard.i18n import label
from dashboard.periods import quarter_key
from dashboard.services import request_deadlines as deadlines
from dashboard.services import request_steps as core
from dashboard.services import workdays
from dashboard.services.errors import RuleError
from dashboard.services.request_deadlines import deadline_warning, is_at_risk, is_overdue
from dashboard.services.request_report import QueueRow, readout_text, report_back_queue
from data_models import LivestreamSession, Request, RequestCallback, RequestEvent, RequestSupport, Unit
from data_models.base import table_of
from data_models.enums import (
    CallbackResult,
    RequestCategory,
    RequestMove,
    RequestOutcome,
    RequestPriority,
    RequestSource,
    RequestStatus,
    ReturnReason,
)

__all__ = ["AGREE_UNREASONABLE", "QueueRow", "accept", "agree_unreasonable", "allowed_moves", "callback",
           "classify", "close", "collect", "deadline_warning", "escalate_overdue", "finish", "is_at_risk", "is_overdue",
           "readout_text", "reopen", "report", "report_back_queue", "route", "send_back", "transfer"]

S = RequestStatus
TABLE = table_of(Request)
EVENTS = table_of(RequestEvent)
SUPPORT = table_of(RequestSupport)
UNREACHABLE_TRIES = 3
ANSWERED = frozenset({CallbackResult.satisfied, CallbackResult.basically_satisfied, CallbackResult.unreachable})
# allowed_moves() offers a second person's agreement to a pending 不合理诉求 proposal under this name.
AGREE_UNREASONABLE = RequestMove.propose_unreasonable
# A reopening starts the request's answer over: a new outcome, a new report-back, a new callback.
REOPENED: dict[str, Any] = {"status": S.in_progress, "outcome": None, "resolved_on": None, "closed_on": None,
                            "reported_session_id": None, "unreasonable_by": None, "unreasonable_agreed_by": None}


# --- the moves -----------------------------------------------------------------------------------------------------

def collect(session: Session, *, livestream_code: str, category: str, description: str, endorsements: int = 0,
            raised_on: dt.date, actor: Principal, today: dt.date, priority: str | None = None, resident: str = "",
            source: str = RequestSource.typed, raised_at: dt.datetime | None = None) -> Request:
    """Record a request raised in a livestream (已收集). Its code is R + the day + a running number.

    `priority` is the urgency said on air (kept while it is 已收集; classify may change it), `resident` who raised
    it (a nickname or house number), `source` how it came in, `raised_at` the moment (timezone-aware)."""
    access.require(actor.role, Action.request_write)
    live = session.execute(sa.select(LivestreamSession)
                           .where(col(LivestreamSession.code) == livestream_code.strip())).scalar_one_or_none()
    if live is None:
        raise RuleError("requests.unknown_livestream", code=livestream_code)
    kind = core.choice(RequestCategory, category)
    text = core.required_text(description, "requests.description_required")
    if endorsements < 0:
        raise RuleError("requests.negative_endorsements")
    if raised_on > today:
        raise RuleError("requests.future_date", date=raised_on.isoformat())
    if raised_on < live.held_on:
        raise RuleError("requests.before_livestream", date=raised_on.isoformat(), held_on=live.held_on.isoformat())
    urgency = RequestPriority.general if not priority else core.choice(RequestPriority, priority)
    how = RequestSource(source)          # chosen by the code that calls, not typed by a user
    if raised_at is not None and raised_at.tzinfo is None:
        raise ValueError("raised_at must be timezone-aware")
    prefix = f"R{raised_on:%Y%m%d}"
    locks.serialise(session.connection(), f"request_code:{prefix}")     # two at once must not take one number
    # The next number after the highest of the day (not the count: an import or its undo may leave a gap).
    taken = [*session.execute(sa.select(col(Request.code)).where(col(Request.code).startswith(prefix))).scalars(),
             *core.withdrawn_codes(session, raised_on)]
    n = max((int(c[len(prefix):]) for c in taken if c and c.startswith(prefix) and c[len(prefix):].isdigit()),
            default=0)
    assert live.id is not None
    req = Request(code=f"{prefix}{n + 1:03d}", session_id=live.id, community_id=live.community_id,
                  raised_on=raised_on, quarter=quarter_key(raised_on), category=kind, description=text,
                  endorsements=endorsements, status=S.collected, priority=urgency,
                  resident=(resident or "").strip()[:100], source=how,
                  # Stored as UTC whatever zone it came in: SQLite keeps no offset, so one column holds one base.
                  raised_at=None if raised_at is None else raised_at.astimezone(dt.UTC))
    session.add(req)
    session.flush()
    session.connection().execute(EVENTS.insert().values(
        request_id=req.id, move=RequestMove.collect, from_status=None, to_status=S.collected, on=raised_on,
        actor=actor.username, note=""))
    audit.record(session.connection(), actor=actor.username, action="collect", entity="request", entity_id=req.code,
                 after=req.model_dump(mode="json"))
    return req


def classify(session: Session, code: str, *, version: int, category: str, priority: str, actor: Principal,
             on: dt.date, today: dt.date) -> Request:
    """已收集 → 已分类, with its category and priority (the priority sets the working days of its deadline)."""
    access.require(actor.role, Action.request_write)
    req = core.start(session, code, version, RequestMove.classify, S.collected)
    values = {"status": S.classified, "category": core.choice(RequestCategory, category),
              "priority": core.choice(RequestPriority, priority)}
    core.check_on(session, req, on, today)
    core.write(session, req, seen=version, values=values, actor=actor, on=on,
           steps=[core.Step(RequestMove.classify, S.collected, S.classified)])
    return req


def route(session: Session, code: str, *, version: int, lead_unit_code: str, support_unit_codes: Sequence[str] = (),
          actor: Principal, on: dt.date, today: dt.date) -> Request:
    """已分类 → 已转办 to a lead unit and supporting units; the deadline counts from `on` (the first routing is
    also kept: the response rate counts from it)."""
    access.require(actor.role, Action.request_write)
    req = core.start(session, code, version, RequestMove.route, S.classified)
    lead = core.unit_for(session, lead_unit_code, req)
    supports = core.support_ids(session, support_unit_codes, req, lead)
    core.check_on(session, req, on, today)
    values = {"status": S.routed, "lead_unit_id": lead.id, "routed_on": on,
              "deadline": core.new_deadline(session, req, on), "first_routed_on": req.first_routed_on or on}
    core.write(session, req, seen=version, values=values, actor=actor, on=on, supports=supports,
           steps=[core.Step(RequestMove.route, S.classified, S.routed, to_unit_id=lead.id)])
    return req


def accept(session: Session, code: str, *, version: int, actor: Principal, on: dt.date, today: dt.date) -> Request:
    """已转办 → 办理中 (the lead unit starts on it; the deadline still counts from 转办)."""
    req = core.start(session, code, version, RequestMove.accept, S.routed)
    core.require_handle(session, actor, req)
    core.check_on(session, req, on, today)
    core.write(session, req, seen=version, values={"status": S.in_progress}, actor=actor, on=on,
           steps=[core.Step(RequestMove.accept, S.routed, S.in_progress, to_unit_id=req.lead_unit_id)])
    return req


def finish(session: Session, code: str, *, version: int, outcome: str, resolution: str, actor: Principal,
           on: dt.date, today: dt.date) -> Request:
    """办理中 → 已办结 with an outcome and what was done. 不合理诉求 only records the proposal (with its written
    reason) and stays 办理中 until another person agrees (agree_unreasonable); finishing with another outcome
    withdraws a pending proposal."""
    req = core.start(session, code, version, RequestMove.finish, S.in_progress)
    core.require_handle(session, actor, req)
    result = core.choice(RequestOutcome, outcome)
    text = core.required_text(resolution, "requests.unreasonable_reason_required"
                              if result == RequestOutcome.unreasonable else "requests.resolution_required")
    core.check_on(session, req, on, today)
    if result == RequestOutcome.unreasonable:
        if req.unreasonable_by is not None:
            raise RuleError("requests.unreasonable_pending", code=req.code, by=req.unreasonable_by)
        core.write(session, req, seen=version, values={"unreasonable_by": actor.username, "resolution": text},
               actor=actor, on=on, steps=[core.Step(RequestMove.propose_unreasonable, S.in_progress, S.in_progress,
                                               note=text)])
        return req
    values = {"status": S.resolved, "outcome": result, "resolution": text, "resolved_on": on,
              "unreasonable_by": None}
    core.write(session, req, seen=version, values=values, actor=actor, on=on,
           steps=[core.Step(RequestMove.finish, S.in_progress, S.resolved, from_unit_id=req.lead_unit_id, note=text)])
    return req


def agree_unreasonable(session: Session, code: str, *, version: int, actor: Principal, on: dt.date,
                       today: dt.date) -> Request:
    """A second person (not the one who proposed it) agrees to a 不合理诉求 proposal: 办理中 → 已办结."""
    access.require(actor.role, Action.request_write)
    req = core.start(session, code, version, RequestMove.finish, S.in_progress)
    if req.unreasonable_by is None:
        raise RuleError("requests.no_unreasonable_proposal", code=req.code)
    if req.unreasonable_by == actor.username:
        raise RuleError("requests.same_person", code=req.code)
    core.check_on(session, req, on, today)
    values = {"status": S.resolved, "outcome": RequestOutcome.unreasonable, "unreasonable_agreed_by": actor.username,
              "resolved_on": on}
    core.write(session, req, seen=version, values=values, actor=actor, on=on,
           steps=[core.Step(RequestMove.finish, S.in_progress, S.resolved, from_unit_id=req.lead_unit_id,
                       note=req.resolution)])
    return req


def send_back(session: Session, code: str, *, version: int, reason_code: str, note: str, actor: Principal,
              on: dt.date, today: dt.date) -> Request:
    """退回: the lead unit returns the request, with a reason code and text, to 已分类 for re-routing (no unit, the
    deadline kept). From the second return on it escalates instead, to the returning unit's parent: routed there
    with a new deadline. A unit without a parent (the township) returns it to 已分类 every time."""
    req = core.start(session, code, version, RequestMove.send_back, S.routed, S.in_progress)
    core.require_handle(session, actor, req)
    reason = core.choice(ReturnReason, reason_code)
    text = core.required_text(note, "requests.note_required")
    core.check_on(session, req, on, today)
    returns = req.return_count + 1
    back = core.Step(RequestMove.send_back, S(req.status), S.classified, from_unit_id=req.lead_unit_id,
                reason_code=reason, note=text)
    parent = core.parent(session, req.lead_unit_id) if returns >= 2 else None
    if parent is None:
        values: dict[str, Any] = {"status": S.classified, "return_count": returns, "lead_unit_id": None,
                                  "unreasonable_by": None}
        core.write(session, req, seen=version, values=values, actor=actor, on=on, supports=[], steps=[back])
        return req
    values = {"status": S.routed, "return_count": returns, "lead_unit_id": parent.id, "routed_on": on,
              "deadline": core.new_deadline(session, req, on), "escalation_level": req.escalation_level + 1,
              "unreasonable_by": None}
    up = core.Step(RequestMove.escalate, S.classified, S.routed, from_unit_id=req.lead_unit_id, to_unit_id=parent.id)
    core.write(session, req, seen=version, values=values, actor=actor, on=on, supports=[], steps=[back, up])
    return req


def transfer(session: Session, code: str, *, version: int, to_unit_code: str, reason: str, actor: Principal,
             on: dt.date, today: dt.date, support_unit_codes: Sequence[str] | None = None) -> Request:
    """转办 to another unit, with a reason: 已转办 again with the new lead, and the deadline restarts from `on`
    (unless it has passed already: an overdue request stays overdue). A pending 不合理诉求 proposal lapses.
    The supporting units are replaced when given, else kept (without the new lead)."""
    req = core.start(session, code, version, RequestMove.transfer, S.routed, S.in_progress)
    core.require_handle(session, actor, req)
    text = core.required_text(reason, "requests.reason_required")
    lead = core.unit_for(session, to_unit_code, req)
    if lead.id == req.lead_unit_id:
        raise RuleError("requests.same_unit", unit=lead.name)
    if support_unit_codes is None:
        kept = session.execute(sa.select(SUPPORT.c.unit_id).where(SUPPORT.c.request_id == req.id)).scalars()
        supports = [u for u in kept if u != lead.id]
    else:
        supports = core.support_ids(session, support_unit_codes, req, lead)
    core.check_on(session, req, on, today)
    # A proposal of 不合理诉求 was the old unit's: the new one has not made it. An overdue request keeps its
    # deadline: passing it on must not take it off the overdue count and out of the on-time rate.
    overdue = req.deadline is not None and req.deadline < on
    values = {"status": S.routed, "lead_unit_id": lead.id, "routed_on": on, "unreasonable_by": None,
              "deadline": req.deadline if overdue else core.new_deadline(session, req, on)}
    core.write(session, req, seen=version, values=values, actor=actor, on=on, supports=supports,
           steps=[core.Step(RequestMove.transfer, S(req.status), S.routed, from_unit_id=req.lead_unit_id,
                       to_unit_id=lead.id, note=text)])
    return req


def report(session: Session, code: str, *, version: int, livestream_code: str, actor: Principal,
           today: dt.date) -> Request:
    """已办结 → 已公示反馈: reported back in the community's livestream `livestream_code`, on its date."""
    access.require(actor.role, Action.request_write)
    req = core.start(session, code, version, RequestMove.report, S.resolved)
    live = session.execute(sa.select(LivestreamSession)
                           .where(col(LivestreamSession.code) == livestream_code.strip())).scalar_one_or_none()
    if live is None:
        raise RuleError("requests.unknown_livestream", code=livestream_code)
    if live.community_id != req.community_id:
        raise RuleError("requests.livestream_other_community", livestream=live.code, code=req.code)
    core.check_on(session, req, live.held_on, today)
    core.write(session, req, seen=version, values={"status": S.reported, "reported_session_id": live.id}, actor=actor,
           on=live.held_on, steps=[core.Step(RequestMove.report, S.resolved, S.reported, note=live.code)])
    return req


def callback(session: Session, code: str, *, version: int, result: str, tries: int, actor: Principal, on: dt.date,
             today: dt.date) -> Request:
    """回访 of a finished request (已办结 or 已公示反馈), once per answer: 满意 / 基本满意 / 不满意, or unreachable
    after at least 3 tries. 不满意 reopens it (办理中, reopenings counted; the answer stays on the request until
    the next callback). Every callback is kept in request_callback, which the 满意率 counts."""
    access.require(actor.role, Action.request_write)
    req = core.start(session, code, version, RequestMove.callback, S.resolved, S.reported)
    answer = core.choice(CallbackResult, result)
    if req.satisfaction is not None and req.satisfaction != CallbackResult.dissatisfied:
        raise RuleError("requests.already_called_back", code=req.code, result=label(CallbackResult(req.satisfaction)))
    if tries < 1:
        raise RuleError("requests.tries_positive")
    if answer == CallbackResult.unreachable and tries < UNREACHABLE_TRIES:
        raise RuleError("requests.unreachable_needs_tries", n=UNREACHABLE_TRIES, tries=tries)
    core.check_on(session, req, on, today)
    values: dict[str, Any] = {"satisfaction": answer, "callback_tries": tries}
    steps = [core.Step(RequestMove.callback, S(req.status), S(req.status), note=str(answer))]
    if answer == CallbackResult.dissatisfied:
        values |= REOPENED | {"reopen_count": req.reopen_count + 1}
        steps.append(core.Step(RequestMove.reopen, S(req.status), S.in_progress))
    entry = core.write(session, req, seen=version, values=values, actor=actor, on=on, steps=steps, audit_now=False)
    session.connection().execute(table_of(RequestCallback).insert().values(
        request_id=req.id, called_on=on, result=answer, tries=tries, actor=actor.username, note=""))
    audit.record(session.connection(), **entry)
    return req


def close(session: Session, code: str, *, version: int, actor: Principal, on: dt.date, today: dt.date) -> Request:
    """已公示反馈 → 已关闭, once the callback is answered (满意 / 基本满意) or unreachable after 3 tries."""
    access.require(actor.role, Action.request_write)
    req = core.load(session, code)
    if req.version == version and S(req.status) == S.resolved:
        raise RuleError("requests.close_needs_report", code=req.code)
    req = core.start(session, code, version, RequestMove.close, S.reported)
    if req.satisfaction not in ANSWERED:
        raise RuleError("requests.close_needs_callback", code=req.code)
    core.check_on(session, req, on, today)
    core.write(session, req, seen=version, values={"status": S.closed, "closed_on": on}, actor=actor, on=on,
           steps=[core.Step(RequestMove.close, S.reported, S.closed)])
    return req


def reopen(session: Session, code: str, *, version: int, note: str, actor: Principal, on: dt.date,
           today: dt.date) -> Request:
    """重新打开: a resident says it is not solved (already 已办结, 已公示反馈 or 已关闭); back to 办理中 with the same
    lead unit and deadline (it does not restart: the resident has waited since 转办), reopenings counted, and a new
    outcome, report-back and callback to come. One a consultation case settled has no unit: back to 已分类."""
    access.require(actor.role, Action.request_write)
    req = core.start(session, code, version, RequestMove.reopen, S.resolved, S.reported, S.closed)
    text = core.required_text(note, "requests.note_required")
    core.check_on(session, req, on, today)
    values = REOPENED | {"reopen_count": req.reopen_count + 1, "satisfaction": None, "callback_tries": 0}
    # One settled by a 五步协商 case has no unit and no deadline: back to 已分类, to be routed to a unit (办理中 with
    # neither would never be overdue nor escalated).
    to = S.in_progress if req.lead_unit_id is not None else S.classified
    core.write(session, req, seen=version, values=values | {"status": to}, actor=actor, on=on,
           steps=[core.Step(RequestMove.reopen, S(req.status), to, note=text)])
    return req


def escalate_overdue(session: Session, *, today: dt.date, actor: Principal) -> list[str]:
    """Escalate each overdue request (已转办 or 办理中, past its deadline) to its lead unit's parent, which becomes
    the lead; the unit that let it lapse stays on as a supporting unit. The deadline does not restart, so the request
    stays overdue. It climbs again only when the parent too has let a whole period of its priority pass since the
    escalation. Requests someone moved meanwhile are left for the next run. Returns the codes escalated."""
    access.require(actor.role, Action.request_write)
    calendar = workdays.load(session.connection())
    parent_unit = Unit.__table__.alias("parent")       # type: ignore[attr-defined]
    lead_unit = table_of(Unit)
    rows = session.execute(
        sa.select(TABLE.c.code, parent_unit.c.id)
        .join(lead_unit, lead_unit.c.id == TABLE.c.lead_unit_id)
        .join(parent_unit, parent_unit.c.id == lead_unit.c.parent_id)
        .where(TABLE.c.status.in_((S.routed, S.in_progress)), TABLE.c.deadline < today,
               parent_unit.c.is_active.is_(True))
        .order_by(TABLE.c.id)).all()
    done: list[str] = []
    entries: list[dict[str, Any]] = []
    for code, parent_id in rows:
        req = core.load(session, code)
        last = session.execute(
            sa.select(EVENTS.c.move, EVENTS.c.on).where(
                EVENTS.c.request_id == req.id,
                EVENTS.c.move.in_((RequestMove.route, RequestMove.transfer, RequestMove.escalate)))
            .order_by(EVENTS.c.id.desc()).limit(1)).first()
        if (last is not None and last.move == RequestMove.escalate and last.on is not None
                and calendar.working_days_between(last.on, today) <= deadlines.sla_days(session, req.priority)):
            continue
        kept = session.execute(sa.select(SUPPORT.c.unit_id).where(SUPPORT.c.request_id == req.id)).scalars()
        supports = [u for u in kept if u != parent_id]
        if req.lead_unit_id is not None and req.lead_unit_id not in supports:
            supports.append(req.lead_unit_id)
        values = {"lead_unit_id": parent_id, "escalation_level": req.escalation_level + 1}
        try:     # the compare-and-set writes nothing when it fails
            entries.append(core.write(
                session, req, seen=req.version, values=values, actor=actor, on=today, supports=supports,
                audit_now=False, steps=[core.Step(RequestMove.escalate, S(req.status), S(req.status),
                                             from_unit_id=req.lead_unit_id, to_unit_id=parent_id)]))
        except RuleError:
            continue
        done.append(code)
    for entry in entries:
        audit.record(session.connection(), **entry)
    return done


def allowed_moves(session: Session, code: str, actor: Principal) -> list[RequestMove]:
    """The moves the page offers this user on this request now, in lifecycle order. A pending 不合理诉求 proposal
    that this user may agree to is offered as AGREE_UNREASONABLE (RequestMove.propose_unreasonable)."""
    req = core.load(session, code)
    status = S(req.status)
    write = access.can(actor.role, Action.request_write)
    handle = access.can(actor.role, Action.request_handle) and core.acts_for_lead(session, actor, req)
    may_call = req.satisfaction is None or req.satisfaction == CallbackResult.dissatisfied
    offers: list[tuple[bool, RequestMove]] = [
        (write and status == S.collected, RequestMove.classify),
        (write and status == S.classified, RequestMove.route),
        (handle and status == S.routed, RequestMove.accept),
        (handle and status == S.in_progress, RequestMove.finish),
        (write and status == S.in_progress and req.unreasonable_by not in (None, actor.username),
         AGREE_UNREASONABLE),
        (handle and status in (S.routed, S.in_progress), RequestMove.send_back),
        (handle and status in (S.routed, S.in_progress), RequestMove.transfer),
        (write and status in (S.resolved, S.reported) and may_call, RequestMove.callback),
        (write and status == S.resolved, RequestMove.report),
        (write and status == S.reported and req.satisfaction in ANSWERED, RequestMove.close),
        (write and status in (S.resolved, S.reported, S.closed), RequestMove.reopen),
    ]
    moves = [move for ok, move in offers if ok]
    if core.open_case_of(session, req) is not None:      # the case finishes it when it closes
        moves = [move for move in moves if move not in core.CASE_MOVES]
    return moves
