"""培训成效 levels 1-4 (Kirkpatrick) for a scope: reaction, learning, behaviour and income, each counted in SQL.

Learners are in scope by their enrolment (enrolment.community_id and enrolment.quarter, the quarter of enrolled_on),
so every frame reads the index on enrolment(community_id, quarter) first. Level 3 and self-reported level 4 come
from REACHED follow-ups only: a pending or unreachable contact has no answers and is never read as "no" or as an
income of 0. Quartiles and medians are found in the database too: a window function ranks the values and only the
one or two ranked rows each quartile lies between come back (at most six rows per course), so no query returns the
scope's learners one by one. levels_board runs five queries: one GROUP BY (course, satisfaction) for levels 1 and 2,
the ranked gains, one GROUP BY wave for level 3 and the self-reported income, the ranked income changes, and the
verified income.

Verified income (level 4) rests on completed learners who are cooperative members (member.practitioner_id; one
row per membership): what the member
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


# ---- levels 1 and 2: reaction and learning -----------------------------------------------------------------------

def _gain() -> sa.ColumnElement[float]:
    """The normalised gain in SQL; NULL unless both scores are there and pre < 100 (normalised_gain's rule)."""
    return sa.case((E.c.pre_score < 100,
                    sa.cast(E.c.post_score - E.c.pre_score, sa.Float) / (100 - E.c.pre_score)), else_=None)


def _summary(parts: list[Any], values: dict[int, float]) -> GainSummary:
    """GainSummary from the sums [n, Σpre, Σpost, n_gain, Σgain, Σgain²] and the ranked gains."""
    n, s_pre, s_post, n_gain = (int(x) for x in parts[:4])
    s_gain, s_sq = float(parts[4]), float(parts[5])
    q1, med, q3 = (quantile_at(values, n_gain, num, den) if n_gain else None for num, den in QUARTILES)
    return GainSummary(
        n=n, mean_pre=s_pre / n if n else None, mean_post=s_post / n if n else None,
        mean_change=(s_post - s_pre) / n if n else None, mean_gain=s_gain / n_gain if n_gain else None,
        sd_gain=sample_sd(n_gain, s_gain, s_sq), q1=q1, median=med, q3=q3, n_gain=n_gain)


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


def reaction_and_learning(session: Session, *, scope: Scope) -> tuple[pd.DataFrame, pd.DataFrame, GainSummary]:
    """Level 1 (satisfaction scores per course) and level 2 (paired scores per course and for the whole scope).

    One GROUP BY (course, satisfaction) gives both: the score sums are added up per course afterwards (sums add;
    a course has at most six such groups). Only learners with both scores are paired; see GainSummary."""
    g = _gain()
    paired = sa.and_(E.c.pre_score.is_not(None), E.c.post_score.is_not(None))
    sub = (sa.select(E.c.course_id, E.c.satisfaction, sa.func.count().label("n"), count_if(paired).label("n_p"),
                     sa.func.sum(sa.case((paired, E.c.pre_score), else_=None)).label("s_pre"),
                     sa.func.sum(sa.case((paired, E.c.post_score), else_=None)).label("s_post"),
                     sa.func.count(g).label("n_g"), sa.func.sum(g).label("s_g"), sa.func.sum(g * g).label("s_sq"))
           .where(*_in_scope(scope)).group_by(E.c.course_id, E.c.satisfaction).subquery())
    rows = session.execute(sa.select(C.c.id, C.c.code, C.c.title, sub.c.satisfaction, sub.c.n, sub.c.n_p,
                                     sub.c.s_pre, sub.c.s_post, sub.c.n_g, sub.c.s_g, sub.c.s_sq)
                           .join(sub, sub.c.course_id == C.c.id).order_by(C.c.code, sub.c.satisfaction)).all()
    reaction_rows = []
    sums: dict[int, list[Any]] = {}
    for cid, code, title, sat, n, n_p, s_pre, s_post, n_g, s_g, s_sq in rows:
        if sat is not None:
            reaction_rows.append([code, title, int(sat), int(n)])
        acc = sums.setdefault(cid, [code, title, 0, 0, 0, 0, 0.0, 0.0])
        for i, v in enumerate((n_p, s_pre, s_post, n_g, s_g, s_sq), start=2):
            acc[i] += v or 0
    reaction = pd.DataFrame(reaction_rows, columns=REACTION_COLUMNS).astype({"satisfaction": "int64", "n": "int64"})
    if not any(acc[2] for acc in sums.values()):
        return reaction, pd.DataFrame(columns=LEARNING_COLUMNS), _summary([0] * 6, {})
    ranks, ranks_all = _gain_ranks(session, scope)
    learning_rows = []
    for cid, (code, title, *parts) in sums.items():
        if parts[0]:
            s = _summary(parts, ranks.get(cid, {}))
            learning_rows.append([code, title, s.n, s.mean_pre, s.mean_post, s.mean_change, s.n_gain, s.mean_gain,
                                  s.sd_gain, s.q1, s.median, s.q3])
    total = [sum(acc[i] for acc in sums.values()) for i in range(2, 8)]
    overall = _summary(total, ranks_all)
    return reaction, pd.DataFrame(learning_rows, columns=LEARNING_COLUMNS), overall


# ---- level 3 (behaviour) and self-reported level 4 -------------------------------------------------------------

def _by_wave(frame: pd.DataFrame) -> pd.DataFrame:
    order = {w: i for i, w in enumerate(WAVES)}
    return frame.sort_values("wave", key=lambda s: s.map(order), ignore_index=True)


def followup_answers(session: Session, *, scope: Scope, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per wave, over the follow-ups of the learners in scope: behaviour (BEHAVIOUR_COLUMNS) and self-reported
    income against the enrolment's income before the course (INCOME_REPORTED_COLUMNS), from one GROUP BY wave.

    Only reached follow-ups answer; each answer has its own base (those who gave it): a reached person not asked
    about streaming is not counted as not streaming, and nobody unreached is counted at all. "reached" stays out
    of the WHERE on purpose: there it would lead the planner to the follow-ups' status index (every reached
    follow-up of the province) instead of the enrolments' scope index."""
    reached = F.c.status == FollowupStatus.reached.value
    streams = F.c.livestreams_per_week
    before, after = E.c.income_before_cents, F.c.income_cents
    known = sa.and_(reached, after.is_not(None), before.is_not(None))
    j = E.join(F, F.c.enrolment_id == E.c.id)
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
        count_if(known),
        sa.func.sum(sa.case((known, before), else_=None)), sa.func.sum(sa.case((known, after), else_=None)),
        count_if(sa.and_(known, after > before)), count_if(sa.and_(known, after < before)),
    ).select_from(j).where(*_in_scope(scope)).group_by(F.c.wave)).all()
    medians = _median_changes(session, scope, known, after - before) if any(r[10] for r in rows) else {}
    behaviour, income = [], []
    for (wave, due, n_reached, unreachable, ecommerce, store_n, store, streams_n, streams_sum, many,
         n, s_before, s_after, up, down) in rows:
        wave, n = str(wave), int(n)
        behaviour.append([wave, int(due), int(n_reached), int(unreachable), int(ecommerce), int(store_n),
                          int(store), int(streams_n), int(streams_sum) / int(streams_n) if streams_n else None,
                          int(many)])
        if int(n_reached):
            med = quantile_at(medians.get(wave, {}), n, 1, 2)
            s_b, s_a = int(s_before or 0), int(s_after or 0)
            income.append([wave, int(n_reached), n, mean_cents(s_b, n), mean_cents(s_a, n), mean_cents(s_a - s_b, n),
                           None if med is None else round_cents(med), int(up), int(down)])
    return (_by_wave(pd.DataFrame(behaviour, columns=BEHAVIOUR_COLUMNS)),
            _by_wave(pd.DataFrame(income, columns=INCOME_REPORTED_COLUMNS)))


def _median_changes(session: Session, scope: Scope, known: sa.ColumnElement[bool],
                    change: sa.ColumnElement[int]) -> dict[str, dict[int, float]]:
    """The middle one or two income changes per wave, ranked in the database. The rows without a known change
    are ranked in a partition of their own (ok = 0) rather than filtered out, for the reason in followup_answers."""
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


def levels_board(session: Session, *, scope: Scope, as_of: dt.date) -> LevelsBoard:
    """Everything the page's levels section shows for the sidebar's community and quarter: five queries."""
    reaction, learning, learning_all = reaction_and_learning(session, scope=scope)
    behaviour, income_reported = followup_answers(session, scope=scope, as_of=as_of)
    return LevelsBoard(reaction=reaction, learning=learning, behaviour=behaviour, income_reported=income_reported,
                       income_verified=income_verified(session, scope=scope), learning_all=learning_all)
