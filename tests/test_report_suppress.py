"""Small-cell suppression of the quarterly report (dashboard.report.suppress): the needs and training pages' rule
(1 to min_cell-1 people reads "<5", 0 is shown) per quarter and field, rates hidden with their base, and secondary
suppression so that no hidden point follows from a shown total and the rest."""

import itertools
import random
from dataclasses import replace

import pytest

from dashboard.i18n import use_language
from dashboard.report.compare import change
from dashboard.report.present import change_text, figure_text, point_text
from dashboard.report.suppress import SIDES, derivable, suppress
from dashboard.report.types import AreaReport, Chart, Figure, Point, ReportData
from tests.report_factories import point, report, requests_area

M = 5


def requests(data: ReportData) -> AreaReport:
    return data.area("requests")


def texts(values: list[int | None], *, raised: int | None = None, side: str = "value") -> list[str]:
    """What each point of the requests chart reads once suppressed at 5."""
    area = requests(suppress(report(requests=requests_area(values, raised=raised)), M))
    return [point_text(p, area.chart.kind, side, min_cell=M) for p in area.chart.points]


def test_no_threshold_returns_the_data_as_it_is() -> None:
    data = report(requests=requests_area([1, 2, 3]))
    assert suppress(data, None) is data


def test_a_count_is_hidden_per_quarter() -> None:
    f = Figure("practitioners", "count", 3, 40, 2, people=True)
    area = AreaReport("needs", [f], Chart("needs_by_category", "count"))
    got = suppress(report(needs=area), M).area("needs").figures[0]
    assert (got.value, got.previous, got.year_ago) == (None, 40, None)
    assert got.hidden == ("value", "year_ago") and got.withheld == ()
    assert [figure_text(got, s, min_cell=M) for s in SIDES] == ["<5", "40", "<5"]


def test_zero_and_the_threshold_itself_are_shown() -> None:
    """0 people names nobody (as the training page's cells and the needs heat map); 5 is not under 5."""
    f = Figure("practitioners", "count", 0, 5, 4, people=True)
    area = AreaReport("needs", [f], Chart("needs_by_category", "count"))
    got = suppress(report(needs=area), M).area("needs").figures[0]
    assert (got.value, got.previous, got.year_ago, got.hidden) == (0, 5, None, ("year_ago",))


def test_figures_that_count_no_people_are_never_hidden() -> None:
    data = suppress(report(), M)
    assert data.area("meetings") == report().area("meetings")          # 3 meetings held, 8 actions: not people
    assert data.area("cooperative") == report().area("cooperative")    # money


def test_a_rate_is_hidden_with_its_small_base() -> None:
    f = Figure("completion_rate", "rate", 2 / 3, 0.8, 0.5, base=3, previous_base=40, year_ago_base=10, people=True)
    area = AreaReport("training", [f], Chart("enrolled_by_level", "count"))
    got = suppress(report(training=area), M).area("training").figures[0]
    assert got.value is None and got.base is None and got.hidden == ("value",)
    assert (got.previous, got.previous_base, got.year_ago, got.year_ago_base) == (0.8, 40, 0.5, 10)
    with use_language("zh"):
        assert figure_text(got, min_cell=M) == "<5"


def test_a_rate_of_few_people_over_a_large_base_is_hidden() -> None:
    """3 of 60 employed: the training page's rate cell hides it (the 3 are few), and so does the report."""
    f = Figure("completion_rate", "rate", 0.05, 0.5, 0.0, base=60, previous_base=60, year_ago_base=60, people=True)
    area = AreaReport("training", [f], Chart("enrolled_by_level", "count"))
    got = suppress(report(training=area), M).area("training").figures[0]
    assert got.hidden == ("value",) and got.value is None
    assert got.year_ago == 0.0 and got.year_ago_base == 60                # none of 60 names nobody


def test_a_rate_over_a_hidden_count_of_its_area_is_hidden() -> None:
    """The done rate does not count people, but its base is the number of requests raised, which is hidden."""
    area = AreaReport("requests", [
        Figure("requests_raised", "count", 4, 40, 40, people=True),
        Figure("done_rate", "rate", 0.5, 0.5, 0.5, base=4, previous_base=40, year_ago_base=4),
    ], Chart("requests_by_category", "count"))
    raised, rate = suppress(report(requests=area), M).area("requests").figures
    assert raised.hidden == ("value",)
    assert rate.hidden == ("value",) and rate.value is None and rate.base is None
    assert rate.year_ago == 0.5 and rate.year_ago_base == 4              # the count it is over is shown then


def coop(paid: tuple[int, int, int], members: tuple[int, int, int]) -> AreaReport:
    """The cooperative's money with the amount paid to members over the members paid (a count of people)."""
    return AreaReport("cooperative", [
        Figure("revenue", "money", 1_000_000, 900_000, 800_000),
        Figure("paid_to_members", "money", *paid, over="members_paid"),
        Figure("members_paid", "count", *members, people=True),
    ], Chart("revenue_by_channel", "money", [point("live", "直播", "Livestream", 1_000_000, 900_000, 800_000)],
             total="revenue"))


def test_an_amount_over_a_hidden_count_of_people_is_withheld_with_it() -> None:
    """Paid to members is money (never small itself), but when 1 to 4 members were paid it tells what they got: one
    member's income when one was. It goes wherever the members paid are hidden, and reads 已隐去, not "<5"."""
    got = suppress(report(cooperative=coop((123_400, 700_000, 0), (1, 20, 0))), M).area("cooperative")
    paid, members = got.figure("paid_to_members"), got.figure("members_paid")
    assert members.hidden == ("value",)
    assert (paid.value, paid.previous, paid.year_ago) == (None, 700_000, 0)
    assert paid.hidden == paid.withheld == ("value",)
    with use_language("zh"):
        assert [figure_text(paid, s, min_cell=M) for s in SIDES] == ["已隐去", "¥7,000.00", "¥0.00"]
        assert change_text(change(paid, "previous"), min_cell=M) == "—"
    assert got.figure("revenue") == report(cooperative=coop((1, 1, 1), (1, 1, 1))).area("cooperative").figures[0]
    # each quarter on its own: 3 paid a year ago hides that side only
    again = suppress(report(cooperative=coop((0, 700_000, 90_000), (0, 20, 3))), M).area("cooperative")
    assert again.figure("paid_to_members").hidden == ("year_ago",)
    assert again.figure("paid_to_members").value == 0
    # five or more paid: the amount is theirs together, and shown
    shown = suppress(report(cooperative=coop((123_400, 700_000, 0), (5, 20, 0))), M).area("cooperative")
    assert shown.figure("paid_to_members").hidden == ()
    assert suppress(suppress(report(cooperative=coop((1, 2, 3), (1, 2, 3))), M), M) == \
        suppress(report(cooperative=coop((1, 2, 3), (1, 2, 3))), M)


def test_a_figure_over_a_withheld_total_goes_with_it() -> None:
    """`over` names any figure of the area: a total withheld by secondary suppression takes its amounts along."""
    area = requests_area([4, 4])
    area = replace(area, figures=[*area.figures, Figure("requests_cost", "money", 8_000, 8_000, 8_000,
                                                        over="requests_raised")])
    cost = requests(suppress(report(requests=area), M)).figure("requests_cost")
    assert cost.hidden == cost.withheld == SIDES and cost.value is None


def test_points_of_a_people_chart_are_hidden_per_quarter() -> None:
    area = AreaReport("needs", [], Chart("needs_by_category", "count", [
        point("jobs", "就业创业", "Jobs", 3, 0, 12), point("skills", "技能", "Skills", 30, 4, 1)], people=True))
    jobs, skills = suppress(report(needs=area), M).area("needs").chart.points
    assert (jobs.value, jobs.previous, jobs.year_ago, jobs.hidden) == (None, 0, 12, ("value",))
    assert (skills.value, skills.previous, skills.year_ago, skills.hidden) == (30, None, None, ("previous", "year_ago"))


@pytest.mark.parametrize(("values", "expected"), [
    # one small point under a shown total: the next smallest is withheld too
    ([3, 12, 40, 25], ["<5", "已隐去", "40", "25"]),
    ([40, 3, 25, 12], ["40", "<5", "25", "已隐去"]),
    # two small points: their sum (5) leaves each of them 1 to 4, so nothing more is withheld
    ([2, 3, 40, 25], ["<5", "<5", "40", "25"]),
    # ...unless the sum pins them down: 1 + 1 = 2 can only be 1 and 1; 4 + 4 = 8 only 4 and 4
    ([1, 1, 40, 25], ["<5", "<5", "40", "已隐去"]),
    ([4, 4, 40, 25], ["<5", "<5", "40", "已隐去"]),
    # a 0 protects nothing (a reader knows a withheld point is not under 5): the next point over 0 is withheld
    ([3, 0, 40, 25], ["<5", "0", "40", "已隐去"]),
    # withholding 5 beside 1 leaves 6 = 1 + 5, pinned: a second point is withheld
    ([1, 5, 40], ["<5", "已隐去", "已隐去"]),
    # two 5s: the first withheld one is at most the other shown 5, so 3 + 5 is pinned: both 5s go
    ([3, 5, 5, 40], ["<5", "已隐去", "已隐去", "40"]),
    # nothing small: nothing hidden
    ([5, 12, 40], ["5", "12", "40"]),
    ([0, 12, 40], ["0", "12", "40"]),
])
def test_secondary_suppression(values: list[int | None], expected: list[str]) -> None:
    with use_language("zh"):
        assert texts(values) == expected
    data = requests(suppress(report(requests=requests_area(values)), M))
    assert data.figure("requests_raised").value == sum(v or 0 for v in values)       # the total stays


def test_a_hidden_total_needs_no_secondary() -> None:
    """The total (4) is itself under 5: nothing can be worked out from it."""
    with use_language("zh"):
        assert texts([3, 1, 0]) == ["<5", "<5", "0"]
    area = requests(suppress(report(requests=requests_area([3, 1, 0])), M))
    assert area.figure("requests_raised").hidden == ("value", "previous", "year_ago")
    assert not any(p.withheld for p in area.chart.points)


def test_a_chart_without_a_total_needs_no_secondary() -> None:
    area = replace(requests_area([3, 12, 40]), chart=replace(requests_area([3, 12, 40]).chart, total=None))
    got = requests(suppress(report(requests=area), M))
    assert [p.value for p in got.chart.points] == [None, 12, 40] and not any(p.withheld for p in got.chart.points)


def test_when_no_point_is_left_to_withhold_the_total_is() -> None:
    """4 + 4 = 8 with nothing else: the points only add up one way, so the total 8 is withheld, and the on-time rate
    taken over it (8 requests) with it."""
    area = requests(suppress(report(requests=requests_area([4, 4])), M))
    raised, on_time = area.figures
    assert raised.value is None and raised.hidden == raised.withheld == ("value", "previous", "year_ago")
    assert on_time.value is None and on_time.base is None and on_time.hidden == ("value", "previous", "year_ago")
    with use_language("en"):
        assert figure_text(raised, min_cell=M) == "withheld"
        assert figure_text(on_time, min_cell=M) == "<5"


def test_each_quarter_is_suppressed_on_its_own() -> None:
    points = [point("noise", "噪声", "Noise", 3, 30, 3), point("parking", "停车", "Parking", 12, 12, 12),
              point("jobs", "就业", "Jobs", 40, 40, 40)]
    area = AreaReport("requests", [Figure("requests_raised", "count", 55, 82, None, people=True)],
                      Chart("requests_by_category", "count", points, total="requests_raised", people=True))
    noise, parking, _ = requests(suppress(report(requests=area), M)).chart.points
    assert noise.hidden == ("value", "year_ago") and parking.withheld == ("value",)   # no total a year ago
    assert parking.previous == 12 and noise.previous == 30


def test_a_total_that_counts_no_people_still_gives_a_point_away() -> None:
    """The chart counts people, its total is not marked as people: the total is shown, so secondary applies."""
    area = requests_area([3, 12, 40])
    area = replace(area, figures=[replace(area.figures[0], people=False), area.figures[1]])
    with use_language("zh"):
        got = requests(suppress(report(requests=area), M))
        assert [point_text(p, "count", min_cell=M) for p in got.chart.points] == ["<5", "已隐去", "40"]


@pytest.mark.parametrize("values", [[3, 12, 40, 25], [1, 1, 40, 25], [1, 5, 40], [4, 4], [3, 5, 5, 40], [2, 3]])
def test_suppressing_twice_changes_nothing(values: list[int | None]) -> None:
    once = suppress(report(requests=requests_area(values)), M)
    assert suppress(once, M) == once


def test_the_stored_figures_are_left_as_they_were() -> None:
    data = report(requests=requests_area([3, 12, 40]))
    suppress(data, M)
    assert data == report(requests=requests_area([3, 12, 40]))


def possible(total: int, points: list[Point], side: str, min_cell: int) -> list[set[int]]:
    """Every value each hidden point could have, found by trying them all: what a reader who knows the rules and
    sees the chart can say about each "<5" (1..4) and each "withheld" (5 up to the smallest shown point over 0)."""
    shown = [getattr(p, side) or 0 for p in points if side not in p.hidden]
    ceiling = min((v for v in shown if v > 0), default=total)
    ranges = [range(min_cell, ceiling + 1) if side in p.withheld else range(1, min_cell)
              for p in points if side in p.hidden]
    rest = total - sum(shown)
    seen: list[set[int]] = [set() for _ in ranges]
    for combo in itertools.product(*ranges):
        if sum(combo) == rest:
            for i, v in enumerate(combo):
                seen[i].add(v)
    return seen


def test_no_hidden_point_can_be_worked_out() -> None:
    """300 random small charts under a shown total: after suppression, every hidden point could be at least two
    numbers, by trying every value each could have; and the function that decides agrees."""
    rng = random.Random(42)
    checked = 0
    for _ in range(300):
        values = [rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12, 20]) for _ in range(rng.randint(1, 5))]
        area = requests(suppress(report(requests=requests_area(values)), M))
        total = area.figure("requests_raised")
        if "value" in total.hidden:
            continue
        assert total.value is not None
        points = area.chart.points
        for options in possible(int(total.value), points, "value", M):
            assert len(options) >= 2, (values, points)
        assert not derivable(total.value, points, "value", M)
        checked += 1
    assert checked > 150
