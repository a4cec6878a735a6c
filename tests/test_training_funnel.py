"""The funnel's rules on hand-built numbers: each step's base, reach, employment, income and stability."""

import pytest

from dashboard.services.training_funnel import (
    ECOMMERCE,
    EMPLOYED,
    FIELDS,
    SMALL_BASE,
    STEP_KEYS,
    Funnel,
    employment_rate,
    funnel_of,
    funnel_steps,
    income_up_rate,
    reach,
    stability_rate,
    total,
)

F = Funnel(enrolled=100, attended=80, completed=60, certified=45,
           m3_due=50, m3_reached=40, m3_unreachable=6, m3_employed=30,
           m6_due=20, m6_reached=15, m6_unreachable=2, m6_income_known=12, m6_income_up=9,
           stable_base=10, stable=9)


def test_employment_sets() -> None:
    assert ECOMMERCE < EMPLOYED
    assert {"ecommerce_employed", "ecommerce_self", "other_work"} == EMPLOYED
    assert "not_employed" not in EMPLOYED


@pytest.mark.parametrize(("key", "count", "num", "den"), [
    ("enrolled", 100, 100, 100),
    ("attended", 80, 80, 100),
    ("completed", 60, 60, 80),
    ("certified", 45, 45, 60),
    ("employed_m3", 30, 30, 40),        # ÷ reached at 3 months, never ÷ completed or ÷ due
    ("income_up_m6", 9, 9, 12),         # ÷ reached at 6 months with both incomes known
])
def test_each_step_over_its_own_base(key: str, count: int, num: int, den: int) -> None:
    step = {s.key: s for s in funnel_steps(F)}[key]
    assert (step.count, step.rate.numerator, step.rate.denominator) == (count, num, den)
    assert step.rate.value == pytest.approx(num / den)


def test_steps_in_order() -> None:
    assert [s.key for s in funnel_steps(F)] == list(STEP_KEYS)


def test_unreachable_is_never_not_employed() -> None:
    """Ten more people given up as unreachable change the reach, not the employment rate."""
    more_unreachable = Funnel(**{**vars(F), "m3_due": F.m3_due + 10, "m3_unreachable": F.m3_unreachable + 10})
    assert employment_rate(more_unreachable) == employment_rate(F)
    assert employment_rate(F).value == pytest.approx(30 / 40)
    assert reach(more_unreachable.m3_reached, more_unreachable.m3_due).value == pytest.approx(40 / 60)
    # Had they been counted as not employed the rate would read 30 / 50.
    assert employment_rate(more_unreachable).value != pytest.approx(30 / 50)


def test_not_yet_due_is_in_no_rate() -> None:
    """A completed learner whose follow-ups are not due yet adds to completed only: reach, employment, income and
    stability are unchanged."""
    later = Funnel(**{**vars(F), "enrolled": 101, "attended": 81, "completed": 61})
    assert employment_rate(later) == employment_rate(F)
    assert income_up_rate(later) == income_up_rate(F)
    assert stability_rate(later) == stability_rate(F)
    assert reach(later.m3_reached, later.m3_due) == reach(F.m3_reached, F.m3_due)


def test_still_trying() -> None:
    assert F.m3_trying == 50 - 40 - 6
    assert F.m6_trying == 20 - 15 - 2


def test_stability() -> None:
    """Paper 002's 85%: employed at both ÷ employed at 3 months, among those reached at both waves."""
    assert stability_rate(F).value == pytest.approx(0.9)
    assert (stability_rate(F).numerator, stability_rate(F).denominator) == (9, 10)


def test_empty_funnel_has_no_rates() -> None:
    steps = funnel_steps(Funnel())
    assert all(s.rate.value is None and s.count == 0 and s.small for s in steps)
    assert employment_rate(Funnel()).value is None
    assert stability_rate(Funnel()).value is None
    assert reach(0, 0).value is None


@pytest.mark.parametrize(("reached", "small"), [(SMALL_BASE - 1, True), (SMALL_BASE, False), (0, True)])
def test_small_base_warning(reached: int, small: bool) -> None:
    f = Funnel(enrolled=500, attended=500, completed=500, certified=500, m3_due=500, m3_reached=reached,
               m3_employed=reached // 2)
    step = {s.key: s for s in funnel_steps(f)}["employed_m3"]
    assert step.small is small
    assert {s.key: s for s in funnel_steps(f)}["certified"].small is False


def test_sum_and_from_row() -> None:
    assert total([F, F]) == Funnel(**{k: 2 * getattr(F, k) for k in FIELDS})
    assert total([]) == Funnel()
    assert funnel_of({**vars(F), "m6_income_up": None}) == Funnel(**{**vars(F), "m6_income_up": 0})
