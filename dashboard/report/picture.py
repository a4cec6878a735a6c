"""An area's chart as a picture for the printable report: Altair's grouped columns (this quarter, the quarter before,
a year ago) rendered to PNG by vl-convert, in-process, with no browser and no network (no base URL is allowed).

The font is named in the Vega-Lite config (the system's Noto Sans CJK SC): left to the renderer's default, Chinese
category names would come out as empty boxes.
"""

import math
import re
from typing import Any

import altair as alt
import vl_convert

from dashboard.i18n import t
from dashboard.report.present import point_text
from dashboard.report.types import Chart, Number, ReportData

FONT = "Noto Sans CJK SC"
SERIES = ("value", "previous", "year_ago")
COLOURS = ("#1F4E79", "#6FA8DC", "#BFBFBF")          # as the handout workbook's native chart
# Yuan with the thousands comma whatever the language ("$" in a d3 format is the locale's currency).
LOCALE = {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["¥", ""]}
AXIS_FORMAT = {"count": ",d", "money": "$,.0f", "rate": ".0%", "days": ",.1f"}
WIDTH, HEIGHT, SCALE = 620, 250, 2


def _lines(tokens: list[str], units: int) -> list[str]:
    lines: list[str] = []
    line, width, ascii_before = "", 0, False
    for token in tokens:
        is_ascii = token.isascii()
        size = len(token) if is_ascii else 2
        gap = 1 if is_ascii and ascii_before and line else 0
        if line and width + gap + size > units:
            lines.append(line)
            line, width, gap = "", 0, 0
        line, width, ascii_before = line + " " * gap + token, width + gap + size, is_ascii
    return [*lines, line]


def wrap(name: str, units: int) -> str:
    """A category's name in lines of at most `units` (a Chinese character counts two), broken between words or
    between Chinese characters, as even as the same number of lines allows (职业可持续 / 与身心健康, not 9 + 1),
    joined by newlines (the axis splits its labels there)."""
    tokens = re.findall(r"[!-~]+|[^\s!-~]", name)
    lines = _lines(tokens, units)
    total = sum(1 if ch.isascii() else 2 for ch in _lines(tokens, len(name) * 2)[0])
    for even in range(math.ceil(total / len(lines)), units):
        shorter = _lines(tokens, even)
        if len(shorter) <= len(lines):
            return "\n".join(shorter)
    return "\n".join(lines)


def _plotted(kind: str, value: Number | None) -> float | None:
    if value is None:
        return None
    return int(value) / 100 if kind == "money" else float(value)


def chart_spec(chart: Chart, data: ReportData, *, lang: str, min_cell: int | None) -> dict[str, Any]:
    """The Vega-Lite spec (in the current language): one group of three columns per category; a hidden value is
    no column but its mark at the foot of where it would stand: "<5", or 已隐去 where secondary suppression withheld
    it (as the page's chart marks it)."""
    quarters = {"value": data.quarter, "previous": data.previous_quarter, "year_ago": data.year_ago_quarter}
    series = [t(f"report.file.series.{s}", quarter=quarters[s]) for s in SERIES]
    crowded = len(chart.points) > 6
    units = max(6, int(WIDTH / max(1, len(chart.points)) * 0.9 / 6))     # 11 px labels: ~6 px a Latin letter
    categories = [p.names.get(lang) or p.names.get("zh") or p.code for p in chart.points]
    if not crowded:
        categories = [wrap(c, units) for c in categories]
    if len(set(categories)) < len(categories):          # two categories of one name stay two groups of columns
        categories = [c + "\u200b" * (i + 1) if categories.count(c) > 1 else c for i, c in enumerate(categories)]
    rows = []
    for name, p in zip(categories, chart.points, strict=True):
        for label, which in zip(series, SERIES, strict=True):
            hidden = which in p.hidden or which in p.withheld
            rows.append({"category": name, "series": label, "hidden": hidden,
                         "plot": 0.0 if hidden else _plotted(chart.kind, getattr(p, which)),
                         "mark": point_text(p, chart.kind, which, min_cell=min_cell)})
    x = alt.X("category:N", sort=categories, title=None,
              axis=alt.Axis(labelAngle=-30 if crowded else 0, labelLimit=160, labelFontSize=11,
                            labelExpr="split(datum.label, '\\n')"))
    offset = alt.XOffset("series:N", sort=series)
    base = alt.Chart(alt.Data(values=rows))
    bars = base.mark_bar().encode(
        x=x, xOffset=offset,
        y=alt.Y("plot:Q", title=t(f"report.file.axis.{chart.kind}"), axis=alt.Axis(format=AXIS_FORMAT[chart.kind])),
        color=alt.Color("series:N", sort=series, scale=alt.Scale(domain=series, range=list(COLOURS)),
                        legend=alt.Legend(orient="bottom", title=None, labelFontSize=11)))
    marks = base.transform_filter("datum.hidden").mark_text(dy=-7, fontSize=10, color="#555555").encode(
        x=x, xOffset=offset, y="plot:Q", text="mark:N")
    layered = alt.layer(bars, marks).properties(
        width=WIDTH, height=HEIGHT, title=alt.Title(t(f"report.chart.{chart.key}"), fontSize=14))
    return layered.configure(font=FONT).configure_view(stroke=None).to_dict()


def chart_png(chart: Chart, data: ReportData, *, lang: str, min_cell: int | None) -> bytes | None:
    """The PNG (at twice the size, for print), or None for a chart with no points."""
    if not chart.points:
        return None
    spec = chart_spec(chart, data, lang=lang, min_cell=min_cell)
    return bytes(vl_convert.vegalite_to_png(spec, scale=SCALE, allowed_base_urls=[], format_locale=LOCALE))
