"""A summary table's catch-up, on a page's read: recount the (community, quarter) pairs its triggers marked dirty.

need_stats and training_stats (and every summary kept the same way) share it:

1. Look first with the page's own connection, without a transaction: nearly always nothing is marked.
2. On the primary (a page may read through a replica, which cannot be written), in a transaction of its own, take the
   summary's lock, so two page views never recount the same pairs at once. PostgreSQL waits `LOCK_WAIT_MS` at most
   for it (another page view's big recount), SQLite its busy timeout (an uncommitted write holds its one write
   lock); past that the caller counts live.
3. Claim the marks. On PostgreSQL a mark whose row an uncommitted write holds (an import in progress marked the same
   pair again) is skipped (FOR UPDATE SKIP LOCKED), never waited for: waiting would hold the lock meanwhile, so every
   other page view would queue behind an import, and the import could deadlock with it. Such a mark was committed
   before, so its pair is not current: the caller counts live this once, and the pair is recounted when the write has
   ended.
4. Recount the claimed pairs, and delete their marks, in that transaction: a write that marks a claimed pair again
   waits for it and is recounted next time.
5. Through a replica, a recount moves the data version: the page reads the summary on the replica, which may not
   have the recount yet, so what it cached then is dropped at the next check (dashboard/loaders.drop_stale_caches),
   as after any write. On one database the page reads what it just recounted, and nothing moves.

`run` is True when the summary is current for the caller, False when the caller must count live.
"""

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dashboard import data_version, db, locks

LOCK_WAIT_MS = 2000      # PostgreSQL: the longest a page view waits for another page view's recount

Mark = tuple[int, str, int]        # (community_id, quarter, gen)


def marks(conn: Connection, dirty: sa.Table) -> list[Mark]:
    return [(int(c), str(q), int(g)) for c, q, g in conn.execute(
        sa.select(dirty.c.community_id, dirty.c.quarter, dirty.c.gen))]


def hold(conn: Connection, lock: str) -> None:
    """Take the summary's lock for this transaction; raises OperationalError where it cannot be had in time."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(LOCK_WAIT_MS)}ms'")
    locks.serialise(conn, lock)


def claim(conn: Connection, dirty: sa.Table) -> tuple[list[Mark], bool]:
    """The marks this transaction may recount and clear (locked until it ends), and whether committed marks were
    left out because an uncommitted write holds them."""
    if conn.dialect.name != "postgresql":
        return marks(conn, dirty), False
    seen = {(c, q) for c, q, _ in marks(conn, dirty)}
    mine = [(int(c), str(q), int(g)) for c, q, g in conn.execute(
        sa.select(dirty.c.community_id, dirty.c.quarter, dirty.c.gen)
        .order_by(dirty.c.community_id, dirty.c.quarter).with_for_update(skip_locked=True))]
    return mine, bool(seen - {(c, q) for c, q, _ in mine})


def clear(conn: Connection, dirty: sa.Table, claimed: list[Mark]) -> None:
    if claimed:
        conn.execute(dirty.delete().where(dirty.c.community_id == sa.bindparam("c"),
                                          dirty.c.quarter == sa.bindparam("q"),
                                          dirty.c.gen == sa.bindparam("g")),
                     [{"c": c, "q": q, "g": g} for c, q, g in claimed])


def run(engine: Engine, *, lock: str, dirty: sa.Table, recount: Callable[[Connection, list[Mark]], bool],
        idle: Callable[[Connection], bool], reader: Connection | None = None) -> bool:
    """Catch the summary up (see the module's text). `recount(conn, claimed)` recounts the claimed marks' pairs and
    whatever else is due, and says whether it recounted anything besides them; `idle(conn)`: nothing is due."""
    primary = db.primary_of(engine)    # called with a page's read engine, which may be a replica
    if reader is not None and idle(reader):
        return True
    try:
        with primary.begin() as conn:
            hold(conn, lock)
            claimed, held = claim(conn, dirty)
            more = recount(conn, claimed)
            clear(conn, dirty, claimed)
            if primary is not engine and (claimed or more):
                data_version.bump(conn)
        return not held
    except sa.exc.OperationalError:
        return False
