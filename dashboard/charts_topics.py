"""Plotly figure of the 直播现场 page's 每月一题 section; an empty frame draws 暂无数据, never an exception."""

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import FONT, PALETTE, _empty_note
from dashboard.i18n import t


def topics_chart(frame: pd.DataFrame, title: str, quarter: str, previous: str) -> go.Figure:
    """Requests per topic this quarter (bars, the trend written beside them) against the previous quarter's matched
    topics (grey bars), hottest on top. Labels are «rank. category»: our words, never a resident's text."""
    fig = go.Figure()
    fig.add_bar(y=frame["key"], x=frame["previous"], name=previous, orientation="h", marker_color="#c8d9f5",
                hovertemplate="%{y} · %{fullData.name}: %{x:,}<extra></extra>")
    fig.add_bar(y=frame["key"], x=frame["requests"], name=quarter, orientation="h", marker_color=PALETTE[0],
                text=frame["trend"], textposition="outside", cliponaxis=False, customdata=frame["endorsements"],
                hovertemplate="%{y} · %{fullData.name}: %{x:,}<br>" + t("hot_topics.col.endorsements")
                + ": %{customdata:,}<extra></extra>")
    fig.update_layout(font_family=FONT, title=title, barmode="group", height=120 + 36 * max(len(frame), 1),
                      xaxis_title=t("hot_topics.col.requests"), yaxis_title="", bargap=0.25,
                      legend={"orientation": "h", "y": -0.15, "traceorder": "reversed"},
                      margin={"l": 10, "r": 60, "t": 50, "b": 10})
    fig.update_yaxes(autorange="reversed")
    return _empty_note(fig, frame)
