"""现场录入 (issue 16): requests typed while the livestream is on air, the last ones captured, and undo of one's last.

The livestream on air is the one held today for the community (the newest, if two were). A capture is a request
已收集 through requests.collect, with source 'live', the moment it was typed (UTC) and the urgency said on air as
its priority. Undo (撤销上一条) deletes the request and its one history entry, only for the account that captured
it, only while nobody has touched it (已收集, version 1) and only on the day of its livestream; the DELETE names that
version and status, so an undo and a classify at once cannot both win. The audit entry `withdraw` keeps what it was.
"""

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from dashboard import access, audit, locks, request_stats
from dashboard.access import Action
from dashboard.accounts import Principal
from dashboard.comments.rules import mask
from dashboard.periods import quarter_key
from dashboard.services import request_steps as core
from dashboard.services import requests as requests_service
from dashboard.services.errors import RuleError
from data_models import CaseRequest, Community, LivestreamSession, Request, RequestEvent
from data_models.base import table_of
from data_models.enums import LivestreamPlatform, RequestMove, RequestSource, RequestStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")
REQUESTS = table_of(Request)
EVENTS = table_of(RequestEvent)
SESSIONS = table_of(LivestreamSession)
CASES = table_of(CaseRequest)
# A run of 11 or more digits (a mobile or an ID number, maybe ending in X): masked by the comment rules. Only those
# runs are handed to mask(): its address rule would also hide the house number this field is there to hold.
LONG_NUMBER = re.compile(r"(?<![0-9])[0-9]{11,17}[0-9Xx]?(?![0-9Xx])")
DESCRIPTION_MAX = 500
RESIDENT_MAX = 100


@dataclass(frozen=True)
class OnAir:
    code: str
    community_id: int
    held_on: dt.date
    title: str
    platform: str
    hosts: str


@dataclass(frozen=True)
class Captured:
    """One request captured in the livestream, as the recent list shows it."""

    code: str
    raised_at: dt.datetime | None
    category: str
    description: str
    resident: str
    priority: str
    who: str
    status: str
    version: int


def local_day(now: dt.datetime) -> dt.date:
    """The day `now` falls on where the dashboard is used."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(SHANGHAI).date()


def mask_resident(text: str) -> str:
    """A nickname or house number as typed, with a phone or ID number in it masked (138****5678)."""
    cleaned = " ".join((text or "").split())
    return LONG_NUMBER.sub(lambda m: mask(m.group(0)), cleaned)[:RESIDENT_MAX]


def on_air(session: Session, *, community_id: int, today: dt.date) -> OnAir | None:
    """The community's livestream held today (the newest, if there are two); None if none is."""
    row = session.execute(
        sa.select(SESSIONS.c.code, SESSIONS.c.community_id, SESSIONS.c.held_on, SESSIONS.c.title,
                  SESSIONS.c.platform, SESSIONS.c.hosts)
        .where(SESSIONS.c.community_id == community_id, SESSIONS.c.held_on == today)
        .order_by(SESSIONS.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    return OnAir(row.code, row.community_id, row.held_on, row.title or "", str(row.platform), row.hosts or "")


def session_code(community_code: str, today: dt.date) -> str:
    return f"L-{community_code}-{today:%Y%m%d}"


def open_session(session: Session, *, community_id: int, today: dt.date, actor: Principal, title: str,
                 platform: str, hosts: str = "") -> OnAir:
    """Create today's livestream of the community (开播): refused if it has one today already."""
    access.require(actor.role, Action.request_write)
    community = session.get(Community, community_id)
    if community is None:
        raise RuleError("capture.unknown_community", id=community_id)
    kind = _platform(platform)
    name = " ".join((title or "").split())
    if not name:
        raise RuleError("capture.title_required")
    # Two people opening the same community's stream at once: the second waits, then finds the first one's.
    locks.serialise(session.connection(), f"livestream_open:{community_id}:{today.isoformat()}")
    if on_air(session, community_id=community_id, today=today) is not None:
        raise RuleError("capture.already_on_air", community=community.name, day=today.isoformat())
    code = session_code(community.code, today)
    taken = session.execute(sa.select(SESSIONS.c.id).where(SESSIONS.c.code == code)).first()
    if taken is not None:      # a stream of today moved to another day keeps its code: number the new one
        n = 2
        while session.execute(sa.select(SESSIONS.c.id).where(SESSIONS.c.code == f"{code}-{n}")).first():
            n += 1
        code = f"{code}-{n}"
    title, who = name[:200], " ".join((hosts or "").split())[:200]
    values = {"code": code, "community_id": community_id, "held_on": today, "quarter": quarter_key(today),
              "title": title, "hosts": who, "platform": kind, "viewers": 0}
    session.connection().execute(SESSIONS.insert().values(**values))
    audit.record(session.connection(), actor=actor.username, action="create", entity="livestream_session",
                 entity_id=code, after={**values, "held_on": today.isoformat(), "platform": str(kind)})
    return OnAir(code, community_id, today, title, str(kind), who)


def _platform(value: str) -> LivestreamPlatform:
    try:
        return LivestreamPlatform(value)
    except ValueError:
        raise RuleError("capture.bad_platform", value=value) from None


def capture(session: Session, *, livestream_code: str, category: str, description: str, resident: str,
            priority: str, actor: Principal, now: dt.datetime) -> Request:
    """Record what a resident said on air: a request 已收集 of the livestream held today, source 'live'."""
    access.require(actor.role, Action.request_write)
    day = local_day(now)
    held = session.execute(sa.select(SESSIONS.c.held_on)
                           .where(SESSIONS.c.code == (livestream_code or "").strip())).scalar_one_or_none()
    if held is None:
        raise RuleError("requests.unknown_livestream", code=livestream_code)
    if held != day:
        raise RuleError("capture.not_on_air", code=livestream_code, held_on=held.isoformat(), today=day.isoformat())
    text = " ".join((description or "").split())
    if not text:
        raise RuleError("capture.description_required")
    if len(text) > DESCRIPTION_MAX:
        raise RuleError("capture.description_too_long", n=DESCRIPTION_MAX, length=len(text))
    return requests_service.collect(
        session, livestream_code=livestream_code, category=category, description=text, raised_on=day,
        actor=actor, today=day, priority=priority or None, resident=mask_resident(resident),
        source=RequestSource.live, raised_at=now.astimezone(dt.UTC))


def recent(session: Session, *, livestream_code: str, actor: Principal, limit: int = 10) -> list[Captured]:
    """The last requests captured in this livestream, newest first, with who captured each.

    Every role that sees the live page reads it (captured requests are 已收集, routed to no unit yet: a unit role
    reads nothing here it is kept from elsewhere); the page masks personal data for roles that may not see it."""
    access.require_page(actor.role, access.Page.live)
    who = (sa.select(EVENTS.c.actor).where(EVENTS.c.request_id == REQUESTS.c.id, EVENTS.c.move == RequestMove.collect)
           .order_by(EVENTS.c.id).limit(1).scalar_subquery())
    rows = session.execute(
        sa.select(REQUESTS.c.code, REQUESTS.c.raised_at, REQUESTS.c.category, REQUESTS.c.description,
                  REQUESTS.c.resident, REQUESTS.c.priority, who.label("who"), REQUESTS.c.status, REQUESTS.c.version)
        .join(SESSIONS, SESSIONS.c.id == REQUESTS.c.session_id)
        .where(SESSIONS.c.code == livestream_code, REQUESTS.c.source == RequestSource.live)
        .order_by(REQUESTS.c.raised_at.desc(), REQUESTS.c.id.desc()).limit(max(1, limit))).all()
    return [Captured(r.code, _utc(r.raised_at), str(r.category), r.description, r.resident, str(r.priority),
                     r.who or "", str(r.status), r.version) for r in rows]


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives the stored moment back without its zone: it was stored as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def last_undoable(items: list[Captured], username: str) -> Captured | None:
    """The request 撤销上一条 would withdraw for this account: its newest capture in the list, if untouched."""
    mine = next((c for c in items if c.who == username), None)
    if mine is None or mine.status != RequestStatus.collected or mine.version != 1:
        return None
    return mine


def undo_last(session: Session, *, code: str, version: int, actor: Principal, today: dt.date) -> dict[str, object]:
    """撤销上一条: withdraw the request this account captured last in a livestream held today, while it is still as
    captured (已收集, version 1, no other history). The row and its history entry are deleted; the audit entry
    `withdraw` keeps what it was. Returns that record."""
    access.require(actor.role, Action.request_write)
    req = core.load(session, code)
    if req.source != RequestSource.live:
        raise RuleError("capture.undo_not_live", code=req.code)
    held = session.execute(sa.select(SESSIONS.c.code, SESSIONS.c.held_on)
                           .where(SESSIONS.c.id == req.session_id)).one()
    if held.held_on != today:
        raise RuleError("capture.undo_other_day", code=req.code, livestream=held.code)
    who = session.execute(sa.select(EVENTS.c.actor).where(EVENTS.c.request_id == req.id,
                                                          EVENTS.c.move == RequestMove.collect)
                          .order_by(EVENTS.c.id).limit(1)).scalar_one_or_none()
    if who != actor.username:
        raise RuleError("capture.undo_not_yours", code=req.code, who=who or "—")
    if version != 1 or req.version != 1 or RequestStatus(req.status) != RequestStatus.collected:
        raise core.changed(session, req)
    newer = session.execute(
        sa.select(REQUESTS.c.code).join(EVENTS, EVENTS.c.request_id == REQUESTS.c.id)
        .where(REQUESTS.c.session_id == req.session_id, REQUESTS.c.source == RequestSource.live,
               REQUESTS.c.id > req.id, EVENTS.c.move == RequestMove.collect, EVENTS.c.actor == actor.username)
        .limit(1)).scalar_one_or_none()
    if newer is not None:
        raise RuleError("capture.undo_not_last", code=req.code, newer=newer)
    before = req.model_dump(mode="json")
    conn = session.connection()
    locks.serialise(conn, "import:requests")       # as every request move: an import cannot slip in between
    others = (sa.select(EVENTS.c.id).where(EVENTS.c.request_id == REQUESTS.c.id, EVENTS.c.move != RequestMove.collect)
              .exists())
    in_case = sa.select(CASES.c.case_id).where(CASES.c.request_id == REQUESTS.c.id).exists()
    gone = conn.execute(REQUESTS.delete().where(
        REQUESTS.c.id == req.id, REQUESTS.c.version == 1, REQUESTS.c.status == RequestStatus.collected,
        ~others, ~in_case))
    if gone.rowcount != 1:
        raise core.changed(session, req)
    conn.execute(EVENTS.delete().where(EVENTS.c.request_id == req.id))   # cascades already; SQLite without FKs too
    session.expunge(req)
    request_stats.touch(session, req.community_id, req.quarter)
    audit.record(conn, actor=actor.username, action="withdraw", entity="request", entity_id=req.code, before=before)
    return before
