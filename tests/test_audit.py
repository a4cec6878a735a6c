"""The audit log's hash chain: intact after real writes, and it names the first edited, inserted or deleted entry."""

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard import audit
from seed import load_demo


@pytest.fixture
def chained(engine: Engine) -> Engine:
    load_demo(engine, "demo")           # 34 real entries: runs created and approved, and the seed itself
    return engine


def verdict(engine: Engine) -> audit.Verdict:
    with engine.connect() as conn:
        return audit.verify(conn)


def test_the_chain_holds_after_real_writes(chained: Engine) -> None:
    v = verdict(chained)
    assert v.ok and v.checked == 34


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


@pytest.mark.parametrize(("link_to", "reason"), [(34, "edited"), (5, "chain_broken")],
                         ids=["linked to the last entry, hash forged", "linked to an older entry"])
def test_an_inserted_entry_is_caught(chained: Engine, link_to: int, reason: str) -> None:
    with chained.begin() as conn:
        row = conn.execute(sa.text("SELECT at, hash FROM audit_log WHERE id = :id"), {"id": link_to}).one()
        conn.execute(sa.text("INSERT INTO audit_log (id, at, actor, action, entity, prev_hash, hash) "
                             "VALUES (1000, :at, 'x', 'approve', 'distribution_run', :prev, 'forged')"),
                     {"at": row.at, "prev": row.hash})
    v = verdict(chained)
    assert (v.ok, v.first_bad_id, v.reason) == (False, 1000, reason)
