"""Hand-built quarterly reports for the tests of the report's rules (no database): one of each kind of figure, a
people chart with a total, and the figure labels the narrative reads (registered for the test only)."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from dashboard.i18n import STRINGS
from dashboard.report.types import AreaReport, Chart, Figure, Point, ReportData

CUT_OFF = dt.datetime(2025, 10, 8, 1, 30, tzinfo=dt.UTC)

# Labels as the figures helper names its figures (report.fig.* / report.chart.* / report.area.*): the tests register
# their own so they do not depend on the figures' wording.
LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "report.area.needs": "需求评估", "report.area.training": "技能培训", "report.area.cooperative": "合作社",
        "report.area.requests": "直播治理诉求", "report.area.meetings": "联席会议",
        "report.fig.practitioners": "服务从业者", "report.fig.needs_identified": "识别需求",
        "report.fig.closure_rate": "闭环率", "report.fig.days_to_feedback": "反馈用时",
        "report.fig.enrolled": "报名人数", "report.fig.completion_rate": "结业率",
        "report.fig.revenue": "营业收入", "report.fig.requests_raised": "收集诉求",
        "report.fig.on_time_rate": "按期办结率", "report.fig.meetings_held": "召开会议",
        "report.fig.actions_done_rate": "事项完成率",
        "report.chart.needs_by_category": "需求类别", "report.chart.enrolled_by_level": "报名等级",
        "report.chart.revenue_by_channel": "销售渠道", "report.chart.requests_by_category": "诉求类别",
        "report.chart.actions_by_party": "责任方",
    },
    "en": {
        "report.area.needs": "Needs", "report.area.training": "Training", "report.area.cooperative": "Cooperative",
        "report.area.requests": "Livestream requests", "report.area.meetings": "Joint meetings",
        "report.fig.practitioners": "Practitioners served", "report.fig.needs_identified": "Needs identified",
        "report.fig.closure_rate": "Loop closure rate", "report.fig.days_to_feedback": "Days to feedback",
        "report.fig.enrolled": "Enrolled", "report.fig.completion_rate": "Completion rate",
        "report.fig.revenue": "Revenue", "report.fig.requests_raised": "Requests raised",
        "report.fig.on_time_rate": "On-time rate", "report.fig.meetings_held": "Meetings held",
        "report.fig.actions_done_rate": "Actions done",
        "report.chart.needs_by_category": "Needs by category", "report.chart.enrolled_by_level": "Enrolment by level",
        "report.chart.revenue_by_channel": "Revenue by channel",
        "report.chart.requests_by_category": "Requests by category",
        "report.chart.actions_by_party": "Actions by party",
    },
}


@pytest.fixture
def labels(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test figures' labels in both languages, for this test only."""
    for lang, table in LABELS.items():
        for key, text in table.items():
            monkeypatch.setitem(STRINGS[lang], key, text)
            # the test figures read "<label> <value>": a figure's own narrative wording (report.narr.fig.<key>,
            # "登记从业者 {value} 人") is the product's, not these tests'
            own = key.replace("report.fig.", "report.narr.fig.")
            if own != key and own in STRINGS[lang]:
                monkeypatch.delitem(STRINGS[lang], own)
    yield


def point(code: str, zh: str, en: str, value: int | None, previous: int | None = None,
          year_ago: int | None = None, **kw: Any) -> Point:
    return Point(code=code, names={"zh": zh, "en": en}, value=value, previous=previous, year_ago=year_ago, **kw)


def requests_area(values: list[int | None] | None = None, *, raised: int | None = None,
                  people: bool = True) -> AreaReport:
    """Requests by category under the total "requests_raised" (the points add up to it unless told otherwise)."""
    values = [3, 12, 40, 25] if values is None else values
    codes = [("noise", "噪声扰民", "Noise"), ("parking", "停车", "Parking"), ("jobs", "就业创业", "Jobs"),
             ("roads", "道路", "Roads"), ("water", "供水", "Water"), ("waste", "垃圾", "Waste")]
    points = [point(c, zh, en, v, v, v) for (c, zh, en), v in zip(codes, values, strict=False)]
    total = sum(v or 0 for v in values) if raised is None else raised
    return AreaReport("requests", [
        Figure("requests_raised", "count", total, total, total, people=people),
        Figure("on_time_rate", "rate", 0.85, 0.80, 0.9, base=total, previous_base=total, year_ago_base=total,
               people=people),
    ], Chart("requests_by_category", "count", points, total="requests_raised", people=people))


def report(**areas: AreaReport) -> ReportData:
    """A community-quarter with every area; `areas` replaces the default of an area by name."""
    default = {
        "needs": AreaReport("needs", [
            Figure("practitioners", "count", 120, 100, 80, people=True),
            Figure("needs_identified", "count", 64, 50, 0, people=True),
            Figure("closure_rate", "rate", 0.75, 0.7, None, base=64, previous_base=50, year_ago_base=0,
                   people=True),
            Figure("days_to_feedback", "days", 4.5, 6.0, None, people=True),
        ], Chart("needs_by_category", "count", [
            point("jobs", "就业创业", "Jobs and business", 30, 20),
            point("skills", "技能与数字鸿沟", "Skills", 34, 30),
        ], total="needs_identified", people=True)),
        "training": AreaReport("training", [
            Figure("enrolled", "count", 45, 40, 12, people=True),
            Figure("completion_rate", "rate", 0.8, 0.75, 0.5, base=45, previous_base=40, year_ago_base=12,
                   people=True),
        ], Chart("enrolled_by_level", "count", [
            point("basic", "初级", "Basic", 25, 20, 12), point("advanced", "中级", "Intermediate", 20, 20, 0),
        ], total="enrolled", people=True)),
        "cooperative": AreaReport("cooperative", [
            Figure("revenue", "money", 1_234_500, 1_000_000, None),
        ], Chart("revenue_by_channel", "money", [
            point("live", "直播", "Livestream", 1_000_000, 800_000),
            point("shop", "门店", "Shop", 234_500, 200_000),
        ], total="revenue")),
        "requests": requests_area(),
        "meetings": AreaReport("meetings", [
            Figure("meetings_held", "count", 3, 2, 1),
            Figure("actions_done_rate", "rate", 0.5, 0.25, None, base=8, previous_base=4),
        ], Chart("actions_by_party", "count", [
            point("government", "政府", "Government", 5, 2), point("platform", "平台", "Platform", 3, 2),
        ])),
    }
    default.update(areas)
    return ReportData(community_id=7, community_code="C7", community_names={"zh": "石桥村", "en": "Shiqiao Village"},
                      quarter="2025Q3", previous_quarter="2025Q2", year_ago_quarter="2024Q3", cut_off=CUT_OFF,
                      areas=[default[a] for a in ("needs", "training", "cooperative", "requests", "meetings")])


def with_area(data: ReportData, area: AreaReport) -> ReportData:
    return replace(data, areas=[area if a.area == area.area else a for a in data.areas])
