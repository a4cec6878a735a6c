"""评论导入: a livestream's comment export read, masked, its chatter set aside and the rest grouped into candidate
requests (dashboard/comments), stored in one transaction; then the social worker accepts, merges, splits or discards
the candidates.

Every move on a candidate names the version the user saw; the UPDATE checks it and that the candidate is still
pending, so of two people at once exactly one wins and the other is told (comment_import.changed_meanwhile). Each
write appends one audit entry after its rows.
"""

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from dashboard import access, audit, locks
from dashboard.access import Action
from dashboard.accounts import Principal
from dashboard.comments import grouping, reader
from dashboard.comments.pipeline import prepare
from dashboard.comments.types import ColumnMap, CommentFile, Prepared
from dashboard.excel.reader import RefusedFile
from dashboard.i18n import label
from dashboard.services import request_steps
from dashboard.services import requests as request_service
from dashboard.services.errors import RuleError
from data_models import LivestreamSession, Request
from data_models.base import table_of
from data_models.core import utcnow
from data_models.enums import CandidateStatus, RequestCategory, RequestPriority, RequestSource
from data_models.live import CommentBatch, CommentCandidate, CommentColumnMap, LivestreamComment

__all__ = ["Preview", "accept", "discard", "merge", "preview", "split", "store"]

BATCH = table_of(CommentBatch)
CANDIDATE = table_of(CommentCandidate)
COMMENT = table_of(LivestreamComment)
COLUMN_MAP = table_of(CommentColumnMap)
LIVE = table_of(LivestreamSession)
P = CandidateStatus
MAX_PLATFORM = 40
# A comment export gives local times without a zone; the demo communities are in China.
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Preview:
    """What the page shows before anything is stored. `mapping` None: the user must map `columns` first."""

    columns: tuple[str, ...]
    mapping: ColumnMap | None
    platform: str | None             # recognised from the headers, or the remembered map's platform
    remembered: bool                 # the mapping came from comment_column_map (a user mapped it once)
    sha256: str                      # of the file's bytes: the page's preview is of these very bytes
    read: int = 0                    # comments read (rows with text)
    skipped: int = 0                 # rows without text
    chatter: dict[str, int] = field(default_factory=dict)    # rule code -> comments it set aside
    prepared: Prepared | None = None
    content_sha256: str = ""         # of the comments read (time, nickname, text): the same export saved again

    @property
    def candidates(self) -> int:
        return 0 if self.prepared is None else len(self.prepared.candidates)

    @property
    def grouped(self) -> int:
        """Comments put in a candidate (not chatter)."""
        return self.read - sum(self.chatter.values())


# --- reading -------------------------------------------------------------------------------------------------------

def _read(data: bytes, filename: str, mapping: ColumnMap | None, day: dt.date | None) -> CommentFile:
    """The engine's reader; a refused upload (too big, not a spreadsheet) as a message in the user's language."""
    try:
        return reader.read_comments(data, filename, mapping, day=day)
    except RefusedFile as refused:
        raise RuleError(refused.key, **refused.params) from None


def _remembered(session: Session, columns: Sequence[str], platform: str | None) -> tuple[str, ColumnMap] | None:
    """The mapping a user gave once for `platform` (or, with no platform named, for any platform) whose columns
    this file has."""
    query = sa.select(COLUMN_MAP).order_by(COLUMN_MAP.c.updated_at.desc(), COLUMN_MAP.c.platform)
    if platform:
        query = query.where(COLUMN_MAP.c.platform == platform.strip())
    for row in session.connection().execute(query):
        wanted = [c for c in (row.text_column, row.time_column, row.nickname_column) if c]
        if all(c in columns for c in wanted):
            return row.platform, ColumnMap(text=row.text_column, time=row.time_column, nickname=row.nickname_column)
    return None


def preview(data: bytes, filename: str, *, platform: str | None = None, mapping: ColumnMap | None = None,
            session: Session, day: dt.date | None = None) -> Preview:
    """Read and group the file without storing it: the recognised, remembered or given columns and the counts.
    RuleError for an empty or unreadable file or a mapping naming a column the file lacks."""
    sha = hashlib.sha256(data).hexdigest()
    remembered = False
    found = _read(data, filename, mapping, day)
    if found.mapping is None:
        known = _remembered(session, found.columns, platform)
        if known is None:
            return Preview(found.columns, None, platform, False, sha)
        platform, remembered = known[0], True
        found = _read(data, filename, known[1], day)
    chosen = found.platform or platform
    prepared = prepare(found.rows)
    chatter = Counter(c.chatter_rule for c in prepared.comments if c.chatter_rule is not None)
    content = hashlib.sha256()
    for r in found.rows:
        content.update(f"{r.said_at.isoformat() if r.said_at else ''}\t{r.nickname}\t{r.text}\n".encode())
    return Preview(found.columns, found.mapping, chosen, remembered, sha, read=len(found.rows),
                   skipped=found.skipped, chatter=dict(chatter.most_common()),
                   prepared=prepared, content_sha256=content.hexdigest())


# --- storing -------------------------------------------------------------------------------------------------------

def _livestream(session: Session, code: str, actor: Principal) -> LivestreamSession:
    live = session.execute(sa.select(LivestreamSession)
                           .where(col(LivestreamSession.code) == code.strip())).scalar_one_or_none()
    if live is None:
        raise RuleError("requests.unknown_livestream", code=code)
    _require_community(actor, live.community_id)
    return live


def _require_community(actor: Principal, community_id: int) -> None:
    """An account tied to a community (its party's) works on that community's livestreams only."""
    if actor.community_id is not None and actor.community_id != community_id:
        raise RuleError("comment_import.other_community")


def _remember(session: Session, platform: str, mapping: ColumnMap, actor: Principal) -> None:
    """Upsert the user's mapping for the platform (portable: update, else insert)."""
    values = {"text_column": mapping.text, "time_column": mapping.time, "nickname_column": mapping.nickname,
              "updated_by": actor.username, "updated_at": utcnow()}
    conn = session.connection()
    locks.serialise(conn, f"comment_column_map:{platform}")     # two first saves at once: one inserts, one updates
    done = conn.execute(COLUMN_MAP.update().where(COLUMN_MAP.c.platform == platform).values(**values)).rowcount
    if not done:
        conn.execute(COLUMN_MAP.insert().values(platform=platform, **values))


def store(session: Session, *, livestream_code: str, data: bytes, filename: str, platform: str | None,
          mapping: ColumnMap | None, actor: Principal, today: dt.date, seen: Preview | None = None) -> CommentBatch:
    """Store the file's comments and candidates as one batch of the livestream, all or nothing (the caller's
    transaction). The same file twice for one livestream is refused. A mapping the user gave is remembered for
    the platform. `seen`, the preview the page showed of these very bytes, saves reading and grouping them again
    (100,000 comments: about 3 s); one of other bytes or columns is ignored. Returns the batch."""
    access.require(actor.role, Action.request_write)
    live = _livestream(session, livestream_code, actor)
    if live.held_on > today:
        raise RuleError("comment_import.livestream_ahead", code=live.code, held_on=live.held_on.isoformat())
    name = (platform or "").strip()[:MAX_PLATFORM]
    if mapping is not None and not name:
        raise RuleError("comment_import.platform_required")
    fits = seen is not None and seen.prepared is not None and seen.sha256 == hashlib.sha256(data).hexdigest() \
        and (mapping is None or seen.mapping == mapping)
    if seen is None or not fits:
        seen = preview(data, filename, platform=name or None, mapping=mapping, session=session, day=live.held_on)
    if seen.mapping is None or seen.prepared is None:
        raise RuleError("comment_import.map_columns")
    if seen.read == 0:
        raise RuleError("comment_import.no_comments")
    assert live.id is not None
    twice = session.connection().execute(sa.select(BATCH.c.uploaded_at).where(
        BATCH.c.session_id == live.id, BATCH.c.sha256 == seen.content_sha256)).scalar()
    if twice is not None:
        raise RuleError("comment_import.duplicate_file", code=live.code)
    if mapping is not None and not seen.remembered:
        _remember(session, name, mapping, actor)
    prepared = seen.prepared
    chatter = sum(seen.chatter.values())
    batch = CommentBatch(session_id=live.id, platform=(seen.platform or name or "—")[:MAX_PLATFORM],
                         filename=filename[-200:], sha256=seen.content_sha256, total=seen.read, chatter=chatter,
                         uploaded_by=actor.username)
    session.add(batch)
    code = live.code             # read now: after a failed flush the session refuses to load anything
    try:
        session.flush()
    except IntegrityError:       # the same file stored by someone else meanwhile
        raise RuleError("comment_import.duplicate_file", code=code) from None
    conn = session.connection()
    ids: list[int] = []
    if prepared.candidates:
        rows = [{"batch_id": batch.id, "label": c.label[:500], "category": c.category, "comments": len(c.members),
                 "endorsements": c.endorsements, "first_at": c.first_at, "status": P.pending, "version": 1}
                for c in prepared.candidates]
        ids = list(conn.execute(CANDIDATE.insert().returning(CANDIDATE.c.id, sort_by_parameter_order=True),
                                rows).scalars())
    conn.execute(COMMENT.insert(), [
        {"batch_id": batch.id, "seq": c.seq, "said_at": c.said_at, "nickname": c.nickname[:100], "text": c.text,
         "chatter_rule": c.chatter_rule, "candidate_id": None if c.candidate is None else ids[c.candidate]}
        for c in prepared.comments])
    audit.record(conn, actor=actor.username, action="import", entity="comment_batch", entity_id=str(batch.id),
                 after={"livestream": code, "platform": batch.platform, "filename": batch.filename,
                        "sha256": seen.content_sha256, "total": seen.read, "chatter": chatter,
                        "candidates": len(ids)})
    return batch


# --- the moves on candidates ---------------------------------------------------------------------------------------

def _candidate(session: Session, candidate_id: int) -> sa.Row:
    row = session.connection().execute(
        sa.select(*CANDIDATE.c, BATCH.c.session_id, LIVE.c.community_id, LIVE.c.code.label("livestream"))
        .join(BATCH, BATCH.c.id == CANDIDATE.c.batch_id)
        .join(LIVE, LIVE.c.id == BATCH.c.session_id)
        .where(CANDIDATE.c.id == candidate_id)).first()
    if row is None:
        raise RuleError("comment_import.unknown_candidate", id=candidate_id)
    return row


def _claim(session: Session, seen: Mapping[int, int], actor: Principal, **values: object) -> None:
    """Compare-and-set: each candidate still pending at the version the user saw, its version raised (in id
    order, so two merges over the same candidates cannot deadlock). The loser is told and nothing is written."""
    conn = session.connection()
    for cid in sorted(seen):
        done = conn.execute(CANDIDATE.update().where(
            CANDIDATE.c.id == cid, CANDIDATE.c.version == seen[cid], CANDIDATE.c.status == P.pending)
            .values(version=CANDIDATE.c.version + 1, **values)).rowcount
        if done != 1:
            now = conn.execute(sa.select(CANDIDATE.c.label, CANDIDATE.c.status)
                               .where(CANDIDATE.c.id == cid)).first()
            if now is None:
                raise RuleError("comment_import.unknown_candidate", id=cid)
            if now.status == P.pending:
                raise RuleError("comment_import.changed_meanwhile", label=_cut(now.label))
            raise RuleError("comment_import.not_pending", label=_cut(now.label),
                            status=label(P(now.status)))
    del actor


def _cut(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[:n] + "…"


def _recount(session: Session, candidate_id: int) -> dict[str, object]:
    """Set a candidate's counts and first time from the comments behind it; returns them."""
    conn = session.connection()
    n, first = conn.execute(sa.select(sa.func.count(), sa.func.min(COMMENT.c.said_at))
                            .where(COMMENT.c.candidate_id == candidate_id)).one()
    values: dict[str, object] = {"comments": int(n), "endorsements": max(int(n) - 1, 0), "first_at": first}
    conn.execute(CANDIDATE.update().where(CANDIDATE.c.id == candidate_id).values(**values))
    return values


def _audit(session: Session, actor: Principal, action: str, candidate_id: int, before: dict[str, object],
           after: dict[str, object]) -> None:
    audit.record(session.connection(), actor=actor.username, action=action, entity="comment_candidate",
                 entity_id=str(candidate_id), before=before, after=after)


def _shown(row: sa.Row) -> dict[str, object]:
    return {"batch_id": row.batch_id, "label": row.label, "status": str(row.status), "comments": row.comments,
            "endorsements": row.endorsements, "version": row.version}


def accept(session: Session, candidate_id: int, *, version: int, description: str, category: str,
           priority: str | None = None, actor: Principal, today: dt.date) -> Request:
    """The candidate becomes a request (已收集) of its livestream, raised when its first comment was written, with
    the comments behind it besides the first as its 附议, and the urgency if one was chosen (classify may change
    it). Source 评论导入; the resident is the first comment's (masked) nickname."""
    access.require(actor.role, Action.request_write)
    urgency = request_steps.choice(RequestPriority, priority) if priority else None
    row = _candidate(session, candidate_id)
    _require_community(actor, row.community_id)
    _claim(session, {candidate_id: version}, actor)
    live = session.get(LivestreamSession, row.session_id)
    assert live is not None
    first: dt.datetime | None = row.first_at
    raised_on = min(max(first.date() if first is not None else live.held_on, live.held_on), today)
    resident = session.connection().execute(
        sa.select(COMMENT.c.nickname).where(COMMENT.c.candidate_id == candidate_id)
        .order_by(COMMENT.c.said_at.is_(None), COMMENT.c.said_at, COMMENT.c.seq).limit(1)).scalar() or ""
    req = request_service.collect(
        session, livestream_code=live.code, category=category, description=description,
        endorsements=row.endorsements, raised_on=raised_on, actor=actor, today=today, priority=urgency,
        resident=resident[:100], source=RequestSource.comments,
        raised_at=None if first is None else first.replace(tzinfo=SHANGHAI))
    session.connection().execute(CANDIDATE.update().where(CANDIDATE.c.id == candidate_id).values(
        status=P.accepted, request_id=req.id, decided_by=actor.username, decided_at=utcnow(),
        category=RequestCategory(req.category)))
    _audit(session, actor, "comment_accept", candidate_id, _shown(row),
           {"status": str(P.accepted), "request": req.code, "endorsements": row.endorsements,
            "version": version + 1})
    return req


def discard(session: Session, candidate_id: int, *, version: int, actor: Principal) -> None:
    """Not a request (off-topic, a question answered on air): set aside, its comments kept."""
    access.require(actor.role, Action.request_write)
    row = _candidate(session, candidate_id)
    _require_community(actor, row.community_id)
    _claim(session, {candidate_id: version}, actor, status=P.discarded, decided_by=actor.username,
           decided_at=utcnow())
    _audit(session, actor, "comment_discard", candidate_id, _shown(row), {"status": str(P.discarded),
                                                                 "version": version + 1})


def merge(session: Session, target_id: int, other_ids: Sequence[int], *, versions: Mapping[int, int],
          actor: Principal) -> dict[str, object]:
    """The others' comments join the target, whose counts are recomputed; the others become merged into it.
    `versions` names the version the user saw of the target and of each other. Returns the target's counts."""
    access.require(actor.role, Action.request_write)
    others = sorted(set(other_ids) - {target_id})
    if not others:
        raise RuleError("comment_import.merge_needs_two")
    target = _candidate(session, target_id)
    _require_community(actor, target.community_id)
    rows = [_candidate(session, o) for o in others]
    if any(r.batch_id != target.batch_id for r in rows):
        raise RuleError("comment_import.other_batch")
    missing = [i for i in [target_id, *others] if i not in versions]
    if missing:
        raise RuleError("comment_import.unknown_candidate", id=missing[0])
    _claim(session, {i: versions[i] for i in [target_id, *others]}, actor)
    conn = session.connection()
    conn.execute(CANDIDATE.update().where(CANDIDATE.c.id.in_(others)).values(
        status=P.merged, merged_into_id=target_id, decided_by=actor.username, decided_at=utcnow()))
    conn.execute(COMMENT.update().where(COMMENT.c.candidate_id.in_(others)).values(candidate_id=target_id))
    counts = _recount(session, target_id)
    for r in rows:
        _audit(session, actor, "comment_merge", r.id, _shown(r), {"status": str(P.merged), "merged_into": target_id,
                                                          "version": r.version + 1})
    _audit(session, actor, "comment_merge", target_id, _shown(target), {**counts, "first_at": str(counts["first_at"]),
                                                                "merged": others, "version": target.version + 1})
    return counts


def split(session: Session, candidate_id: int, comment_ids: Sequence[int], *, version: int,
          actor: Principal) -> int:
    """Some of a candidate's comments are about something else: they become a new pending candidate (labelled by
    the first of them); both candidates' counts are recomputed. Returns the new candidate's id."""
    access.require(actor.role, Action.request_write)
    row = _candidate(session, candidate_id)
    _require_community(actor, row.community_id)
    chosen = sorted(set(comment_ids))
    conn = session.connection()
    behind = conn.execute(sa.select(COMMENT.c.id, COMMENT.c.text).where(COMMENT.c.candidate_id == candidate_id)
                          .order_by(COMMENT.c.said_at.is_(None), COMMENT.c.said_at, COMMENT.c.seq)).all()
    ours = {r.id for r in behind}
    if not chosen or any(c not in ours for c in chosen):
        raise RuleError("comment_import.split_choose")
    if len(chosen) >= len(ours):
        raise RuleError("comment_import.split_not_all")
    _claim(session, {candidate_id: version}, actor)
    label_text = next(r.text for r in behind if r.id in chosen)
    new_id = int(conn.execute(CANDIDATE.insert().returning(CANDIDATE.c.id).values(
        batch_id=row.batch_id, label=label_text[:500], category=_guess(label_text), comments=len(chosen),
        endorsements=len(chosen) - 1, status=P.pending, version=1)).scalar_one())
    conn.execute(COMMENT.update().where(COMMENT.c.id.in_(chosen)).values(candidate_id=new_id))
    new_counts = _recount(session, new_id)
    counts = _recount(session, candidate_id)
    _audit(session, actor, "comment_split", candidate_id, _shown(row),
           {"comments": counts["comments"], "endorsements": counts["endorsements"], "split_into": new_id,
            "version": version + 1})
    _audit(session, actor, "comment_split", new_id, {"split_from": candidate_id},
           {"label": label_text, "comments": new_counts["comments"], "status": str(P.pending), "version": 1})
    return new_id


def _guess(text: str) -> RequestCategory | None:
    return grouping.guess_category(text)

