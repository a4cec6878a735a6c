"""培训成效 funnel rules (issue 14): enrolled → attended → completed → certified → employed at 3 months → income up
at 6 months, as plain functions over counts the query made in SQL (dashboard/queries/training.py).

Each rate keeps its parts (dashboard.services.request_rates.Rate), so the page can say «12 / 40» beside «30%».
A follow-up not due yet is in no rate; a person who could not be reached is never counted "not employed": the
employment rate divides by those reached, and the page says how many of those due were reached (`reach`).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from dashboard.services.request_rates import Rate
from data_models.enums import EmploymentStatus

EMPLOYED: frozenset[str] = frozenset({EmploymentStatus.ecommerce_employed.value,
                                      EmploymentStatus.ecommerce_self.value, EmploymentStatus.other_work.value})
ECOMMERCE: frozenset[str] = frozenset({EmploymentStatus.ecommerce_employed.value,
                                       EmploymentStatus.ecommerce_self.value})
SMALL_BASE = 10      # a rate over fewer people carries a warning (course comparison); reports elsewhere use 30


@dataclass(frozen=True)
class Funnel:
    """One population's counts. `mN_due`: follow-ups of wave N due by as_of (or already worked to an end);
    `mN_reached` and `mN_unreachable` are among them, the rest are still being tried. `m6_income_known`: reached
    at 6 months with both the income before and the income then known; `m6_income_up` of them earn more.
    `stable_base`: reached at both waves and employed at 3 months; `stable` of them still employed at 6."""

    enrolled: int = 0
    attended: int = 0
    completed: int = 0
    certified: int = 0
    m3_due: int = 0
    m3_reached: int = 0
    m3_unreachable: int = 0
    m3_employed: int = 0
    m6_due: int = 0
    m6_reached: int = 0
    m6_unreachable: int = 0
    m6_income_known: int = 0
    m6_income_up: int = 0
    stable_base: int = 0
    stable: int = 0

    def __add__(self, other: "Funnel") -> "Funnel":
        return Funnel(**{k: getattr(self, k) + getattr(other, k) for k in FIELDS})

    @property
    def m3_trying(self) -> int:
        """Due at 3 months, neither reached nor given up yet (tried or not)."""
        return self.m3_due - self.m3_reached - self.m3_unreachable

    @property
    def m6_trying(self) -> int:
        return self.m6_due - self.m6_reached - self.m6_unreachable


FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Funnel))


def funnel_of(row: Mapping[str, Any]) -> Funnel:
    """A Funnel from a mapping holding every field (a query row, a DataFrame row); NULL sums read as 0."""
    return Funnel(**{k: int(row[k] or 0) for k in FIELDS})


def total(funnels: Iterable[Funnel]) -> Funnel:
    out = Funnel()
    for f in funnels:
        out = out + f
    return out


@dataclass(frozen=True)
class FunnelStep:
    key: str
    count: int
    rate: Rate          # of the step's own base (see funnel_steps)
    small: bool         # fewer than SMALL_BASE behind the rate


STEP_KEYS = ("enrolled", "attended", "completed", "certified", "employed_m3", "income_up_m6")


def reach(reached: int, due: int) -> Rate:
    """联系率 = reached ÷ due: follow-ups not due yet are in neither part."""
    return Rate(reached, due)


def employment_rate(f: Funnel) -> Rate:
    """3个月就业率 = employed at 3 months ÷ reached at 3 months. The unreachable and those not reached yet are out of
    the denominator, never counted as not employed; the page shows reach(m3_reached, m3_due) beside it."""
    return Rate(f.m3_employed, f.m3_reached)


def income_up_rate(f: Funnel) -> Rate:
    """6个月增收率 = earning more at 6 months than before the course ÷ reached at 6 months with both incomes known."""
    return Rate(f.m6_income_up, f.m6_income_known)


def stability_rate(f: Funnel) -> Rate:
    """就业稳定率 (paper 002: over 85%) = employed at 3 and at 6 months ÷ employed at 3 months, among those
    reached at both waves."""
    return Rate(f.stable, f.stable_base)


def funnel_steps(f: Funnel, small_base: int = SMALL_BASE) -> list[FunnelStep]:
    """The six steps, each with its rate over the step before it: attended ÷ enrolled, completed ÷ attended,
    certified ÷ completed; employed at 3 months ÷ reached at 3 months; income up ÷ reached at 6 months with both
    incomes known. Enrolled is over itself (100%, or «—» when nobody enrolled)."""
    rates = [
        ("enrolled", f.enrolled, Rate(f.enrolled, f.enrolled)),
        ("attended", f.attended, Rate(f.attended, f.enrolled)),
        ("completed", f.completed, Rate(f.completed, f.attended)),
        ("certified", f.certified, Rate(f.certified, f.completed)),
        ("employed_m3", f.m3_employed, employment_rate(f)),
        ("income_up_m6", f.m6_income_up, income_up_rate(f)),
    ]
    return [FunnelStep(key, count, rate, rate.denominator < small_base) for key, count, rate in rates]
