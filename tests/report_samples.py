"""A hand-built quarterly report for the files' tests and benchmark: five areas (needs with figures hidden by the
small-cell rule, training on small bases, the cooperative's money to the cent, requests, and meetings empty), a
restated and a draft meta, and the area, figure and chart labels the tests read them by (`labels`)."""

import datetime as dt
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from dashboard.i18n import STRINGS
from dashboard.report.diff import FigureChange
from dashboard.report.types import AREAS, AreaReport, Chart, Figure, Point, ReportData, ReportMeta

CUT_OFF = dt.datetime(2026, 10, 8, 1, 30, tzinfo=dt.UTC)                # 09:30 in Beijing
PUBLISHED = dt.datetime(2026, 10, 9, 6, 5, tzinfo=dt.UTC)               # 14:05 in Beijing
RESTATED = ReportMeta(version=2, cut_off=CUT_OFF, published_at=PUBLISHED, published_by="陈静", restated=True)
DRAFT = ReportMeta(version=None, cut_off=CUT_OFF)

LABELS: dict[str, tuple[str, str]] = {
    "report.area.needs": ("需求评估", "Needs"),
    "report.area.training": ("培训成效", "Training"),
    "report.area.cooperative": ("合作社分配", "Cooperative"),
    "report.area.requests": ("直播治理诉求", "Livestream requests"),
    "report.area.meetings": ("四方联席会议", "Joint meeting"),
    "report.fig.practitioners": ("从业者人数", "Practitioners"),
    "report.fig.assessments": ("需求评估数", "Needs assessed"),
    "report.fig.needs_closed_rate": ("需求结案率", "Needs closed"),
    "report.fig.disabled": ("残障从业者", "Practitioners with a disability"),
    "report.fig.enrolled": ("报名人数", "Enrolled"),
    "report.fig.completion_rate": ("结业率", "Completion rate"),
    "report.fig.employment_rate": ("3个月就业率", "Employed after 3 months"),
    "report.fig.income_change": ("人均月收入变化", "Monthly income change per person"),
    "report.fig.sales": ("销售收入", "Sales"),
    "report.fig.members_share": ("成员分配（70%）", "Members' share (70%)"),
    "report.fig.public_fund": ("公益金（10%）", "Public fund (10%)"),
    "report.fig.coop_members": ("合作社成员", "Cooperative members"),
    "report.fig.requests": ("收集诉求", "Requests collected"),
    "report.fig.on_time_rate": ("按期办结率", "Closed on time"),
    "report.fig.response_days": ("平均响应时间", "Average response time"),
    "report.fig.satisfaction_rate": ("满意率", "Satisfied"),
    "report.fig.actions_open": ("未完成行动事项", "Open action items"),
    "report.chart.needs_by_category": ("需求类别", "Needs by category"),
    "report.chart.enrolled_by_level": ("各级别报名人数", "Enrolled by level"),
    "report.chart.sales_by_cooperative": ("各合作社销售收入", "Sales by cooperative"),
    "report.chart.requests_by_category": ("诉求类别", "Requests by category"),
    "report.chart.actions_by_party": ("各方行动事项", "Action items by party"),
}


@contextmanager
def labels() -> Iterator[None]:
    """The labels above in both string tables for the block, whatever the figures' module calls them (the tests
    name the sheets and rows they read), then the tables as they were."""
    before = {lang: {key: STRINGS[lang].get(key) for key in LABELS} for lang in ("zh", "en")}
    for key, (zh, en) in LABELS.items():
        STRINGS["zh"][key], STRINGS["en"][key] = zh, en
    try:
        yield
    finally:
        for lang, old in before.items():
            for key, value in old.items():
                if value is None:
                    STRINGS[lang].pop(key, None)
                else:
                    STRINGS[lang][key] = value


def p(code: str, zh: str, en: str, value: int | float | None, previous: int | float | None = None,
      year_ago: int | float | None = None, hidden: tuple[str, ...] = (), withheld: tuple[str, ...] = ()) -> Point:
    return Point(code, {"zh": zh, "en": en}, value, previous, year_ago, hidden, withheld)


def areas() -> list[AreaReport]:
    needs = AreaReport("needs", [
        Figure("practitioners", "count", 2000, 1950, 1200, people=True),
        Figure("assessments", "count", 1234, 1100, 0),
        Figure("needs_closed_rate", "rate", 0.837, 0.80, 0.75, base=1234, previous_base=1100, year_ago_base=12,
               people=True),
        # Suppressed: 3 people this quarter, 4 a year ago (the caller's suppress() made them None).
        Figure("disabled", "count", None, 12, None, people=True, hidden=("value", "year_ago")),
    ], Chart("needs_by_category", "count", [
        p("skills", "技能与数字鸿沟", "Skills and the digital divide", 520, 480, 300),
        p("rights", "权益保障", "Rights", 410, 430, 380),
        p("health", "职业可持续与身心健康", "Health and a sustainable job", 300, 260, 150),
        p("support", "社会支持网络", "Support network", None, 9, None, hidden=("value", "year_ago")),
        p("other", "其他", "Other", None, 20, 10, hidden=("value",)),
    ], total="assessments", people=True))
    training = AreaReport("training", [
        Figure("enrolled", "count", 24, 18, 30, people=True),
        Figure("completion_rate", "rate", 0.75, 0.6667, 0.70, base=24, previous_base=18, year_ago_base=30,
               people=True),
        Figure("employment_rate", "rate", 0.5, None, None, base=18),
        Figure("income_change", "money", 45_050, 38_099, None),
    ], Chart("enrolled_by_level", "count", [
        p("basic", "初级", "Basic", 12, 10, 20), p("middle", "中级", "Intermediate", 8, 6, 7),
        p("advanced", "高级", "Advanced", 4, 2, 3)], total="enrolled", people=True))
    cooperative = AreaReport("cooperative", [
        Figure("sales", "money", 123_456_789, 98_765_432, 100_000_001),
        Figure("members_share", "money", 86_419_752, 69_135_802, 70_000_001),
        Figure("public_fund", "money", 12_345_679, 9_876_543, 10_000_000),
        Figure("coop_members", "count", 86, 80, 86, people=True),
    ], Chart("sales_by_cooperative", "money", [
        p("GA-COOP", "GA电商合作社", "GA e-commerce co-op", 80_000_001, 60_000_000, 70_000_000),
        p("GB-COOP", "GB农品合作社", "GB produce co-op", 43_456_788, 38_765_432, 30_000_001)], total="sales"),
        has_page=True)
    requests = AreaReport("requests", [
        Figure("requests", "count", 412, 380, 0),
        Figure("on_time_rate", "rate", 0.837, 0.812, 0.70, base=300, previous_base=280, year_ago_base=0),
        Figure("response_days", "days", 2.5, 3.4, None),
        Figure("satisfaction_rate", "rate", 0.9, 0.95, None, base=12, previous_base=40),
    ], Chart("requests_by_category", "count", [
        p("traffic", "交通出行", "Traffic", 150, 120, 0), p("noise", "噪音扰民", "Noise", 96, 110, 0),
        p("parcel", "快递驿站", "Parcel stations", 88, 70, 0), p("pay", "劳动报酬", "Pay", 78, 80, 0)],
        total="requests"))
    meetings = AreaReport("meetings", [], Chart("actions_by_party", "count", []), has_page=False)
    return [needs, training, cooperative, requests, meetings]


def report(*, community: bool = True) -> ReportData:
    names = {"zh": "GA社区", "en": "GA community"} if community else {"zh": "全部社区", "en": "All communities"}
    return ReportData(community_id=1 if community else None, community_code="GA" if community else None,
                      community_names=names, quarter="2026Q3", previous_quarter="2026Q2",
                      year_ago_quarter="2025Q3", cut_off=CUT_OFF, areas=areas())


def withheld_report() -> ReportData:
    """The report with training as secondary suppression leaves it (suppress(..., 5) of 12/38/4 enrolled by level
    over a total of 54): the 4 is under the threshold ("<5"), and the smallest other bar on each side is withheld
    (已隐去) so that the total minus the rest does not give the 4 away; a year ago the total itself is withheld."""
    base = report()
    training = AreaReport("training", [
        Figure("enrolled", "count", 54, 18, None, people=True, hidden=("year_ago",), withheld=("year_ago",)),
        Figure("completion_rate", "rate", 0.75, 0.6667, None, base=54, previous_base=18, people=True,
               hidden=("year_ago",)),
    ], Chart("enrolled_by_level", "count", [
        p("basic", "初级", "Basic", None, 10, 20, hidden=("value",), withheld=("value",)),
        p("middle", "中级", "Intermediate", 38, None, None, hidden=("previous", "year_ago"),
          withheld=("previous", "year_ago")),
        p("advanced", "高级", "Advanced", None, None, None, hidden=("value", "previous", "year_ago"))],
        total="enrolled", people=True))
    return replace(base, areas=[training if a.area == "training" else a for a in base.areas])


# A restatement's table as the caller passes it (dashboard.report.diff.diff of version 1 and 2), and its reason.
REASON = "补录了 9 月的 12 条需求评估；合作社 9 月销售更正"
CHANGES = [
    FigureChange("needs.practitioners", "needs", "report.fig.practitioners", "count", 1990, 2000, 10),
    FigureChange("needs.needs_closed_rate", "needs", "report.fig.needs_closed_rate", "rate", 0.8, 0.837, 0.037),
    FigureChange("needs.disabled", "needs", "report.fig.disabled", "count", 6, 3, -3),     # hidden in the data: <5
    FigureChange("needs.needs_by_category.rights", "needs", "report.chart.needs_by_category", "count", 400, 410, 10,
                 {"zh": "权益保障", "en": "Rights"}),
    FigureChange("training.enrolled", "training", "report.fig.enrolled", "count", 3, 24, 21),  # <5 in version 1
    FigureChange("cooperative.sales", "cooperative", "report.fig.sales", "money", 123_450_000, 123_456_789, 6_789),
    FigureChange("requests.response_days", "requests", "report.fig.response_days", "days", 2.0, 2.5, 0.5),
]
# What the viewer may not see of the version before (presenters_report.suppressed_keys of both versions).
SUPPRESSED = {"training.enrolled": "hidden"}
# The table the files show of CHANGES over report() with SUPPRESSED (a header and a row per change).
RESTATEMENT_ROWS = {
    "zh": [["领域", "指标", "原数字", "现数字", "差额"],
           ["需求评估", "从业者人数", "1,990", "2,000", "+10"],
           ["需求评估", "需求结案率", "80.0%", "83.7%", "+3.7 个百分点"],
           ["需求评估", "残障从业者", "<5", "<5", "<5"],
           ["需求评估", "需求类别 · 权益保障", "400", "410", "+10"],
           ["培训成效", "报名人数", "<5", "<5", "<5"],
           ["合作社分配", "销售收入", "¥1,234,500.00", "¥1,234,567.89", "+¥67.89"],
           ["直播治理诉求", "平均响应时间", "2.0 天", "2.5 天", "+0.5 天"]],
    "en": [["Area", "Figure", "Was", "Now", "Difference"],
           ["Needs", "Practitioners", "1,990", "2,000", "+10"],
           ["Needs", "Needs closed", "80.0%", "83.7%", "+3.7 pts"],
           ["Needs", "Practitioners with a disability", "<5", "<5", "<5"],
           ["Needs", "Needs by category · Rights", "400", "410", "+10"],
           ["Training", "Enrolled", "<5", "<5", "<5"],
           ["Cooperative", "Sales", "¥1,234,500.00", "¥1,234,567.89", "+¥67.89"],
           ["Livestream requests", "Average response time", "2.0 days", "2.5 days", "+0.5 days"]]}


NARRATIVE = {
    "zh": {
        "needs": "本季度共评估需求 1,234 项，环比增长 12.2%；需求结案率 83.7%，比上季度提高 3.7 个百分点。",
        "training": "本季度报名 24 人，结业率 75.0%。报名人数较少，比较仅供参考。",
        "cooperative": "=SUM(A1:A9) 本季度销售收入 ¥1,234,567.89，按 70/20/10 分配。",
        "requests": "本季度共收集诉求 412 件，环比增长 8.4%，按期办结率 83.7%。\n其中交通出行类 150 件，占比最高。",
    },
    "en": {
        "needs": "1,234 needs were assessed this quarter, up 12.2% on the quarter before.",
        "training": "24 people enrolled; 75.0% completed. The numbers are small: read the changes with care.",
        "cooperative": "=SUM(A1:A9) Sales came to ¥1,234,567.89 this quarter, split 70/20/10.",
        "requests": "412 requests were collected this quarter, up 8.4%.\nTraffic led with 150.",
    },
}


LAST_SENTENCE = {"zh": "最后这一句也印在汇报表上。", "en": "This last sentence is printed in the handout too."}


def long_paragraph(lang: str, length: int = 4000) -> str:
    """A narrative paragraph of exactly `length` characters (as long as publishing accepts), of numbered sentences
    ending in 。 or ； (". " in English) and ending with LAST_SENTENCE."""
    last = LAST_SENTENCE[lang]
    out, i = "", 0
    while True:
        i += 1
        if lang == "zh":
            end = "；" if i % 3 == 0 else "。"
            sentence = f"第{i}句：本季度共收集诉求四百一十二件，环比增长百分之八点四，按期办结率较上季度有所提高{end}"
        else:
            sentence = f"Sentence {i}: this quarter 412 requests were collected, up 8.4% on the quarter before. "
        if len(out) + len(sentence) + len(last) > length:
            break
        out += sentence
    pad = length - len(out) - len(last)
    return out + ("补" if lang == "zh" else " ") * pad + last


def long_report(n: int = 70) -> ReportData:
    """One area with `n` figures and a long narrative: its table runs over more than one page."""
    rng = random.Random(42)
    figures = [Figure(f"extra_{i}", "count", rng.randint(30, 5000), rng.randint(30, 5000), rng.randint(30, 5000))
               for i in range(n)]
    base = report()
    first = AreaReport("needs", figures, base.area("needs").chart)
    return ReportData(**{**base.__dict__, "areas": [first, *(a for a in base.areas if a.area != "needs")]})


def realistic(points: int = 12, figures: int = 10) -> ReportData:
    """Every area with `figures` figures of each kind and a chart of `points` categories (the benchmark's)."""
    rng = random.Random(42)
    kinds = ("count", "money", "rate", "days")
    out = []
    for area in AREAS:
        figs = []
        for i in range(figures):
            kind = kinds[i % 4]
            if kind == "rate":
                figs.append(Figure(f"{area}_{i}", "rate", rng.random(), rng.random(), rng.random(),
                                   base=rng.randint(5, 900), previous_base=rng.randint(5, 900),
                                   year_ago_base=rng.randint(5, 900)))
            elif kind == "money":
                figs.append(Figure(f"{area}_{i}", "money", rng.randint(0, 10**10), rng.randint(0, 10**10),
                                   rng.randint(0, 10**10)))
            elif kind == "days":
                figs.append(Figure(f"{area}_{i}", "days", rng.randint(1, 300) / 10, rng.randint(1, 300) / 10, None))
            else:
                figs.append(Figure(f"{area}_{i}", "count", rng.randint(0, 9000), rng.randint(0, 9000),
                                   rng.randint(0, 9000), people=True))
        pts = [p(f"c{j}", f"类别{j}", f"Category {j}", rng.randint(0, 900), rng.randint(0, 900), rng.randint(0, 900))
               for j in range(points)]
        out.append(AreaReport(area, figs, Chart(f"{area}_chart", "count", pts)))  # type: ignore[arg-type]
    base = report()
    return ReportData(**{**base.__dict__, "areas": out})
