"""need_stats, practitioner_stats and sale_stats: the 需求评估 and 首页 counts kept per community and quarter.

At province scale (100,000 practitioners, 300,000 needs) the needs page counted its figures from the base tables in
about 1.7 s for all communities, the overview in 1.4 s; summing these tables' rows takes milliseconds. Whatever
writes needs, practitioners or their group tags (a move on the page, an import or its undo, the seed, SQL typed by
an admin) marks its pairs dirty through the triggers of migration 0017: (community, quarter) for a need,
(community, '*') for a practitioner or a tag (their profile counts in every later quarter, and their needs' rows
carry their employment type and groups). The reader recounts the dirty pairs first (`catch_up`, in a transaction of
its own, under the tables' lock), or counts live when it cannot take the lock.

* need_stats, per need quarter (the quarter it was identified in), community and group ('' for everyone): counts by
  kind (see NeedStat). Nothing depends on today: a closing or feedback is kept by the quarter it fell in, so «closed
  in Q», «open at Q's end» and «feedback in Q» are sums over the quarters up to Q; the days to each stage are kept as
  a histogram, so medians are exact.
* sale_stats, per quarter, community and channel: the sales' orders, revenue and cost, for the overview's cooperative
  tile and the report's revenue per channel (1,000,000 sales at province scale); a sale marks its (community,
  quarter) as a need does.
* Both keep rows of community ALL (0), every community's added up: a recount of some communities takes their old
  rows away from ALL and adds their new ones (an UPSERT of a few hundred rows), so the page for all communities
  reads one community's worth of rows.
* practitioner_stats, per quarter asked for: the practitioners registered by its end, ages in its year. A quarter
  is counted for every community the first time a page asks for it (practitioner_stats_quarter), then kept.
"""

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from dashboard import catchup, locks
from dashboard.periods import parse_quarter, quarter_bounds
from dashboard.queries.needs import AGE_GROUPS, LOW_EDUCATION
from dashboard.queries.sqlfuncs import days_between, quarter_of
from data_models import (
    NeedAssessment,
    NeedStat,
    NeedStatDirty,
    Practitioner,
    PractitionerGroup,
    PractitionerStat,
    PractitionerStatQuarter,
    Sale,
    SaleStat,
)
from data_models.base import table_of
from data_models.need_stats import ALL, EVERYONE, WHOLE

N = table_of(NeedAssessment)
P = table_of(Practitioner)
PG = table_of(PractitionerGroup)
PG2 = PG.alias("pg2")
NS = table_of(NeedStat)
PS = table_of(PractitionerStat)
PSQ = table_of(PractitionerStatQuarter)
DIRTY = table_of(NeedStatDirty)
S = table_of(Sale)
SS = table_of(SaleStat)
LOCK = "need_stats"
ALL_AT_ONCE = 64     # more dirty marks than this: one recount of everything is quicker than pair by pair
STAGE_DATES = {"identified": N.c.identified_on, "assessed": N.c.assessed_on, "responded": N.c.responded_on,
               "feedback": N.c.feedback_on, "closed": N.c.closed_on}
FLAGS = ["age_18_35", "low_education", "rural_hukou", "labour_contract", "pension", "injury_insurance", "over_10h",
         "association_member"]
DIMS = ["age_group", "education", "hukou", "employment_type"]

Pair = tuple[int, str]


def _lit(value: str) -> sa.ColumnElement[str]:
    return sa.literal(value, sa.String)


def _age_group(year: int) -> sa.ColumnElement[str]:
    age = year - P.c.birth_year
    whens: list[tuple[sa.ColumnElement[bool], str]] = []
    for code, lo, hi in AGE_GROUPS:
        whens.append((age <= hi if lo is None else (age >= lo if hi is None else age.between(lo, hi)), code))
    return sa.case(*whens)


def flag_conditions(year: int) -> dict[str, sa.ColumnElement[bool]]:
    """The profile's yes/no figures, as needs.profile counts them."""
    return {
        "age_18_35": (year - P.c.birth_year).between(18, 35),
        "low_education": P.c.education.in_(LOW_EDUCATION),
        "rural_hukou": P.c.hukou == "rural",
        "labour_contract": P.c.has_labour_contract == sa.true(),
        "pension": P.c.has_pension == sa.true(),
        "injury_insurance": P.c.has_injury_insurance == sa.true(),
        "over_10h": P.c.daily_work_hours > 10,
        "association_member": P.c.is_association_member == sa.true(),
    }


def _grouped(base: sa.FromClause, grp: sa.ColumnElement[str]) -> list[tuple[sa.FromClause, sa.ColumnElement[str]]]:
    """Everyone, and each group of the practitioner (`base` holds the practitioner id as practitioner_id)."""
    return [(base, _lit(EVERYONE)), (base.join(PG, PG.c.practitioner_id == grp), PG.c.group)]


def _materialised(parts: list[sa.Select[Any]], name: str) -> sa.CTE:
    """The rows of `parts` (one per group pass) as a CTE the database computes once, however often the statement
    reads it: every count of a recount is then one pass over these narrow rows instead of one over the base tables
    (a full recount at province scale went from 45 s to about a quarter of that on SQLite)."""
    return sa.union_all(*parts).cte(name, nesting=True).prefix_with("MATERIALIZED")


def _one_insert(table: sa.Table, cols: list[str], ctes: list[sa.CTE], selects: list[sa.Select[Any]]) -> sa.Insert:
    """One INSERT of every count, the CTEs' WITH inside it (an INSERT that starts with WITH would read as a data
    write to dashboard/data_version.py)."""
    return table.insert().from_select(cols, sa.union_all(*selects).add_cte(*ctes, nest_here=True))


# --- practitioner_stats ------------------------------------------------------------------------------------------

def _practitioner_inserts(quarter: str, communities: list[int] | None) -> list[sa.Insert]:
    year = parse_quarter(quarter)[0]
    where = [P.c.registered_on <= quarter_bounds(quarter)[1]]
    if communities is not None:
        where.append(P.c.community_id.in_(communities))
    flags = flag_conditions(year)
    rows = _materialised([
        sa.select(grp.label("grp"), P.c.id.label("pid"), P.c.community_id.label("community_id"),
                  _age_group(year).label("age_group"), *(sa.cast(P.c[d], sa.String).label(d) for d in DIMS[1:]),
                  *(sa.case((c, 1), else_=0).label(k) for k, c in flags.items()))
        .select_from(base).where(*where)
        for base, grp in _grouped(P, P.c.id)], "practitioner_rows")
    # Then the practitioners with the same dimensions, counted once: each figure is a sum over these few cells.
    keys = [rows.c.grp, rows.c.community_id, *(rows.c[d] for d in DIMS)]
    cells = sa.select(*keys, sa.func.count().label("n"), *(sa.func.sum(rows.c[k]).label(k) for k in FLAGS)) \
        .group_by(*keys).cte("practitioner_cells", nesting=True).prefix_with("MATERIALIZED")
    q, by = _lit(quarter), [cells.c.grp, cells.c.community_id]
    selects = [sa.select(q, *by, _lit("total"), _lit(""), sa.func.sum(cells.c.n)).group_by(*by)]
    for d in DIMS:
        selects.append(sa.select(q, *by, _lit(d), cells.c[d], sa.func.sum(cells.c.n)).group_by(*by, cells.c[d]))
    for k in FLAGS:
        n = sa.func.sum(cells.c[k])
        selects.append(sa.select(q, *by, _lit("flag"), _lit(k), n).group_by(*by).having(n > 0))
    tags = rows.join(PG2, PG2.c.practitioner_id == rows.c.pid)
    key = sa.cast(PG2.c.group, sa.String)
    selects.append(sa.select(q, rows.c.grp, rows.c.community_id, _lit("group"), key, sa.func.count())
                   .select_from(tags).group_by(rows.c.grp, rows.c.community_id, key))
    return [_one_insert(PS, ["quarter", "grp", "community_id", "dim", "code", "n"], [rows, cells], selects)]


def _recount_practitioners(conn: Connection, quarters: Iterable[str], communities: list[int] | None) -> None:
    for quarter in quarters:
        cond = [PS.c.quarter == quarter]
        if communities is not None:
            cond.append(PS.c.community_id.in_(communities))
        if communities is not None:
            _shift_all(conn, PS, PRACTITIONER_KEYS, cond, -1)
        conn.execute(PS.delete().where(*cond))
        for stmt in _practitioner_inserts(quarter, communities):
            conn.execute(stmt)
        if communities is not None:
            _shift_all(conn, PS, PRACTITIONER_KEYS, cond, 1)


# --- need_stats ----------------------------------------------------------------------------------------------------

def _need_inserts(where: list[sa.ColumnElement[bool]]) -> list[sa.Insert]:
    with_p = N.join(P, P.c.id == N.c.practitioner_id)
    rows = _materialised([
        sa.select(grp.label("grp"), N.c.quarter, N.c.community_id, N.c.practitioner_id, N.c.category, N.c.severity,
                  P.c.employment_type, quarter_of(N.c.closed_on).label("closed_q"),
                  quarter_of(N.c.feedback_on).label("feedback_q"), N.c.satisfaction,
                  *(days_between(N.c.identified_on, d).label(f"days_{s}") for s, d in STAGE_DATES.items()))
        .select_from(base).where(*where)
        for base, grp in _grouped(with_p, N.c.practitioner_id)], "need_rows")
    # The kinds without days are sums over the needs counted once by all their keys; so are those of the feedback.
    base_keys = [rows.c.quarter, rows.c.grp, rows.c.community_id]
    plain = [rows.c.category, rows.c.employment_type, rows.c.severity, rows.c.closed_q]
    cells = sa.select(*base_keys, *plain, sa.func.count().label("n")).group_by(*base_keys, *plain) \
        .cte("need_cells", nesting=True).prefix_with("MATERIALIZED")
    fed = [rows.c.feedback_q, rows.c.days_feedback, rows.c.satisfaction]
    fb = sa.select(*base_keys, *fed, sa.func.count().label("n")).where(rows.c.feedback_q.is_not(None)) \
        .group_by(*base_keys, *fed).cte("need_feedback", nesting=True).prefix_with("MATERIALIZED")
    zero = sa.literal(0)
    kinds: list[tuple[str, Any, sa.ColumnElement[Any], sa.ColumnElement[Any], sa.ColumnElement[Any],
                      list[sa.ColumnElement[bool]]]] = [
        ("heat", cells, cells.c.category, cells.c.employment_type, zero, []),
        ("sev", cells, cells.c.severity, _lit(""), zero, []),
        ("closed", cells, cells.c.closed_q, _lit(""), zero, [cells.c.closed_q.is_not(None)]),
        ("stage", cells, _lit("identified"), _lit(""), zero, []),      # identified_on is never empty: 0 days
        ("fbd", fb, fb.c.feedback_q, _lit(""), fb.c.days_feedback, []),
        ("fbs", fb, fb.c.feedback_q, _lit(""), fb.c.satisfaction, [fb.c.satisfaction.is_not(None)]),
        ("stage", fb, _lit("feedback"), _lit(""), fb.c.days_feedback, []),
    ]
    selects = []
    for kind, src, k1, k2, v, cond in kinds:
        k1, k2 = sa.cast(k1, sa.String), sa.cast(k2, sa.String)
        by = [src.c.quarter, src.c.grp, src.c.community_id]
        selects.append(sa.select(*by[:2], _lit(kind), by[2], k1, k2, v, sa.func.sum(src.c.n)).where(*cond)
                       .group_by(*by, k1, k2, v))
    # Those counted from the needs themselves: by the groups of the practitioner, and the days to each other stage.
    rest: list[tuple[str, sa.FromClause, sa.ColumnElement[Any], sa.ColumnElement[Any], sa.ColumnElement[Any],
                     list[sa.ColumnElement[bool]]]] = [
        ("cat_grp", rows.join(PG2, PG2.c.practitioner_id == rows.c.practitioner_id), rows.c.category, PG2.c.group,
         zero, []),
    ]
    for s in ("assessed", "responded", "closed"):
        rest.append(("stage", rows, _lit(s), _lit(""), rows.c[f"days_{s}"], [rows.c[f"days_{s}"].is_not(None)]))
    for kind, from_, k1, k2, v, cond in rest:
        k1, k2 = sa.cast(k1, sa.String), sa.cast(k2, sa.String)
        selects.append(sa.select(rows.c.quarter, rows.c.grp, _lit(kind), rows.c.community_id, k1, k2, v,
                                 sa.func.count()).select_from(from_).where(*cond).group_by(*base_keys, k1, k2, v))
    return [_one_insert(NS, ["quarter", "grp", "kind", "community_id", "k1", "k2", "v", "n"], [rows, cells, fb],
                        selects)]


def _recount_needs(conn: Connection, quarter: str | None, communities: list[int] | None) -> None:
    cond, where = [], []
    if quarter is not None:
        cond.append(NS.c.quarter == quarter)
        where.append(N.c.quarter == quarter)
    if communities is not None:
        cond.append(NS.c.community_id.in_(communities))
        where.append(N.c.community_id.in_(communities))
    if communities is not None:
        _shift_all(conn, NS, NEED_KEYS, cond, -1)
    conn.execute(NS.delete().where(*cond))
    for stmt in _need_inserts(where):
        conn.execute(stmt)
    if communities is not None:
        _shift_all(conn, NS, NEED_KEYS, cond, 1)


# --- sale_stats ----------------------------------------------------------------------------------------------------

def _recount_sales(conn: Connection, quarter: str | None, communities: list[int] | None, *,
                   by_channel: bool = True) -> None:
    """`by_channel`: False on a database before migration 0021 (0017 fills the table with this code)."""
    cond, where = [], []
    if quarter is not None:
        cond.append(SS.c.quarter == quarter)
        where.append(S.c.quarter == quarter)
    if communities is not None:
        cond.append(SS.c.community_id.in_(communities))
        where.append(S.c.community_id.in_(communities))
    conn.execute(SS.delete().where(*cond))
    keys = (S.c.quarter, S.c.community_id, *([S.c.channel] if by_channel else []))
    conn.execute(SS.insert().from_select(
        ["quarter", "community_id", *(["channel"] if by_channel else []), "orders", "revenue_cents", "cost_cents"],
        sa.select(*keys, sa.func.count(), sa.func.sum(S.c.revenue_cents), sa.func.sum(S.c.cost_cents))
        .where(*where).group_by(*keys)))


# --- every community's rows, added up once -------------------------------------------------------------------------

def _rollup(conn: Connection, table: sa.Table, keys: list[str], quarters: Iterable[str] | None) -> None:
    """Rows of community ALL: each key's sum over the communities, so the page for all communities reads a
    community's worth of rows instead of adding up 128 communities' on every view."""
    cond = [] if quarters is None else [table.c.quarter.in_(sorted(set(quarters)))]
    conn.execute(table.delete().where(table.c.community_id == ALL, *cond))
    cols = [table.c[k] for k in keys]
    conn.execute(table.insert().from_select(
        [*keys, "community_id", "n"], sa.select(*cols, sa.literal(ALL), sa.func.sum(table.c.n))
        .where(table.c.community_id != ALL, *cond).group_by(*cols)))


def _shift_all(conn: Connection, table: sa.Table, keys: list[str], where: list[sa.ColumnElement[bool]],
               sign: int) -> None:
    """Add (sign 1) or take away (-1) the rows `where` selects from the rows of community ALL: a recount of a few
    communities moves ALL by their difference instead of adding up the quarter again."""
    cols = [table.c[k] for k in keys]
    sel = sa.select(*cols, sa.literal(ALL), sa.func.sum(table.c.n) * sign).where(*where).group_by(*cols)
    upsert = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)
    stmt = upsert.from_select([*keys, "community_id", "n"], sel)
    conn.execute(stmt.on_conflict_do_update(index_elements=[*keys[:3], "community_id", *keys[3:]]
                                            if table is NS else [keys[0], keys[1], "community_id", *keys[2:]],
                                            set_={"n": table.c.n + stmt.excluded.n}))
    if sign < 0:
        return
    conn.execute(table.delete().where(table.c.community_id == ALL, table.c.n == 0))


NEED_KEYS = ["quarter", "grp", "kind", "k1", "k2", "v"]
PRACTITIONER_KEYS = ["quarter", "grp", "dim", "code"]


def _rollup_needs(conn: Connection, quarters: Iterable[str] | None) -> None:
    _rollup(conn, NS, NEED_KEYS, quarters)


def _rollup_practitioners(conn: Connection, quarters: Iterable[str] | None) -> None:
    _rollup(conn, PS, PRACTITIONER_KEYS, quarters)


# --- keeping them current ------------------------------------------------------------------------------------------

def _kept_quarters(conn: Connection) -> list[str]:
    return [str(q) for (q,) in conn.execute(sa.select(PSQ.c.quarter))]


def refresh(conn: Connection, marks: set[Pair]) -> None:
    """Recount the marked pairs inside the caller's transaction, under the tables' lock; (c, '*') is every quarter
    of community c."""
    if not marks:
        return
    locks.serialise(conn, LOCK)
    whole = sorted({c for c, q in marks if q == WHOLE})
    if whole:
        _recount_needs(conn, None, whole)
        _recount_sales(conn, None, whole)
        _recount_practitioners(conn, _kept_quarters(conn), whole)
    by_quarter: dict[str, set[int]] = {}
    for c, q in marks:
        if q != WHOLE and c not in whole:
            by_quarter.setdefault(q, set()).add(c)
    for q, cs in sorted(by_quarter.items()):
        _recount_needs(conn, q, sorted(cs))
        _recount_sales(conn, q, sorted(cs))


def _all_quarters(conn: Connection) -> list[str]:
    """The quarters a page offers (dashboard.queries.common.quarters): those of needs, sales and requests."""
    return [str(q) for (q,) in conn.execute(sa.text(
        "SELECT quarter FROM need_assessment UNION SELECT quarter FROM sale UNION SELECT quarter FROM request"))]


def refresh_all(conn: Connection) -> None:
    """Recount everything, practitioners for every quarter a page offers, and clear the marks (after the seed;
    migration 0017, which runs it on its own schema: sale_stats without the channel of 0021)."""
    locks.serialise(conn, LOCK)
    quarters = sorted(set(_kept_quarters(conn)) | set(_all_quarters(conn)))
    _recount_needs(conn, None, None)
    _recount_sales(conn, None, None,
                   by_channel=any(c["name"] == "channel" for c in sa.inspect(conn).get_columns(SS.name)))
    conn.execute(PS.delete())
    conn.execute(PSQ.delete())
    _recount_practitioners(conn, quarters, None)
    if quarters:
        conn.execute(PSQ.insert(), [{"quarter": q} for q in quarters])
    _rollup_needs(conn, None)
    _rollup_practitioners(conn, None)
    conn.execute(DIRTY.delete())


def dirty(conn: Connection) -> list[tuple[int, str, int]]:
    return catchup.marks(conn, DIRTY)


def _missing(conn: Connection, quarters: Iterable[str]) -> list[str]:
    wanted = set(quarters)
    if not wanted:
        return []
    have = {str(q) for (q,) in conn.execute(sa.select(PSQ.c.quarter).where(PSQ.c.quarter.in_(sorted(wanted))))}
    return sorted(wanted - have)


def _recount_marks(conn: Connection, claimed: list[catchup.Mark], quarters: list[str]) -> bool:
    """Recount the claimed marks' pairs and count the practitioners of `quarters` not yet kept; True if it did the
    latter."""
    if len(claimed) > ALL_AT_ONCE:
        _recount_needs(conn, None, None)
        _recount_sales(conn, None, None)
        _recount_practitioners(conn, _kept_quarters(conn), None)
        _rollup_needs(conn, None)
        _rollup_practitioners(conn, None)
    else:
        refresh(conn, {(c, q) for c, q, _ in claimed})
    missing = _missing(conn, quarters)
    if missing:
        _recount_practitioners(conn, missing, None)
        _rollup_practitioners(conn, missing)
        conn.execute(PSQ.insert(), [{"quarter": q} for q in missing])
    return bool(missing)


def catch_up(engine: Engine, quarters: Iterable[str] = (), reader: Connection | None = None) -> bool:
    """Recount the dirty pairs, and count the practitioners of `quarters` not yet kept (dashboard/catchup.py); False
    when the caller must count live. `reader`: a connection to look with first, without opening a transaction."""
    wanted = list(quarters)
    return catchup.run(engine, lock=LOCK, dirty=DIRTY, reader=reader,
                       recount=lambda conn, claimed: _recount_marks(conn, claimed, wanted),
                       idle=lambda conn: not dirty(conn) and not _missing(conn, wanted))
