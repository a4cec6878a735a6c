"""The 季度汇报 area chart: grouped bars of each category this quarter, the quarter before and a year ago (Plotly,
which ships with Streamlit: nothing fetched). An empty chart draws its frame with 暂无数据."""

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import FONT, PALETTE, _empty_note
from dashboard.i18n import get_language
from dashboard.report.types import Kind

# This quarter in the page's blue; the quarter before in grey; a year ago in ochre (apart in black and white too).
COLOURS = (PALETTE[0], "#9ca3af", PALETTE[1])
AXIS_FORMAT: dict[str, str] = {"rate": ".0%", "money": ",.0f", "count": ",d", "days": ",.1f"}


def area_chart(long: pd.DataFrame, title: str, kind: Kind, *, height: int = 340, font_size: int = 13) -> go.Figure:
    """`long` as presenters_report.chart_frame makes it (category, series, value, text, suppressed), the series in
    order."""
    fig = go.Figure()
    # Money in the tiles' unit (万 in Chinese; k or M in English), over the bars and on the axis: exact yuan with
    # cents ran into one another and into the axis. Hovering gives the exact figure.
    scale = 10_000.0 if kind == "money" and get_language() == "zh" else 1.0
    for i, (colour, (series, part)) in enumerate(zip(COLOURS, long.groupby("series", sort=False), strict=False)):
        # This quarter's bars carry their figure; the two compared with only a "<5" or 已隐去 (a suppressed bar
        # stands at zero and must not read as none): a label on every bar of three ran into one another. Hovering
        # shows all.
        written = part["label"] if "label" in part else part["text"]
        labels = [text if i == 0 or hidden else "" for text, hidden in zip(written, part["suppressed"], strict=True)]
        fig.add_bar(x=list(part["category"]), y=[0.0 if pd.isna(v) else float(v) / scale for v in part["value"]],
                    text=labels, customdata=list(part["text"]), textposition="outside", cliponaxis=False,
                    constraintext="none", name=str(series), marker_color=colour,
                    hovertemplate="%{x}<br>%{fullData.name}: %{customdata}<extra></extra>")
    fig.update_layout(font_family=FONT, font_size=font_size, title=title, barmode="group", height=height,
                      yaxis_tickformat=AXIS_FORMAT[kind], xaxis_type="category",
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
                      margin={"l": 10, "r": 10, "t": 90 if title else 56, "b": 10})
    # Headroom for the figures written above the bars: at the top they ran into the legend.
    top = max((float(v) / scale for v in long["value"] if not pd.isna(v)), default=0.0)
    if kind == "rate":
        fig.update_yaxes(range=[0, max(1.0, top) * 1.15])
    elif top > 0:
        fig.update_yaxes(range=[0, top * 1.18])
    if kind == "money":
        fig.update_yaxes(tickprefix="¥", ticksuffix="万" if scale > 1 else "", tickformat="," if scale > 1 else "~s")
    if kind == "count" and 0 < top < 8:     # whole steps: ticks of 0.5 written as whole numbers read 0, 1, 1, 2, 2
        fig.update_yaxes(dtick=1)
    if long.empty:          # "no data" needs no room for bars
        fig.update_layout(height=min(height, 220))
    fig.update_yaxes(rangemode="tozero", automargin=True)
    fig.update_xaxes(automargin=True)
    return _empty_note(fig, long)
