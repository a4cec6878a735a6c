"""The append-only audit log. Each entry carries the hash of the one before it, so edits can be detected."""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dashboard import locks
from data_models import AuditLog
from data_models.base import table_of
from data_models.core import utcnow

TABLE = table_of(AuditLog)


def entry_hash(prev_hash: str | None, fields: dict[str, Any]) -> str:
    body = json.dumps({"prev": prev_hash, **fields}, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record(
    conn: Connection, *, actor: str, action: str, entity: str, entity_id: str | None = None,
    before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
    import_batch_id: int | None = None, at: dt.datetime | None = None,
) -> None:
    """Append one entry inside the caller's transaction, chained to the last one.

    Appends are serialised: the transaction holds the audit lock from here until it ends, so the next writer
    reads this entry as its last one. Call it once the transaction's other writes are done (the lock is held to
    the end) and not inside a session whose earlier reads must stay isolated (see dashboard/locks.py)."""
    locks.serialise(conn, locks.AUDIT)
    prev = conn.execute(sa.select(TABLE.c.hash).order_by(TABLE.c.id.desc()).limit(1)).scalar()
    stamp = (at or utcnow()).astimezone(dt.UTC)
    fields = {
        "at": stamp.isoformat(), "actor": actor, "action": action, "entity": entity,
        "entity_id": entity_id,
        "before": None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True, default=str),
        "after": None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True, default=str),
    }
    conn.execute(sa.insert(TABLE).values(
        **{**fields, "at": stamp},
        import_batch_id=import_batch_id, prev_hash=prev, hash=entry_hash(prev, fields),
    ))


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str | None = None          # "edited" | "chain_broken" | "anchor_mismatch" | "anchor_missing"
    head_id: int | None = None         # the last entry checked and its hash: publish them (e.g. in the minutes)
    head_hash: str | None = None


def parse_anchor(text: str) -> tuple[int, str]:
    """'37:9f3a…' (as `audit verify` prints the head) -> (37, '9f3a…')."""
    entry, _, digest = text.partition(":")
    if not entry.strip().isdigit() or len(digest.strip()) < 8:
        raise ValueError(text)
    return int(entry), digest.strip().lower()


def verify(conn: Connection, anchor: tuple[int, str] | None = None) -> Verdict:
    """Recompute the chain from the first entry; name the first entry whose hash or link does not hold.

    A chain alone cannot stop someone who rewrites every later hash too. An `anchor`, a head published
    earlier (entry id and the start of its hash), pins history: if that entry's hash is no longer what was
    published, everything up to it has been rewritten."""
    prev: str | None = None
    checked = 0
    anchor_seen = anchor is None
    last_id: int | None = None
    rows = conn.execute(sa.select(TABLE.c.id, TABLE.c.at, TABLE.c.actor, TABLE.c.action, TABLE.c.entity,
                                  TABLE.c.entity_id, TABLE.c.before, TABLE.c.after, TABLE.c.prev_hash,
                                  TABLE.c.hash).order_by(TABLE.c.id))
    for row in rows:
        if row.prev_hash != prev:
            return Verdict(False, checked, row.id, "chain_broken")
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=dt.UTC)
        fields = {"at": at.astimezone(dt.UTC).isoformat(), "actor": row.actor, "action": row.action,
                  "entity": row.entity, "entity_id": row.entity_id, "before": row.before, "after": row.after}
        if entry_hash(prev, fields) != row.hash:
            return Verdict(False, checked, row.id, "edited")
        if anchor is not None and row.id == anchor[0]:
            if not row.hash.startswith(anchor[1]):
                return Verdict(False, checked, row.id, "anchor_mismatch")
            anchor_seen = True
        prev = row.hash
        last_id = row.id
        checked += 1
    if not anchor_seen:
        assert anchor is not None
        return Verdict(False, checked, anchor[0], "anchor_missing")
    return Verdict(True, checked, head_id=last_id if checked else None, head_hash=prev)
