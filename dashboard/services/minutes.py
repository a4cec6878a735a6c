"""会议纪要: assembling the minutes from the meeting's rows, and their lifecycle draft -> circulated -> locked (会签).

Circulating stores the assembled content's canonical JSON as `minutes_text`; that text is what each party signs (the
signature keeps its SHA-256). Re-assembling during the amendment window changes the text and voids the signatures
collected so far. The fourth party's signature locks the minutes in the same transaction: the text's hash goes into
the meeting and into the audit chain (`minutes_lock`), so `audit verify` finds locked minutes edited in the database.
Every move takes the meeting's write lock first (see meetings.begin), so two parties signing at once both land and
the minutes lock exactly once. The caller commits.
"""

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from dashboard import audit
from dashboard.access import MEETING_PARTIES, Action
from dashboard.accounts import Principal
from dashboard.i18n import label, t
from dashboard.queries.meetings import carried_over
from dashboard.services import meetings as svc
from dashboard.services.errors import RuleError
from dashboard.services.meeting_types import (
    MinutesAction,
    MinutesAttendance,
    MinutesContent,
    MinutesDecision,
    MinutesItem,
    iso,
    text_sha256,
)
from data_models import AuditLog, Community, MinutesAddendum, MinutesSignature
from data_models.base import table_of
from data_models.core import utcnow
from data_models.enums import MinutesStatus

SIG = table_of(MinutesSignature)
ADD = table_of(MinutesAddendum)
C = table_of(Community)
LOG = table_of(AuditLog)
MAX_ADDENDUM = 5000
KIND_ORDER = {k: i for i, k in enumerate((*MEETING_PARTIES, "cooperative", "other"))}


def _action(row: Any, meeting_code: str = "", days_overdue: int = 0) -> MinutesAction:
    return MinutesAction(code=row.code, title=row.title, owner_party=row.owner_party, owner_person=row.owner_person,
                         due_on=str(iso(row.due_on)), status=str(row.status),
                         done_on=None if row.done_on is None else str(iso(row.done_on)),
                         meeting_code=meeting_code, days_overdue=int(days_overdue), note=row.note or "")


def assemble(session: Session, *, meeting_id: int, today: dt.date, now: dt.datetime) -> MinutesContent:
    """The minutes as the rows say now: attendance by party, items with their decisions (provisional when the
    meeting is not quorate), this meeting's actions, the open actions carried over, and the previous locked hash."""
    conn = session.connection()
    m = svc.meeting_row(conn, meeting_id)
    community = conn.execute(sa.select(C.c.name).where(C.c.id == m.community_id)).scalar_one()
    att = sorted(conn.execute(sa.select(svc.ATT, svc.P.c.name, svc.P.c.kind, svc.P.c.code)
                              .join(svc.P, svc.P.c.id == svc.ATT.c.party_id)
                              .where(svc.ATT.c.meeting_id == meeting_id)),
                 key=lambda r: (KIND_ORDER.get(str(r.kind), 9), r.code))
    q = svc.quorum((str(r.kind), str(r.status), r.deputy) for r in att)
    decisions = list(conn.execute(sa.select(svc.DEC).where(svc.DEC.c.meeting_id == meeting_id)
                                  .order_by(svc.DEC.c.id)))
    items_rows = list(conn.execute(sa.select(svc.AG, svc.P.c.name.label("presenter"))
                                   .outerjoin(svc.P, svc.P.c.id == svc.AG.c.presenter_party_id)
                                   .where(svc.AG.c.meeting_id == meeting_id).order_by(svc.AG.c.order_no)))

    def decided(item_id: int | None) -> tuple[MinutesDecision, ...]:
        return tuple(MinutesDecision(d.code, d.text, not q.quorate) for d in decisions if d.agenda_item_id == item_id)

    items = [MinutesItem(order_no=i.order_no, title=i.title, presenter=i.presenter or "", minutes=i.minutes,
                         source=str(i.source), notes=i.notes or "", decisions=decided(i.id)) for i in items_rows]
    loose = decided(None)
    if loose:      # decisions recorded without an item: listed after the agenda
        items.append(MinutesItem(order_no=len(items) + 1, title=t("minutes.other_decisions"), presenter="",
                                 minutes=0, source="manual", notes="", decisions=loose))
    own = conn.execute(sa.select(svc.X, svc.P.c.name.label("owner_party"))
                       .join(svc.P, svc.P.c.id == svc.X.c.owner_party_id)
                       .where(svc.X.c.meeting_id == meeting_id).order_by(svc.X.c.code))
    carried = carried_over(conn, meeting_id=meeting_id, today=today)
    previous = conn.execute(sa.select(svc.M.c.minutes_sha256)
                            .where(svc.M.c.community_id == m.community_id, svc.M.c.held_on < m.held_on,
                                   svc.M.c.minutes_status == MinutesStatus.locked)
                            .order_by(svc.M.c.held_on.desc(), svc.M.c.id.desc()).limit(1)).scalar()
    return MinutesContent(
        meeting_code=m.code, title=m.title, community=community, held_on=str(iso(m.held_on)),
        starts_at=m.starts_at, location=m.location, quorate=q.quorate,
        attendance=tuple(MinutesAttendance(r.name, str(r.kind), str(r.status), r.attendees, r.deputy) for r in att),
        items=tuple(items), actions=tuple(_action(r, m.code) for r in own),
        carried=tuple(_action(r, r.meeting_code, r.days_overdue) for r in carried.itertuples(index=False)),
        distribution=tuple(r.name for r in att), previous_sha256=previous,
        assembled_at=now.astimezone(dt.UTC).isoformat())


def content_of(session: Session, *, meeting_id: int, today: dt.date, now: dt.datetime) -> MinutesContent:
    """What was circulated (and signed, once locked); the live assembly while in draft."""
    m = svc.meeting_row(session.connection(), meeting_id)
    if m.minutes_status != MinutesStatus.draft and m.minutes_text:
        return MinutesContent.from_json(m.minutes_text)
    return assemble(session, meeting_id=meeting_id, today=today, now=now)


def circulate(session: Session, *, meeting_id: int, version: int, amend_until: dt.date, actor: Principal,
              today: dt.date) -> None:
    """draft -> circulated, open for amendment until `amend_until` (today at the earliest)."""
    conn, m = svc.begin(session, meeting_id, version, actor, None)
    if m.minutes_status != MinutesStatus.draft:
        raise RuleError("minutes.not_draft", meeting=m.code, state=label(MinutesStatus(m.minutes_status)))
    if amend_until < today:
        raise RuleError("minutes.window_past", date=amend_until.isoformat(), today=today.isoformat())
    at = utcnow()
    text = assemble(session, meeting_id=meeting_id, today=today, now=at).to_json()
    new_version = svc.bump(conn, m, minutes_status=MinutesStatus.circulated, amend_until=amend_until,
                           circulated_at=at, minutes_text=text)
    audit.record(conn, actor=actor.username, action="minutes_circulate", entity="meeting", entity_id=m.code,
                 before={"minutes_status": m.minutes_status, "version": m.version},
                 after={"minutes_status": MinutesStatus.circulated.value, "amend_until": amend_until.isoformat(),
                        "sha256": text_sha256(text), "version": new_version})


def reassemble(session: Session, *, meeting_id: int, version: int, actor: Principal, today: dt.date,
               now: dt.datetime) -> int:
    """Re-assemble circulated minutes after amendments (window open); the signatures so far are voided (they signed
    another text). Returns how many were voided."""
    conn, m = svc.begin(session, meeting_id, version, actor, today)
    if m.minutes_status != MinutesStatus.circulated:
        raise RuleError("minutes.not_circulated", meeting=m.code, state=label(MinutesStatus(m.minutes_status)))
    new_version = svc.bump(conn, m)
    return refresh(session, conn, meeting_id=m.id, code=m.code, version=new_version, old_text=m.minutes_text,
                   actor=actor, today=today, now=now)


def refresh(session: Session, conn: Connection, *, meeting_id: int, code: str, version: int, old_text: str | None,
            actor: Principal, today: dt.date, now: dt.datetime) -> int:
    """The circulated text assembled again from the rows, the signatures so far voided (they signed another text),
    under the meeting's lock and at its `version` (the caller bumped it). Returns how many were voided."""
    signed = _signatures(conn, meeting_id)
    text = assemble(session, meeting_id=meeting_id, today=today, now=now).to_json()
    conn.execute(SIG.delete().where(SIG.c.meeting_id == meeting_id))
    result = conn.execute(svc.M.update().where(svc.M.c.id == meeting_id, svc.M.c.version == version)
                          .values(minutes_text=text))
    if result.rowcount != 1:
        raise svc.changed(conn, code)
    audit.record(conn, actor=actor.username, action="minutes_reassemble", entity="meeting", entity_id=code,
                 before={"sha256": text_sha256(old_text or ""), "signatures": "、".join(signed),
                         "version": version - 1},
                 after={"sha256": text_sha256(text), "voided": len(signed), "version": version})
    return len(signed)


def _signatures(conn: Connection, meeting_id: int) -> list[str]:
    rows = conn.execute(sa.select(svc.P.c.name, SIG.c.signed_by).join(svc.P, svc.P.c.id == SIG.c.party_id)
                        .where(SIG.c.meeting_id == meeting_id).order_by(svc.P.c.code))
    return [f"{r.name}:{r.signed_by}" for r in rows]


def sign(session: Session, *, meeting_id: int, version: int, actor: Principal, today: dt.date,
         now: dt.datetime) -> bool:
    """会签 for the account's own party: only circulated minutes (within or after the window), one signature per
    party. Signing does not change the meeting's version (two parties sign at once); the fourth locks the minutes.
    Returns True when this signature locked them."""
    conn, m = svc.begin(session, meeting_id, version, actor, None, Action.minutes_sign)
    if m.minutes_status != MinutesStatus.circulated:
        raise RuleError("minutes.not_circulated", meeting=m.code, state=label(MinutesStatus(m.minutes_status)))
    party = None if actor.party_id is None else conn.execute(
        sa.select(svc.P.c.id, svc.P.c.name, svc.P.c.kind, svc.P.c.community_id)
        .where(svc.P.c.id == actor.party_id)).one_or_none()
    if party is None or party.community_id != m.community_id or str(party.kind) not in MEETING_PARTIES:
        raise RuleError("minutes.not_a_signing_party", meeting=m.code, user=actor.username)
    if conn.execute(sa.select(SIG.c.signed_by).where(SIG.c.meeting_id == meeting_id,
                                                     SIG.c.party_id == party.id)).first() is not None:
        raise RuleError("minutes.already_signed", meeting=m.code, party=party.name)
    digest = text_sha256(m.minutes_text or "")
    conn.execute(SIG.insert().values(meeting_id=meeting_id, party_id=party.id, signed_by=actor.username,
                                     signed_at=now, sha256=digest))
    audit.record(conn, actor=actor.username, action="minutes_sign", entity="minutes_signature", entity_id=m.code,
                 after={"party": party.name, "sha256": digest})
    kinds = set(conn.execute(sa.select(svc.P.c.kind).join(SIG, SIG.c.party_id == svc.P.c.id)
                             .where(SIG.c.meeting_id == meeting_id)).scalars())
    if not all(k in {str(x) for x in kinds} for k in MEETING_PARTIES):
        return False
    svc.bump(conn, m, minutes_status=MinutesStatus.locked, locked_at=now, minutes_sha256=digest)
    audit.record(conn, actor=actor.username, action="minutes_lock", entity="meeting", entity_id=m.code,
                 before={"minutes_status": MinutesStatus.circulated.value},
                 after={"minutes_status": MinutesStatus.locked.value, "sha256": digest,
                        "signatures": _signatures(conn, meeting_id)})
    return True


def add_addendum(session: Session, *, meeting_id: int, text: str, actor: Principal, now: dt.datetime) -> int:
    """A correction to locked minutes, numbered 1..n; its hash goes into the audit chain. Returns its number."""
    conn, m = svc.begin(session, meeting_id, None, actor, None)
    if m.minutes_status != MinutesStatus.locked:
        raise RuleError("minutes.addendum_not_locked", meeting=m.code, state=label(MinutesStatus(m.minutes_status)))
    body = (text or "").strip()
    if not body:
        raise RuleError("minutes.addendum_empty", meeting=m.code)
    if len(body) > MAX_ADDENDUM:
        raise RuleError("minutes.addendum_too_long", n=len(body), max=MAX_ADDENDUM)
    no = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(ADD.c.no), 0))
                          .where(ADD.c.meeting_id == meeting_id)).scalar_one()) + 1
    digest = text_sha256(body)
    conn.execute(ADD.insert().values(meeting_id=meeting_id, no=no, text=body, sha256=digest,
                                     created_by=actor.username, created_at=now))
    audit.record(conn, actor=actor.username, action="minutes_addendum", entity="minutes_addendum",
                 entity_id=f"{m.code}/{no}", after={"no": no, "sha256": digest})
    return no


def _audited(conn: Connection, action: str) -> dict[str, list[dict[str, Any]]]:
    """The `after` of every audit entry of `action`, by entity_id."""
    out: dict[str, list[dict[str, Any]]] = {}
    for entity_id, after in conn.execute(sa.select(LOG.c.entity_id, LOG.c.after).where(LOG.c.action == action)
                                         .order_by(LOG.c.id)):
        try:
            body = json.loads(after or "{}")
        except ValueError:
            body = {}
        out.setdefault(str(entity_id), []).append(body if isinstance(body, dict) else {})
    return out


def verify_minutes(conn: Connection) -> list[str]:
    """Codes of meetings whose signed minutes differ from what the audit chain recorded when they were locked:
    - a locked meeting whose text no longer hashes to minutes_sha256, or whose minutes_lock entry carries another
      hash or other signatures than those stored now, or that has no such entry;
    - a meeting with a minutes_lock entry that is no longer locked (set back to draft or circulated: editable);
    - an addendum whose text no longer hashes to what its minutes_addendum entry says, or that has no entry, or an
      entry whose addendum is gone.
    The audit chain itself is checked by audit.verify; the two together are `python -m dashboard audit verify`."""
    locks = _audited(conn, "minutes_lock")
    addenda = _audited(conn, "minutes_addendum")
    bad: set[str] = set()
    rows = conn.execute(sa.select(svc.M.c.id, svc.M.c.code, svc.M.c.minutes_status, svc.M.c.minutes_text,
                                  svc.M.c.minutes_sha256)
                        .where(sa.or_(svc.M.c.minutes_status == MinutesStatus.locked,
                                      svc.M.c.code.in_(list(locks)) if locks else sa.false())))
    for mid, code, status, text, digest in rows:
        entries = locks.get(code, [])
        if status != MinutesStatus.locked or len(entries) != 1 or text is None:
            bad.add(code)
            continue
        entry = entries[0]
        if text_sha256(text) != digest or entry.get("sha256") != digest \
                or entry.get("signatures") != _signatures(conn, mid):
            bad.add(code)
    codes = dict(conn.execute(sa.select(svc.M.c.id, svc.M.c.code)
                              .where(svc.M.c.id.in_(sa.select(ADD.c.meeting_id)))).all())
    seen: set[str] = set()
    for meeting_id, no, text, digest in conn.execute(sa.select(ADD.c.meeting_id, ADD.c.no, ADD.c.text, ADD.c.sha256)):
        key = f"{codes[meeting_id]}/{no}"
        seen.add(key)
        entries = addenda.get(key, [])
        if len(entries) != 1 or text_sha256(text) != digest or entries[0].get("sha256") != digest:
            bad.add(codes[meeting_id])
    for key in set(addenda) - seen:          # an audited addendum that is no longer there
        bad.add(key.rsplit("/", 1)[0])
    return sorted(bad)
