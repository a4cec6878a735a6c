"""培训成效 levels 1-4 (Kirkpatrick) for a scope: reaction, learning, behaviour and income, each counted in SQL.

Learners are in scope by their enrolment (enrolment.community_id and enrolment.quarter, the quarter of enrolled_on),
so every frame reads the index on enrolment(community_id, quarter) first. Level 3 and self-reported level 4 come
from REACHED follow-ups only: a pending or unreachable contact has no answers and is never read as "no" or as an
income of 0. Quartiles and medians are found in the database too: a window function ranks the values and only the
one or two ranked rows each quartile lies between come back (at most six rows per course), so no query returns the
scope's learners one by one.

Verified income (level 4) rests on cooperative members only (member.practitioner_id = the learner): what the member
was paid in APPROVED distribution runs of their cooperative (draft and reversed runs are left out), per month, in
the two calendar quarters before the quarter the course started against the two calendar quarters after the
quarter it ended. A run counts in a window when its whole period lies inside it; per month = the member's lines in
those runs ÷ the months those runs cover, so a quarter the cooperative did not distribute is not read as 0 paid. A
member counts when both windows hold at least one approved run; a member with no line in a run was paid 0 in it.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from dashboard.queries import Scope
from dashboard.queries.sqlfuncs import count_if
from dashboard.services.training_levels import QUARTILES, GainSummary, mean_cents, quantile_at, round_cents, sample_sd
from data_models import Course, DistributionLine, DistributionRun, Enrolment, Member, TrainingFollowup
from data_models.base import table_of
from data_models.enums import EmploymentStatus, FollowupStatus, RunStatus

E = table_of(Enrolment)
C = table_of(Course)
F = table_of(TrainingFollowup)
M = table_of(Member)
RUN = table_of(DistributionRun)
LINE = table_of(DistributionLine)

# The same sets as dashboard/services/training_funnel.py (contract): e-commerce work, and any work.
ECOMMERCE = frozenset({EmploymentStatus.ecommerce_employed.value, EmploymentStatus.ecommerce_self.value})
LIVESTREAMS_MANY = 3          # «livestreams 3 or more times a week»: a regular streamer
VERIFIED_SOURCE = "approved_distribution_lines"

REACTION_COLUMNS = ["code", "title", "satisfaction", "n"]
LEARNING_COLUMNS = ["code", "title", "n_paired", "mean_pre", "mean_post", "mean_change", "n_gain", "mean_gain",
                    "sd_gain", "q1", "median", "q3"]
BEHAVIOUR_COLUMNS = ["wave", "due", "reached", "unreachable", "ecommerce", "store_answered", "opened_store",
                     "streams_answered", "mean_livestreams", "livestreams_3plus"]
INCOME_REPORTED_COLUMNS = ["wave", "reached", "n", "mean_before_cents", "mean_after_cents", "mean_change_cents",
                           "median_change_cents", "up", "down"]
INCOME_VERIFIED_COLUMNS = ["members", "n", "mean_before_cents", "mean_after_cents", "mean_change_cents", "up",
                           "down", "source"]
WAVES = ("m3", "m6")


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


def _quartile_rank_filter(rn: Any, k: Any) -> sa.ColumnElement[bool]:
    """rn (1-based) is one of the ranks a quartile of k values lies between (quantile_ranks, in SQL integers)."""
    wanted = []
    for num, den in QUARTILES:
        pos = (k - 1) * num
        wanted += [rn - 1 == pos // den, rn - 1 == (pos + den - 1) // den]
    return sa.or_(*wanted)


def _ranked(values: dict[Hashable, dict[int, float]], counts: dict[Hashable, int],
            key: Hashable, nums: tuple[tuple[int, int], ...] = QUARTILES) -> list[float | None]:
    return [quantile_at(values[key], counts[key], num, den) if counts.get(key) else None for num, den in nums]


# ---- level 1: reaction -------------------------------------------------------------------------------------------

def reaction(session: Session, *, scope: Scope) -> pd.DataFrame:
    """How many learners gave each satisfaction score, per course (learners who gave none are left out)."""
    sub = (sa.select(E.c.course_id, E.c.satisfaction, sa.func.count().label("n"))
           .where(*_in_scope(scope), E.c.satisfaction.is_not(None))
           .group_by(E.c.course_id, E.c.satisfaction).subquery())
    rows = session.execute(sa.select(C.c.code, C.c.title, sub.c.satisfaction, sub.c.n)
                           .join(sub, sub.c.course_id == C.c.id).order_by(C.c.code, sub.c.satisfaction)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=REACTION_COLUMNS).astype(
        {"satisfaction": "int64", "n": "int64"})


# ---- level 2: learning -------------------------------------------------------------------------------------------

def _gain() -> sa.ColumnElement[float]:
    return sa.case((E.c.pre_score < 100,
                    sa.cast(E.c.post_score - E.c.pre_score, sa.Float) / (100 - E.c.pre_score)), else_=None)


def _learning_rows(session: Session, scope: Scope, *, per_course: bool) -> dict[Hashable, GainSummary]:
    """GainSummary per course id (or one under key 0): sums in one GROUP BY, quartiles from ranked rows."""
    paired = [*_in_scope(scope), E.c.pre_score.is_not(None), E.c.post_score.is_not(None)]
    key = E.c.course_id if per_course else sa.literal(0)
    g = _gain()
    stmt = sa.select(key.label("key"), sa.func.count(), sa.func.sum(E.c.pre_score), sa.func.sum(E.c.post_score),
                     sa.func.count(g), sa.func.sum(g), sa.func.sum(g * g)).where(*paired)
    agg = session.execute(stmt.group_by(E.c.course_id) if per_course else stmt).all()
    partition = E.c.course_id if per_course else None
    ranked = (sa.select(key.label("key"), g.label("g"),
                        sa.func.row_number().over(partition_by=partition, order_by=g).label("rn"),
                        sa.func.count().over(partition_by=partition).label("k"))
              .where(*paired, E.c.pre_score < 100).subquery())
    picked = session.execute(sa.select(ranked.c.key, ranked.c.rn, ranked.c.g)
                             .where(_quartile_rank_filter(ranked.c.rn, ranked.c.k))).all()
    values: dict[Hashable, dict[int, float]] = defaultdict(dict)
    for k, rn, gain in picked:
        values[k][int(rn) - 1] = float(gain)
    out: dict[Hashable, GainSummary] = {}
    for k, n, s_pre, s_post, n_gain, s_gain, s_sq in agg:
        if not n:
            continue
        n, n_gain = int(n), int(n_gain)
        q1, med, q3 = _ranked(values, {k: n_gain}, k)
        out[k] = GainSummary(
            n=n, mean_pre=int(s_pre) / n, mean_post=int(s_post) / n, mean_change=(int(s_post) - int(s_pre)) / n,
            mean_gain=float(s_gain) / n_gain if n_gain else None,
            sd_gain=sample_sd(n_gain, float(s_gain or 0), float(s_sq or 0)),
            q1=q1, median=med, q3=q3, n_gain=n_gain)
    return out


def learning(session: Session, *, scope: Scope) -> tuple[pd.DataFrame, GainSummary]:
    """Paired pre/post scores per course and for the whole scope (learners with both scores only)."""
    per_course = _learning_rows(session, scope, per_course=True)
    overall = _learning_rows(session, scope, per_course=False).get(0) or GainSummary(
        0, None, None, None, None, None, None, None, None, 0)
    if not per_course:
        return pd.DataFrame(columns=LEARNING_COLUMNS), overall
    labels = {cid: (code, title) for cid, code, title in session.execute(
        sa.select(C.c.id, C.c.code, C.c.title).where(C.c.id.in_(list(per_course)))).all()}
    rows = []
    for cid, s in per_course.items():
        code, title = labels[cid]
        rows.append([code, title, s.n, s.mean_pre, s.mean_post, s.mean_change, s.n_gain, s.mean_gain, s.sd_gain,
                     s.q1, s.median, s.q3])
    return pd.DataFrame(rows, columns=LEARNING_COLUMNS).sort_values("code", ignore_index=True), overall


# ---- level 3: behaviour ------------------------------------------------------------------------------------------

def behaviour(session: Session, *, scope: Scope, as_of: dt.date) -> pd.DataFrame:
    """Per wave, over the follow-ups of the learners in scope: how many were due and reached, and of the reached,
    what they answered. Each answer has its own base (those who answered it): a reached person who was not asked
    about streaming is not counted as not streaming, and nobody unreached is counted at all."""
    reached = F.c.status == FollowupStatus.reached.value
    streams = F.c.livestreams_per_week
    rows = session.execute(sa.select(
        F.c.wave,
        count_if(F.c.due_on <= as_of),
        count_if(reached),
        count_if(F.c.status == FollowupStatus.unreachable.value),
        count_if(sa.and_(reached, F.c.employment.in_(sorted(ECOMMERCE)))),
        count_if(sa.and_(reached, F.c.opened_store.is_not(None))),
        count_if(sa.and_(reached, F.c.opened_store == sa.true())),
        count_if(sa.and_(reached, streams.is_not(None))),
        sa.func.sum(sa.case((reached, streams), else_=None)),
        count_if(sa.and_(reached, streams >= LIVESTREAMS_MANY)),
    ).select_from(E.join(F, F.c.enrolment_id == E.c.id)).where(*_in_scope(scope)).group_by(F.c.wave)).all()
    out = []
    for wave, due, n_reached, unreachable, ecommerce, store_n, store, streams_n, streams_sum, many in rows:
        out.append([str(wave), int(due), int(n_reached), int(unreachable), int(ecommerce), int(store_n), int(store),
                     int(streams_n), int(streams_sum) / int(streams_n) if streams_n else None, int(many)])
    return _by_wave(pd.DataFrame(out, columns=BEHAVIOUR_COLUMNS))


def _by_wave(frame: pd.DataFrame) -> pd.DataFrame:
    order = {w: i for i, w in enumerate(WAVES)}
    return frame.sort_values("wave", key=lambda s: s.map(order), ignore_index=True)


# ---- level 4: results --------------------------------------------------------------------------------------------

def income_reported(session: Session, *, scope: Scope) -> pd.DataFrame:
    """Per wave, self-reported monthly income at the follow-up against the enrolment's income before the course,
    over the reached with both known. The median change is picked from ranked rows in the database."""
    j = E.join(F, F.c.enrolment_id == E.c.id)
    reached = F.c.status == FollowupStatus.reached.value
    both = sa.and_(F.c.income_cents.is_not(None), E.c.income_before_cents.is_not(None))
    before, after = E.c.income_before_cents, F.c.income_cents
    rows = session.execute(sa.select(
        F.c.wave, sa.func.count(), count_if(both),
        sa.func.sum(sa.case((both, before), else_=None)), sa.func.sum(sa.case((both, after), else_=None)),
        count_if(sa.and_(both, after > before)), count_if(sa.and_(both, after < before)),
    ).select_from(j).where(*_in_scope(scope), reached).group_by(F.c.wave)).all()
    if not rows:
        return pd.DataFrame(columns=INCOME_REPORTED_COLUMNS)
    change = after - before
    ranked = (sa.select(F.c.wave, change.label("v"),
                        sa.func.row_number().over(partition_by=F.c.wave, order_by=change).label("rn"),
                        sa.func.count().over(partition_by=F.c.wave).label("k"))
              .select_from(j).where(*_in_scope(scope), reached, both).subquery())
    lo_hi = [ranked.c.rn - 1 == (ranked.c.k - 1) // 2, ranked.c.rn - 1 == ranked.c.k // 2]
    values: dict[Hashable, dict[int, float]] = defaultdict(dict)
    for wave, v, rn in session.execute(sa.select(ranked.c.wave, ranked.c.v, ranked.c.rn).where(sa.or_(*lo_hi))):
        values[str(wave)][int(rn) - 1] = float(v)
    out = []
    for wave, n_reached, n, s_before, s_after, up, down in rows:
        n = int(n)
        (med,) = _ranked(values, {str(wave): n}, str(wave), ((1, 2),))
        out.append([str(wave), int(n_reached), n, mean_cents(int(s_before or 0), n), mean_cents(int(s_after or 0), n),
                    mean_cents(int(s_after or 0) - int(s_before or 0), n),
                    None if med is None else round_cents(med), int(up), int(down)])
    return _by_wave(pd.DataFrame(out, columns=INCOME_REPORTED_COLUMNS))


def _month_index(day: Any) -> sa.ColumnElement[int]:
    """Months since year 0 (January 2025 = 2025·12), so windows of months are integer ranges on both backends."""
    return (sa.cast(sa.extract("year", day), sa.Integer) * 12 + sa.cast(sa.extract("month", day), sa.Integer) - 1)


def _quarter_start(day: Any) -> sa.ColumnElement[int]:
    return (_month_index(day) // 3) * 3


def income_verified(session: Session, *, scope: Scope) -> pd.DataFrame:
    """Paid by the cooperative per month, before against after the course, for completed learners who are members
    (see the module docstring for the windows). One row, or an empty frame when no learner in scope is a member."""
    cand = (sa.select(E.c.id.label("eid"), M.c.id.label("mid"), M.c.cooperative_id.label("coop"),
                      (_quarter_start(C.c.start_date) - 6).label("b_lo"),
                      (_quarter_start(C.c.start_date) - 1).label("b_hi"),
                      (_quarter_start(C.c.end_date) + 3).label("a_lo"),
                      (_quarter_start(C.c.end_date) + 8).label("a_hi"))
            .select_from(E.join(C, C.c.id == E.c.course_id).join(M, M.c.practitioner_id == E.c.practitioner_id))
            .where(*_in_scope(scope), E.c.completed == sa.true()).subquery())
    runs = (sa.select(RUN.c.id, RUN.c.cooperative_id, _month_index(RUN.c.period_start).label("lo"),
                      _month_index(RUN.c.period_end).label("hi"))
            .where(RUN.c.status == RunStatus.approved.value).subquery())
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


def levels_board(session: Session, *, scope: Scope, as_of: dt.date) -> LevelsBoard:
    """Everything the page's levels section shows for the sidebar's community and quarter."""
    learning_frame, learning_all = learning(session, scope=scope)
    return LevelsBoard(
        reaction=reaction(session, scope=scope),
        learning=learning_frame,
        behaviour=behaviour(session, scope=scope, as_of=as_of),
        income_reported=income_reported(session, scope=scope),
        income_verified=income_verified(session, scope=scope),
        learning_all=learning_all)
