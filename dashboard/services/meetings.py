"""四方联席会议 writes: a meeting, its attendance, agenda, item notes, decisions and action items, and the action items'
status moves.

Every write to a meeting takes the meeting's write lock (dashboard/locks.py) before it reads, checks that the meeting
can still be edited (minutes in draft, or circulated with the amendment window open) and that its version is the one
the user saw, then bumps the version by compare-and-set and audits after its row writes. The caller commits.
Action items live on after the minutes lock: their status moves (dashboard/services/actions.py, re-exported here)
check the item's own version, whatever the minutes.
"""

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from dashboard import access, audit, locks
from dashboard.access import MEETING_PARTIES, Action
from dashboard.accounts import Principal
from dashboard.i18n import label
from dashboard.periods import quarter_key
from dashboard.services.actions import MOVES, move_action
from dashboard.services.errors import RuleError
from dashboard.services.meeting_types import AgendaInput, AttendanceInput
from data_models import (
    ActionItem,
    ActionUpdate,
    AgendaItem,
    AuditLog,
    Community,
    Decision,
    Meeting,
    MeetingAttendance,
    Party,
)
from data_models.base import table_of
from data_models.core import utcnow
from data_models.enums import ActionStatus, AgendaSource, AttendanceStatus, MinutesStatus, PartyKind

M = table_of(Meeting)
ATT = table_of(MeetingAttendance)
AG = table_of(AgendaItem)
DEC = table_of(Decision)
X = table_of(ActionItem)
XU = table_of(ActionUpdate)
P = table_of(Party)
C = table_of(Community)
LOG = table_of(AuditLog)
S = ActionStatus
Row = Any          # a Core row (sqlalchemy.Row); its columns are read by name

MAX_ITEMS = 30
MAX_ITEM_MINUTES = 240
MAX_TEXT = 1000
MAX_NOTES = 5000
INVITED = (*MEETING_PARTIES, PartyKind.cooperative.value)


@dataclass(frozen=True)
class Quorum:
    quorate: bool
    missing: tuple[str, ...]        # party kinds neither present nor represented by a named deputy


def quorum(rows: Iterable[tuple[str, str, str]]) -> Quorum:
    """Quorate iff each of the four parties is present, or represented by a deputy who is named."""
    there: set[str] = set()
    for kind, status, deputy in rows:
        if str(status) == AttendanceStatus.present or (str(status) == AttendanceStatus.deputy and
                                                       (deputy or "").strip()):
            there.add(str(kind))
    missing = tuple(k for k in MEETING_PARTIES if k not in there)
    return Quorum(not missing, missing)


# --- reading and checking ------------------------------------------------------------------------------------------

def meeting_row(conn: Connection, meeting_id: int) -> Row:
    row = conn.execute(sa.select(M).where(M.c.id == meeting_id)).one_or_none()
    if row is None:
        raise RuleError("meeting.unknown", id=meeting_id)
    return row


def editable(row: Row, today: dt.date) -> bool:
    status = MinutesStatus(row.minutes_status)
    return status is MinutesStatus.draft or (
        status is MinutesStatus.circulated and row.amend_until is not None and today <= row.amend_until)


def last_actor(conn: Connection, code: str) -> str:
    """Who last wrote to the meeting (its audit entries are keyed by its code, or code/part)."""
    who = conn.execute(sa.select(LOG.c.actor)
                       .where(sa.or_(LOG.c.entity_id == code,
                                     LOG.c.entity_id.startswith(f"{code}/", autoescape=True)))
                       .order_by(LOG.c.id.desc()).limit(1)).scalar()
    return str(who) if who else "—"


def changed(conn: Connection, code: str) -> RuleError:
    return RuleError("meeting.changed_meanwhile", meeting=code, by=last_actor(conn, code))


def begin(session: Session, meeting_id: int, version: int | None, actor: Principal, today: dt.date | None,
          action: Action = Action.meeting_write) -> tuple[Connection, Row]:
    """The meeting's write lock, then its row, checked: the role, the version seen and (with `today`) editable."""
    access.require(actor.role, action)
    conn = session.connection()
    locks.serialise(conn, f"meeting:{meeting_id}")
    row = meeting_row(conn, meeting_id)
    if version is not None and row.version != version:
        raise changed(conn, row.code)
    if today is not None and not editable(row, today):
        raise not_editable(row)
    return conn, row


def not_editable(row: Row) -> RuleError:
    return RuleError("meeting.not_editable", meeting=row.code, state=label(MinutesStatus(row.minutes_status)),
                     until=row.amend_until.isoformat() if row.amend_until else "—")


def bump(conn: Connection, row: Row, **values: Any) -> int:
    """The compare-and-set on the meeting's version (and state); returns the new version."""
    result = conn.execute(M.update().where(M.c.id == row.id, M.c.version == row.version,
                                           M.c.minutes_status == row.minutes_status)
                          .values(**values, version=row.version + 1))
    if result.rowcount != 1:
        raise changed(conn, row.code)
    return int(row.version) + 1


def amended(session: Session, conn: Connection, row: Row, new_version: int, actor: Principal,
            today: dt.date) -> None:
    """An edit of circulated minutes (the window is open: `begin` checked it) is an amendment: the text that is out
    for signature is assembled again and the signatures given to the earlier text are voided, so what is signed is
    what the meeting's rows say. A draft has no text yet."""
    if row.minutes_status == MinutesStatus.circulated:
        from dashboard.services import minutes  # minutes builds on this module
        minutes.refresh(session, conn, meeting_id=row.id, code=row.code, version=new_version,
                        old_text=row.minutes_text, actor=actor, today=today, now=utcnow())


def _parties(conn: Connection, community_id: int) -> dict[int, Row]:
    rows = conn.execute(sa.select(P.c.id, P.c.code, P.c.name, P.c.kind).where(P.c.community_id == community_id))
    return {r.id: r for r in rows}


def _party_of(parties: dict[int, Row], party_id: int | None, row: Row) -> Row:
    if party_id is None or party_id not in parties:
        raise RuleError("meeting.party_not_of_community", party=party_id, meeting=row.code)
    return parties[party_id]


def _text(value: str | None, key: str, limit: int, **where: Any) -> str:
    text = (value or "").strip()
    if not text:
        raise RuleError(f"{key}_empty", **where)
    if len(text) > limit:
        raise RuleError(f"{key}_too_long", length=len(text), max=limit, **where)
    return text


def _recode(conn: Connection, table: sa.Table, row_id: int, prefix: str) -> str:
    """Codes like the seed's: a letter and the row id (unique because the id is)."""
    code = f"{prefix}{row_id:06d}"
    conn.execute(table.update().where(table.c.id == row_id).values(code=code))
    return code


def _pk(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _insert_coded(conn: Connection, table: sa.Table, prefix: str, **values: Any) -> tuple[int, str]:
    temp = f"~{uuid.uuid4().hex[:20]}"     # replaced by the id-based code at once
    new_id = _pk(conn.execute(table.insert().values(code=temp, **values)))
    return new_id, _recode(conn, table, new_id, prefix)


# --- the meeting -----------------------------------------------------------------------------------------------------

def create_meeting(session: Session, *, community_id: int, held_on: dt.date, actor: Principal,
                   title: str | None = None, location: str = "", starts_at: str = "09:30") -> Meeting:
    """A new meeting of the community, with an attendance row (absent until recorded) for each invited party."""
    access.require(actor.role, Action.meeting_write)
    conn = session.connection()
    locks.serialise(conn, "meeting:create")
    community = conn.execute(sa.select(C.c.code, C.c.name).where(C.c.id == community_id)).one_or_none()
    if community is None:
        raise RuleError("meeting.unknown_community", id=community_id)
    starts = check_starts_at(starts_at)
    quarter = quarter_key(held_on)
    base = f"{community.code}-JM-{quarter}"
    taken = set(conn.execute(sa.select(M.c.code).where(sa.or_(M.c.code == base, M.c.code.like(f"{base}-%"))))
                .scalars())
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    name = (title or "").strip() or f"{community.name}四方联席会议（{quarter}）"
    if len(name) > 200:
        raise RuleError("meeting.title_too_long", n=len(name), max=200)
    if len(location) > 200:
        raise RuleError("meeting.location_too_long", n=len(location), max=200)
    values = {"code": code, "community_id": community_id, "title": name, "held_on": held_on, "quarter": quarter,
              "location": location.strip(), "starts_at": starts}
    meeting_id = _pk(conn.execute(M.insert().values(**values)))
    invited = [p for p in _parties(conn, community_id).values() if str(p.kind) in INVITED]
    if invited:
        conn.execute(ATT.insert(), [{"meeting_id": meeting_id, "party_id": p.id, "status": AttendanceStatus.absent,
                                     "attendees": "", "deputy": ""} for p in sorted(invited, key=lambda p: p.code)])
    audit.record(conn, actor=actor.username, action="meeting_create", entity="meeting", entity_id=code,
                 after={**values, "held_on": held_on.isoformat()})
    return session.get_one(Meeting, meeting_id)


def check_starts_at(value: str) -> str:
    text = (value or "").strip()
    try:
        parsed = dt.datetime.strptime(text, "%H:%M")
    except ValueError:
        raise RuleError("meeting.bad_starts_at", value=value) from None
    return parsed.strftime("%H:%M")


def set_attendance(session: Session, *, meeting_id: int, version: int, rows: list[AttendanceInput],
                   actor: Principal, today: dt.date) -> None:
    """Record who came: each row's party must be one of the community's; deputy needs the deputy's name."""
    conn, row = begin(session, meeting_id, version, actor, today)
    parties = _parties(conn, row.community_id)
    current = {r.party_id: r for r in conn.execute(sa.select(ATT).where(ATT.c.meeting_id == meeting_id))}
    before: dict[str, str] = {}
    after: dict[str, str] = {}
    for item in rows:
        party = _party_of(parties, item.party_id, row)
        try:
            status = AttendanceStatus(str(item.status))
        except ValueError:
            raise RuleError("meeting.bad_attendance", party=party.name, value=item.status) from None
        deputy = (item.deputy or "").strip() if status is AttendanceStatus.deputy else ""
        if status is AttendanceStatus.deputy and not deputy:
            raise RuleError("meeting.deputy_unnamed", party=party.name)
        attendees = (item.attendees or "").strip()
        if len(attendees) > 300 or len(deputy) > 100:
            raise RuleError("meeting.names_too_long", party=party.name)
        values = {"status": status, "attendees": attendees, "deputy": deputy}
        old = current.get(party.id)
        if old is None:
            conn.execute(ATT.insert().values(meeting_id=meeting_id, party_id=party.id, **values))
        else:
            conn.execute(ATT.update().where(ATT.c.meeting_id == meeting_id, ATT.c.party_id == party.id)
                         .values(**values))
        before[party.code] = "—" if old is None else _said(old.status, old.attendees, old.deputy)
        after[party.code] = _said(status, attendees, deputy)
    new_version = bump(conn, row)
    amended(session, conn, row, new_version, actor, today)
    audit.record(conn, actor=actor.username, action="meeting_attendance", entity="meeting_attendance",
                 entity_id=row.code, before={"attendance": _listed(before), "version": row.version},
                 after={"attendance": _listed(after), "version": new_version})


def _listed(said: dict[str, str]) -> str:
    return "；".join(f"{code}：{text}" for code, text in sorted(said.items()))


def _said(status: str, attendees: str, deputy: str) -> str:
    text = label(AttendanceStatus(str(status)))
    if deputy:
        text += f"（{deputy}）"
    return f"{text} {attendees}".strip()


# --- the agenda ------------------------------------------------------------------------------------------------------

def save_agenda(session: Session, *, meeting_id: int, version: int, items: list[AgendaInput], actor: Principal,
                today: dt.date, starts_at: str | None = None) -> None:
    """The agenda becomes `items`, in order. Items are matched to the saved ones by title (the first unmatched of the
    same title), so a kept item keeps its id, notes and decisions; removing an item that has decisions is refused."""
    conn, row = begin(session, meeting_id, version, actor, today)
    if len(items) > MAX_ITEMS:
        raise RuleError("meeting.too_many_items", n=len(items), max=MAX_ITEMS)
    parties = _parties(conn, row.community_id)
    clean: list[dict[str, Any]] = []
    for n, given in enumerate(items, start=1):
        title = _text(given.title, "meeting.item_title", 300, item=n)
        if isinstance(given.minutes, bool) or not 1 <= int(given.minutes) <= MAX_ITEM_MINUTES:
            raise RuleError("meeting.item_minutes", n=n, title=title, value=given.minutes, max=MAX_ITEM_MINUTES)
        if given.presenter_party_id is not None and given.presenter_party_id not in parties:
            raise RuleError("meeting.item_presenter", n=n, title=title, party=given.presenter_party_id)
        try:
            source = AgendaSource(str(given.source or "manual"))
        except ValueError:
            raise RuleError("meeting.item_source", n=n, value=given.source) from None
        clean.append({"order_no": n, "title": title, "presenter_party_id": given.presenter_party_id,
                      "minutes": int(given.minutes), "source": source, "evidence": given.evidence or "",
                      "notes": given.notes or ""})
    saved = list(conn.execute(sa.select(AG.c.id, AG.c.title, AG.c.order_no, AG.c.notes)
                              .where(AG.c.meeting_id == meeting_id).order_by(AG.c.order_no)))
    free = list(saved)
    matched: list[int | None] = []
    for entry in clean:
        hit = next((s for s in free if s.title == entry["title"]), None)
        if hit is not None:
            free.remove(hit)
        matched.append(None if hit is None else hit.id)
    removed = free
    if removed:
        with_decisions = conn.execute(sa.select(AG.c.title).distinct().join(DEC, DEC.c.agenda_item_id == AG.c.id)
                                      .where(AG.c.id.in_([s.id for s in removed]))).scalars().all()
        if with_decisions:
            raise RuleError("meeting.item_has_decisions", meeting=row.code, titles="、".join(sorted(with_decisions)))
        conn.execute(AG.delete().where(AG.c.id.in_([s.id for s in removed])))
    kept = [i for i in matched if i is not None]
    if kept:   # out of the way of the new order numbers (unique per meeting) before setting them
        conn.execute(AG.update().where(AG.c.id.in_(kept)).values(order_no=AG.c.order_no + 1000))
    for entry, item_id in zip(clean, matched, strict=True):
        if item_id is None:
            _insert_coded(conn, AG, "A", meeting_id=meeting_id, **entry)
        else:
            values = dict(entry)
            if not values["notes"]:
                values.pop("notes")          # the editor does not carry notes: keep what was recorded
            conn.execute(AG.update().where(AG.c.id == item_id).values(**values))
    extra = {} if starts_at is None else {"starts_at": check_starts_at(starts_at)}
    new_version = bump(conn, row, **extra)
    amended(session, conn, row, new_version, actor, today)
    audit.record(conn, actor=actor.username, action="meeting_agenda", entity="agenda_item", entity_id=row.code,
                 before={"agenda": "、".join(s.title for s in saved), "starts_at": row.starts_at,
                         "version": row.version},
                 after={"agenda": "、".join(i["title"] for i in clean),
                        "starts_at": extra.get("starts_at", row.starts_at), "version": new_version})


def save_notes(session: Session, *, agenda_item_id: int, version: int, notes: str, actor: Principal,
               today: dt.date) -> None:
    """What was said on an item (for the minutes); `version` is the meeting's."""
    access.require(actor.role, Action.meeting_write)
    item = session.connection().execute(sa.select(AG.c.meeting_id, AG.c.code, AG.c.notes)
                                        .where(AG.c.id == agenda_item_id)).one_or_none()
    if item is None:
        raise RuleError("meeting.unknown_item", id=agenda_item_id)
    conn, row = begin(session, item.meeting_id, version, actor, today)
    text = (notes or "").strip()
    if len(text) > MAX_NOTES:
        raise RuleError("meeting.notes_too_long", n=len(text), max=MAX_NOTES)
    conn.execute(AG.update().where(AG.c.id == agenda_item_id).values(notes=text))
    new_version = bump(conn, row)
    amended(session, conn, row, new_version, actor, today)
    audit.record(conn, actor=actor.username, action="meeting_notes", entity="agenda_item",
                 entity_id=f"{row.code}/{item.code}", before={"notes": item.notes, "version": row.version},
                 after={"notes": text, "version": new_version})


# --- decisions and action items ------------------------------------------------------------------------------------

def add_decision(session: Session, *, meeting_id: int, version: int, agenda_item_id: int | None, text: str,
                 actor: Principal, today: dt.date) -> Decision:
    conn, row = begin(session, meeting_id, version, actor, today)
    if agenda_item_id is not None:
        owner = conn.execute(sa.select(AG.c.meeting_id).where(AG.c.id == agenda_item_id)).scalar()
        if owner != meeting_id:
            raise RuleError("meeting.item_not_of_meeting", id=agenda_item_id, meeting=row.code)
    body = _text(text, "meeting.decision", MAX_TEXT)
    decision_id, code = _insert_coded(conn, DEC, "D", meeting_id=meeting_id, agenda_item_id=agenda_item_id,
                                      text=body)
    new_version = bump(conn, row)
    amended(session, conn, row, new_version, actor, today)
    audit.record(conn, actor=actor.username, action="decision_add", entity="decision",
                 entity_id=f"{row.code}/{code}",
                 after={"code": code, "agenda_item_id": agenda_item_id, "text": body, "version": new_version})
    return session.get_one(Decision, decision_id)


def add_action(session: Session, *, meeting_id: int, version: int, decision_id: int | None, title: str,
               owner_party_id: int, owner_person: str, due_on: dt.date, actor: Principal,
               today: dt.date) -> ActionItem:
    """An action item decided at the meeting: owner party of the community, a named person, due on or after the
    meeting's day. It is created on the meeting's day (that is when it was decided)."""
    conn, row = begin(session, meeting_id, version, actor, today)
    party = _party_of(_parties(conn, row.community_id), owner_party_id, row)
    if decision_id is not None:
        owner = conn.execute(sa.select(DEC.c.meeting_id).where(DEC.c.id == decision_id)).scalar()
        if owner != meeting_id:
            raise RuleError("meeting.decision_not_of_meeting", id=decision_id, meeting=row.code)
    name = _text(title, "action.title", 300)
    person = _text(owner_person, "action.person", 100, party=party.name)
    if due_on < row.held_on:
        raise RuleError("action.due_before_meeting", due=due_on.isoformat(), held=row.held_on.isoformat())
    values = {"meeting_id": meeting_id, "decision_id": decision_id, "title": name, "owner_party_id": party.id,
              "owner_person": person, "created_on": row.held_on, "due_on": due_on, "status": S.open}
    action_id, code = _insert_coded(conn, X, "X", **values)
    new_version = bump(conn, row)
    amended(session, conn, row, new_version, actor, today)
    audit.record(conn, actor=actor.username, action="action_add", entity="action_item",
                 entity_id=f"{row.code}/{code}",
                 after={"code": code, "title": name, "owner_party_id": party.id, "owner_person": person,
                        "due_on": due_on.isoformat(), "decision_id": decision_id, "version": new_version})
    return session.get_one(ActionItem, action_id)


__all__ = ["MOVES", "Quorum", "add_action", "add_decision", "create_meeting", "move_action", "quorum",
           "save_agenda", "save_notes", "set_attendance"]
