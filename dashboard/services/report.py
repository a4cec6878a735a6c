"""季度汇报 publishing: freezing a community-quarter's figures and narrative as a version, restating it with a reason
and the table of figures that changed, and the parties' confirmations of the version that stands.

Every move takes the scope-quarter's write lock (dashboard/locks.py) before it reads, so of two people publishing
the same quarter at once from the same version the second reads the first's version and is told so, and a
confirmation racing a restatement either lands on the old version before the new one exists or is refused as no
longer the latest. The stored snapshot keeps every figure (suppression is per viewer); its SHA-256 together with the
narrative's goes into the audit chain, so `verify_versions` finds a published version edited in the database. The
caller commits.
"""

import datetime as dt
import hashlib
import json
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from dashboard import access, audit, locks
from dashboard.access import Action
from dashboard.accounts import Principal
from dashboard.i18n import STRINGS, label, t
from dashboard.periods import parse_quarter, quarter_bounds, quarter_state, shanghai_today
from dashboard.queries import report_versions as rv
from dashboard.queries.report_versions import Published, scope_key
from dashboard.report.diff import FigureChange, changes_to_json, diff
from dashboard.report.types import AREAS, ReportData, from_json, to_json
from dashboard.services.errors import RuleError
from data_models import AuditLog, Community, Party
from data_models.base import table_of
from data_models.core import utcnow
from data_models.enums import PartyKind, Role

__all__ = ["FigureChange", "Published", "confirm", "diff", "party_of", "publish", "scope_key", "verify_versions"]

V = rv.V
RC = rv.RC
U = rv.U
C = table_of(Community)
P = table_of(Party)
LOG = table_of(AuditLog)
SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_REASON = 1000           # report_version.reason
MAX_NOTE = 500              # report_confirmation.note
MAX_NARRATIVE = 4000        # one area's paragraph in one language
LANGUAGES = tuple(STRINGS)
# Who speaks for which party, and what their word is called: the government accepts, the others confirm.
DECISIONS = {PartyKind.government.value: "accepted", PartyKind.platform.value: "confirmed",
             PartyKind.association.value: "confirmed"}
ROLE_PARTY = {Role.government: PartyKind.government.value, Role.platform: PartyKind.platform.value,
              Role.association: PartyKind.association.value}


def lock_name(community_id: int | None, quarter: str) -> str:
    return f"report:{scope_key(community_id)}:{quarter}"


def entity_id(community_id: int | None, quarter: str, version: int) -> str:
    """How the audit log names a version: c3/2026Q2/v2."""
    return f"{scope_key(community_id)}/{quarter}/v{version}"


def version_sha256(snapshot: str, narrative: str) -> str:
    """The fingerprint of what was published: the snapshot's canonical JSON, a newline, the narrative's."""
    return hashlib.sha256(f"{snapshot}\n{narrative}".encode()).hexdigest()


def when(at: dt.datetime, now: dt.datetime | None = None) -> str:
    """A stored time as a message says it, in Asia/Shanghai: 14:05 today, else 2026-07-03 14:05."""
    local = (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(SHANGHAI)
    today = (now or utcnow()).astimezone(SHANGHAI).date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%Y-%m-%d %H:%M")


def _require_community(actor: Principal, community_id: int | None) -> None:
    """An account tied to a community (its party's) publishes and confirms that community's report only; the
    all-communities report is for accounts tied to none."""
    if actor.community_id is not None and actor.community_id != community_id:
        raise RuleError("report.pub.other_community")


def _narrative(narrative: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The narrative as stored: every language a key (zh, en), each area's text stripped, checked for length."""
    out: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for lang, texts in (narrative or {}).items():
        if lang not in LANGUAGES:
            raise RuleError("report.pub.narrative_unknown", what=lang)
        for area, text in (texts or {}).items():
            if area not in AREAS:
                raise RuleError("report.pub.narrative_unknown", what=area)
            body = (text or "").strip()
            if len(body) > MAX_NARRATIVE:
                raise RuleError("report.pub.narrative_too_long", area=t(f"report.area.{area}"), n=len(body),
                                max=MAX_NARRATIVE)
            out[lang][area] = body
    return out


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _latest_row(conn: Connection, community_id: int | None, quarter: str) -> Any:
    return conn.execute(sa.select(V.c.id, V.c.version, V.c.published_at, V.c.published_by, V.c.snapshot,
                                  V.c.narrative, V.c.sha256, U.c.display_name)
                        .outerjoin(U, U.c.username == V.c.published_by)
                        .where(V.c.scope_key == scope_key(community_id), V.c.quarter == quarter)
                        .order_by(V.c.version.desc()).limit(1)).one_or_none()


def _check_quarter(data: ReportData, today: dt.date) -> None:
    """Only an ended quarter is published, from figures read after it ended: a quarter still running reads as a
    collapse against a whole one, and what is published is quoted later as the quarter's result."""
    try:
        parse_quarter(data.quarter)
    except ValueError:
        raise RuleError("report.pub.bad_quarter", quarter=data.quarter) from None
    end = quarter_bounds(data.quarter)[1]
    if quarter_state(data.quarter, today) != "past":
        raise RuleError("report.pub.quarter_not_ended", quarter=data.quarter, end=end.isoformat())
    if data.cut_off.astimezone(SHANGHAI).date() <= end:
        raise RuleError("report.pub.cut_off_in_quarter", quarter=data.quarter,
                        at=data.cut_off.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"))


def publish(session: Session, *, data: ReportData, narrative: dict[str, dict[str, str]], actor: Principal,
            expected_version: int, reason: str = "", today: dt.date | None = None,
            now: dt.datetime | None = None) -> Published:
    """Freeze `data` (unsuppressed) and `narrative` ({"zh": {area: text}, "en": {...}}) as the next version of the
    community-quarter. `expected_version` is the latest version the user saw (0: none): anything else means someone
    published meanwhile, and nothing is written. Version 1 needs no reason; a restatement needs one (≤ 1000
    characters), stores the table of figures that changed, and is refused when neither a figure nor the narrative
    did. `today` (Asia/Shanghai) and `now` default to the clock."""
    access.require(actor.role, Action.report_publish)
    conn = session.connection()
    locks.serialise(conn, lock_name(data.community_id, data.quarter))   # before any read the decision rests on
    at = (now or utcnow()).astimezone(dt.UTC)
    if data.cut_off.tzinfo is None:
        data = replace(data, cut_off=data.cut_off.replace(tzinfo=dt.UTC))
    data = replace(data, cut_off=data.cut_off.astimezone(dt.UTC))
    _require_community(actor, data.community_id)
    _check_quarter(data, today or shanghai_today())
    if data.community_id is not None and conn.execute(
            sa.select(C.c.id).where(C.c.id == data.community_id)).first() is None:
        raise RuleError("report.pub.unknown_community", id=data.community_id)
    if any(f.hidden for a in data.areas for f in a.figures) or any(p.hidden for a in data.areas
                                                                   for p in a.chart.points):
        raise RuleError("report.pub.suppressed")
    texts = _narrative(narrative)

    last = _latest_row(conn, data.community_id, data.quarter)
    current = 0 if last is None else int(last.version)
    if int(expected_version) != current:
        if last is None:
            raise RuleError("report.pub.none_yet", quarter=data.quarter, expected=expected_version)
        raise RuleError("report.pub.stale", version=current, at=when(rv.aware(last.published_at), at),
                        by=rv.name_of(last.published_by, last.display_name))
    version = current + 1
    why = (reason or "").strip()
    changes: list[FigureChange] = []
    if last is not None:
        if not why:
            raise RuleError("report.pub.reason_required", version=current)
        if len(why) > MAX_REASON:
            raise RuleError("report.pub.reason_too_long", n=len(why), max=MAX_REASON)
        changes = diff(from_json(last.snapshot), data)
        if not changes and json.loads(last.narrative) == texts:
            raise RuleError("report.pub.nothing_changed", version=current)
    else:
        why = ""                 # a first version has nothing to restate; a reason given by mistake is not kept

    snapshot, narrative_json = to_json(data), _canonical(texts)
    digest = version_sha256(snapshot, narrative_json)
    result = conn.execute(V.insert().values(
        scope_key=scope_key(data.community_id), community_id=data.community_id, quarter=data.quarter,
        version=version, cut_off_at=data.cut_off, published_at=at, published_by=actor.username, snapshot=snapshot,
        narrative=narrative_json, reason=why, changes=changes_to_json(changes), sha256=digest))
    key = result.inserted_primary_key
    assert key is not None
    new_id = int(key[0])
    after: dict[str, Any] = {"quarter": data.quarter, "community_id": data.community_id, "version": version,
                             "cut_off": data.cut_off.isoformat(), "snapshot_sha256": digest}
    before = None
    if last is not None:
        after |= {"reason": why, "changed_figures": len(changes),
                  "narrative_changed": json.loads(last.narrative) != texts}
        before = {"version": current, "snapshot_sha256": last.sha256}
    audit.record(conn, actor=actor.username, action="restate" if last is not None else "publish",
                 entity="report_version", entity_id=entity_id(data.community_id, data.quarter, version),
                 before=before, after=after, at=at)
    published = rv.by_id(session, version_id=new_id)
    assert published is not None
    return published


def party_of(conn: Connection, actor: Principal) -> str | None:
    """The party kind an account confirms for: its role's (government, platform, association). An admin speaks for
    the party their account belongs to, if it is one of those three, and for none otherwise: nobody confirms in a
    party's name without being of it."""
    if actor.role in ROLE_PARTY:
        return ROLE_PARTY[actor.role]
    if actor.role is Role.admin and actor.party_id is not None:
        kind = conn.execute(sa.select(P.c.kind).where(P.c.id == actor.party_id)).scalar_one_or_none()
        return str(kind) if kind is not None and str(kind) in DECISIONS else None
    return None


def confirm(session: Session, *, version_id: int, actor: Principal, note: str = "",
            now: dt.datetime | None = None) -> None:
    """The actor's party's word on a published version: the government accepts, the platform and the association
    confirm. Only the version that stands (a restatement starts confirmations over: the older version's stay on
    record but no longer count), and once per party."""
    access.require(actor.role, Action.report_confirm)
    conn = session.connection()
    # Read before the lock only to name it: these columns never change once a version is written.
    row = conn.execute(sa.select(V.c.id, V.c.community_id, V.c.quarter, V.c.version, V.c.sha256)
                       .where(V.c.id == version_id)).one_or_none()
    if row is None:
        raise RuleError("report.pub.unknown_version", id=version_id)
    locks.serialise(conn, lock_name(row.community_id, row.quarter))
    at = (now or utcnow()).astimezone(dt.UTC)
    _require_community(actor, row.community_id)
    kind = party_of(conn, actor)
    if kind is None:
        raise RuleError("report.pub.no_party", user=actor.username)
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise RuleError("report.pub.note_too_long", n=len(text), max=MAX_NOTE)
    last = _latest_row(conn, row.community_id, row.quarter)
    if last is not None and int(last.version) != int(row.version):
        raise RuleError("report.pub.not_latest", version=row.version, latest=last.version,
                        at=when(rv.aware(last.published_at), at))
    decision = DECISIONS[kind]
    given = conn.execute(sa.select(RC.c.by, RC.c.at, U.c.display_name).outerjoin(U, U.c.username == RC.c.by)
                         .where(RC.c.report_version_id == version_id, RC.c.party_kind == kind)).one_or_none()
    if given is not None:
        raise RuleError("report.pub.already", party=label(PartyKind(kind)), version=row.version,
                        by=rv.name_of(given.by, given.display_name), at=when(rv.aware(given.at), at),
                        decision=t(f"report.pub.decision.{decision}"))
    conn.execute(RC.insert().values(report_version_id=version_id, party_kind=kind, decision=decision,
                                    by=actor.username, at=at, note=text))
    audit.record(conn, actor=actor.username, action="accept" if decision == "accepted" else "confirm",
                 entity="report_confirmation", entity_id=entity_id(row.community_id, row.quarter, row.version),
                 after={"version": row.version, "party_kind": kind, "decision": decision, "note": text or None,
                        "snapshot_sha256": row.sha256}, at=at)


def verify_versions(conn: Connection) -> list[str]:
    """Published versions that differ from what the audit chain recorded when they were published (as audit log
    entity ids, c3/2026Q2/v1): a snapshot or narrative that no longer hashes to its sha256, a sha256 other than the
    one its publish/restate entry carries, a version without such an entry, or an entry whose version is gone.
    The chain itself is checked by audit.verify."""
    recorded: dict[str, list[str | None]] = {}
    for eid, after in conn.execute(sa.select(LOG.c.entity_id, LOG.c.after)
                                   .where(LOG.c.entity == "report_version",
                                          LOG.c.action.in_(("publish", "restate")))):
        try:
            body = json.loads(after or "{}")
        except ValueError:
            body = {}
        recorded.setdefault(str(eid), []).append(body.get("snapshot_sha256") if isinstance(body, dict) else None)
    bad: set[str] = set()
    seen: set[str] = set()
    for r in conn.execute(sa.select(V.c.community_id, V.c.quarter, V.c.version, V.c.snapshot, V.c.narrative,
                                    V.c.sha256)):
        key = entity_id(r.community_id, r.quarter, r.version)
        seen.add(key)
        if version_sha256(r.snapshot, r.narrative) != r.sha256 or recorded.get(key) != [r.sha256]:
            bad.add(key)
    bad |= set(recorded) - seen
    return sorted(bad)
