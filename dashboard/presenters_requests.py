"""What the 直播治理诉求 page draws: the quarter's figures beside the last, labelled frames, residents' text masked."""

from collections.abc import Callable
from enum import StrEnum
from typing import Any

import pandas as pd

from dashboard import privacy
from dashboard.access import Action
from dashboard.i18n import fmt_int, fmt_pct, t
from dashboard.presenters import Column, Metric, change
from dashboard.queries.requests import RequestFigures, RequestSummary
from dashboard.services import requests as service
from dashboard.services.request_rates import MIN_RANKED, Rate
from data_models.enums import RequestMove

# (label key, figure, kind, help key); a rate's help is its formula and its own numerator and denominator.
RATE_METRICS: list[tuple[str, str, str]] = [
    ("requests.rate.response", "response", "requests.rate.response_help"),
    ("requests.rate.resolution", "resolution", "requests.rate.resolution_help"),
    ("requests.rate.satisfaction", "satisfaction", "requests.rate.satisfaction_help"),
    ("requests.rate.on_time", "on_time", "requests.rate.on_time_help"),
]
# (label key, figure, delta colour, help key): counts where more is bad news are "inverse".
COUNT_METRICS: list[tuple[str, str, str, str]] = [
    ("requests.page.overdue", "overdue", "inverse", "requests.page.overdue_help"),
    ("requests.page.at_risk", "at_risk", "inverse", "requests.page.at_risk_help"),
    ("requests.page.reopened", "reopened", "inverse", "requests.page.reopened_help"),
    ("requests.page.sent_back", "sent_back", "inverse", "requests.page.sent_back_help"),
    ("requests.page.unreasonable", "unreasonable", "off", "requests.page.unreasonable_help"),
]


def mask_text(text: str | None) -> str:
    """Residents' names and phone numbers in free text masked (dashboard.privacy.mask_text)."""
    return privacy.mask_text(text)


def fraction(rate: Rate) -> str:
    """«12 / 40»: a rate's numerator (which may hold a half, from 部分解决) and denominator."""
    return t("requests.page.fraction", num=f"{rate.numerator:,g}", den=f"{rate.denominator:,}")


def rate_metrics(summary: RequestSummary) -> list[Metric]:
    """The collected count and the four rates, each against the previous quarter, its help the formula."""
    cur, prev = summary.current, summary.previous
    out = [Metric(t("metric.requests"), fmt_int(cur.collected),
                  change("int", cur.collected, None if prev is None else prev.collected), "off",
                  t("requests.rate.period_note"))]
    for key, name, help_key in RATE_METRICS:
        rate: Rate = getattr(cur, name)
        before: Rate | None = None if prev is None else getattr(prev, name)
        out.append(Metric(t(key), fmt_pct(rate.value), change("pct", rate.value, None if before is None else
                                                                 before.value),
                          "normal", f"{t(help_key)}\n\n{t('requests.page.this_quarter', part=fraction(rate))}"))
    return out


def count_metrics(summary: RequestSummary) -> list[Metric]:
    cur, prev = summary.current, summary.previous
    return [Metric(t(key), fmt_int(getattr(cur, name)),
                   change("int", getattr(cur, name), None if prev is None else getattr(prev, name)), colour,
                   t(help_key))
            for key, name, colour, help_key in COUNT_METRICS]


def is_empty(figures: RequestFigures) -> bool:
    return figures.collected == 0


def category_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Per category: finished, open on time and overdue (they add up to the collected count), labelled."""
    return pd.DataFrame({
        "label": [t(f"enum.RequestCategory.{c}") for c in df["category"]],
        "finished": df["finished"].astype(int).tolist(),
        "open": (df["open"] - df["overdue"]).astype(int).tolist(),
        "overdue": df["overdue"].astype(int).tolist(),
        "resolution": [fmt_pct(None if pd.isna(v) else float(v)) for v in df["resolution_rate"]],
    })


def unit_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The unit ranking as the page shows it: a rank or why there is none, and the rate's numerator/denominator."""
    def rank_text(rank: Any, n: int) -> str:
        if not pd.isna(rank):
            return str(int(rank))
        return t("requests.page.unranked_few", n=MIN_RANKED) if n < MIN_RANKED else t("requests.page.unranked_none")

    return pd.DataFrame({
        t("requests.page.col_rank"): [rank_text(r, int(n)) for r, n in zip(df["rank"], df["requests"], strict=True)],
        t("requests.page.col_unit"): df["unit_name"].tolist(),
        t("requests.page.col_requests"): [fmt_int(int(n)) for n in df["requests"]],
        t("requests.page.col_on_time_parts"): [fraction(Rate(float(a), int(b))) for a, b in
                                               zip(df["on_time_numerator"], df["on_time_denominator"], strict=True)],
        t("requests.rate.on_time"): [fmt_pct(None if pd.isna(v) else float(v)) for v in df["on_time_rate"]],
    })


def deadline_state(row: Any) -> str:
    """How the deadline stands, in working days: overdue by n, due today, n left; nothing for finished ones."""
    left = row["days_left"]
    if left is None or pd.isna(left):
        return "—"
    left = int(left)
    if row["overdue"]:
        return t("requests.page.overdue_by", n=max(-left, 1))
    if left == 0:
        return t("requests.page.due_today")
    return t("requests.page.days_left", n=left)


# At a projector's 1280 pixels the first five columns are what a meeting reads (which request, what was asked, where
# it stands, how late); the rest are a scroll away.
LIST_COLUMNS: list[Column] = [
    ("code", "requests.page.col_code", "text"), ("category", "requests.page.col_category", "enum:RequestCategory"),
    ("status", "requests.page.col_status", "enum:RequestStatus"),
    ("deadline_state", "requests.page.col_deadline_state", "text"),
    ("description", "requests.page.col_description", "text"),
    ("lead_unit_name", "requests.page.col_lead_unit", "text"),
    ("raised_on", "requests.page.col_raised_on", "text"),
    ("priority", "requests.page.col_priority", "enum:RequestPriority"),
    ("deadline", "requests.page.col_deadline", "text"),
    ("return_count", "requests.page.col_returns", "int"), ("reopen_count", "requests.page.col_reopens", "int"),
    ("escalation_level", "requests.page.col_escalation", "int"),
]


def list_frame(df: pd.DataFrame, visible: bool) -> pd.DataFrame:
    """The list's rows with the deadline's state worded and residents' text masked unless `visible`."""
    out = df.assign(deadline_state=[deadline_state(r) for _, r in df.iterrows()] if len(df) else [])
    if not visible:
        out = out.assign(description=[mask_text(d) for d in out["description"]])
    return out


HISTORY_COLUMNS: list[Column] = [
    ("on", "requests.page.col_on", "text"), ("at", "requests.page.col_at", "datetime"),
    ("move", "requests.page.col_move", "enum:RequestMove"), ("to_status", "requests.page.col_to_status",
                                                             "enum:RequestStatus"),
    ("actor", "requests.page.col_actor", "text"), ("from_unit", "requests.page.col_from_unit", "text"),
    ("to_unit", "requests.page.col_to_unit", "text"), ("reason_code", "requests.page.col_reason", "enum:ReturnReason"),
    ("result", "requests.page.col_result", "enum:CallbackResult"), ("tries", "requests.page.col_tries", "int"),
    ("note", "requests.page.col_note", "text"),
]


def history_frame(df: pd.DataFrame, visible: bool) -> pd.DataFrame:
    """A request's history; notes can quote a resident, so they are masked unless `visible`."""
    if visible or df.empty:
        return df
    return df.assign(note=[mask_text(n) for n in df["note"]])


QUEUE_COLUMNS: list[Column] = [
    ("code", "requests.page.col_code", "text"), ("category", "requests.page.col_category", "enum:RequestCategory"),
    ("status", "requests.page.col_status", "enum:RequestStatus"),
    ("outcome", "requests.page.col_outcome", "enum:RequestOutcome"),
    ("needs_report", "requests.page.col_needs_report", "bool"),
    ("description", "requests.page.col_description", "text"),
    ("lead_unit", "requests.page.col_lead_unit", "text"), ("deadline", "requests.page.col_deadline", "text"),
    ("overdue", "requests.page.col_overdue", "bool"),
]


def queue_frame(df: pd.DataFrame, visible: bool) -> pd.DataFrame:
    if visible or df.empty:
        return df
    return df.assign(description=[mask_text(d) for d in df["description"]])


def readout(text: str, visible: bool) -> str:
    """The read-out (phone numbers already masked by the service, it is read on air); names too where the page
    hides personal data."""
    return text if visible else mask_text(text)


# What each move the service offers does on the page: the function, the permission it needs, its form's fields.
MOVES: dict[RequestMove, tuple[Callable[..., Any], Action]] = {
    RequestMove.classify: (service.classify, Action.request_write),
    RequestMove.route: (service.route, Action.request_write),
    RequestMove.accept: (service.accept, Action.request_handle),
    RequestMove.finish: (service.finish, Action.request_handle),
    service.AGREE_UNREASONABLE: (service.agree_unreasonable, Action.request_write),
    RequestMove.send_back: (service.send_back, Action.request_handle),
    RequestMove.transfer: (service.transfer, Action.request_handle),
    RequestMove.report: (service.report, Action.request_write),
    RequestMove.callback: (service.callback, Action.request_write),
    RequestMove.close: (service.close, Action.request_write),
    RequestMove.reopen: (service.reopen, Action.request_write),
}
DATED = set(MOVES) - {RequestMove.report}      # report() takes the livestream's own date
# The move form's fields: what was typed for one request is not carried over to the next one opened.
FORM_KEYS = ("requests_move", "requests_on", "requests_lead", "requests_support", "requests_transfer_reason",
             "requests_outcome", "requests_resolution", "requests_reason", "requests_note", "requests_reopen_note",
             "requests_result", "requests_tries", "requests_session", "requests_new_category", "requests_priority")


def move_label(move: str) -> str:
    """The move as a button says it (do this), where the history names what was done; a pending 不合理诉求 is
    offered as the second person's agreement."""
    if move == service.AGREE_UNREASONABLE:
        return t("requests.page.agree_unreasonable")
    return t(f"requests.page.do_{move}")


def moved_message(code: str, move: str, status: str) -> str:
    return t("requests.page.moved", code=code, move=move_label(move), status=t(f"enum.RequestStatus.{status}"))


def collected_message(code: str, status: str, quarter: str) -> str:
    return t("requests.page.collected", code=code, status=t(f"enum.RequestStatus.{status}"), quarter=quarter)


ESCALATION_CODES_SHOWN = 10


def _codes(codes: list[str]) -> str:
    """Up to ESCALATION_CODES_SHOWN codes, then how many more."""
    shown = t("requests.page.sep").join(codes[:ESCALATION_CODES_SHOWN])
    more = len(codes) - ESCALATION_CODES_SHOWN
    return shown if more <= 0 else t("requests.page.codes_more", codes=shown, n=more)


def escalation_question(codes: list[str]) -> str:
    """What 升级逾期诉求 will do, before it is done: how many, which, in every community."""
    return t("requests.page.escalate_question", n=len(codes), codes=_codes(codes))


def escalated_message(codes: list[str]) -> str:
    if not codes:
        return t("requests.page.escalate_none")
    return t("requests.page.escalated", n=len(codes), codes=_codes(codes))


def _deadline_fact(row: Any) -> str:
    if not row["deadline"]:
        return "—"
    state = deadline_state(row)
    return str(row["deadline"]) if state == "—" else t("requests.page.deadline_state", deadline=row["deadline"],
                                                                                       state=state)


def detail_facts(row: Any, detail: dict[str, Any] | None, visible: bool) -> pd.DataFrame:
    """The picked request's facts as (item, value) rows; residents' text masked unless `visible`."""
    d = detail or {}
    outcome = d.get("outcome")
    rows = [
        (t("requests.page.col_code"), row["code"]),
        (t("requests.page.col_status"), t(f"enum.RequestStatus.{row['status']}")),
        (t("requests.page.col_category"), t(f"enum.RequestCategory.{row['category']}")),
        (t("requests.page.col_priority"), t(f"enum.RequestPriority.{row['priority']}")),
        (t("requests.page.col_raised_on"), str(row["raised_on"])),
        (t("requests.page.col_endorsements"), fmt_int(d.get("endorsements"))),
        (t("requests.page.col_lead_unit"), row["lead_unit_name"] or "—"),
        (t("requests.page.col_support_units"), t("requests.page.sep").join(d.get("support_units") or []) or "—"),
        (t("requests.page.col_deadline"), _deadline_fact(row)),
        (t("requests.page.col_outcome"), t(f"enum.RequestOutcome.{outcome}") if outcome else "—"),
        (t("requests.page.col_resolution"), (d.get("resolution") if visible else mask_text(d.get("resolution")))
         or "—"),
        (t("requests.page.col_reported_in"), d.get("reported_session") or "—"),
        (t("requests.page.col_satisfaction"), t(f"enum.CallbackResult.{d['satisfaction']}")
         if d.get("satisfaction") else "—"),
        (t("requests.page.col_counts"), t("requests.page.counts", returns=int(row["return_count"]),
                                          reopens=int(row["reopen_count"]), level=int(row["escalation_level"]))),
        (t("requests.page.col_description"), row["description"] if visible else mask_text(row["description"])),
    ]
    if d.get("unreasonable_by") and not d.get("unreasonable_agreed_by"):
        rows.append((t("requests.page.col_unreasonable"), t("requests.page.unreasonable_pending",
                                                            by=d["unreasonable_by"])))
    return pd.DataFrame(rows, columns=[t("statement.item"), t("statement.value")])


def filters_cover(status: str, category: str, unit_name: str | None, overdue_only: bool) -> dict[str, str]:
    """The list's filters as the export's cover names them."""
    return {
        t("requests.page.col_status"): t(f"enum.RequestStatus.{status}") if status else t("requests.page.all_statuses"),
        t("requests.page.col_category"): t(f"enum.RequestCategory.{category}") if category
        else t("requests.page.all_categories"),
        t("requests.page.col_unit"): unit_name or t("requests.page.all_units"),
        t("requests.page.overdue_only"): t("common.yes") if overdue_only else t("common.no"),
    }


def table_height(rows: int, most: int) -> int:
    """A table's height in pixels: its rows (at least one) under the header, at most `most` (then it scrolls)."""
    return min(most, 38 + 35 * max(rows, 1) + 2)


def labels(enum: type[StrEnum], everything: str | None = None) -> dict[str, str]:
    """A choice's options worded now, in this run's language, as {code: label}; with `everything`, "" first for
    "all". A dict rather than a function of the language: the options' words are fixed when the widget is drawn."""
    head = {"": t(everything)} if everything else {}
    return head | {m.value: t(f"enum.{enum.__name__}.{m.value}") for m in enum}


def move_labels(moves: list[RequestMove]) -> dict[str, str]:
    return {m: move_label(m) for m in moves}
