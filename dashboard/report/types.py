"""The quarterly report's contract: what a community-quarter's report holds, live or frozen in a published version.

Every consumer reads this and nothing else: the page, the narrative templates, the handout workbook, the PDF, the
slideshow and the snapshot stored on publishing (`to_json` / `from_json` round-trip exactly, so a published version
renders as it was shown). Figures come from `dashboard.report.figures.report_data`; what a viewer may see of them
(suppression) and how they changed (环比, 同比) from `dashboard.report.compare`.

Values are plain numbers: counts and days as int, money as int cents, rates as float in 0..1 with the count behind
them in `base`. None means "no figure" (no data that quarter, or nothing to take a rate of).
"""

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# The report's areas in the order the page, the handout, the PDF and the slideshow show them.
AREAS = ("needs", "training", "cooperative", "requests", "meetings")
Area = Literal["needs", "training", "cooperative", "requests", "meetings"]
# count: people or things (int); money: int cents; rate: 0..1 with its base; days: a duration in days (int or float).
Kind = Literal["count", "money", "rate", "days"]
Number = int | float


@dataclass(frozen=True)
class Figure:
    """One key figure of an area for the quarter, the quarter before (环比) and the same quarter a year ago (同比).

    `key` names it in i18n as `report.fig.<key>`. `people` says the figure counts persons (or, for a rate, that its
    base does): such figures fall under the small-cell rule where personal data is hidden. For a rate, `base`,
    `previous_base` and `year_ago_base` are the counts it is taken over (the small-base warning reads them)."""
    key: str
    kind: Kind
    value: Number | None
    previous: Number | None = None
    year_ago: Number | None = None
    base: int | None = None
    previous_base: int | None = None
    year_ago_base: int | None = None
    people: bool = False
    # Which of "value", "previous", "year_ago" suppression hid (dashboard.report.suppress): each is None then and
    # reads "<5". Empty on the stored snapshot, which keeps every figure; suppression is applied per viewer.
    hidden: tuple[str, ...] = ()
    # Of `hidden`, those hidden only so that a smaller hidden one cannot be worked out from a total (secondary
    # suppression): they are not under the threshold, so they read "withheld" (已隐去), never "<5".
    withheld: tuple[str, ...] = ()
    # The key of the area's count of people this figure is an amount over (paid_to_members over members_paid): where
    # that count is hidden, so is this (an amount paid to one member is that member's income). None: over none.
    over: str | None = None


@dataclass(frozen=True)
class Point:
    """One bar of an area's chart: a category (its code and its name in each language) in the three quarters."""
    code: str
    names: dict[str, str]               # {"zh": "就业创业", "en": "Jobs and business"}
    value: Number | None
    previous: Number | None = None
    year_ago: Number | None = None
    hidden: tuple[str, ...] = ()        # as Figure.hidden
    withheld: tuple[str, ...] = ()      # as Figure.withheld


@dataclass(frozen=True)
class Chart:
    """An area's one chart: a breakdown by category, current quarter beside the two it is compared with.

    `key` names its title in i18n as `report.chart.<key>`. When `total` names a figure of the same area whose value
    the points add up to, a hidden point must not be derivable from the total and the rest (secondary
    suppression). `people` as in Figure."""
    key: str
    kind: Kind
    points: list[Point] = field(default_factory=list)
    total: str | None = None
    people: bool = False


@dataclass(frozen=True)
class AreaReport:
    area: Area
    figures: list[Figure]
    chart: Chart
    has_page: bool = True               # False: the area has no page yet and shows its overview figures only

    def figure(self, key: str) -> Figure:
        for f in self.figures:
            if f.key == key:
                return f
        raise KeyError(key)


@dataclass(frozen=True)
class ReportData:
    """A community-quarter's figures (community_id None: all communities) as read at `cut_off` (UTC)."""
    community_id: int | None
    community_code: str | None          # None: all communities
    community_names: dict[str, str]     # the scope's name per language ({"zh": "全部社区", "en": "All communities"})
    quarter: str
    previous_quarter: str
    year_ago_quarter: str
    cut_off: dt.datetime                # aware, UTC: when the figures were read
    areas: list[AreaReport]

    def area(self, area: str) -> AreaReport:
        for a in self.areas:
            if a.area == area:
                return a
        raise KeyError(area)

    def figure_values(self) -> dict[str, Number | None]:
        """Every figure's value for the report's quarter by `area.key` (and every chart point's by
        `area.chart.code`), the names a restatement's rows go by. What a restatement and "live data changed since
        publication" compare is more: the quarter before, a year ago and the rates' bases too (report.diff)."""
        out: dict[str, Number | None] = {}
        for a in self.areas:
            for f in a.figures:
                out[f"{a.area}.{f.key}"] = f.value
            for p in a.chart.points:
                out[f"{a.area}.{a.chart.key}.{p.code}"] = p.value
        return out


def to_json(data: ReportData) -> str:
    """The snapshot stored on publishing: canonical JSON (sorted keys), so equal data gives equal text."""
    d = asdict(data)
    d["cut_off"] = data.cut_off.astimezone(dt.UTC).isoformat()
    return json.dumps(d, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _marks(d: dict[str, Any]) -> dict[str, Any]:
    """JSON lists back to the tuples they were (`withheld` is absent from snapshots stored before it existed)."""
    return {**d, "hidden": tuple(d["hidden"]), "withheld": tuple(d.get("withheld", ()))}


# Snapshots stored before `Figure.over` existed: the amounts over a count of people the figures had then, so a
# version published before suppresses as one published now. A figure stored with `over` (null or not) keeps it.
LEGACY_OVER = {("cooperative", "paid_to_members"): "members_paid"}


def _figure(area: str, d: dict[str, Any]) -> Figure:
    d = _marks(d)
    if "over" not in d:
        d["over"] = LEGACY_OVER.get((area, d["key"]))
    return Figure(**d)


def from_json(text: str) -> ReportData:
    d: dict[str, Any] = json.loads(text)
    areas = [AreaReport(area=a["area"], figures=[_figure(a["area"], f) for f in a["figures"]],
                        chart=Chart(**{**a["chart"], "points": [Point(**_marks(p)) for p in a["chart"]["points"]]}),
                        has_page=a.get("has_page", True))
             for a in d.pop("areas")]
    cut_off = dt.datetime.fromisoformat(d.pop("cut_off"))
    return ReportData(**d, cut_off=cut_off, areas=areas)


@dataclass(frozen=True)
class ReportMeta:
    """What every page of a handout, PDF and slide says about the figures it shows: their version and times.

    `version` None: live figures, not published (a draft); `restated`: version 2 on, marked (修订)."""
    version: int | None
    cut_off: dt.datetime                  # aware UTC; shown in Asia/Shanghai
    published_at: dt.datetime | None = None
    published_by: str | None = None       # the display name
    restated: bool = False
