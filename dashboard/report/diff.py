"""A restatement's table: every figure and chart point whose number differs between two versions of a quarter.

Pure functions on `ReportData`, below both the publishing service (which stores the table with the new version) and
the version queries (which read it back), so neither imports the other. What is compared is everything the report
shows of a figure: its value for the report's quarter, for the quarter before (环比) and a year ago (同比), and a
rate's base on each side (the small-base warning reads them); of a chart point its three bars. A late entry in an
earlier quarter changes the 环比 or 同比 a published version shows as much as one in the quarter itself.
"""

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from dashboard.report.types import AREAS, Figure, Kind, Number, Point, ReportData

# What a row compares, in the order a figure's rows follow each other: each quarter's value, then its base.
SIDES = ("value", "base", "previous", "previous_base", "year_ago", "year_ago_base")
POINT_SIDES = ("value", "previous", "year_ago")


@dataclass(frozen=True)
class FigureChange:
    """One figure or chart point whose number changed: `key` as in `ReportData.figure_values` ("needs.total",
    "requests.by_category.housing"); `label_key` its i18n label (`report.fig.<key>`, or `report.chart.<key>` for a
    point, whose category then reads from `names`). `which` says what changed: "value" (the report's quarter),
    "previous", "year_ago", or a rate's "base", "previous_base", "year_ago_base". `kind` is how old and new read:
    the figure's (the chart's), or "count" for a base. `difference` is new − old (in points for a rate: 0.02 = 2
    points), None when either side has no figure."""
    key: str
    area: str
    label_key: str
    kind: Kind
    old: Number | None
    new: Number | None
    difference: Number | None
    names: dict[str, str] = field(default_factory=dict)     # a chart point's category per language; {} for a figure
    which: str = "value"                                    # rows stored before it existed are the quarter's own


@dataclass(frozen=True)
class _Entry:
    key: str
    which: str
    label_key: str
    kind: Kind
    value: Number | None
    names: dict[str, str]
    point: bool


def _figure_entries(area: str, f: Figure) -> list[_Entry]:
    return [_Entry(f"{area}.{f.key}", which, f"report.fig.{f.key}", "count" if which.endswith("base") else f.kind,
                   getattr(f, which), {}, False) for which in SIDES]


def _point_entries(area: str, chart_key: str, kind: Kind, p: Point) -> list[_Entry]:
    return [_Entry(f"{area}.{chart_key}.{p.code}", which, f"report.chart.{chart_key}", kind, getattr(p, which),
                   dict(p.names), True) for which in POINT_SIDES]


def _entries(data: ReportData) -> dict[str, list[_Entry]]:
    """Per area, in the report's order: each figure's sides, then each chart point's."""
    out: dict[str, list[_Entry]] = {}
    for a in data.areas:
        rows = out.setdefault(a.area, [])
        for f in a.figures:
            rows.extend(_figure_entries(a.area, f))
        for p in a.chart.points:
            rows.extend(_point_entries(a.area, a.chart.key, a.chart.kind, p))
    return out


def _difference(old: Number | None, new: Number | None) -> Number | None:
    if old is None or new is None:
        return None
    if isinstance(old, int) and isinstance(new, int):
        return new - old
    return float(new) - float(old)


def _nothing(e: _Entry) -> bool:
    """What one version shows where the other has no such figure or point: none, or for a chart point 0 too (a
    chart has a bar for a category with something in one of its three quarters, so a missing one had 0 in each)."""
    return e.value is None or (e.point and e.value == 0)


def diff(old: ReportData, new: ReportData) -> list[FigureChange]:
    """The figures and chart points whose numbers differ, ordered by area (AREAS) and then as the new version shows
    them (a figure's sides in SIDES order); one that only the old version had (a category gone) follows its area's
    others, with new None."""
    before, after = _entries(old), _entries(new)
    areas = dict.fromkeys([*(a for a in AREAS if a in before or a in after), *after, *before])
    out: list[FigureChange] = []

    def row(area: str, e: _Entry, was: Number | None, now: Number | None) -> FigureChange:
        return FigureChange(e.key, area, e.label_key, e.kind, was, now, _difference(was, now), e.names, e.which)

    for area in areas:
        old_rows = {(e.key, e.which): e for e in before.get(area, [])}
        new_keys: set[tuple[str, str]] = set()
        for e in after.get(area, []):
            new_keys.add((e.key, e.which))
            was = old_rows.get((e.key, e.which))
            if was is None:
                if not _nothing(e):
                    out.append(row(area, e, None, e.value))
            elif not _same(was.value, e.value):
                out.append(row(area, e, was.value, e.value))
        for e in before.get(area, []):
            if (e.key, e.which) not in new_keys and not _nothing(e):
                out.append(row(area, e, e.value, None))
    return out


def _same(a: Number | None, b: Number | None) -> bool:
    """Equal values (3 and 3.0 alike); None equals only None."""
    if a is None or b is None:
        return a is None and b is None
    return a == b


def changes_to_json(changes: list[FigureChange]) -> str:
    return json.dumps([asdict(c) for c in changes], ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def changes_from_json(text: str | None) -> list[FigureChange]:
    rows: list[dict[str, Any]] = json.loads(text or "[]")
    return [FigureChange(**r) for r in rows]
