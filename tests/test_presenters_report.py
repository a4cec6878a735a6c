"""What the 季度汇报 page draws (dashboard/presenters_report.py, dashboard/charts_report.py) on a hand-built report:
the figure table with 环比 and 同比 and the small-base mark, "<5" where suppression hid a figure, the chart as
grouped bars (an empty one says so), the status and cut-off lines, a restatement's table with hidden figures kept
hidden, the parties' confirmations and the versions; in both languages."""

import datetime as dt
from dataclasses import dataclass, replace

import pytest

from dashboard import charts_report
from dashboard import presenters_report as view
from dashboard.i18n import t, use_language
from dashboard.report.diff import FigureChange as Change
from dashboard.report.types import AreaReport, Chart, Figure, Kind, Number, Point, ReportData, ReportMeta

CUT_OFF = dt.datetime(2026, 10, 1, 0, 30, tzinfo=dt.UTC)            # 08:30 in Shanghai


def report(*, needs: int = 120, hidden: bool = False) -> ReportData:
    """Two areas: needs (a count, a small-base rate, money) with a chart by category; training with an empty
    chart. `hidden`: a viewer's copy with one figure and one bar suppressed."""
    figures = [Figure("needs_total", "count", needs, 100, 80, people=True),
               Figure("needs_closed_rate", "rate", 0.5, 0.4, None, base=20, previous_base=40, people=True),
               Figure("coop_revenue", "money", 1_234_567, 1_000_000, 0),
               Figure("needs_small", "count", None if hidden else 3, 2, 1, people=True,
                      hidden=("value",) if hidden else ())]
    points = [Point("skills", {"zh": "技能与数字鸿沟", "en": "Skills"}, 70, 60, 50),
              Point("rights", {"zh": "权益保障", "en": "Rights"}, None if hidden else 3, 4, 1,
                    hidden=("value",) if hidden else ())]
    return ReportData(
        community_id=1, community_code="GA", community_names={"zh": "光明社区", "en": "Guangming"},
        quarter="2026Q3", previous_quarter="2026Q2", year_ago_quarter="2025Q3", cut_off=CUT_OFF,
        areas=[AreaReport("needs", figures, Chart("needs_by_category", "count", points, total="needs_total",
                                                    people=True)),
               AreaReport("training", [Figure("enrolled", "count", 0, 0, None)], Chart("by_level", "count", []),
                          has_page=False)])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_figure_table_has_both_changes_and_marks_a_small_base(lang: str) -> None:
    with use_language(lang):
        data = report()
        frame = view.figure_frame(data.areas[0], data, None)
        assert list(frame.columns) == view.figure_columns(data)
        assert "2026Q3" in frame.columns[1] and "2026Q2" in frame.columns[2] and "2025Q3" in frame.columns[4]
        total = frame.iloc[0].tolist()
        assert total[1:] == ["120", "100", "+20.0%", "80", "+50.0%"]
        rate = frame.iloc[1].tolist()
        assert rate[1] == "50.0%"
        # 20 behind this quarter's rate: a small base, marked beside the change; a year ago there is no figure
        assert rate[3] == t("report.change_points", sign="+", n="10.0") + " ⚠"
        assert rate[5] == "—"
        money = frame.iloc[2].tolist()
        assert money[1] == "¥12,345.67" and money[5] == t("report.change_new")
        assert view.has_small_base(data.areas[0])
        assert not view.has_small_base(data.areas[1])


def test_a_hidden_figure_reads_under_the_threshold_and_so_does_its_change() -> None:
    data = report(hidden=True)
    frame = view.figure_frame(data.areas[0], data, 5)
    small = frame.iloc[3].tolist()
    assert small[1] == "<5" and small[3] == "—" and small[5] == "—"    # a change from a hidden figure is not one
    assert small[2] == "2"           # the quarter before was not hidden in this copy
    card = view.cards(data.areas[0], 5)[3]
    assert card.value == "<5" and card.previous_change == t("report.slide.previous_change", change="—")


def test_slide_cards_are_the_first_four_figures_with_their_changes() -> None:
    data = report()
    cards = view.cards(data.areas[0], None)
    assert [c.label for c in cards] == [t(f"report.fig.{f.key}") for f in data.areas[0].figures[:4]]
    assert cards[0].value == "120" and cards[0].previous_change == t("report.slide.previous_change",
                                                                       change="+20.0%")
    assert cards[1].small_base and not cards[0].small_base


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_chart_is_grouped_bars_of_three_quarters(lang: str) -> None:
    with use_language(lang):
        data = report(hidden=True)
        long = view.chart_frame(data.areas[0].chart, data, 5)
        assert list(long["series"].unique()) == list(view.series_names(data).values())
        assert list(long["category"].unique()) == (["技能与数字鸿沟", "权益保障"] if lang == "zh"
                                                   else ["Skills", "Rights"])
        hidden = long[(long["category"] == long["category"].iloc[3]) & (long["series"] == long["series"].iloc[0])]
        assert hidden["text"].tolist() == ["<5"] and hidden["value"].isna().all()
        fig = charts_report.area_chart(long, "t", "count")
        assert [trace.type for trace in fig.data] == ["bar"] * 3 and fig.layout.barmode == "group"
        assert list(fig.data[0].y) == [70.0, 0.0]      # the hidden bar keeps its place at zero height
        assert fig.data[0].text[1] == "<5"
        # the quarters compared with are labelled only where hidden; hovering reads every bar
        assert list(fig.data[1].text) == ["", ""] and list(fig.data[1].customdata) == ["60", "4"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_empty_chart_says_so(lang: str) -> None:
    with use_language(lang):
        data = report()
        long = view.chart_frame(data.areas[1].chart, data, None)
        assert long.empty
        fig = charts_report.area_chart(long, "t", "count")
        assert [a.text for a in fig.layout.annotations] == [t("chart.empty")]


@pytest.mark.parametrize(("kind", "values", "axis"), [("money", (150_000, None), ","), ("rate", (0.25, 0.5), ".0%")])
def test_money_is_drawn_in_yuan_and_a_rate_as_a_share(kind: Kind, values: tuple[Number, Number | None],
                                                    axis: str) -> None:
    data = report()
    chart = Chart("c", kind, [Point("a", {"zh": "甲", "en": "A"}, values[0], values[1], None)])
    long = view.chart_frame(chart, data, None)
    assert long["value"].iloc[0] == (1500.0 if kind == "money" else 0.25)
    assert long["text"].iloc[0] == ("¥1,500.00" if kind == "money" else "25.0%")
    assert charts_report.area_chart(long, "", kind).layout.yaxis.tickformat == axis


def test_an_empty_quarter_is_told_apart() -> None:
    data = report()
    assert not view.is_empty(data)
    zero = replace(data, areas=[replace(a, figures=[replace(f, value=0 if f.kind != "rate" else None)
                                                    for f in a.figures],
                                        chart=replace(a.chart, points=[replace(p, value=0) for p in a.chart.points]))
                                for a in data.areas])
    assert view.is_empty(zero)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_status_says_draft_or_which_version_by_whom_and_the_cut_off(lang: str) -> None:
    with use_language(lang):
        draft = ReportMeta(None, CUT_OFF)
        assert view.status_text(draft) == t("report.page.status_draft")
        assert view.cut_off_text(draft) == t("report.page.cut_off", at="2026-10-01 08:30")
        v2 = ReportMeta(2, CUT_OFF, dt.datetime(2026, 10, 8, 1, 5, tzinfo=dt.UTC), "王社工", restated=True)
        assert view.status_text(v2) == t("report.page.status_published", version=2, at="2026-10-08 09:05",
                                         by="王社工") + t("report.page.restated")
        assert view.version_line(v2) == t("report.slide.as_of", version=t("report.slide.version", version=2)
                                          + t("report.page.restated"), at="2026-10-01 08:30")
        assert view.version_line(draft).startswith(t("report.slide.draft"))


def test_a_restatements_table_keeps_hidden_figures_hidden() -> None:
    rows = [Change("needs.needs_total", "needs", "report.fig.needs_total", "count", 100, 120, 20),
            Change("needs.needs_small", "needs", "report.fig.needs_small", "count", 2, 3, 1),
            Change("needs.needs_by_category.skills", "needs", "report.chart.needs_by_category", "count", 60, 70, 10,
                   {"zh": "技能与数字鸿沟", "en": "Skills"}),
            Change("needs.coop_revenue", "needs", "report.fig.coop_revenue", "money", 1000, 400, -600),
            Change("needs.needs_closed_rate", "needs", "report.fig.needs_closed_rate", "rate", 0.4, 0.5, 0.1)]
    seen = view.visible(report(hidden=True))
    assert seen.marks == {"needs.needs_small": {"value": "hidden"},
                          "needs.needs_by_category.rights": {"value": "hidden"}}
    frame = view.changes_frame(rows, old=seen, new=seen, min_cell=5)
    assert frame.iloc[0].tolist()[2:] == ["100", "120", "+20"]
    assert frame.iloc[1].tolist()[2:] == ["<5", "<5", "<5"]
    assert frame.iloc[2].tolist()[1] == t("report.chart.needs_by_category") + " · 技能与数字鸿沟"
    assert frame.iloc[3].tolist()[4] == "−¥6.00"
    assert frame.iloc[4].tolist()[4] == t("report.change_points", sign="+", n="10.0")
    assert view.changes_frame(rows).iloc[1].tolist()[2:] == ["2", "3", "+1"]      # nothing hidden: all shown


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_change_in_an_earlier_quarter_says_which_in_the_figure_column(lang: str) -> None:
    """A late entry in the quarter before (or a year ago) changes a side of the figure, or a rate's base: the row
    names it beside the figure (the columns stay as they are); this quarter's own change reads as before."""
    rows = [Change("needs.needs_total", "needs", "report.fig.needs_total", "count", 100, 101, 1, which="previous"),
            Change("needs.needs_closed_rate", "needs", "report.fig.needs_closed_rate", "count", 40, 41, 1,
                   which="year_ago_base"),
            Change("needs.needs_by_category.skills", "needs", "report.chart.needs_by_category", "count", 60, 61, 1,
                   {"zh": "技能与数字鸿沟", "en": "Skills"}, which="previous"),
            Change("needs.needs_total", "needs", "report.fig.needs_total", "count", 120, 121, 1)]
    with use_language(lang):
        frame = view.changes_frame(rows)
        labels = frame.iloc[:, 1].tolist()
        assert labels[0] == t("report.diff.with_side", label=t("report.fig.needs_total"),
                              side=t("report.diff.side.previous"))
        assert t("report.diff.side.year_ago_base") in labels[1]
        assert labels[2].startswith(t("report.chart.needs_by_category") + " · ")
        assert t("report.diff.side.previous") in labels[2]
        assert labels[3] == t("report.fig.needs_total")
        assert frame.iloc[1].tolist()[2:] == ["40", "41", "+1"]
        assert len(frame.columns) == 5 and len(set(labels)) == 4


@dataclass(frozen=True)
class Confirmation:
    party_kind: str
    decision: str
    by: str
    by_name: str
    at: dt.datetime
    note: str


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_confirmations_list_every_party_given_or_not(lang: str) -> None:
    with use_language(lang):
        given = [Confirmation("government", "accepted", "gov1", "李科长", CUT_OFF, "同意")]
        frame = view.confirmations_frame(given)
        assert frame.iloc[:, 0].tolist() == [t(f"enum.PartyKind.{k}") for k in view.PARTIES]
        assert frame.iloc[:, 1].tolist() == [t("report.page.accept_done"), t("report.page.confirm_pending"),
                                             t("report.page.confirm_pending")]
        assert frame.iloc[0].tolist()[2:] == ["李科长", "2026-10-01 08:30", "同意"]


@dataclass(frozen=True)
class Version:
    version: int
    cut_off_at: dt.datetime
    published_at: dt.datetime
    published_by: str
    published_by_name: str
    reason: str
    changes: list
    confirmations: list


def test_the_versions_newest_first_with_their_reasons() -> None:
    v1 = Version(1, CUT_OFF, CUT_OFF, "sw", "王社工", "", [], [])
    v2 = Version(2, CUT_OFF, CUT_OFF + dt.timedelta(days=3), "sw", "王社工", "补录 9 月需求", [1, 2, 3], [])
    frame = view.history_frame([v1, v2])
    assert frame.iloc[:, 0].tolist() == [t("report.slide.version", version=2), t("report.slide.version", version=1)]
    assert frame.iloc[0].tolist()[4:] == ["补录 9 月需求", "3"]
    assert frame.iloc[1].tolist()[4:] == ["—", "—"]


def test_the_scope_is_named_in_the_language() -> None:
    data = report()
    with use_language("en"):
        assert view.scope_name(data) == "Guangming"
    assert view.scope_name(replace(data, community_names={})) == t("filter.all_communities")


def test_a_withheld_bar_and_change_read_withheld_not_under_five() -> None:
    """Secondary suppression hides a bar that is not small itself (so the total cannot give a small one away)."""
    data = report(hidden=True)
    skills = replace(data.areas[0].chart.points[0], value=None, hidden=("value",), withheld=("value",))
    chart = replace(data.areas[0].chart, points=[skills, data.areas[0].chart.points[1]])
    long = view.chart_frame(chart, data, 5)
    assert long["text"].tolist()[0] == t("report.withheld") and long["text"].tolist()[3] == "<5"
    fig = charts_report.area_chart(long, "", "count")
    assert list(fig.data[0].text) == [t("report.withheld"), "<5"]
    seen = view.visible(replace(data, areas=[replace(data.areas[0], chart=chart), data.areas[1]]))
    assert seen.marks["needs.needs_by_category.skills"] == {"value": "withheld"}
    row = Change("needs.needs_by_category.skills", "needs", "report.chart.needs_by_category", "count", 60, 70, 10,
                 {"zh": "技能与数字鸿沟", "en": "Skills"})
    assert view.changes_frame([row], old=seen, new=seen, min_cell=5).iloc[0].tolist()[2:] == [t("report.withheld")] * 3


def test_small_counts_are_ticked_in_whole_steps() -> None:
    data = report()
    chart = Chart("c", "count", [Point("a", {"zh": "甲", "en": "A"}, 2, 1, 0)])
    fig = charts_report.area_chart(view.chart_frame(chart, data, None), "", "count")
    assert fig.layout.yaxis.dtick == 1


@dataclass(frozen=True)
class SideChange(Change):
    """A FigureChange of one side (the figures' helper adds `which` to the real one, with "value" as default)."""
    which: str = "value"


def year_ago_hidden() -> ReportData:
    """A viewer's copy where the total of needs is hidden only a year ago (3 then): this quarter's 120 is not."""
    data = report()
    total = replace(data.areas[0].figures[0], year_ago=None, hidden=("year_ago",))
    return replace(data, areas=[replace(data.areas[0], figures=[total, *data.areas[0].figures[1:]]), data.areas[1]])


def test_a_figure_hidden_on_another_side_reads_as_it_is_in_a_table_of_changes() -> None:
    """Hidden only a year ago, a figure's change this quarter (100 -> 120) is no secret: it read "<5" three times."""
    seen = view.visible(year_ago_hidden())
    assert seen.marks == {"needs.needs_total": {"year_ago": "hidden"}}
    row = Change("needs.needs_total", "needs", "report.fig.needs_total", "count", 100, 120, 20)
    assert view.changes_frame([row], old=seen, new=seen, min_cell=5).iloc[0].tolist()[2:] == ["100", "120", "+20"]
    # the side it names is the one hidden: the year-ago figure read again (FigureChange.which) stays "<5"
    back = SideChange("needs.needs_total", "needs", "report.fig.needs_total", "count", 3, 4, 1, which="year_ago")
    cells = view.changes_frame([back], old=seen, new=seen, min_cell=5).iloc[0].tolist()
    assert cells[2:] == ["<5", "<5", "<5"]
    assert cells[1] == t("report.diff.with_side", label=t("report.fig.needs_total"),
                         side=t("report.diff.side.year_ago"))
    # a side this page does not know is hidden wherever any side is
    odd = SideChange("needs.needs_total", "needs", "report.fig.needs_total", "count", 3, 4, 1, which="other")
    assert view.changes_frame([odd], old=seen, new=seen, min_cell=5).iloc[0].tolist()[2:] == ["<5", "<5", "<5"]


def test_each_cell_is_hidden_from_the_side_it_shows_and_a_difference_never_gives_it_away() -> None:
    """The old figure from the version before, the new one from the version now: a count that grew from 4 (<5) to
    6 shows 6, and its difference (+2) would give the 4 away: —."""
    grew = replace(report(), areas=[replace(report().areas[0], figures=[
        *report().areas[0].figures[:3], Figure("needs_small", "count", 6, 2, 1, people=True)]), report().areas[1]])
    was = report(hidden=True)        # needs_small hidden this quarter
    row = Change("needs.needs_small", "needs", "report.fig.needs_small", "count", 4, 6, 2)
    frame = view.changes_frame([row], old=view.visible(was), new=view.visible(grew), min_cell=5)
    assert frame.iloc[0].tolist()[2:] == ["<5", "6", "—"]
    back = Change("needs.needs_small", "needs", "report.fig.needs_small", "count", 6, 4, -2)
    frame = view.changes_frame([back], old=view.visible(grew), new=view.visible(was), min_cell=5)
    assert frame.iloc[0].tolist()[2:] == ["6", "<5", "—"]


@pytest.mark.parametrize(("row", "hidden", "shown"), [
    (Change("needs.needs_total", "needs", "report.fig.needs_total", "count", 120, 122, 2), "<5", "+2"),
    (Change("needs.needs_total", "needs", "report.fig.needs_total", "count", 122, 120, -2), "<5", "−2"),
    (Change("needs.needs_by_category.skills", "needs", "report.chart.needs_by_category", "count", 70, 73, 3,
            {"zh": "技能与数字鸿沟", "en": "Skills"}), "<5", "+3"),
    (Change("needs.needs_total", "needs", "report.fig.needs_total", "count", 120, 125, 5), "+5", "+5"),
    (Change("needs.coop_revenue", "needs", "report.fig.coop_revenue", "money", 1000, 1200, 200), "+¥2.00",
     "+¥2.00"),
    (Change("training.enrolled", "training", "report.fig.enrolled", "count", 12, 14, 2), "+2", "+2"),
])
def test_a_difference_of_fewer_people_than_the_threshold_reads_under_it(row: Change, hidden: str,
                                                                       shown: str) -> None:
    """1 to 4 more people in a people figure or bar is a small cell by subtraction: "<5" where personal data is
    hidden; money, a figure that counts no people (enrolled is not one in this sample) and 5 or more read as they
    are, and everything does where personal data is shown."""
    seen = view.visible(report())
    assert view.changes_frame([row], old=seen, new=seen, min_cell=5).iloc[0].tolist()[4] == hidden
    assert view.changes_frame([row], old=seen, new=seen, min_cell=None).iloc[0].tolist()[4] == shown


def test_the_changes_handed_to_the_files_carry_no_hidden_number() -> None:
    """The handout and the PDF get a version's changes as the viewer may see them: a hidden side, and a difference
    that would give it away or is a small number of people, as no figure."""
    seen = view.visible(report(hidden=True))
    rows = [Change("needs.needs_total", "needs", "report.fig.needs_total", "count", 100, 120, 20),
            Change("needs.needs_small", "needs", "report.fig.needs_small", "count", 2, 3, 1),
            Change("needs.needs_by_category.skills", "needs", "report.chart.needs_by_category", "count", 70, 72, 2,
                   {"zh": "技能与数字鸿沟", "en": "Skills"}),
            SideChange("needs.needs_total", "needs", "report.fig.needs_total", "count", 80, 81, 1, which="year_ago")]
    out = view.shown_changes(rows, old=seen, new=seen, min_cell=5)
    assert [(c.old, c.new, c.difference) for c in out] == [(100, 120, 20), (None, None, None), (70, 72, None),
                                                           (80, 81, None)]
    assert getattr(out[3], "which", None) == "year_ago"          # the rest of the row as it was
    everything = view.visible(report())          # personal data shown: nothing suppressed, nothing taken out
    assert view.shown_changes(rows, old=everything, new=everything, min_cell=None) == rows


@pytest.mark.parametrize(("lang", "label", "axis", "prefix", "suffix"),
                         [("zh", "¥53.87万", ",", "¥", "万"), ("en", "¥538.7k", "~s", "¥", "")])
def test_a_money_chart_labels_its_bars_and_axis_as_the_tiles_do(lang: str, label: str, axis: str, prefix: str,
                                                                suffix: str) -> None:
    """Exact yuan with cents over each bar ran into one another and into the axis (¥538,742.94 on the 600,000
    tick): the bars read as the overview's tiles (万 in Chinese, k or M in English), the axis in the same unit, and
    hovering gives the exact figure."""
    with use_language(lang):
        data = report()
        chart = Chart("c", "money", [Point("a", {"zh": "甲", "en": "A"}, 53_874_294, 13_432_34, None)])
        long = view.chart_frame(chart, data, None)
        fig = charts_report.area_chart(long, "", "money")
        assert fig.data[0].text[0] == label
        assert fig.data[0].customdata[0] == "¥538,742.94"
        axis_of = fig.layout.yaxis
        assert (axis_of.tickformat, axis_of.tickprefix or "", axis_of.ticksuffix or "") == (axis, prefix, suffix)
        assert fig.data[0].y[0] == pytest.approx(53.8742940 if lang == "zh" else 538_742.94)
