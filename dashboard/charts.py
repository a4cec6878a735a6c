"""Plotly figure builders shared by pages. Plotly ships its JavaScript with Streamlit: no internet needed."""

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from dashboard.i18n import t

PALETTE = ["#1f6feb", "#d4a72c", "#2da44e", "#cf222e", "#8250df", "#6e7781"]
FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"


def profile_chart(long: pd.DataFrame) -> go.Figure:
    fig = px.bar(
        long, x="share", y="indicator", color="source", barmode="group", orientation="h",
        text=long["share"].map(lambda s: f"{s * 100:.0f}%"), color_discrete_sequence=PALETTE,
        labels={"share": t("chart.share"), "indicator": "", "source": t("chart.source")},
        title=t("chart.profile_title"),
    )
    fig.update_traces(textposition="outside", textfont_size=13, cliponaxis=False)
    fig.update_layout(font_family=FONT, xaxis_tickformat=".0%", xaxis_range=[0, 1.05], height=440,
                      legend={"orientation": "h", "y": -0.15}, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    fig.update_yaxes(autorange="reversed")
    return fig
