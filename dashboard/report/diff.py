"""A restatement's table: every figure and chart point of the quarter whose value differs between two versions.

Pure functions on `ReportData`, below both the publishing service (which stores the table with the new version) and
the version queries (which read it back), so neither imports the other. What is compared is what
`ReportData.figure_values` names: each figure's and each chart point's value for the report's own quarter.
"""

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from dashboard.report.types import AREAS, Kind, Number, ReportData


@dataclass(frozen=True)
class FigureChange:
    """One figure or chart point that changed: `key` as in `figure_values` ("needs.total",
    "requests.by_category.housing"); `label_key` its i18n label (`report.fig.<key>`, or `report.chart.<key>` for a
    point, whose category then reads from `names`). `difference` is new − old (in points for a rate: 0.02 = 2
    points), None when either side has no figure."""
    key: str
    area: str
    label_key: str
    kind: Kind
    old: Number | None
    new: Number | None
    difference: Number | None
    names: dict[str, str] = field(default_factory=dict)     # a chart point's category per language; {} for a figure


def _entries(data: ReportData) -> dict[str, list[tuple[str, str, Kind, Number | None, dict[str, str]]]]:
    """Per area, in the report's order: (key, label_key, kind, value, names) of each figure, then each point."""
    out: dict[str, list[tuple[str, str, Kind, Number | None, dict[str, str]]]] = {}
    for a in data.areas:
        rows = out.setdefault(a.area, [])
        rows.extend((f"{a.area}.{f.key}", f"report.fig.{f.key}", f.kind, f.value, {}) for f in a.figures)
        rows.extend((f"{a.area}.{a.chart.key}.{p.code}", f"report.chart.{a.chart.key}", a.chart.kind, p.value,
                     dict(p.names)) for p in a.chart.points)
    return out


def _difference(old: Number | None, new: Number | None) -> Number | None:
    if old is None or new is None:
        return None
    if isinstance(old, int) and isinstance(new, int):
        return new - old
    return float(new) - float(old)


def diff(old: ReportData, new: ReportData) -> list[FigureChange]:
    """The figures and chart points whose value differs, ordered by area (AREAS) and then as the new version shows
    them; one that only the old version had (a category gone) follows its area's others, with new None."""
    before, after = _entries(old), _entries(new)
    areas = dict.fromkeys([*(a for a in AREAS if a in before or a in after), *after, *before])
    out: list[FigureChange] = []
    for area in areas:
        old_rows = {r[0]: r for r in before.get(area, [])}
        new_keys: set[str] = set()
        for key, label_key, kind, value, names in after.get(area, []):
            new_keys.add(key)
            was = old_rows[key][3] if key in old_rows else None
            if key not in old_rows and value is None:
                continue
            if key in old_rows and _same(was, value):
                continue
            out.append(FigureChange(key, area, label_key, kind, was, value, _difference(was, value), names))
        for key, label_key, kind, value, names in before.get(area, []):
            if key not in new_keys and value is not None:
                out.append(FigureChange(key, area, label_key, kind, value, None, None, names))
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
