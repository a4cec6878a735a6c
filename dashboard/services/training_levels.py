"""培训成效 levels 2 and 4 as plain functions: normalised gain, its summary, quartiles and income change.

The queries (dashboard/queries/training_levels.py) count and sum in SQL and pick the ranked rows a quartile needs;
the rules below are the formulas, tested on hand-built cases, and the queries reuse them so both agree.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

QUARTILES = ((1, 4), (1, 2), (3, 4))     # as fractions, so the SQL can find the ranks with integer arithmetic


def normalised_gain(pre: int, post: int) -> float | None:
    """Hake's normalised gain (post − pre) ÷ (100 − pre): the share of what was left to learn that was learnt.

    None when pre = 100: nothing was left to learn, so no gain can be measured (a drop would divide by zero)."""
    if pre >= 100:
        return None
    return (post - pre) / (100 - pre)


def quantile_ranks(n: int, num: int, den: int) -> tuple[int, int, float]:
    """The 0-based ranks of the two values the q = num/den quantile of n sorted values lies between, and how far.

    Linear interpolation between closest ranks (Hyndman-Fan type 7: numpy's default, statistics.quantiles
    'inclusive', Excel's QUARTILE.INC): position (n − 1)·q."""
    pos = num * (n - 1)
    return pos // den, (pos + den - 1) // den, (pos % den) / den


def quantile_at(values_by_rank: Mapping[int, float], n: int, num: int, den: int) -> float | None:
    """The num/den quantile of n sorted values given (at least) the ranks quantile_ranks names; None when n = 0."""
    if n == 0:
        return None
    lo, hi, frac = quantile_ranks(n, num, den)
    a, b = values_by_rank[lo], values_by_rank[hi]
    return a + (b - a) * frac


def quantile(sorted_values: Sequence[float], num: int, den: int) -> float | None:
    return quantile_at(dict(enumerate(sorted_values)), len(sorted_values), num, den)


def sample_sd(n: int, total: float, total_sq: float) -> float | None:
    """The sample standard deviation (n − 1) from a count, a sum and a sum of squares; None below two values."""
    if n < 2:
        return None
    # Rounding can leave a hair below zero when every value is the same.
    return math.sqrt(max(0.0, (total_sq - total * total / n) / (n - 1)))


@dataclass(frozen=True)
class GainSummary:
    """Level 2 (learning) over the learners with both a pre and a post score.

    `n` counts them and carries the means of pre, post and change; the gain and its spread are over the `n_gain`
    of them whose pre score was below 100 (a learner at 100 before has no gain to measure)."""

    n: int
    mean_pre: float | None
    mean_post: float | None
    mean_change: float | None
    mean_gain: float | None
    sd_gain: float | None
    q1: float | None
    median: float | None
    q3: float | None
    n_gain: int = 0


def gain_summary(pairs: Iterable[tuple[int | None, int | None]]) -> GainSummary:
    """Summarise (pre, post) pairs; a learner missing either score is left out altogether."""
    both = [(pre, post) for pre, post in pairs if pre is not None and post is not None]
    n = len(both)
    gains = sorted(g for g in (normalised_gain(pre, post) for pre, post in both) if g is not None)
    k = len(gains)
    q1, med, q3 = (quantile(gains, num, den) for num, den in QUARTILES)
    return GainSummary(
        n=n,
        mean_pre=sum(p for p, _ in both) / n if n else None,
        mean_post=sum(p for _, p in both) / n if n else None,
        mean_change=sum(b - a for a, b in both) / n if n else None,
        mean_gain=sum(gains) / k if k else None,
        sd_gain=sample_sd(k, sum(gains), sum(g * g for g in gains)),
        q1=q1, median=med, q3=q3, n_gain=k)


def round_cents(value: float | Decimal) -> int:
    """Whole cents, halves away from zero (not Python's round-half-to-even), so the page and an export agree."""
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def mean_cents(total_cents: int, n: int) -> int | None:
    """A mean of money in whole cents, halves rounded away from zero; None over nobody."""
    if n == 0:
        return None
    return round_cents(Decimal(total_cents) / Decimal(n))


@dataclass(frozen=True)
class IncomeChange:
    """Level 4 (results): monthly income before → after over the people for whom both are known."""

    n: int
    mean_before_cents: int | None
    mean_after_cents: int | None
    mean_change_cents: int | None
    median_change_cents: int | None
    up: int            # after > before
    down: int          # after < before; the rest stayed the same


def income_change(pairs: Iterable[tuple[int | None, int | None]]) -> IncomeChange:
    """Summarise (before, after) monthly incomes in cents; a pair missing either is left out (not counted as 0)."""
    both = [(b, a) for b, a in pairs if b is not None and a is not None]
    n = len(both)
    changes = sorted(a - b for b, a in both)
    med = quantile(changes, 1, 2)
    return IncomeChange(
        n=n,
        mean_before_cents=mean_cents(sum(b for b, _ in both), n),
        mean_after_cents=mean_cents(sum(a for _, a in both), n),
        mean_change_cents=mean_cents(sum(changes), n),
        median_change_cents=None if med is None else round_cents(med),
        up=sum(1 for b, a in both if a > b),
        down=sum(1 for b, a in both if a < b))
