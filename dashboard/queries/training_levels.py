"""培训成效 levels 1-4 (Kirkpatrick) for a scope: reaction, learning, behaviour and income.

Learners are in scope by their enrolment (enrolment.community_id and enrolment.quarter, the quarter of enrolled_on).
Levels 1-3 and self-reported level 4 are sums of training_stats (dashboard/training_stats.py: counts and integer
sums per enrolment quarter, community and course, kept current from the database's dirty marks), read per course
(with the pending follow-ups due by as_of from training_stats_due) as training_board reads its funnel; `live=True`,
or a lock that cannot be had, counts the same from the enrolments and their follow-ups (the tests compare both).
Level 3 and self-reported level 4 come from REACHED follow-ups of completed enrolments only (the funnel's
follow-ups): a pending or unreachable contact has no answers and is never read as "no" or as an income of 0.

Quartiles and medians cannot be summed: they are ranked live in the database (only the one or two rows each lies
between come back) when the scope holds at most RANK_LIMIT values to rank — any one community at province scale —
and are None above that (all communities of a province: ranking them took 140-220 ms each; the page shows «—»).

Verified income (level 4) rests on completed learners who are cooperative members (member.practitioner_id; one row
per membership): what the member was paid in APPROVED distribution runs of their cooperative (draft and reversed
runs are left out), per month, in the two calendar quarters before the quarter the course started against the two
calendar quarters after the quarter it ended. A run counts in a window when its whole period lies inside it; per
month = the member's lines in those runs ÷ the months those runs cover, so a quarter the cooperative did not
distribute is not read as 0 paid. A member counts when both windows hold at least one approved run; a member with no
line in a run was paid 0 in it.
"""

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from dashboard import training_stats as ts
from dashboard.queries import Scope
from dashboard.queries.sqlfuncs import count_if
from dashboard.services.training_levels import QUARTILES, GainSummary, mean_cents, quantile_at, round_cents
from data_models import Course, DistributionLine, DistributionRun, Enrolment, Member, TrainingFollowup
from data_models.base import table_of
from data_models.enums import FollowupStatus, RunStatus
from data_models.training_stats import EVERYONE

E = table_of(Enrolment)
C = table_of(Course)
F = table_of(TrainingFollowup)
M = table_of(Member)
RUN = table_of(DistributionRun)
LINE = table_of(DistributionLine)

# The same sets as dashboard/services/training_funnel.py (contract): e-commerce work.
ECOMMERCE = frozenset(ts.ECOMMERCE_CODES)
LIVESTREAMS_MANY = ts.LIVESTREAMS_MANY
VERIFIED_SOURCE = "approved_distribution_lines"
RANK_LIMIT = 10_000     # values a quartile or median is ranked among, live; above this it is None

REACTION_COLUMNS = ["code", "title", "satisfaction", "n"]
LEARNING_COLUMNS = ["code", "title", "n_paired", "mean_pre", "mean_post", "mean_change", "n_gain", "mean_gain",
                    "sd_gain", "q1", "median", "q3"]
BEHAVIOUR_COLUMNS = ["wave", "due", "reached", "unreachable", "ecommerce", "store_answered", "opened_store",
                     "streams_answered", "mean_livestreams", "livestreams_3plus"]
INCOME_REPORTED_COLUMNS = ["wave", "reached", "n", "mean_before_cents", "mean_after_cents", "mean_change_cents",
                           "median_change_cents", "up", "down"]
INCOME_VERIFIED_COLUMNS = ["members", "n", "mean_before_cents", "mean_after_cents", "mean_change_cents", "up",
                           "down", "source"]
WAVES = ts.WAVES
SUMS = ["n_paired", "sum_pre", "sum_post", "gain_n", "gain_micro", "gain_sq"]
# What levels_board sums per course: the levels' columns of training_stats and a few of the funnel's.
COUNTED = ["n_paired", "gain_n", "gain_micro", *[f"{w}_{k}" for w in WAVES for k in ("reached", "unreachable")],
           *ts.LEVELS]
DUE_COLUMNS = [f"{w}_due" for w in WAVES]


@dataclass(frozen=True)
class LevelsBoard:
    reaction: pd.DataFrame         # per course and satisfaction score 1..5: code, title, satisfaction, n
    learning: pd.DataFrame         # per course: LEARNING_COLUMNS (GainSummary's fields)
    behaviour: pd.DataFrame        # per wave m3/m6: BEHAVIOUR_COLUMNS, counted over reached follow-ups
    income_reported: pd.DataFrame  # per wave: INCOME_REPORTED_COLUMNS, reached with both incomes known
    income_verified: pd.DataFrame  # one row (or none): INCOME_VERIFIED_COLUMNS, from approved distribution lines
    learning_all: GainSummary      # every paired learner in scope together


def _in_scope(scope: Scope) -> list[sa.ColumnElement[bool]]:
    out: list[sa.ColumnElement[bool]] = []
    if scope.community_id is not None:
        out.append(E.c.community_id == scope.community_id)
    if scope.quarter is not None:
        out.append(E.c.quarter == scope.quarter)
    return out


Row = dict[str, Any]


def per_course(session: Session, *, scope: Scope, as_of: dt.date, live: bool = False) -> list[Row]:
    """Per course of the enrolments in scope, by code: course_id, code, title, the COUNTED sums and m3_due/m6_due;
    from training_stats (its rows for everyone) or, live, from the enrolments and their follow-ups with the same
    expressions. Plain rows of ints: a course table of a province is 1,700 rows, and pandas would cost more than
    the sums."""
    if live:
        exprs = {**ts.kept_counts(), **ts.level_counts(), **ts.due_counts(as_of)}
        return _rows(session.execute(
            sa.select(C.c.id, C.c.code, C.c.title, *[_int(exprs[k]) for k in [*COUNTED, *DUE_COLUMNS]])
            .select_from(ts.with_followups(E).join(C, C.c.id == E.c.course_id)).where(*_in_scope(scope))
            .group_by(C.c.id, C.c.code, C.c.title).order_by(C.c.code)), [*COUNTED, *DUE_COLUMNS])

    def where(t: sa.Table) -> list[sa.ColumnElement[bool]]:
        out = [t.c.grp == EVERYONE]
        if scope.community_id is not None:
            out.append(t.c.community_id == scope.community_id)
        if scope.quarter is not None:
            out.append(t.c.quarter == scope.quarter)
        return out

    S, D = ts.STATS, ts.DUE
    rows = _rows(session.execute(
        sa.select(C.c.id, C.c.code, C.c.title, *[_int(sa.func.sum(S.c[k])) for k in COUNTED])
        .select_from(S.join(C, C.c.id == S.c.course_id)).where(*where(S))
        .group_by(C.c.id, C.c.code, C.c.title).order_by(C.c.code)), COUNTED)
    # Pending follow-ups whose day has come: due with the reached and the given up (due_counts' rule).
    pending = session.execute(sa.select(D.c.course_id, D.c.wave, sa.func.sum(D.c.pending))
                              .where(*where(D), D.c.due_on <= as_of).group_by(D.c.course_id, D.c.wave)).all()
    extra: dict[tuple[int, str], int] = {(int(c), str(w)): int(n) for c, w, n in pending}
    for r in rows:
        for w in WAVES:
            r[f"{w}_due"] = r[f"{w}_reached"] + r[f"{w}_unreachable"] + extra.get((r["course_id"], w), 0)
    return rows


def scope_totals(session: Session, *, scope: Scope, as_of: dt.date, live: bool = False) -> dict[str, int]:
    """totals(per_course(...)) summed in the database without the per-course rows (no join to course, one row
    back): what followup_answers needs for the outcomes section's income row."""
    if live:
        exprs = {**ts.kept_counts(), **ts.level_counts(), **ts.due_counts(as_of)}
        row = session.execute(sa.select(*[_int(exprs[k]) for k in [*COUNTED, *DUE_COLUMNS]])
                              .select_from(ts.with_followups(E)).where(*_in_scope(scope))).one()
        return {k: int(v or 0) for k, v in zip([*COUNTED, *DUE_COLUMNS], row, strict=True)}
    S, D = ts.STATS, ts.DUE
    where = [S.c.grp == EVERYONE, *_kept_scope(S, scope)]
    row = session.execute(sa.select(*[_int(sa.func.sum(S.c[k])) for k in COUNTED]).where(*where)).one()
    out = {k: int(v or 0) for k, v in zip(COUNTED, row, strict=True)}
    pending = dict(session.execute(sa.select(D.c.wave, sa.func.sum(D.c.pending))
                                   .where(D.c.grp == EVERYONE, *_kept_scope(D, scope), D.c.due_on <= as_of)
                                   .group_by(D.c.wave)).all())
    for w in WAVES:
        out[f"{w}_due"] = out[f"{w}_reached"] + out[f"{w}_unreachable"] + int(pending.get(w) or 0)
    return out


def _kept_scope(t: sa.Table, scope: Scope) -> list[sa.ColumnElement[bool]]:
    out = []
    if scope.community_id is not None:
        out.append(t.c.community_id == scope.community_id)
    if scope.quarter is not None:
        out.append(t.c.quarter == scope.quarter)
    return out


def _int(value: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    """A sum as a 64-bit integer: PostgreSQL sums BIGINT into NUMERIC, which the driver hands back as Decimal."""
    return sa.cast(value, sa.BigInteger)


def _rows(result: Any, columns: list[str]) -> list[Row]:
    names = ["course_id", "code", "title", *columns]
    return [dict(zip(names, r, strict=True)) for r in result]


def totals(rows: list[Row]) -> dict[str, int]:
    """The scope's sums over its courses."""
    return {k: sum(r[k] for r in rows) for k in [*COUNTED, *DUE_COLUMNS]}


def _quartile_rank_filter(rn: Any, k: Any) -> sa.ColumnElement[bool]:
    """rn (1-based) is one of the ranks a quartile of k values lies between (quantile_ranks, in SQL integers)."""
    wanted = []
    for num, den in QUARTILES:
        pos = (k - 1) * num
        wanted += [rn - 1 == pos // den, rn - 1 == (pos + den - 1) // den]
    return sa.or_(*wanted)


# ---- levels 1 and 2: reaction and learning -----------------------------------------------------------------------

def _gain() -> sa.ColumnElement[float]:
    """The normalised gain in SQL; NULL unless both scores are there and pre < 100 (normalised_gain's rule)."""
    return sa.case((E.c.pre_score < 100,
                    sa.cast(E.c.post_score - E.c.pre_score, sa.Float) / (100 - E.c.pre_score)), else_=None)


def _sd_micro(n: int, total: int, total_sq: int) -> float | None:
    """The sample SD of n values given in millionths by their integer sum and sum of squares, found in integers
    (no cancellation: n equal values give exactly 0)."""
    if n < 2:
        return None
    return math.sqrt((n * total_sq - total * total) / (n * (n - 1))) / ts.GAIN_SCALE


def _summary(sums: Mapping[str, int], values: dict[int, float] | None) -> GainSummary:
    """GainSummary from the sums (SUMS) and the ranked gains (None: not ranked, quartiles unknown)."""
    n, s_pre, s_post, n_gain, s_gain, s_sq = (int(sums[k]) for k in SUMS)
    q1, med, q3 = (quantile_at(values, n_gain, num, den) if n_gain and values is not None else None
                   for num, den in QUARTILES)
    return GainSummary(
        n=n, mean_pre=s_pre / n if n else None, mean_post=s_post / n if n else None,
        mean_change=(s_post - s_pre) / n if n else None,
        mean_gain=s_gain / ts.GAIN_SCALE / n_gain if n_gain else None,
        sd_gain=_sd_micro(n_gain, s_gain, s_sq), q1=q1, median=med, q3=q3, n_gain=n_gain)


def _gain_ranks(session: Session, scope: Scope) -> tuple[dict[Hashable, dict[int, float]], dict[int, float]]:
    """The gains at the ranks each course's quartiles (and the whole scope's) lie between, ranked by window
    functions in the database: at most six rows a course come back, however many learners it had."""
    g = _gain()
    ranked = (sa.select(E.c.course_id.label("course_id"), g.label("g"),
                        sa.func.row_number().over(partition_by=E.c.course_id, order_by=g).label("rn"),
                        sa.func.count().over(partition_by=E.c.course_id).label("k"),
                        sa.func.row_number().over(order_by=g).label("rn_all"),
                        sa.func.count().over().label("k_all"))
              .where(*_in_scope(scope), E.c.pre_score < 100, E.c.post_score.is_not(None)).subquery())
    r = ranked.c
    picked = session.execute(sa.select(r.course_id, r.g, r.rn, r.rn_all).where(sa.or_(
        _quartile_rank_filter(r.rn, r.k), _quartile_rank_filter(r.rn_all, r.k_all)))).all()
    per_course: dict[Hashable, dict[int, float]] = defaultdict(dict)
    overall: dict[int, float] = {}
    for course_id, gain, rn, rn_all in picked:
        # A row picked for one ranking lands in the other's dict too: harmless, quantile_at reads only its ranks.
        per_course[course_id][int(rn) - 1] = float(gain)
        overall[int(rn_all) - 1] = float(gain)
    return per_course, overall


def reaction_and_learning(session: Session, *, scope: Scope, counts: list[Row]
                          ) -> tuple[pd.DataFrame, pd.DataFrame, GainSummary]:
    """Level 1 (satisfaction scores per course) and level 2 (paired scores per course and for the whole scope)
    from per_course(). Only learners with both scores are paired; see GainSummary."""
    reaction = pd.DataFrame([[r["code"], r["title"], i, r[f"sat_{i}"]] for r in counts
                             for i in range(1, 6) if r[f"sat_{i}"]], columns=REACTION_COLUMNS)
    reaction = reaction.astype({"satisfaction": "int64", "n": "int64"})
    total = totals(counts)
    if not total["n_paired"]:
        return reaction, pd.DataFrame(columns=LEARNING_COLUMNS), _summary(total, {})
    ranks: dict[Hashable, dict[int, float]] | None = None
    ranks_all: dict[int, float] | None = None
    if total["gain_n"] <= RANK_LIMIT:
        ranks, ranks_all = _gain_ranks(session, scope)
    learning_rows = []
    for r in counts:
        if r["n_paired"]:
            s = _summary(r, None if ranks is None else ranks.get(r["course_id"], {}))
            learning_rows.append([r["code"], r["title"], s.n, s.mean_pre, s.mean_post, s.mean_change, s.n_gain,
                                  s.mean_gain, s.sd_gain, s.q1, s.median, s.q3])
    return reaction, pd.DataFrame(learning_rows, columns=LEARNING_COLUMNS), _summary(total, ranks_all)


# ---- level 3 (behaviour) and self-reported level 4 -------------------------------------------------------------

def followup_answers(session: Session, *, scope: Scope, counts: list[Row]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per wave with any follow-up in scope: behaviour (BEHAVIOUR_COLUMNS) and self-reported income against the
    enrolment's income before the course (INCOME_REPORTED_COLUMNS), from per_course(). Due as in the funnel: its
    day has come, or it was reached or given up already (so reached never exceeds due)."""
    t = totals(counts)
    ranked = sum(t[f"{w}_followups"] for w in WAVES) <= RANK_LIMIT
    medians = _median_changes(session, scope) if ranked and any(t[f"{w}_inc_n"] for w in WAVES) else {}
    behaviour, income = [], []
    for w in WAVES:
        if not t[f"{w}_followups"]:
            continue
        streams_n = t[f"{w}_streams_answered"]
        behaviour.append([w, t[f"{w}_due"], t[f"{w}_reached"], t[f"{w}_unreachable"], t[f"{w}_ecommerce"],
                          t[f"{w}_store_answered"], t[f"{w}_opened_store"], streams_n,
                          t[f"{w}_streams_sum"] / streams_n if streams_n else None, t[f"{w}_streams_3plus"]])
        if t[f"{w}_reached"]:
            n, s_b, s_a = t[f"{w}_inc_n"], t[f"{w}_inc_before"], t[f"{w}_inc_after"]
            med = quantile_at(medians[w], n, 1, 2) if ranked and n else None
            income.append([w, t[f"{w}_reached"], n, mean_cents(s_b, n), mean_cents(s_a, n), mean_cents(s_a - s_b, n),
                           None if med is None else round_cents(med), t[f"{w}_inc_up"], t[f"{w}_inc_down"]])
    return (pd.DataFrame(behaviour, columns=BEHAVIOUR_COLUMNS),
            pd.DataFrame(income, columns=INCOME_REPORTED_COLUMNS))


def _median_changes(session: Session, scope: Scope) -> dict[str, dict[int, float]]:
    """The middle one or two income changes per wave (reached follow-ups of completed enrolments with both incomes
    known), ranked in the database. The rows without a known change are ranked in a partition of their own (ok = 0)
    rather than filtered out: "reached" in the WHERE would lead the planner to the follow-ups' status index (every
    reached follow-up of the province) instead of the enrolments' scope index."""
    before, after = E.c.income_before_cents, F.c.income_cents
    known = sa.and_(F.c.status == FollowupStatus.reached.value, E.c.completed == sa.true(), after.is_not(None),
                    before.is_not(None))
    change = after - before
    ok = sa.case((known, 1), else_=0)
    ranked = (sa.select(F.c.wave, ok.label("ok"), change.label("v"),
                        sa.func.row_number().over(partition_by=[F.c.wave, ok], order_by=change).label("rn"),
                        sa.func.count().over(partition_by=[F.c.wave, ok]).label("k"))
              .select_from(E.join(F, F.c.enrolment_id == E.c.id)).where(*_in_scope(scope)).subquery())
    r = ranked.c
    out: dict[str, dict[int, float]] = defaultdict(dict)
    for wave, v, rn in session.execute(sa.select(r.wave, r.v, r.rn).where(
            r.ok == 1, sa.or_(r.rn - 1 == (r.k - 1) // 2, r.rn - 1 == r.k // 2))):
        out[str(wave)][int(rn) - 1] = float(v)
    return out


# ---- verified level 4 --------------------------------------------------------------------------------------------

def _month_index(day: Any) -> sa.ColumnElement[int]:
    """Months since year 0 (January 2025 = 2025·12), so windows of months are integer ranges on both backends."""
    return (sa.cast(sa.extract("year", day), sa.Integer) * 12 + sa.cast(sa.extract("month", day), sa.Integer) - 1)


def _quarter_start(day: Any) -> sa.ColumnElement[int]:
    return (_month_index(day) // 3) * 3


def income_verified(session: Session, *, scope: Scope) -> pd.DataFrame:
    """Paid by the cooperative per month, before against after the course, for completed learners who are members
    (see the module docstring for the windows). One row, or an empty frame when no learner in scope is a member."""
    # The GROUP BYs below change no row: they make SQLite materialise the members, the candidates and the runs
    # (flattened, it scanned every member for each enrolment in scope, as member has no index on practitioner_id,
    # and recomputed each run's months for each candidate); a materialised table gets an automatic index.
    mem = (sa.select(M.c.id, M.c.cooperative_id, M.c.practitioner_id).where(M.c.practitioner_id.is_not(None))
           .group_by(M.c.id, M.c.cooperative_id, M.c.practitioner_id).subquery())
    cand = (sa.select(E.c.id.label("eid"), mem.c.id.label("mid"), mem.c.cooperative_id.label("coop"),
                      (_quarter_start(C.c.start_date) - 6).label("b_lo"),
                      (_quarter_start(C.c.start_date) - 1).label("b_hi"),
                      (_quarter_start(C.c.end_date) + 3).label("a_lo"),
                      (_quarter_start(C.c.end_date) + 8).label("a_hi"))
            .select_from(E.join(C, C.c.id == E.c.course_id).join(mem, mem.c.practitioner_id == E.c.practitioner_id))
            .where(*_in_scope(scope), E.c.completed == sa.true())
            .group_by(E.c.id, mem.c.id, mem.c.cooperative_id, C.c.start_date, C.c.end_date).subquery())
    runs = (sa.select(RUN.c.id, RUN.c.cooperative_id, _month_index(RUN.c.period_start).label("lo"),
                      _month_index(RUN.c.period_end).label("hi"))
            .where(RUN.c.status == RunStatus.approved.value)
            .group_by(RUN.c.id, RUN.c.cooperative_id, RUN.c.period_start, RUN.c.period_end).subquery())
    in_before = sa.and_(runs.c.lo >= cand.c.b_lo, runs.c.hi <= cand.c.b_hi)
    in_after = sa.and_(runs.c.lo >= cand.c.a_lo, runs.c.hi <= cand.c.a_hi)
    months = runs.c.hi - runs.c.lo + 1
    paid = sa.func.coalesce(LINE.c.amount_cents, 0)
    per_member = (sa.select(
        cand.c.eid, cand.c.mid,
        sa.func.coalesce(sa.func.sum(sa.case((in_before, months), else_=0)), 0).label("b_m"),
        sa.func.coalesce(sa.func.sum(sa.case((in_before, paid), else_=0)), 0).label("b_c"),
        sa.func.coalesce(sa.func.sum(sa.case((in_after, months), else_=0)), 0).label("a_m"),
        sa.func.coalesce(sa.func.sum(sa.case((in_after, paid), else_=0)), 0).label("a_c"),
    ).select_from(cand.outerjoin(runs, sa.and_(runs.c.cooperative_id == cand.c.coop, sa.or_(in_before, in_after)))
                  .outerjoin(LINE, sa.and_(LINE.c.run_id == runs.c.id, LINE.c.member_id == cand.c.mid)))
        .group_by(cand.c.eid, cand.c.mid).subquery())
    p = per_member.c
    both = sa.and_(p.b_m > 0, p.a_m > 0)
    before_pm = sa.cast(p.b_c, sa.Float) / p.b_m
    after_pm = sa.cast(p.a_c, sa.Float) / p.a_m
    members, n, s_before, s_after, up, down = session.execute(sa.select(
        sa.func.count(), count_if(both),
        sa.func.sum(sa.case((both, before_pm), else_=None)), sa.func.sum(sa.case((both, after_pm), else_=None)),
        # cross-multiplied so "up" is decided in whole cents, with no rounding
        count_if(sa.and_(both, p.a_c * p.b_m > p.b_c * p.a_m)), count_if(sa.and_(both, p.a_c * p.b_m < p.b_c * p.a_m)),
    )).one()
    if not members:
        return pd.DataFrame(columns=INCOME_VERIFIED_COLUMNS)
    n = int(n)

    def mean(total: Any) -> int | None:
        return round_cents(float(total) / n) if n and total is not None else None

    mb, ma = mean(s_before), mean(s_after)
    return pd.DataFrame([[int(members), n, mb, ma, None if mb is None or ma is None else ma - mb, int(up),
                          int(down), VERIFIED_SOURCE]], columns=INCOME_VERIFIED_COLUMNS)


def levels_board(session: Session, *, scope: Scope, as_of: dt.date, live: bool = False) -> LevelsBoard:
    """Everything the page's levels section shows for the sidebar's community and quarter: the per-course sums
    (training_stats after catch_up, or live), the ranked quartiles and medians, and the verified income."""
    engine = session.get_bind()
    assert isinstance(engine, sa.Engine)
    live = live or not ts.catch_up(engine, session.connection())
    counts = per_course(session, scope=scope, as_of=as_of, live=live)
    reaction, learning, learning_all = reaction_and_learning(session, scope=scope, counts=counts)
    behaviour, income_reported = followup_answers(session, scope=scope, counts=counts)
    return LevelsBoard(reaction=reaction, learning=learning, behaviour=behaviour, income_reported=income_reported,
                       income_verified=income_verified(session, scope=scope), learning_all=learning_all)
