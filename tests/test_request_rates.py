"""The request loop's rates on hand-built counts (dashboard/services/request_rates.py), answers worked out by hand."""

import pytest

from dashboard.services.request_rates import (
    MIN_RANKED,
    Rate,
    UnitCounts,
    on_time_rate,
    resolution_rate,
    response_rate,
    satisfaction_rate,
    unit_ranking,
)


@pytest.mark.parametrize("rate, value", [
    (Rate(0, 0), None),
    (Rate(3, 0), None),
    (Rate(0, 4), 0.0),
    (Rate(3, 4), 0.75),
    (Rate(2.5, 5), 0.5),
])
def test_a_rate_has_no_value_without_a_denominator(rate: Rate, value: float | None) -> None:
    assert rate.value == value


def test_response_rate_counts_every_collected_request() -> None:
    r = response_rate(routed_in_time=7, collected=10)   # 3 routed late or never routed
    assert (r.numerator, r.denominator, r.value) == (7, 10, 0.7)
    assert response_rate(0, 0).value is None


@pytest.mark.parametrize("solved, partly, finished, value", [
    (6, 2, 10, 0.7),       # (6 + 1) / 10; the other two were explained
    (0, 1, 1, 0.5),        # half of a partly solved one
    (0, 0, 3, 0.0),        # three explained: finished, none solved
    (0, 0, 0, None),       # nothing finished (or only unreasonable ones): no rate, not 0%
])
def test_resolution_rate_counts_half_a_partly_solved_request(solved: int, partly: int, finished: int,
                                                             value: float | None) -> None:
    r = resolution_rate(solved, partly, finished)
    assert r.value == value and r.denominator == finished and r.numerator == solved + partly / 2


def test_unreasonable_requests_stay_out_of_the_resolution_rate() -> None:
    # 8 finished: 5 solved, 1 explained, 2 unreasonable. The query passes 6 as the denominator, and the page
    # shows the 2 apart; counting them would lower the rate to 5/8.
    assert resolution_rate(5, 0, 8 - 2).value == pytest.approx(5 / 6)


def test_satisfaction_rate_over_answered_callbacks() -> None:
    r = satisfaction_rate(satisfied=5, basically_satisfied=3, answered=10)   # 2 dissatisfied; unreachable not passed
    assert (r.numerator, r.denominator, r.value) == (8, 10, 0.8)
    assert satisfaction_rate(0, 0, 0).value is None


def test_an_open_overdue_request_lowers_the_on_time_rate() -> None:
    finished_only = on_time_rate(closed_on_time=3, closed=4, open_overdue=0)
    with_overdue = on_time_rate(closed_on_time=3, closed=4, open_overdue=1)
    assert finished_only.value == 0.75
    assert with_overdue.value == 0.6 and with_overdue.denominator == 5
    # Nothing finished yet and one overdue: 0%, not «no rate».
    assert on_time_rate(0, 0, 1).value == 0.0
    assert on_time_rate(0, 0, 0).value is None


def _unit(code: str, requests: int, on_time: int, finished: int, overdue: int = 0) -> UnitCounts:
    return UnitCounts(code, f"单位{code}", requests, on_time, finished, overdue)


def test_a_unit_with_four_requests_is_not_ranked() -> None:
    rows = [_unit("A", 10, 6, 8, 2),     # 6 / 10
            _unit("B", 4, 4, 4),         # 4 / 4, but only 4 requests: listed, not ranked
            _unit("C", 5, 4, 5)]         # 4 / 5
    ranked = unit_ranking(rows)
    assert [(u.unit_code, u.rank) for u in ranked] == [("C", 1), ("A", 2), ("B", None)]
    b = ranked[-1]
    assert (b.on_time.numerator, b.on_time.denominator, b.requests) == (4, 4, 4)
    a = ranked[1]
    assert (a.on_time.numerator, a.on_time.denominator) == (6, 10)   # 2 open overdue count against A
    assert MIN_RANKED == 5
    assert [u.rank for u in unit_ranking(rows, min_requests=4)] == [1, 2, 3]    # B first when 4 is enough


def test_ties_share_a_rank_and_units_without_a_rate_are_not_ranked() -> None:
    rows = [_unit("A", 6, 3, 6), _unit("B", 12, 6, 10, 2), _unit("C", 5, 5, 5), _unit("D", 9, 0, 0),
            _unit("E", 2, 0, 0)]
    ranked = unit_ranking(rows)
    # C 5/5 first; A 3/6 and B 6/12 tie at 50% (B, the larger denominator, listed first); D has nothing finished
    # or overdue yet (no rate), E has two requests: both listed after, most requests first.
    assert [(u.unit_code, u.rank) for u in ranked] == [("C", 1), ("B", 2), ("A", 2), ("D", None), ("E", None)]


def test_an_empty_ranking() -> None:
    assert unit_ranking([]) == []
