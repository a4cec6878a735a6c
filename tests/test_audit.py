"""The audit log's hash chain: intact after real writes, and it names the first edited, inserted or deleted entry."""

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard import audit
from seed import load_demo


@pytest.fixture
def chained(engine: Engine) -> Engine:
    load_demo(engine, "demo")           # 49 real entries: runs created and approved, the seed itself, and the
    return engine                       # locking of the demo's 15 signed minutes (seed/meeting_minutes.py)


def verdict(engine: Engine) -> audit.Verdict:
    with engine.connect() as conn:
        return audit.verify(conn)


def test_the_chain_holds_after_real_writes(chained: Engine) -> None:
    v = verdict(chained)
    assert v.ok and v.checked == 49


def test_an_edited_entry_is_named(chained: Engine) -> None:
    with chained.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor = 'someone else' WHERE id = 10"))
    v = verdict(chained)
    assert (v.ok, v.first_bad_id, v.reason, v.checked) == (False, 10, "edited", 9)


def test_a_deleted_entry_breaks_the_chain_at_the_next(chained: Engine) -> None:
    with chained.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE id = 20"))
    v = verdict(chained)
    assert (v.ok, v.first_bad_id, v.reason) == (False, 21, "chain_broken")


@pytest.mark.parametrize(("link_to", "reason"), [(49, "edited"), (5, "chain_broken")],
                         ids=["linked to the last entry, hash forged", "linked to an older entry"])
def test_an_inserted_entry_is_caught(chained: Engine, link_to: int, reason: str) -> None:
    with chained.begin() as conn:
        row = conn.execute(sa.text("SELECT at, hash FROM audit_log WHERE id = :id"), {"id": link_to}).one()
        conn.execute(sa.text("INSERT INTO audit_log (id, at, actor, action, entity, prev_hash, hash) "
                             "VALUES (1000, :at, 'x', 'approve', 'distribution_run', :prev, 'forged')"),
                     {"at": row.at, "prev": row.hash})
    v = verdict(chained)
    assert (v.ok, v.first_bad_id, v.reason) == (False, 1000, reason)


def test_a_published_head_catches_a_rewrite_of_the_whole_chain(chained: Engine) -> None:
    """Someone who edits entry 10 and recomputes every later hash fools the chain, not the published head."""
    head = verdict(chained)
    assert head.head_id == 49 and head.head_hash and len(head.head_hash) == 64
    anchor = audit.parse_anchor(f"{head.head_id}:{head.head_hash[:16]}")
    with chained.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor = 'someone else' WHERE id = 10"))
        prev = conn.execute(sa.text("SELECT hash FROM audit_log WHERE id = 9")).scalar_one()
        for row in conn.execute(sa.text("SELECT id, at, actor, action, entity, entity_id, before, after "
                                        "FROM audit_log WHERE id >= 10 ORDER BY id")).all():
            at = dt.datetime.fromisoformat(row.at) if isinstance(row.at, str) else row.at
            at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
            fields = {"at": at.isoformat(), "actor": row.actor, "action": row.action, "entity": row.entity,
                      "entity_id": row.entity_id, "before": row.before, "after": row.after}
            new = audit.entry_hash(prev, fields)
            conn.execute(sa.text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE id = :id"),
                         {"p": prev, "h": new, "id": row.id})
            prev = new
    with chained.connect() as conn:
        assert audit.verify(conn).ok                                   # the chain alone is fooled
        caught = audit.verify(conn, anchor)
    assert (caught.ok, caught.first_bad_id, caught.reason) == (False, 49, "anchor_mismatch")
    with chained.connect() as conn:
        missing = audit.verify(conn, (99, "00000000"))
    assert (missing.ok, missing.reason) == (False, "anchor_missing")
    with pytest.raises(ValueError):
        audit.parse_anchor("head")
