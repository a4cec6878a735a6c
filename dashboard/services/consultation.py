"""五步协商法 (paper 001 §6.2.3): a neighbourhood dispute settled by the parties concerned, then supervised.

问题收集 (open_case) → 主体邀请 (invite) → 协商会议 (hold_meeting) → 解决方案 (agree) → 执行监督 (supervise), then the
governance group's weekly checks and the residents' monthly feedback (record_check) until the case closes (close),
closing the requests it settles. Steps go in order; nothing is skipped.

Every write names the case's version the user saw; the UPDATE checks it and the step the move starts from, so of two
people at once exactly one wins and the other is told (consultation.changed_meanwhile). Each write appends a
case_event and, after the row writes, an audit entry. A request taken into a case moves 已分类 → 办理中 (consult)
through the request lifecycle's own compare-and-set writer (request_steps.write), so its version, history, audit and
the request figures stay right; of two cases opened on one request at once, that write lets exactly one win.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from dashboard import access, audit, locks
from dashboard.access import Action
from dashboard.accounts import Principal
from dashboard.i18n import label
from dashboard.services import request_steps as core
from dashboard.services.errors import RuleError
from data_models import CaseCheck, CaseEvent, CaseParty, CaseRequest, ConsultationCase, Request
from data_models.base import table_of
from data_models.enums import (
    CaseCheckKind,
    CasePartyKind,
    CaseStep,
    RequestCategory,
    RequestMove,
    RequestOutcome,
    RequestStatus,
)

CASES = table_of(ConsultationCase)
PARTIES = table_of(CaseParty)
LINKS = table_of(CaseRequest)
CHECKS = table_of(CaseCheck)
EVENTS = table_of(CaseEvent)
REQUESTS = table_of(Request)
S = RequestStatus
# Neighbourhood disputes (paper 001 §6.2.3 names exactly these two): parcels stacked at the door and livestream noise
# at night are between neighbours and practitioners, not for a department. The page offers these first; a request of
# another category is taken into a case only when the user confirms it (`confirm_other`).
DISPUTES = (RequestCategory.parcel_stacking, RequestCategory.livestream_noise)
ORDER = (CaseStep.collection, CaseStep.invitation, CaseStep.meeting, CaseStep.solution, CaseStep.supervision,
         CaseStep.closed)
OPEN_STEPS = ORDER[:-1]


# --- reading and checking ------------------------------------------------------------------------------------------

def load(session: Session, code: str) -> ConsultationCase:
    case = session.execute(sa.select(ConsultationCase).where(col(ConsultationCase.code) == code.strip())
                           .execution_options(populate_existing=True)).scalar_one_or_none()
    if case is None:
        raise RuleError("consultation.unknown", code=code)
    return case


def _changed(session: Session, case: ConsultationCase) -> RuleError:
    now = session.connection().execute(sa.select(CASES.c.step).where(CASES.c.id == case.id)).scalar()
    return RuleError("consultation.changed_meanwhile", code=case.code,
                     current=label(CaseStep(now)) if now is not None else "—")


def _start(session: Session, code: str, version: int, *starts: CaseStep) -> ConsultationCase:
    """The case, if the user saw its current version and it is at a step the move starts from.

    Under the case's lock, taken first: of two moves at once the second waits, then reads the case as the first
    left it and is told it changed (without the lock it could read the old case but the first's new events, and be
    told something else, such as a date before the last step)."""
    locks.serialise(session.connection(), f"case:{code.strip()}")
    case = load(session, code)
    if case.version != version:
        raise _changed(session, case)
    if CaseStep(case.step) not in starts:
        raise RuleError("consultation.wrong_step", code=case.code, current=label(CaseStep(case.step)),
                        allowed="、".join(label(s) for s in starts))
    return case


def _last_on(session: Session, case: ConsultationCase) -> dt.date:
    last = session.execute(sa.select(sa.func.max(EVENTS.c.on)).where(EVENTS.c.case_id == case.id)).scalar()
    return max(last or case.opened_on, case.opened_on)


def _check_on(session: Session, case: ConsultationCase, on: dt.date, today: dt.date) -> None:
    if on > today:
        raise RuleError("consultation.future_date", date=on.isoformat())
    previous = _last_on(session, case)
    if on < previous:
        raise RuleError("consultation.before_previous", date=on.isoformat(), previous=previous.isoformat())


def _text(value: str, key: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise RuleError(key)
    return text[:limit]


def measure_lines(measures: str) -> list[str]:
    """The agreed measures, one per line, blank lines dropped."""
    return [line.strip() for line in (measures or "").splitlines() if line.strip()]


def _requests(session: Session, codes: Sequence[str], community_id: int | None, versions: Sequence[int],
              confirm_other: bool) -> list[tuple[Request, int]]:
    wanted = [c.strip() for c in codes if c and c.strip()]
    if not wanted:
        raise RuleError("consultation.no_requests")
    if len(versions) != len(wanted):
        raise RuleError("consultation.versions_mismatch")
    if len(set(wanted)) != len(wanted):
        raise RuleError("consultation.duplicate_request")
    out: list[tuple[Request, int]] = []
    for code, seen in zip(wanted, versions, strict=True):
        req = core.load(session, code)
        if community_id is not None and req.community_id != community_id:
            raise RuleError("consultation.other_community", code=req.code)
        community_id = req.community_id
        taken = session.execute(sa.select(CASES.c.code).join(LINKS, LINKS.c.case_id == CASES.c.id)
                                .where(LINKS.c.request_id == req.id)).scalar()
        if taken is not None:
            raise RuleError("consultation.request_in_case", code=req.code, case=taken)
        if req.version != seen:
            raise core.changed(session, req)
        if S(req.status) != S.classified:
            raise RuleError("consultation.request_not_classified", code=req.code, current=label(S(req.status)))
        if RequestCategory(req.category) not in DISPUTES and not confirm_other:
            raise RuleError("consultation.not_dispute", code=req.code, category=label(RequestCategory(req.category)))
        out.append((req, seen))
    return out


def _take(session: Session, case: ConsultationCase, taken: list[tuple[Request, int]], actor: Principal,
          on: dt.date, today: dt.date) -> list[dict[str, Any]]:
    """Link the requests to the case and move each 已分类 → 办理中 (consult); their audit entries are returned, to be
    recorded after every row write."""
    entries = []
    for req, seen in taken:
        core.check_on(session, req, on, today)
        # Taking it into a case is its response (响应率 counts from the first 转办 or this); a case has no deadline.
        values = {"status": S.in_progress, "first_routed_on": req.first_routed_on or on}
        entries.append(core.write(session, req, seen=seen, values=values, actor=actor, on=on,
                                  audit_now=False,
                                  steps=[core.Step(RequestMove.consult, S.classified, S.in_progress,
                                                   note=case.code)]))
        session.connection().execute(LINKS.insert().values(case_id=case.id, request_id=req.id))
    return entries


def _move(session: Session, case: ConsultationCase, *, seen: int, values: dict[str, Any], to_step: CaseStep,
          actor: Principal, on: dt.date, note: str = "", action: str,
          before_audit: Sequence[dict[str, Any]] = ()) -> None:
    """The compare-and-set of a case: its row only if it still has version `seen` and its step; then its event and
    the audit entries (those of the requests it moved first, then the case's own)."""
    conn = session.connection()
    from_step = CaseStep(case.step)
    result = conn.execute(CASES.update().where(CASES.c.id == case.id, CASES.c.version == seen,
                                               CASES.c.step == from_step)
                          .values(**values, step=to_step, version=CASES.c.version + 1))
    if result.rowcount != 1:
        raise _changed(session, case)
    conn.execute(EVENTS.insert().values(case_id=case.id, from_step=from_step, to_step=to_step, on=on,
                                        actor=actor.username, note=note[:500]))
    before = {k: core.plain(getattr(case, k)) for k in values} | {"step": str(from_step), "version": seen}
    after = {k: core.plain(v) for k, v in values.items()} | {"step": str(to_step), "version": seen + 1,
                                                              "on": on.isoformat()}
    for entry in before_audit:
        audit.record(conn, **entry)
    audit.record(conn, actor=actor.username, action=action, entity="consultation_case", entity_id=case.code,
                 before=before, after=after)
    for key, value in values.items():
        set_committed_value(case, key, value)
    set_committed_value(case, "step", to_step)
    set_committed_value(case, "version", seen + 1)


# --- the moves -----------------------------------------------------------------------------------------------------

def open_case(session: Session, *, request_codes: Sequence[str], versions: Sequence[int], title: str,
              summary: str, actor: Principal, on: dt.date, today: dt.date,
              confirm_other: bool = False) -> ConsultationCase:
    """问题收集: a case over 已分类 requests of one community, none in another case; each moves to 办理中 (consult).
    Requests outside the dispute categories need `confirm_other`. The code is CS + the day + a running number."""
    access.require(actor.role, Action.case_write)
    name = _text(title, "consultation.title_required", 200)
    if on > today:
        raise RuleError("consultation.future_date", date=on.isoformat())
    taken = _requests(session, request_codes, None, versions, confirm_other)
    prefix = f"CS{on:%Y%m%d}"
    locks.serialise(session.connection(), f"case_code:{prefix}")
    used = session.execute(sa.select(col(ConsultationCase.code))
                           .where(col(ConsultationCase.code).startswith(prefix))).scalars()
    n = max((int(c[len(prefix):]) for c in used if c[len(prefix):].isdigit()), default=0)
    case = ConsultationCase(code=f"{prefix}{n + 1:02d}", community_id=taken[0][0].community_id, title=name,
                            opened_on=on, opened_by=actor.username, summary=(summary or "").strip()[:1000])
    session.add(case)
    session.flush()
    entries = _take(session, case, taken, actor, on, today)
    conn = session.connection()
    conn.execute(EVENTS.insert().values(case_id=case.id, from_step=None, to_step=CaseStep.collection, on=on,
                                        actor=actor.username, note=""))
    for entry in entries:
        audit.record(conn, **entry)
    audit.record(conn, actor=actor.username, action="open", entity="consultation_case", entity_id=case.code,
                 after={"code": case.code, "title": name, "step": str(CaseStep.collection), "on": on.isoformat(),
                        "requests": [r.code for r, _ in taken]})
    return case


def add_requests(session: Session, code: str, *, version: int, request_codes: Sequence[str],
                 versions: Sequence[int], actor: Principal, on: dt.date, today: dt.date,
                 confirm_other: bool = False) -> ConsultationCase:
    """More 已分类 requests of the case's community taken into an open case (办理中, consult)."""
    access.require(actor.role, Action.case_write)
    case = _start(session, code, version, *OPEN_STEPS)
    _check_on(session, case, on, today)
    taken = _requests(session, request_codes, case.community_id, versions, confirm_other)
    entries = _take(session, case, taken, actor, on, today)
    _move(session, case, seen=version, values={}, to_step=CaseStep(case.step), actor=actor, on=on,
          note="、".join(r.code for r, _ in taken), action="add_requests", before_audit=entries)
    return case


def invite(session: Session, code: str, *, version: int, parties: Sequence[tuple[str, str]], actor: Principal,
           on: dt.date, today: dt.date) -> ConsultationCase:
    """问题收集 → 主体邀请: the parties invited (kind, name), e.g. the property management, the practitioners
    concerned, resident representatives."""
    access.require(actor.role, Action.case_write)
    case = _start(session, code, version, CaseStep.collection)
    rows = []
    for kind, name in parties:
        if not (name or "").strip():
            continue
        try:
            party_kind = CasePartyKind(kind)
        except ValueError:
            raise RuleError("consultation.bad_party_kind", value=kind,
                            allowed="、".join(label(k) for k in CasePartyKind)) from None
        rows.append({"case_id": case.id, "kind": party_kind, "name": name.strip()[:100], "invited_on": on})
    names = "、".join(f"{label(r['kind'])}：{r['name']}" for r in rows if isinstance(r["kind"], CasePartyKind))
    if not rows:
        raise RuleError("consultation.parties_required")
    _check_on(session, case, on, today)
    session.connection().execute(PARTIES.insert(), rows)
    _move(session, case, seen=version, values={}, to_step=CaseStep.invitation, actor=actor, on=on, action="invite",
          note=names)
    return case


def hold_meeting(session: Session, code: str, *, version: int, place: str, record: str, attended: Sequence[int],
                 actor: Principal, on: dt.date, today: dt.date) -> ConsultationCase:
    """主体邀请 → 协商会议: where and when the parties met, the record of what each said, who came (party ids)."""
    access.require(actor.role, Action.case_write)
    case = _start(session, code, version, CaseStep.invitation)
    text = _text(record, "consultation.record_required", 20_000)
    invited = set(session.execute(sa.select(PARTIES.c.id).where(PARTIES.c.case_id == case.id)).scalars())
    came = set(attended)
    if not came:
        raise RuleError("consultation.attended_required")
    if not came <= invited:
        raise RuleError("consultation.not_invited")
    _check_on(session, case, on, today)
    session.connection().execute(PARTIES.update().where(PARTIES.c.case_id == case.id)
                                 .values(attended=PARTIES.c.id.in_(sorted(came))))
    _move(session, case, seen=version, to_step=CaseStep.meeting, actor=actor, on=on, action="hold_meeting",
          values={"meeting_on": on, "meeting_place": (place or "").strip()[:200], "meeting_record": text})
    return case


def agree(session: Session, code: str, *, version: int, measures: str, actor: Principal, on: dt.date,
          today: dt.date) -> ConsultationCase:
    """协商会议 → 解决方案: the measures the parties agreed, one per line."""
    access.require(actor.role, Action.case_write)
    case = _start(session, code, version, CaseStep.meeting)
    lines = measure_lines(measures)
    if not lines:
        raise RuleError("consultation.measures_required")
    _check_on(session, case, on, today)
    _move(session, case, seen=version, to_step=CaseStep.solution, actor=actor, on=on, action="agree",
          values={"measures": "\n".join(lines)})
    return case


def supervise(session: Session, code: str, *, version: int, actor: Principal, on: dt.date,
              today: dt.date) -> ConsultationCase:
    """解决方案 → 执行监督: from `on` a weekly check and a monthly feedback are due."""
    access.require(actor.role, Action.case_write)
    case = _start(session, code, version, CaseStep.solution)
    _check_on(session, case, on, today)
    _move(session, case, seen=version, to_step=CaseStep.supervision, actor=actor, on=on, action="supervise",
          values={"supervision_from": on})
    return case


def record_check(session: Session, code: str, *, version: int, kind: str, holds: bool, note: str,
                 actor: Principal, on: dt.date, today: dt.date) -> ConsultationCase:
    """执行监督: the governance group's weekly check (do the measures hold?) or the residents' monthly feedback (are
    they satisfied?), dated, not in the future and not before supervision began. A "no" needs a note."""
    access.require(actor.role, Action.case_write)
    case = _start(session, code, version, CaseStep.supervision)
    try:
        check_kind = CaseCheckKind(kind)
    except ValueError:
        raise RuleError("consultation.bad_check_kind", value=kind,
                        allowed="、".join(label(k) for k in CaseCheckKind)) from None
    text = (note or "").strip()[:500]
    if not holds and not text:
        raise RuleError("consultation.check_note_required")
    if on > today:
        raise RuleError("consultation.future_date", date=on.isoformat())
    assert case.supervision_from is not None
    if on < case.supervision_from:
        raise RuleError("consultation.check_before_supervision", date=on.isoformat(),
                        start=case.supervision_from.isoformat())
    session.connection().execute(CHECKS.insert().values(case_id=case.id, kind=check_kind, on=on, holds=holds,
                                                        note=text, actor=actor.username))
    verdict = "✓" if holds else "✗"
    _move(session, case, seen=version, values={}, to_step=CaseStep.supervision, actor=actor, on=on,
          action="record_check", note=f"{label(check_kind)} {verdict} {text}".strip())
    return case


def close_blocker(session: Session, case_id: int) -> RuleError | None:
    """Why a supervised case may not close yet: it needs at least one weekly check and one monthly feedback, and the
    latest of each must say the measures hold / the residents are satisfied. None when it may close."""
    for kind in CaseCheckKind:
        latest = session.execute(sa.select(CHECKS.c.holds).where(CHECKS.c.case_id == case_id, CHECKS.c.kind == kind)
                                 .order_by(CHECKS.c.on.desc(), CHECKS.c.id.desc()).limit(1)).first()
        if latest is None:
            return RuleError("consultation.close_needs_check", kind=label(kind))
        if not latest.holds:
            return RuleError("consultation.close_latest_fails", kind=label(kind))
    return None


def close(session: Session, code: str, *, version: int, note: str, actor: Principal, on: dt.date,
          today: dt.date) -> ConsultationCase:
    """执行监督 → closed, with a note saying why, once the latest weekly check and the latest monthly feedback both
    held. Every linked request
    still 办理中 closes with it: 办理中 → 已办结 (finish, solved, the measures as its resolution) → 已关闭 (close), two
    moves of the request as the request page would make them (no report-back or callback: the case's checks and the
    residents' feedback took their place).
    A linked request someone moved on by itself meanwhile (already 已办结 or later) is left as it is."""
    access.require(actor.role, Action.case_write)
    case = _start(session, code, version, CaseStep.supervision)
    text = _text(note, "consultation.close_note_required", 500)     # why it may close: read out, and in the record
    blocker = close_blocker(session, case.id or 0)
    if blocker is not None:
        raise blocker
    _check_on(session, case, on, today)
    resolution = "；".join(measure_lines(case.measures))[:500] or case.title
    linked = session.execute(sa.select(REQUESTS.c.code).join(LINKS, LINKS.c.request_id == REQUESTS.c.id)
                             .where(LINKS.c.case_id == case.id).order_by(REQUESTS.c.id)).scalars().all()
    entries = []
    for request_code in linked:
        req = core.load(session, request_code)
        if S(req.status) != S.in_progress:
            continue
        core.check_on(session, req, on, today)
        finished = {"status": S.resolved, "outcome": RequestOutcome.solved, "resolution": resolution,
                    "resolved_on": on, "unreasonable_by": None}
        entries.append(core.write(session, req, seen=req.version, values=finished, actor=actor, on=on,
                                  audit_now=False,
                                  steps=[core.Step(RequestMove.finish, S.in_progress, S.resolved, note=case.code)]))
        entries.append(core.write(session, req, seen=req.version, values={"status": S.closed, "closed_on": on},
                                  actor=actor, on=on, audit_now=False,
                                  steps=[core.Step(RequestMove.close, S.resolved, S.closed, note=case.code)]))
    _move(session, case, seen=version, to_step=CaseStep.closed, actor=actor, on=on, action="close",
          values={"closed_on": on, "close_note": text}, note=text,
          before_audit=entries)
    return case


def next_steps(step: CaseStep | str) -> list[str]:
    """What the page offers at this step: the next step's form (and, in supervision, checks and closing)."""
    return {CaseStep.collection: ["invite"], CaseStep.invitation: ["hold_meeting"],
            CaseStep.meeting: ["agree"], CaseStep.solution: ["supervise"],
            CaseStep.supervision: ["record_check", "close"], CaseStep.closed: []}[CaseStep(step)]
