"""training_stats: the 培训成效 counts kept per enrolment quarter, community, course and vulnerable group.

At province scale (500,000 enrolments) counting the funnel from the enrolments and their follow-ups took over a
second, and levels 1-4 (satisfaction, paired scores, behaviour, reported income) over half a second more; summing
this table's rows takes milliseconds. The funnel's columns (kept_counts) and the levels' (level_counts) are apart so
each board sums only its own. Whatever writes enrolments, follow-ups or group tags — a follow-up recorded on the
page, an import or its undo, training_sync, the seed, SQL typed by an admin — marks its (community, quarter) pairs
dirty through the database triggers of migration 0012, so no writer has to remember to. The reader recounts the
dirty pairs first (`catch_up`, in a transaction of its own, under the table's lock), or counts live when it cannot
take the lock. refresh() counts with the same expressions as the live queries (`kept_counts`, `level_counts`,
`due_counts`), so both give the same numbers (tests/test_training_stats.py). `training_stats_employed` (migration
0018), recounted with the same pairs, keeps the days certified learners were found employed, which the subsidy's
second tranche counts (`employed_days`, the subsidy's own live query in SQL of this module's).
"""

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dashboard import catchup, locks
from dashboard.queries.sqlfuncs import count_if
from data_models import Enrolment, PractitionerGroup, TrainingFollowup, TrainingStat, TrainingStatDirty, TrainingStatDue
from data_models.base import table_of
from data_models.enums import EmploymentStatus
from data_models.training_stats import EVERYONE, TrainingStatEmployed

E = table_of(Enrolment)
F = table_of(TrainingFollowup)
PG = table_of(PractitionerGroup)
STATS = table_of(TrainingStat)
DUE = table_of(TrainingStatDue)
DIRTY = table_of(TrainingStatDirty)
EMPLOYED = table_of(TrainingStatEmployed)
F3 = F.alias("f3")
F6 = F.alias("f6")
LOCK = "training_stats"
GAIN_SCALE = 1_000_000    # gains are kept in millionths
ALL_AT_ONCE = 64        # more dirty pairs than this: one recount of everything is quicker than pair by pair
EMPLOYED_CODES = sorted(s.value for s in EmploymentStatus if s is not EmploymentStatus.not_employed)
ECOMMERCE_CODES = sorted([EmploymentStatus.ecommerce_employed.value, EmploymentStatus.ecommerce_self.value])
LIVESTREAMS_MANY = 3    # «livestreams 3 or more times a week»: a regular streamer
WAVES = ("m3", "m6")

Pair = tuple[int, str]


def with_followups(base: sa.FromClause) -> sa.FromClause:
    """`base` (holding enrolment E) with the m3 and m6 follow-ups of completed enrolments: one row per enrolment.
    A follow-up left on an enrolment no longer completed (someone had worked on it) is not counted, so each step
    of the funnel is a subset of the one before."""
    return (base.outerjoin(F3, sa.and_(F3.c.enrolment_id == E.c.id, F3.c.wave == "m3", E.c.completed))
            .outerjoin(F6, sa.and_(F6.c.enrolment_id == E.c.id, F6.c.wave == "m6", E.c.completed)))


def _gain_micro() -> sa.ColumnElement[int]:
    """(post − pre) ÷ (100 − pre) in millionths, rounded: integers add up the same in any order."""
    return sa.cast(sa.func.round(sa.cast(E.c.post_score - E.c.pre_score, sa.Float) * GAIN_SCALE
                                 / sa.cast(100 - E.c.pre_score, sa.Float)), sa.BigInteger)


def _sum_if(cond: sa.ColumnElement[bool], value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return sa.func.coalesce(sa.func.sum(sa.case((cond, value), else_=0)), 0)


def wave_counts(wave: str, f: sa.FromClause) -> dict[str, sa.ColumnElement[Any]]:
    """Level 3 (behaviour) and self-reported level 4 of one wave: answers of REACHED follow-ups only, each over
    those who gave it (a reached person not asked about streaming is not a non-streamer; nobody unreached counts)."""
    r = f.c.status == "reached"
    streams = f.c.livestreams_per_week
    before, after = E.c.income_before_cents, f.c.income_cents
    known = sa.and_(r, after.is_not(None), before.is_not(None))
    answered = sa.and_(r, streams.is_not(None))
    return {
        f"{wave}_followups": count_if(f.c.id.is_not(None)),
        f"{wave}_ecommerce": count_if(sa.and_(r, f.c.employment.in_(ECOMMERCE_CODES))),
        f"{wave}_store_answered": count_if(sa.and_(r, f.c.opened_store.is_not(None))),
        f"{wave}_opened_store": count_if(sa.and_(r, f.c.opened_store == sa.true())),
        f"{wave}_streams_answered": count_if(answered),
        f"{wave}_streams_sum": _sum_if(answered, streams),
        f"{wave}_streams_3plus": count_if(sa.and_(answered, streams >= LIVESTREAMS_MANY)),
        f"{wave}_inc_n": count_if(known),
        f"{wave}_inc_before": _sum_if(known, before),
        f"{wave}_inc_after": _sum_if(known, after),
        f"{wave}_inc_up": count_if(sa.and_(known, after > before)),
        f"{wave}_inc_down": count_if(sa.and_(known, after < before)),
    }


def kept_counts() -> dict[str, sa.ColumnElement[Any]]:
    """The funnel's counts that do not depend on today, over rows of with_followups(): columns of training_stats."""
    r3, r6 = F3.c.status == "reached", F6.c.status == "reached"
    emp3, emp6 = F3.c.employment.in_(EMPLOYED_CODES), F6.c.employment.in_(EMPLOYED_CODES)
    known = sa.and_(r6, F6.c.income_cents.is_not(None), E.c.income_before_cents.is_not(None))
    both = sa.and_(E.c.pre_score.is_not(None), E.c.post_score.is_not(None))
    room = sa.and_(both, E.c.pre_score < 100)
    return {
        "enrolled": sa.func.count(E.c.id),
        "attended": count_if(E.c.attended),
        "completed": count_if(E.c.completed),
        "certified": count_if(E.c.certified),
        "m3_reached": count_if(r3),
        "m3_unreachable": count_if(F3.c.status == "unreachable"),
        "m3_employed": count_if(sa.and_(r3, emp3)),
        "m6_reached": count_if(r6),
        "m6_unreachable": count_if(F6.c.status == "unreachable"),
        "m6_income_known": count_if(known),
        "m6_income_up": count_if(sa.and_(known, F6.c.income_cents > E.c.income_before_cents)),
        "stable_base": count_if(sa.and_(r3, r6, emp3)),
        "stable": count_if(sa.and_(r3, r6, emp3, emp6)),
        "n_paired": count_if(both),
        "gain_n": count_if(room),
        "gain_micro": _sum_if(room, _gain_micro()),
    }


def level_counts() -> dict[str, sa.ColumnElement[Any]]:
    """What levels_board shows (satisfaction, paired scores, behaviour, reported income) as counts and integer sums
    over rows of with_followups(), so any scope's figures are sums of rows: the other columns of training_stats.
    Kept apart from kept_counts so the funnel's sums do not carry them."""
    both = sa.and_(E.c.pre_score.is_not(None), E.c.post_score.is_not(None))
    room = sa.and_(both, E.c.pre_score < 100)
    gain = _gain_micro()
    return {
        # The squares of the rounded gains, exact: the SD is then found in integers (a course would need some
        # 900 learners who each fell from 99 to 0 to pass a BIGINT).
        "gain_sq": _sum_if(room, gain * gain),
        "sum_pre": _sum_if(both, E.c.pre_score),
        "sum_post": _sum_if(both, E.c.post_score),
        **{f"sat_{i}": count_if(E.c.satisfaction == i) for i in range(1, 6)},
        **wave_counts("m3", F3),
        **wave_counts("m6", F6),
    }


def due_counts(as_of: dt.date) -> dict[str, sa.ColumnElement[Any]]:
    """Follow-ups due by as_of: reached, given up, or pending with their day come."""
    def due(f: sa.FromClause) -> sa.ColumnElement[bool]:
        return sa.and_(f.c.id.is_not(None), sa.or_(f.c.due_on <= as_of, f.c.status != "pending"))
    return {"m3_due": count_if(due(F3)), "m6_due": count_if(due(F6))}


KEPT = list(kept_counts())
LEVELS = list(level_counts())
KEYS = ["quarter", "community_id", "course_id", "grp"]


def _where(pairs: dict[str, Any] | None) -> list[sa.ColumnElement[bool]]:
    if pairs is None:
        return []
    return [E.c.quarter == sa.bindparam("quarter"), E.c.community_id.in_(sa.bindparam("communities",
                                                                                       expanding=True))]


def _inserts(scoped: bool, employed: bool = True) -> list[sa.Insert]:
    where = _where({} if scoped else None)
    counts = {**kept_counts(), **level_counts()}
    out = []
    for grp, base in ((sa.literal(EVERYONE), E), (PG.c.group, E.join(PG, PG.c.practitioner_id == E.c.practitioner_id))):
        keys = [E.c.quarter, E.c.community_id, E.c.course_id, grp]
        out.append(STATS.insert().from_select(
            [*KEYS, *counts], sa.select(*keys, *counts.values()).select_from(with_followups(base))
            .where(*where).group_by(*keys)))
        for wave, f in (("m3", F3), ("m6", F6)):
            dkeys = [E.c.quarter, E.c.community_id, E.c.course_id, grp, sa.literal(wave), f.c.due_on]
            out.append(DUE.insert().from_select(
                [*KEYS, "wave", "due_on", "pending"], sa.select(*dkeys, sa.func.count())
                .select_from(with_followups(base)).where(*where, f.c.status == "pending").group_by(*dkeys)))
    if employed:
        out.append(EMPLOYED.insert().from_select(["quarter", "community_id", "course_id", "m3_on", "m6_on", "n"],
                                                 employed_days(where)))
    return out


def employed_days(where: list[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    """Per enrolment quarter, community and course: certified learners by the days a reached follow-up first found
    them employed at 3 and at 6 months (NULL: not at that one), and how many (the subsidy's second tranche).
    The same rows as dashboard/services/subsidy.py counts live: certified, reached (a reached_on), employed."""
    def first(wave: str) -> sa.ColumnElement[Any]:
        return sa.func.min(sa.case((F.c.wave == wave, F.c.reached_on)))
    per_learner = (sa.select(E.c.quarter, E.c.community_id, E.c.course_id, first("m3").label("m3_on"),
                             first("m6").label("m6_on"))
                   .select_from(E.join(F, F.c.enrolment_id == E.c.id))
                   .where(E.c.certified.is_(True), F.c.reached_on.is_not(None), F.c.employment.in_(EMPLOYED_CODES),
                          *where)
                   .group_by(E.c.id, E.c.quarter, E.c.community_id, E.c.course_id).subquery())
    keys = [per_learner.c.quarter, per_learner.c.community_id, per_learner.c.course_id, per_learner.c.m3_on,
            per_learner.c.m6_on]
    # In key order: the rows' ids are then the same on every load of the same data (tests/test_seed.py).
    return sa.select(*keys, sa.func.count()).group_by(*keys).order_by(*keys)


def _recount(conn: Connection, params: dict[str, Any] | None, employed: bool = True) -> None:
    for table in (STATS, DUE, EMPLOYED) if employed else (STATS, DUE):
        cond = [] if params is None else [table.c.quarter == sa.bindparam("quarter"),
                                          table.c.community_id.in_(sa.bindparam("communities", expanding=True))]
        conn.execute(table.delete().where(*cond), params or {})
    for stmt in _inserts(params is not None, employed):
        conn.execute(stmt, params or {})


def refresh(conn: Connection, pairs: set[Pair]) -> None:
    """Recount the (community_id, quarter) pairs inside the caller's transaction, under the table's lock."""
    if not pairs:
        return
    locks.serialise(conn, LOCK)
    by_quarter: dict[str, set[int]] = {}
    for community_id, quarter in pairs:
        by_quarter.setdefault(quarter, set()).add(community_id)
    for quarter, communities in sorted(by_quarter.items()):
        _recount(conn, {"quarter": quarter, "communities": sorted(communities)})


def refresh_all(conn: Connection) -> None:
    """Recount everything and clear the dirty marks (after the seed; migration 0012, which runs before 0018 made
    training_stats_employed: that table is left out where it does not exist yet)."""
    locks.serialise(conn, LOCK)
    _recount(conn, None, employed=sa.inspect(conn).has_table(EMPLOYED.name))
    conn.execute(DIRTY.delete())


def dirty(conn: Connection) -> list[tuple[int, str, int]]:
    return catchup.marks(conn, DIRTY)


def _recount_marks(conn: Connection, claimed: list[catchup.Mark]) -> bool:
    if len(claimed) > ALL_AT_ONCE:
        _recount(conn, None)
    else:
        refresh(conn, {(c, q) for c, q, _ in claimed})
    return False


def catch_up(engine: Engine, reader: Connection | None = None) -> bool:
    """Recount the dirty pairs (dashboard/catchup.py); False when the caller must count live. `reader`: the
    caller's connection, to look for dirty pairs without opening another (nearly always there are none)."""
    return catchup.run(engine, lock=LOCK, dirty=DIRTY, reader=reader, recount=_recount_marks,
                       idle=lambda conn: not dirty(conn))
