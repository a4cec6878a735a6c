"""环比 and 同比 of report figures (dashboard.report.compare) and how they read (dashboard.report.present): counts,
money and days change by a relative amount, rates by percentage points; a small base on either side of a rate (or a
small count compared with) is flagged; from zero is "new"; a suppressed side hides the change."""

import pytest

from dashboard.i18n import t, use_language
from dashboard.report.compare import SMALL_BASE, Change, change
from dashboard.report.present import change_text, figure_text, point_text, value_text
from dashboard.report.types import Figure, Kind, Number, Point


def count(value: int | None, previous: int | None = None, year_ago: int | None = None, **kw: object) -> Figure:
    return Figure("x", "count", value, previous, year_ago, **kw)  # type: ignore[arg-type]


def rate(value: float | None, previous: float | None, *, base: int | None = 100, previous_base: int | None = 100,
         **kw: object) -> Figure:
    return Figure("x", "rate", value, previous, base=base, previous_base=previous_base, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("figure", "against", "expected"), [
    # counts, money and days: relative to the older figure
    (count(120, 100), "previous", Change("relative", 0.2, False)),
    (count(90, 100), "previous", Change("relative", -0.1, False)),
    (count(100, 100), "previous", Change("relative", 0.0, False)),
    (count(120, None, 80), "year_ago", Change("relative", 0.5, False)),
    (Figure("m", "money", 150_000, 100_000), "previous", Change("relative", 0.5, False)),
    (Figure("d", "days", 3.0, 4.0), "previous", Change("relative", -0.25, False)),
    # a rate: the difference in points, never a relative change (60% to 66% is +6 points, not +10%)
    (rate(0.66, 0.60), "previous", Change("points", 0.66 - 0.60, False)),
    (rate(0.5, 0.75), "previous", Change("points", -0.25, False)),
    # small base: a rate on fewer than SMALL_BASE on either side, or a count compared with fewer
    (rate(0.66, 0.60, base=SMALL_BASE - 1), "previous", Change("points", 0.66 - 0.60, True)),
    (rate(0.66, 0.60, previous_base=SMALL_BASE - 1), "previous", Change("points", 0.66 - 0.60, True)),
    (rate(0.66, 0.60, base=SMALL_BASE, previous_base=SMALL_BASE), "previous", Change("points", 0.66 - 0.60, False)),
    (count(4, 2), "previous", Change("relative", 1.0, True)),
    (count(2, SMALL_BASE), "previous", Change("relative", -(SMALL_BASE - 2) / SMALL_BASE, False)),
    (Figure("m", "money", 400, 200), "previous", Change("relative", 1.0, False)),     # cents are not a small base
    # from zero: "new", not +inf%; zero to zero: nothing to say
    (count(5, 0), "previous", Change("relative", None, True, new=True)),
    (count(0, 0), "previous", Change("relative", None, True, new=False)),
    (Figure("m", "money", 100, 0), "previous", Change("relative", None, False, new=True)),
    # no figure on a side: nothing to compare with
    (count(5, None), "previous", Change("relative", None, False)),
    (count(None, 5), "previous", Change("relative", None, False)),
    (rate(None, 0.5, base=0), "previous", Change("points", None, True)),
    # a suppressed side hides the change, whichever side it is
    (count(None, 40, hidden=("value",)), "previous", Change("relative", None, False, hidden=True)),
    (count(40, None, 40, hidden=("previous",)), "previous", Change("relative", None, False, hidden=True)),
    (count(40, None, 40, hidden=("previous",)), "year_ago", Change("relative", 0.0, False)),
    (rate(None, 0.5, base=None, hidden=("value",)), "previous", Change("points", None, False, hidden=True)),
])
def test_change(figure: Figure, against: str, expected: Change) -> None:
    got = change(figure, against)  # type: ignore[arg-type]
    assert got.kind == expected.kind and got.small_base == expected.small_base
    assert got.hidden == expected.hidden and got.new == expected.new
    if expected.value is None:
        assert got.value is None
    else:
        assert got.value == pytest.approx(expected.value)


@pytest.mark.parametrize(("lang", "kind", "value", "text"), [
    ("zh", "count", 1234, "1,234"), ("en", "count", 1234, "1,234"),
    ("zh", "count", 0, "0"), ("zh", "count", None, "—"),
    ("zh", "money", 123_456, "¥1,234.56"), ("en", "money", -5, "-¥0.05"),
    ("zh", "rate", 0.837, "83.7%"), ("en", "rate", 1.0, "100.0%"),
    ("zh", "days", 4.5, "4.5 天"), ("en", "days", 4, "4.0 days"),
])
def test_value_text(lang: str, kind: Kind, value: Number | None, text: str) -> None:
    with use_language(lang):
        assert value_text(kind, value) == text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_hidden_value_reads_less_than_the_threshold(lang: str) -> None:
    f = count(None, 40, hidden=("value",))
    with use_language(lang):
        assert figure_text(f, min_cell=5) == "<5"
        assert figure_text(f, min_cell=10) == "<10"
        assert figure_text(f, "previous", min_cell=5) == "40"


@pytest.mark.parametrize(("lang", "c", "text"), [
    ("zh", Change("relative", 0.125, False), "+12.5%"),
    ("en", Change("relative", -0.03, False), "−3.0%"),
    ("zh", Change("relative", 0.0, False), "±0.0%"),
    ("zh", Change("points", 0.021, False), "+2.1 个百分点"),
    ("en", Change("points", -0.021, False), "−2.1 pts"),
    ("zh", Change("relative", None, True, new=True), "新增"),
    ("en", Change("relative", None, False, new=True), "new"),
    ("zh", Change("relative", None, False), "—"),
    # a side suppressed: the change is not "<5" (that reads as a change under five); there is nothing to show
    ("en", Change("points", None, False, hidden=True), "—"),
    # what rounds to zero reads as no change, not "+0.0%" beside "±0.0%"
    ("zh", Change("relative", 0.0004, False), "±0.0%"),
    ("en", Change("relative", -0.0004, False), "±0.0%"),
    ("zh", Change("points", 0.0004, False), "±0.0 个百分点"),
    ("zh", Change("relative", 0.0005, False), "+0.1%"),
])
def test_change_text(lang: str, c: Change, text: str) -> None:
    with use_language(lang):
        assert change_text(c) == text


def test_a_small_base_change_still_reads_its_value() -> None:
    """The flag is said beside the change (the page's warning, the narrative's wording): the text is the number."""
    c = change(count(4, 2), "previous")
    assert c.small_base and change_text(c) == "+100.0%"


@pytest.mark.parametrize(("lang", "text"), [("zh", "已隐去"), ("en", "withheld")])
def test_a_withheld_value_does_not_claim_to_be_small(lang: str, text: str) -> None:
    """Secondary suppression hides a figure that is not small (40) so a small one cannot be worked out from the
    total: it reads "withheld", not "<5", which would be untrue of it."""
    f = count(None, 40, hidden=("value",), withheld=("value",))
    p = Point("jobs", {"zh": "就业创业", "en": "Jobs"}, None, 40, None, hidden=("value",), withheld=("value",))
    small = Point("noise", {"zh": "噪声扰民", "en": "Noise"}, None, hidden=("value",))
    with use_language(lang):
        assert figure_text(f, min_cell=5) == text
        assert point_text(p, "count", min_cell=5) == text
        assert point_text(p, "count", "previous", min_cell=5) == "40"
        assert point_text(small, "count", min_cell=5) == "<5"
        assert "<5" in t("report.withheld_note", n=5)


@pytest.mark.parametrize(("kind", "old", "new", "text"), [
    ("rate", 0.805, 0.7976, "−0.7 个百分点"),      # user test: 80.5% → 79.8% read −0.6 (the unrounded shares)
    ("rate", 0.5, 0.5004, "±0.0 个百分点"),
    ("days", 3.25, 3.0, "−0.3 天"),
    ("count", 128, 129, "+1"),
    ("money", 1000, 850, "−¥1.50"),
])
def test_a_difference_is_taken_between_the_figures_as_written(kind: str, old: float, new: float, text: str) -> None:
    from dashboard.report.present import difference_text
    with use_language("zh"):
        assert difference_text(kind, new - old, old, new) == text  # type: ignore[arg-type]
