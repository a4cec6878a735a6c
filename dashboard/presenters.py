"""Turns query results into what a page draws: labelled, formatted figures with their change. No Streamlit."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dashboard.i18n import fmt_int, fmt_pct, fmt_yuan, fmt_yuan_short, t
from dashboard.queries.overview import AreaFigures, Overview


@dataclass(frozen=True)
class Metric:
    label: str
    value: str
    delta: str | None
    delta_color: str = "normal"       # "inverse" where lower is better, "off" where neither is
    help: str | None = None


@dataclass(frozen=True)
class Block:
    title: str
    metrics: list[Metric]


Getter = Callable[[AreaFigures], Any]
# (area title key, metric label key, how to read it, how to format it, delta colour)
OVERVIEW_METRICS: list[tuple[str, list[tuple[str, Getter, str, str]]]] = [
    ("overview.needs", [
        ("metric.practitioners", lambda f: f.practitioners, "int", "normal"),
        ("metric.needs_identified", lambda f: f.needs.identified, "int", "normal"),
        ("metric.needs_closed", lambda f: f.needs.closed, "int", "normal"),
        ("metric.needs_open", lambda f: f.needs.open_at_end, "int", "inverse"),
    ]),
    ("overview.training", [
        ("metric.enrolled", lambda f: f.training.enrolled, "int", "normal"),
        ("metric.completion_rate", lambda f: f.training.completion_rate, "pct", "normal"),
        ("metric.certified", lambda f: f.training.certified, "int", "normal"),
        ("metric.employment_rate", lambda f: f.training.employment_rate, "pct", "normal"),
    ]),
    ("overview.cooperative", [
        ("metric.revenue", lambda f: f.sales.revenue_cents, "yuan", "normal"),
        ("metric.profit", lambda f: f.sales.profit_cents, "yuan", "normal"),
        ("metric.orders", lambda f: f.sales.orders, "int", "normal"),
        ("metric.fund_spent", lambda f: f.sales.fund_spent_cents, "yuan", "off"),
    ]),
    ("overview.livestream", [
        ("metric.sessions", lambda f: f.requests.sessions, "int", "normal"),
        ("metric.requests", lambda f: f.requests.raised, "int", "normal"),
        ("metric.on_time_rate", lambda f: f.requests.on_time_rate, "pct", "normal"),
        ("metric.overdue", lambda f: f.requests.overdue_open, "int", "inverse"),
    ]),
    ("overview.meeting", [
        ("metric.meetings", lambda f: f.meetings.meetings, "int", "normal"),
        ("metric.actions", lambda f: f.meetings.actions, "int", "normal"),
        ("metric.actions_done", lambda f: f.meetings.actions_done, "int", "normal"),
        ("metric.actions_overdue", lambda f: f.meetings.actions_overdue, "int", "inverse"),
    ]),
]
FORMAT: dict[str, Callable[[Any], str]] = {"int": fmt_int, "pct": fmt_pct, "yuan": fmt_yuan_short}


def change(kind: str, cur: Any, prev: Any) -> str | None:
    """The change against the previous quarter as text, or None when there is nothing to compare."""
    if cur is None or prev is None or cur == prev:
        return None
    if kind == "pct":
        return t("common.pp", value=f"{(cur - prev) * 100:+.1f}")
    if kind == "yuan":
        return ("+" if cur > prev else "") + fmt_yuan_short(cur - prev)
    return f"{cur - prev:+,}"


def overview_blocks(ov: Overview) -> list[Block]:
    blocks = []
    for title, specs in OVERVIEW_METRICS:
        metrics = []
        for key, get, kind, colour in specs:
            cur = get(ov.current)
            prev = None if ov.previous is None else get(ov.previous)
            exact = fmt_yuan(cur) if kind == "yuan" else None
            metrics.append(Metric(t(key), FORMAT[kind](cur), change(kind, cur, prev), colour, exact))
        blocks.append(Block(t(title), metrics))
    return blocks


def profile_table(ov: Overview) -> pd.DataFrame:
    """One row per profile indicator: this scope's share beside the paper's, both as text."""
    rows = [
        {t("profile.indicator"): t(f"profile.{key}"), t("profile.value"): fmt_pct(value),
         t("profile.paper"): fmt_pct(ov.paper_rates.get(key), 0) if key in ov.paper_rates else "—"}
        for key, value in ov.profile_rates.items()
    ]
    return pd.DataFrame(rows)


def profile_long(ov: Overview) -> pd.DataFrame:
    """The same figures in long form (indicator, source, share) for a grouped bar chart."""
    rows = []
    for key, value in ov.profile_rates.items():
        if value is not None:
            rows.append({"indicator": t(f"profile.{key}"), "source": t("chart.this_scope"), "share": value})
        if key in ov.paper_rates:
            rows.append({"indicator": t(f"profile.{key}"), "source": t("common.paper"),
                         "share": ov.paper_rates[key]})
    return pd.DataFrame(rows, columns=["indicator", "source", "share"])
