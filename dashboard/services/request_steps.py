"""What every request move does: read the request and check it, then the compare-and-set write and its history.

The UPDATE names the version the user saw and the status the move starts from; no row changed means someone else
moved the request first, and nothing of this move is written (requests.changed_meanwhile).
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from dashboard import access, audit, locks, request_stats
from dashboard.access import Action
from dashboard.accounts import Principal
from dashboard.i18n import label
from dashboard.services import request_deadlines as deadlines
from dashboard.services import workdays
from dashboard.services.errors import RuleError
from data_models import CaseRequest, ConsultationCase, Request, RequestEvent, RequestSupport, Unit
from data_models.base import table_of
from data_models.enums import (
    CallbackResult,
    RequestCategory,
    RequestMove,
    RequestOutcome,
    RequestPriority,
    RequestStatus,
    ReturnReason,
)

S = RequestStatus
E = TypeVar("E", RequestCategory, RequestPriority, RequestOutcome, ReturnReason, CallbackResult)
TABLE = table_of(Request)
EVENTS = table_of(RequestEvent)
SUPPORT = table_of(RequestSupport)
# A request settled by an open 五步协商 case is not finished, sent back or passed on by itself: the case finishes
# and closes it when it closes (dashboard/services/consultation.py).
CASE_MOVES = frozenset({RequestMove.finish, RequestMove.propose_unreasonable, RequestMove.send_back,
                        RequestMove.transfer})


# --- reading and checking ------------------------------------------------------------------------------------------

def load(session: Session, code: str) -> Request:
    req = session.execute(sa.select(Request).where(col(Request.code) == code.strip())
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if req is None:
        raise RuleError("requests.unknown", code=code)
    return req


def changed(session: Session, req: Request) -> RuleError:
    now = session.connection().execute(sa.select(TABLE.c.status).where(TABLE.c.id == req.id)).scalar()
    return RuleError("requests.changed_meanwhile", code=req.code,
                     current=label(S(now)) if now is not None else "—")


def start(session: Session, code: str, version: int, move: RequestMove, *starts: RequestStatus) -> Request:
    """The request, if the user saw its current version and it is in a status the move starts from."""
    req = load(session, code)
    if req.version != version:
        raise changed(session, req)
    if S(req.status) not in starts:
        raise RuleError("requests.wrong_status", code=req.code, current=label(S(req.status)), move=label(move),
                        allowed="、".join(label(s) for s in starts))
    if move in CASE_MOVES and (case := open_case_of(session, req)) is not None:
        raise RuleError("consultation.request_in_open_case", code=req.code, case=case)
    return req


def open_case_of(session: Session, req: Request) -> str | None:
    """The code of the open 五步协商 case that settles this request, if one does."""
    cases, links = table_of(ConsultationCase), table_of(CaseRequest)
    return session.execute(sa.select(cases.c.code).join(links, links.c.case_id == cases.c.id)
                           .where(links.c.request_id == req.id, cases.c.step != "closed")).scalar()


def unit_party(session: Session, unit_id: int | None) -> int | None:
    if unit_id is None:
        return None
    return session.execute(sa.select(col(Unit.party_id)).where(col(Unit.id) == unit_id)).scalar_one_or_none()


def acts_for_lead(session: Session, actor: Principal, req: Request) -> bool:
    """Social workers and admins act on any request; a unit role only on one whose lead unit its party acts for."""
    if not access.own_units_only(actor.role):
        return True
    party = unit_party(session, req.lead_unit_id)
    return actor.party_id is not None and party == actor.party_id


def require_handle(session: Session, actor: Principal, req: Request) -> None:
    access.require(actor.role, Action.request_handle)
    if not acts_for_lead(session, actor, req):
        raise RuleError("requests.not_your_unit", code=req.code)


def last_on(session: Session, req: Request) -> dt.date:
    last = session.execute(sa.select(sa.func.max(EVENTS.c.on)).where(EVENTS.c.request_id == req.id)).scalar()
    return max(last or req.raised_on, req.raised_on)


def check_on(session: Session, req: Request, on: dt.date, today: dt.date) -> None:
    if on > today:
        raise RuleError("requests.future_date", date=on.isoformat())
    previous = last_on(session, req)
    if on < previous:
        raise RuleError("requests.before_previous", date=on.isoformat(), previous=previous.isoformat())


def required_text(value: str, key: str) -> str:
    text = (value or "").strip()
    if not text:
        raise RuleError(key)
    return text[:500]


def choice(kind: type[E], value: str) -> E:
    try:
        return kind(value)
    except ValueError:
        raise RuleError("requests.bad_value", value=value,
                        allowed="、".join(label(v) for v in kind)) from None


def unit_for(session: Session, code: str, req: Request) -> Unit:
    """An active unit that may receive this request: one of its community, or one above communities."""
    unit = session.execute(sa.select(Unit).where(col(Unit.code) == code.strip())).scalar_one_or_none()
    if unit is None:
        raise RuleError("requests.unknown_unit", code=code)
    if not unit.is_active:
        raise RuleError("requests.inactive_unit", unit=unit.name)
    if unit.community_id is not None and unit.community_id != req.community_id:
        raise RuleError("requests.unit_other_community", unit=unit.name, code=req.code)
    return unit


def support_ids(session: Session, codes: Sequence[str], req: Request, lead: Unit) -> list[int]:
    ids: list[int] = []
    for code in codes:
        unit = unit_for(session, code, req)
        assert unit.id is not None
        if unit.id == lead.id:
            raise RuleError("requests.support_is_lead", unit=unit.name)
        if unit.id not in ids:
            ids.append(unit.id)
    return ids


def parent(session: Session, unit_id: int | None) -> Unit | None:
    """The active unit that receives `unit_id`'s escalations, if there is one."""
    if unit_id is None:
        return None
    parent_id = session.execute(sa.select(col(Unit.parent_id)).where(col(Unit.id) == unit_id)).scalar_one_or_none()
    parent = session.get(Unit, parent_id) if parent_id is not None else None
    return parent if parent is not None and parent.is_active else None


def withdrawn_codes(session: Session, day: dt.date) -> list[str]:
    """The codes of requests captured on `day` and withdrawn (撤销上一条, services/capture.py): never given again,
    as a code read out on air must name one request. A withdrawal is made on the day of its capture, so only the
    audit entries around that day are read (by the index on their time; a day each side for the stored zone)."""
    around = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    log = audit.TABLE
    return list(session.execute(sa.select(log.c.entity_id).where(
        log.c.at >= around - dt.timedelta(days=1), log.c.at < around + dt.timedelta(days=2),
        log.c.action == "withdraw", log.c.entity == "request")).scalars())


# --- writing -------------------------------------------------------------------------------------------------------

@dataclass
class Step:
    """One entry of the history a move writes (a move may write two: a return that escalates)."""

    move: RequestMove
    from_status: RequestStatus | None
    to_status: RequestStatus
    from_unit_id: int | None = None
    to_unit_id: int | None = None
    reason_code: ReturnReason | None = None
    note: str = ""


def write(session: Session, req: Request, *, seen: int, values: Mapping[str, Any], steps: Sequence[Step],
           actor: Principal, on: dt.date, supports: Sequence[int] | None = None, audit_now: bool = True,
           ) -> dict[str, Any]:
    """The compare-and-set: changes the row only if it still has version `seen` and its status; then the history.

    Returns the audit entry (recorded here unless `audit_now` is False: escalate_overdue records them at the end,
    after all its row updates, so it never waits for a row while holding the audit lock)."""
    conn = session.connection()
    assert req.id is not None
    from_status = S(req.status)
    # The requests import's lock: an import checks its rows and writes them under it, so a move cannot slip in
    # between and be overwritten (the import sees it and refuses; or the move sees the import's new version).
    locks.serialise(conn, "import:requests")
    result = conn.execute(TABLE.update()
                          .where(TABLE.c.id == req.id, TABLE.c.version == seen, TABLE.c.status == from_status)
                          .values(**values, version=TABLE.c.version + 1))
    if result.rowcount != 1:
        raise changed(session, req)
    request_stats.touch(session, req.community_id, req.quarter)      # recounted when the session commits
    before = {k: plain(getattr(req, k)) for k in values} | {"version": seen}
    for key, value in values.items():
        set_committed_value(req, key, value)
    set_committed_value(req, "version", seen + 1)
    if supports is not None:
        conn.execute(SUPPORT.delete().where(SUPPORT.c.request_id == req.id))
        if supports:
            conn.execute(SUPPORT.insert(), [{"request_id": req.id, "unit_id": u} for u in supports])
    for step in steps:
        conn.execute(EVENTS.insert().values(
            request_id=req.id, move=step.move, from_status=step.from_status, to_status=step.to_status, on=on,
            actor=actor.username, from_unit_id=step.from_unit_id, to_unit_id=step.to_unit_id,
            reason_code=step.reason_code, note=step.note))
    after = {k: plain(v) for k, v in values.items()} | {"version": seen + 1, "on": on.isoformat(),
                                                           "moves": [str(s.move) for s in steps]}
    entry: dict[str, Any] = {"actor": actor.username, "action": str(steps[0].move), "entity": "request",
                             "entity_id": req.code, "before": before, "after": after}
    if audit_now:
        audit.record(conn, **entry)
    return entry


def plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else (str(value) if value is not None else None)


def new_deadline(session: Session, req: Request, on: dt.date) -> dt.date:
    calendar = workdays.load(session.connection())
    return deadlines.deadline_for(calendar, on, deadlines.sla_days(session, req.priority))
