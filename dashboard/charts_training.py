"""Plotly figures of the 培训成效 page; each draws an empty frame with 暂无数据 when it has nothing to show."""

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import FONT, PALETTE, _empty_note
from dashboard.i18n import t

MARGIN = {"l": 10, "r": 10, "t": 50, "b": 10}
SCORE_COLOURS = {"1": "#cf222e", "2": "#f0883e", "3": "#d4a72c", "4": "#7ee2a8", "5": "#2da44e"}


def funnel_chart(steps: pd.DataFrame, title: str) -> go.Figure:
    """enrolled → … → income up at 6 months; a hidden count keeps its place, labelled <5."""
    fig = go.Figure(go.Funnel(y=list(steps["step"]), x=list(steps["count"]), text=list(steps["text"]),
                              textinfo="text", marker_color=PALETTE[0],
                              hovertemplate="%{y}: %{text}<extra></extra>"))
    fig.update_layout(font_family=FONT, title=title, height=380, margin=MARGIN)
    return _empty_note(fig, steps)


def rates_chart(long: pd.DataFrame, title: str) -> go.Figure:
    """Completion, employment at 3 months and income up at 6 months per key of the chosen breakdown."""
    fig = go.Figure()
    for i, (rate, part) in enumerate(long.groupby("rate", sort=False)):
        fig.add_bar(x=list(part["key"]), y=[v if v is not None and not pd.isna(v) else 0 for v in part["value"]],
                    text=list(part["text"]), textposition="outside", name=str(rate),
                    marker_color=PALETTE[i % len(PALETTE)], hovertemplate="%{x}<br>%{fullData.name}: %{text}"
                                                                         "<extra></extra>")
    fig.update_layout(font_family=FONT, title=title, barmode="group", height=400, yaxis_tickformat=".0%",
                      yaxis_range=[0, 1.1], legend={"orientation": "h", "y": -0.2}, margin=MARGIN)
    return _empty_note(fig, long)


def reaction_chart(long: pd.DataFrame, title: str) -> go.Figure:
    """Satisfaction answers 1..5 per course, stacked to 100%."""
    fig = go.Figure()
    if not long.empty:
        totals = long.groupby("course")["n"].transform("sum")
        long = long.assign(share=long["n"] / totals)
        for score in sorted(long["score"].unique()):
            part = long[long["score"] == score]
            fig.add_bar(y=list(part["course"]), x=list(part["share"]), orientation="h", name=score,
                        marker_color=SCORE_COLOURS.get(score, PALETTE[5]), customdata=list(part["n"]),
                        hovertemplate="%{y}<br>" + t("training.chart.score") + " %{fullData.name}: %{customdata}"
                                      "<extra></extra>")
    fig.update_layout(font_family=FONT, title=title, barmode="stack", xaxis_tickformat=".0%",
                      height=max(300, 60 + 28 * long["course"].nunique()) if not long.empty else 300,
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "title": t("training.chart.score"),
                              "traceorder": "normal"}, margin=MARGIN)
    fig.update_yaxes(autorange="reversed")
    return _empty_note(fig, long)


def gain_chart(learning: pd.DataFrame, title: str) -> go.Figure:
    """Normalised gain per course: the median with its interquartile range, the mean as a diamond."""
    shown = learning.dropna(subset=["median"]) if not learning.empty else learning
    fig = go.Figure()
    if not shown.empty:
        fig.add_scatter(x=list(shown["code"]), y=list(shown["median"]), mode="markers", name=t("training.chart.median"),
                        marker={"color": PALETTE[0], "size": 10},
                        error_y={"type": "data", "symmetric": False, "array": list(shown["q3"] - shown["median"]),
                                 "arrayminus": list(shown["median"] - shown["q1"])})
        fig.add_scatter(x=list(shown["code"]), y=list(shown["mean_gain"]), mode="markers",
                        name=t("training.chart.mean"), marker={"color": PALETTE[1], "symbol": "diamond", "size": 9})
    # The legend above the plot: below it, it covered the course codes (slanted when there are many).
    fig.update_layout(font_family=FONT, title=title, height=380, yaxis_title=t("training.col.mean_gain"),
                      xaxis_type="category", legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
                      margin=MARGIN)
    fig.update_xaxes(automargin=True)
    return _empty_note(fig, shown)
