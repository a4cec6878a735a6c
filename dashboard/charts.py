"""Plotly figure builders shared by pages. Plotly ships its JavaScript with Streamlit: no internet needed."""

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from dashboard.i18n import fmt_month, t

PALETTE = ["#1f6feb", "#d4a72c", "#2da44e", "#cf222e", "#8250df", "#6e7781"]
FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"


def profile_chart(long: pd.DataFrame) -> go.Figure:
    fig = px.bar(
        long, x="share", y="indicator", color="source", barmode="group", orientation="h",
        text=long["share"].map(lambda s: f"{s * 100:.0f}%"), color_discrete_sequence=PALETTE,
        labels={"share": t("chart.share"), "indicator": "", "source": t("chart.source")},
        title=t("chart.profile_title"),
    )
    # px names the hover fields after the frame's columns ("text=72%"): say it in the user's words instead.
    fig.update_traces(textposition="outside", textfont_size=13, cliponaxis=False,
                      hovertemplate="%{y}<br>%{fullData.name}: %{text}<extra></extra>")
    fig.update_layout(font_family=FONT, xaxis_tickformat=".0%", xaxis_range=[0, 1.05], height=440,
                      legend={"orientation": "h", "y": -0.15}, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    fig.update_yaxes(autorange="reversed")
    return _empty_note(fig, long)


def _empty_note(fig: go.Figure, frame: pd.DataFrame) -> go.Figure:
    """Every builder draws an empty frame as its frame with 暂无数据 in the middle, never an exception."""
    if frame.empty:
        fig.add_annotation(text=t("chart.empty"), showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                           font={"size": 16, "color": PALETTE[5]})
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
    return fig


def _yuan(series: pd.Series) -> pd.Series:
    return series.astype("int64") / 100


def _date_axis(fig: go.Figure) -> None:
    """Dates on the x axis in the user's language at every zoom level; Plotly alone writes "Jul 2025"."""
    day, month = 86_400_000, "M1"
    fig.update_xaxes(hoverformat=t("chart.date_hover"), tickformatstops=[
        {"dtickrange": [None, day], "value": t("chart.date_axis_time")},
        {"dtickrange": [day, month], "value": t("chart.date_axis_day")},
        {"dtickrange": [month, "M12"], "value": t("chart.date_axis_month")},
        {"dtickrange": ["M12", None], "value": t("chart.date_axis_year")},
    ])


def sales_trend_chart(monthly: pd.DataFrame) -> go.Figure:
    """Revenue as bars and profit as a line, per month, in yuan."""
    fig = go.Figure()
    months = [fmt_month(m) for m in monthly["month"]]
    fig.add_bar(x=months, y=_yuan(monthly["revenue_cents"]), name=t("metric.revenue"),
                marker_color=PALETTE[0])
    fig.add_scatter(x=months, y=_yuan(monthly["profit_cents"]), name=t("metric.profit"),
                    mode="lines+markers", line={"color": PALETTE[1], "width": 3})
    fig.update_layout(font_family=FONT, title=t("coop.chart_trend"), yaxis_title=t("chart.yuan"), height=380,
                      xaxis_type="category",
                      yaxis_tickformat=",.0f", legend={"orientation": "h", "y": -0.2},
                      margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return _empty_note(fig, monthly)


def channel_chart(channels: pd.DataFrame) -> go.Figure:
    # go.Bar, not px.bar with two lists: plotly express raises ValueError on a quarter without sales.
    labels = [t(f"enum.SalesChannel.{c}") for c in channels["channel"]]
    fig = go.Figure(go.Bar(x=labels, y=_yuan(channels["revenue_cents"]), marker_color=PALETTE[0]))
    fig.update_layout(font_family=FONT, title=t("coop.chart_channel"), height=360, yaxis_tickformat=",.0f",
                      yaxis_title=t("chart.yuan"), margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return _empty_note(fig, channels)


def split_chart(pools: dict[str, int], title: str) -> go.Figure:
    """The run's profit split as a donut of the pools that received money."""
    names = [t(f"coop.pool_{k}") for k, v in pools.items() if v > 0]
    values = [v / 100 for v in pools.values() if v > 0]
    fig = go.Figure(go.Pie(labels=names, values=values, hole=0.5, sort=False, marker_colors=PALETTE,
                           texttemplate="%{label}<br>%{percent:.1%}", hovertemplate="%{label}: ¥%{value:,.2f}"))
    fig.update_layout(font_family=FONT, title=title, height=360, showlegend=False,
                      margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return _empty_note(fig, pd.DataFrame({"v": [v for v in pools.values() if v > 0]}))


def fund_balance_chart(ledger: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Scatter(x=ledger["on"], y=_yuan(ledger["balance_cents"]), mode="lines+markers",
                               line={"shape": "hv", "color": PALETTE[2], "width": 3}, name=t("coop.balance")))
    fig.update_layout(font_family=FONT, title=t("coop.chart_fund"), yaxis_title=t("chart.yuan"), height=360,
                      yaxis_tickformat=",.0f", margin={"l": 10, "r": 10, "t": 50, "b": 10})
    _date_axis(fig)
    return _empty_note(fig, ledger)


def composition_chart(frame: pd.DataFrame, title: str, selected: str | None = None) -> go.Figure:
    """Practitioners per slice; the picked slice stands out. Bars carry their code for selection events."""
    colours = [PALETTE[1] if selected is not None and c == selected else PALETTE[0] for c in frame["code"]]
    # A withheld slice (count missing, text "<5") keeps its place on the axis with its label above the axis.
    fig = go.Figure(go.Bar(x=frame["label"], y=frame["count"].fillna(0), customdata=frame["code"],
                           marker_color=colours, text=frame.get("text", frame["count"]), textposition="outside",
                           cliponaxis=False))
    fig.update_layout(font_family=FONT, title=title, height=300, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      yaxis_title="", xaxis_title="")
    return _empty_note(fig, frame)


def heatmap_chart(matrix: pd.DataFrame, title: str, text: pd.DataFrame | None = None) -> go.Figure:
    """`text`, where given, is what each cell reads (e.g. "<5" for a withheld cell)."""
    if matrix.empty:              # px.imshow cannot draw a 0 x 0 matrix
        fig = go.Figure()
        fig.update_layout(font_family=FONT, title=title, height=380, margin={"l": 10, "r": 10, "t": 50, "b": 10})
        return _empty_note(fig, matrix)
    fig = px.imshow(matrix, text_auto=text is None, aspect="auto", color_continuous_scale="Blues", title=title)
    if text is not None:
        fig.update_traces(text=text.to_numpy(), texttemplate="%{text}")
    # px writes "x: … y: … color: …"; a withheld cell hovers as its label, not its value
    fig.update_traces(hovertemplate="%{y} · %{x}: " + ("%{text}" if text is not None else "%{z}") + "<extra></extra>")
    fig.update_layout(font_family=FONT, height=380, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      coloraxis_showscale=False, xaxis_title="", yaxis_title="")
    return _empty_note(fig, matrix)


SEVERITY_COLOURS = {"low": "#9ecae1", "medium": "#4292c6", "high": "#d4a72c", "urgent": "#cf222e"}


def severity_trend_chart(trend: pd.DataFrame, title: str) -> go.Figure:
    fig = go.Figure()
    for severity, colour in SEVERITY_COLOURS.items():
        part = trend[trend["severity"] == severity]
        fig.add_bar(x=part["quarter"], y=part["count"], name=t(f"enum.Severity.{severity}"), marker_color=colour)
    fig.update_layout(font_family=FONT, barmode="stack", title=title, height=380, xaxis_type="category",
                      legend={"orientation": "h", "y": -0.2}, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return _empty_note(fig, trend)


def loop_funnel_chart(frame: pd.DataFrame, title: str) -> go.Figure:
    """The closed loop as a funnel: how many reached each stage, and the median days from identification."""
    text = [f"{c:,}" + (f" · {d}" if d else "") for c, d in zip(frame["count"], frame["days"], strict=True)]
    # A narrow stage's figures go beside its bar: not clipped at the plot's edge, with room on the right for them.
    fig = go.Figure(go.Funnel(y=frame["label"], x=frame["count"], text=text, textinfo="text",
                              marker_color=PALETTE[0], cliponaxis=False))
    fig.update_layout(font_family=FONT, title=title, height=380, margin={"l": 10, "r": 60, "t": 50, "b": 10})
    return _empty_note(fig, frame)


def income_chart(income: pd.DataFrame, title: str) -> go.Figure:
    fig = go.Figure(go.Scatter(x=income["on"], y=income["income_cents"] / 100, mode="lines+markers",
                               text=[t(f"needs.income_{s}") for s in income["source"]],
                               hovertemplate="%{x}<br>¥%{y:,.2f}<br>%{text}", line={"color": PALETTE[2]}))
    fig.update_layout(font_family=FONT, title=title, height=300, yaxis_title=t("chart.yuan"),
                      yaxis_tickformat=",.0f", margin={"l": 10, "r": 10, "t": 50, "b": 10})
    _date_axis(fig)
    return _empty_note(fig, income)


def request_category_chart(frame: pd.DataFrame, title: str) -> go.Figure:
    """Requests per category as stacked bars that add up to the collected count: finished, open on time, overdue.
    The category's 解决率 shows on hover."""
    fig = go.Figure()
    for column, name, colour in (("finished", t("requests.page.finished"), PALETTE[2]),
                                 ("open", t("requests.page.open_on_time"), PALETTE[0]),
                                 ("overdue", t("requests.page.overdue"), PALETTE[3])):
        fig.add_bar(y=frame["label"], x=frame[column], name=name, orientation="h", marker_color=colour,
                    customdata=frame["resolution"],
                    hovertemplate="%{y} · %{fullData.name}: %{x:,}<br>" + t("requests.rate.resolution")
                    + ": %{customdata}<extra></extra>")
    fig.update_layout(font_family=FONT, barmode="stack", title=title, height=380, xaxis_title="", yaxis_title="",
                      legend={"orientation": "h", "y": -0.15}, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    fig.update_yaxes(autorange="reversed")
    return _empty_note(fig, frame)


RATE_LINES = [("response_rate", "requests.rate.response", PALETTE[1]),
              ("resolution_rate", "requests.rate.resolution", PALETTE[2]),
              ("satisfaction_rate", "requests.rate.satisfaction", PALETTE[4]),
              ("on_time_rate", "requests.rate.on_time", PALETTE[3])]


def request_trend_chart(trend: pd.DataFrame, title: str) -> go.Figure:
    """Requests collected per quarter (bars, left axis) and the four rates (lines, right axis, 0-100%); a quarter
    without a denominator has a gap in its line, not a 0%."""
    fig = go.Figure()
    fig.add_bar(x=trend["quarter"], y=trend["collected"], name=t("metric.requests"), marker_color="#c8d9f5",
                hovertemplate="%{x} · %{fullData.name}: %{y:,}<extra></extra>")
    for column, key, colour in RATE_LINES:
        fig.add_scatter(x=trend["quarter"], y=trend[column], name=t(key), mode="lines+markers", yaxis="y2",
                        line={"color": colour, "width": 2}, connectgaps=False,
                        hovertemplate="%{x} · %{fullData.name}: %{y:.1%}<extra></extra>")
    fig.update_layout(font_family=FONT, title=title, height=380, xaxis_type="category",
                      yaxis={"title": t("requests.page.count_axis"), "rangemode": "tozero"},
                      yaxis2={"overlaying": "y", "side": "right", "range": [0, 1.05], "tickformat": ".0%",
                              "dtick": 0.25, "showgrid": False},
                      legend={"orientation": "h", "y": -0.2}, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return _empty_note(fig, trend[trend["collected"] > 0] if "collected" in trend else trend)
