"""Levels 2 and 4 rules on hand-built cases: normalised gain, who is left out, spread, quartiles, income change."""

import statistics

import pytest

from dashboard.services.training_levels import (
    gain_summary,
    income_change,
    mean_cents,
    normalised_gain,
    quantile,
    quantile_ranks,
    sample_sd,
)


@pytest.mark.parametrize(("pre", "post", "gain"), [
    (40, 70, 0.5),           # half of what was left to learn
    (0, 100, 1.0),
    (60, 60, 0.0),
    (80, 70, -0.5),          # a drop is a negative gain
    (99, 100, 1.0),
    (100, 100, None),        # nothing left to learn: no gain measured
    (100, 90, None),         # ... not even a fall (it would divide by zero)
])
def test_normalised_gain(pre: int, post: int, gain: float | None) -> None:
    assert normalised_gain(pre, post) == gain


def test_learner_without_post_score_is_left_out_of_everything() -> None:
    s = gain_summary([(40, 70), (50, None), (None, 80), (None, None)])
    assert (s.n, s.n_gain) == (1, 1)
    assert s.mean_pre == 40 and s.mean_post == 70 and s.mean_change == 30
    assert s.mean_gain == 0.5


def test_pre_100_counts_in_the_change_but_not_in_the_gain() -> None:
    s = gain_summary([(100, 90), (40, 70), (60, 80)])
    assert s.n == 3 and s.n_gain == 2
    assert s.mean_change == pytest.approx((-10 + 30 + 20) / 3)
    assert s.mean_gain == pytest.approx((0.5 + 0.5) / 2)


def test_spread_is_the_sample_standard_deviation() -> None:
    pairs = [(0, 10), (0, 20), (0, 40), (0, 50)]          # gains 0.1, 0.2, 0.4, 0.5
    s = gain_summary(pairs)
    assert s.mean_gain == pytest.approx(0.3)
    assert s.sd_gain == pytest.approx(statistics.stdev([0.1, 0.2, 0.4, 0.5]))
    assert s.sd_gain == pytest.approx((0.1 / 3) ** 0.5)


def test_spread_needs_two_learners_and_is_zero_when_all_agree() -> None:
    assert gain_summary([(40, 70)]).sd_gain is None
    assert gain_summary([(40, 70), (60, 80), (20, 60)]).sd_gain == pytest.approx(0.0, abs=1e-12)
    assert sample_sd(2, 0.2, 0.02) == pytest.approx(0.0, abs=1e-9)


def test_quartiles_interpolate_like_excel_quartile_inc() -> None:
    gains = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]     # pre 0, post 0..90
    s = gain_summary([(0, round(g * 100)) for g in reversed(gains)])
    assert s.q1 == pytest.approx(0.225)       # position 9 × 0.25 = 2.25
    assert s.median == pytest.approx(0.45)
    assert s.q3 == pytest.approx(0.675)
    assert [s.q1, s.median, s.q3] == pytest.approx(statistics.quantiles(gains, n=4, method="inclusive"))


@pytest.mark.parametrize(("n", "num", "den", "ranks"), [
    (1, 1, 4, (0, 0, 0.0)),
    (4, 1, 2, (1, 2, 0.5)),
    (5, 1, 2, (2, 2, 0.0)),
    (5, 3, 4, (3, 3, 0.0)),
    (6, 1, 4, (1, 2, 0.25)),
])
def test_quantile_ranks(n: int, num: int, den: int, ranks: tuple[int, int, float]) -> None:
    assert quantile_ranks(n, num, den) == ranks


def test_quartiles_of_one_and_of_none() -> None:
    assert quantile([0.3], 1, 4) == quantile([0.3], 3, 4) == 0.3
    s = gain_summary([])
    assert (s.n, s.mean_gain, s.sd_gain, s.q1, s.median, s.q3) == (0, None, None, None, None, None)
    only_top = gain_summary([(100, 100)])
    assert only_top.n == 1 and only_top.n_gain == 0 and only_top.mean_gain is None and only_top.median is None


def test_income_change_leaves_out_unknown_incomes() -> None:
    c = income_change([(300_000, 390_000), (400_000, 380_000), (350_000, 350_000), (None, 500_000), (200_000, None)])
    assert c.n == 3
    assert c.mean_before_cents == 350_000 and c.mean_after_cents == 373_333
    assert c.mean_change_cents == 23_333            # 70,000 ÷ 3 to the cent
    assert c.median_change_cents == 0
    assert (c.up, c.down) == (1, 1)


def test_income_change_median_of_an_even_count_and_of_nobody() -> None:
    assert income_change([(100, 200), (100, 401)]).median_change_cents == 201   # 200.5 rounds half up
    nobody = income_change([(None, 1)])
    assert nobody.n == 0 and nobody.mean_before_cents is None and nobody.median_change_cents is None


@pytest.mark.parametrize(("total", "n", "mean"), [(5, 2, 3), (-5, 2, -3), (7, 3, 2), (0, 1, 0), (1, 0, None)])
def test_mean_cents_rounds_halves_away_from_zero(total: int, n: int, mean: int | None) -> None:
    assert mean_cents(total, n) == mean
