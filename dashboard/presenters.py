"""Turns query results into what a page draws: labelled, formatted figures with their change. No Streamlit."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from dashboard.excel.writer import applied_filters
from dashboard.i18n import fmt_int, fmt_pct, fmt_yuan, fmt_yuan_change, fmt_yuan_short, t
from dashboard.privacy import mask_name
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
        points = round((cur - prev) * 100, 1)
        return None if points == 0 else t("common.pp", value=f"{points:+.1f}")
    if kind == "yuan":
        return fmt_yuan_change(cur - prev, cur)
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


Column = tuple[str, str, str]   # (data column, i18n header key, kind)
SHANGHAI = "Asia/Shanghai"


def _cell(kind: str, value: Any) -> Any:
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):    # None, NaN and NaT
        return "—"
    if kind == "yuan":
        return fmt_yuan(int(value))
    if kind == "int":
        return fmt_int(int(value))
    if kind == "pct":
        return fmt_pct(float(value), 2)
    if kind == "bp":
        return f"{int(value) / 100:g}%"
    if kind.startswith("enum:"):
        return t(f"enum.{kind[5:]}.{value}")
    if kind.startswith("key:"):
        return t(f"{kind[4:]}{value}")
    if kind == "datetime":
        stamp = pd.Timestamp(value)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
        return stamp.tz_convert(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    if kind == "bool":
        return t("common.yes") if value else t("common.no")
    return str(value)


def table(df: pd.DataFrame, columns: list[Column]) -> pd.DataFrame:
    """A query result as the user reads it: headers in their language, money in yuan, codes as labels."""
    out = pd.DataFrame({t(header): [_cell(kind, v) for v in df[col]] for col, header, kind in columns})
    return out.reset_index(drop=True)


TOP_MEMBER_COLUMNS: list[Column] = [
    ("code", "coop.col_member_code", "text"), ("name", "coop.col_member_name", "text"),
    ("revenue_cents", "metric.revenue", "yuan"), ("quantity", "coop.col_quantity", "int"),
    ("orders", "metric.orders", "int"),
]
SPLIT_COLUMNS: list[Column] = [
    ("effective_from", "coop.col_effective_from", "text"), ("member_bp", "coop.pool_members", "bp"),
    ("cooperative_bp", "coop.pool_cooperative", "bp"), ("public_fund_bp", "coop.pool_public_fund", "bp"),
    ("help_fund_bp", "coop.pool_help_fund", "bp"), ("help_fund_basis", "coop.col_help_basis", "enum:HelpFundBasis"),
]
RUN_COLUMNS: list[Column] = [
    ("code", "coop.col_run", "text"), ("period", "coop.period", "text"), ("status", "coop.col_status",
                                                                          "enum:RunStatus"),
    ("revenue_cents", "metric.revenue", "yuan"), ("profit_cents", "metric.profit", "yuan"),
    ("carried_loss_cents", "coop.col_carried_loss", "yuan"), ("member_pool_cents", "coop.pool_members", "yuan"),
    ("cooperative_pool_cents", "coop.pool_cooperative", "yuan"), ("public_fund_cents", "coop.pool_public_fund",
                                                                  "yuan"),
    ("help_fund_cents", "coop.pool_help_fund", "yuan"), ("created_by", "coop.col_created_by", "text"),
    ("approved_by", "coop.col_approved_by", "text"), ("approved_at", "coop.col_approved_at", "datetime"),
]
def line_columns(basis: str) -> list[Column]:
    """A run's lines; the basis is money for the revenue basis, a count for quantity and shares."""
    return [
        ("code", "coop.col_member_code", "text"), ("name", "coop.col_member_name", "text"),
        ("basis_value", f"enum.DistributionBasis.{basis}", "yuan" if basis == "revenue" else "int"),
        ("share", "statement.share", "pct"), ("amount_cents", "statement.amount", "yuan"),
        ("adjustment_cents", "coop.col_adjustment", "int"),
    ]
LEDGER_COLUMNS: list[Column] = [
    ("on", "coop.col_date", "text"), ("kind", "coop.col_kind", "key:coop.entry_"), ("ref", "coop.col_ref", "text"),
    ("text", "coop.col_text", "text"), ("amount_cents", "coop.amount", "yuan"),
    ("balance_cents", "coop.balance", "yuan"),
]


def run_pools(run: Any) -> dict[str, int]:
    """The pools of one run (a row of the runs table), for the split chart."""
    return {"members": int(run["member_pool_cents"]), "cooperative": int(run["cooperative_pool_cents"]),
            "public_fund": int(run["public_fund_cents"]), "help_fund": int(run["help_fund_cents"])}


def statement_table(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[t("statement.item"), t("statement.value")])


def yuan_to_cents(yuan: float | str) -> int:
    """What a person typed in yuan (at most two decimals) as exact cents."""
    return int((Decimal(str(yuan)) * 100).quantize(Decimal(1), ROUND_HALF_UP))


ERROR_COLUMNS: list[Column] = [
    ("sheet", "io.col_sheet", "text"), ("row", "io.col_row", "int"), ("column", "io.col_column", "text"),
    ("value", "io.col_value", "text"), ("message", "io.col_message", "text"),
]


def export_scope(entity: str, *, community: str, quarter: str) -> str:
    """The export tab's caption: the sidebar's community and quarter, each only where the entity applies it."""
    by_community, by_quarter = applied_filters(entity)
    name = t(f"entity.{entity}")
    if by_community and by_quarter:
        return t("io.export_scope", community=community, quarter=quarter)
    if by_community:
        return t("io.export_scope_community", community=community, entity=name)
    if by_quarter:
        return t("io.export_scope_quarter", quarter=quarter, entity=name)
    return t("io.export_scope_none", entity=name)


IMPORT_COUNTS = [("io.rows", "rows"), ("io.created", "created"), ("io.updated", "updated"),
                 ("io.unchanged", "unchanged"), ("io.rejected", "rejected")]


def import_counts(result: Any) -> list[tuple[str, str]]:
    """The preview's counters as (label, value). A file refused as a whole (no sheet with the entity's header,
    unreadable, too large) has no rows to count: every counter shows "—", not 有误 0 beside its error."""
    refused = result.status == "rejected" and result.sheet is None
    return [(t(key), "—" if refused else f"{getattr(result, name):,}") for key, name in IMPORT_COUNTS]


def errors_frame(errors: list[Any]) -> pd.DataFrame:
    return pd.DataFrame([vars(e) for e in errors], columns=["sheet", "row", "column", "value", "message"])


def masked(df: pd.DataFrame, visible: bool, column: str = "name") -> pd.DataFrame:
    """Names masked (张*华) unless personal data may be shown (meeting mode hides them)."""
    if visible or column not in df:
        return df
    return df.assign(**{column: [mask_name(n) for n in df[column]]})


AUDIT_COLUMNS: list[Column] = [
    ("id", "audit.col_id", "int"), ("at", "audit.col_at", "datetime"), ("actor", "audit.col_actor", "text"),
    ("action", "audit.col_action", "key:audit.act."), ("entity", "audit.col_entity", "text"),
    ("entity_id", "audit.col_entity_id", "text"), ("before", "audit.col_before", "text"),
    ("after", "audit.col_after", "text"),
]


def audit_action(action: str) -> str:
    """The action's label where it has one (登录, 审批 …), else its code."""
    key = f"audit.act.{action}"
    text = t(key)
    return action if text == key else text
