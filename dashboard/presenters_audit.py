"""The audit log as a person reads it: objects by their name, and each change as "字段：值" in the user's language.

The log keeps its changes as JSON (that is what the hash chain covers, and what the export hands over); this module
only words them for the screen. A field or value without a label shows its code, never a traceback.
"""

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.i18n import fmt_int, fmt_yuan, t
from dashboard.presenters import AUDIT_COLUMNS, table

# Fields whose value is a code of an enum, by field; `status` depends on the object it belongs to.
ENUM_FIELDS = {"category": "NeedCategory", "severity": "Severity", "role": "Role", "basis": "DistributionBasis",
               "help_fund_basis": "HelpFundBasis", "employment": "EmploymentStatus", "wave": "FollowupWave",
               "party_kind": "PartyKind"}
STATUS_ENUMS = {"need_assessment": "NeedStatus", "distribution_run": "RunStatus", "training_followup": "FollowupStatus"}
# Fields whose value is one of a few words the log writes, worded under audit.<prefix>.<value>.
WORD_FIELDS = {"channel": "audit.channel.", "reason": "audit.reason.", "scale": "audit.scale.",
               "decision": "report.pub.decision."}
# Fields holding a UTC time as ISO text, shown in Asia/Shanghai to the minute.
TIME_FIELDS = {"cut_off"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _label(key: str, fallback: str) -> str:
    text = t(key)
    return fallback if text == key else text


def audit_entity(entity: str) -> str:
    """An object of the log (a table name, or * for all data) by its name: distribution_run -> 分配方案."""
    return _label(f"audit.obj.{entity}", entity)


def field_label(field: str) -> str:
    return _label(f"audit.field.{field}", field)


def _enum(name: str, value: Any) -> str:
    return _label(f"enum.{name}.{value}", str(value))


def field_value(field: str, value: Any, entity: str) -> str:
    """One value of a change in the user's words: money in yuan, shares in percent, codes by their label."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return t("common.yes") if value else t("common.no")
    if isinstance(value, dict):          # the seed's rows per table
        return t("audit.list_sep").join(f"{audit_entity(k)} {field_value('', v, entity)}" for k, v in value.items())
    if field.endswith("_cents") and isinstance(value, int):
        return fmt_yuan(value)
    if field.endswith("_bp") and isinstance(value, int):
        return f"{value / 100:g}%"
    if field == "status" and entity in STATUS_ENUMS:
        return _enum(STATUS_ENUMS[entity], value)
    if field in ENUM_FIELDS:
        return _enum(ENUM_FIELDS[field], value)
    if field in WORD_FIELDS:
        return _label(f"{WORD_FIELDS[field]}{value}", str(value))
    if field == "sha256" or field.endswith("_sha256"):
        return f"{str(value)[:12]}…"
    if field in TIME_FIELDS and isinstance(value, str):
        try:
            at = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, int) and not field.endswith("id") and field not in ("batch", "satisfaction"):
        return fmt_int(value)
    return str(value)


def audit_change(raw: str | None, entity: str) -> str:
    """A change as the log stores it (JSON) as "字段：值；字段：值" in the user's language; empty fields left out.

    Anything that is not a JSON object is shown as it is."""
    if raw is None or (not isinstance(raw, str) and pd.isna(raw)) or raw == "":
        return "—"
    try:
        fields = json.loads(raw)
    except ValueError:
        return str(raw)
    if not isinstance(fields, dict):
        return str(raw)
    order = list(_FIELD_ORDER)
    keys = sorted(fields, key=lambda k: (order.index(k) if k in order else len(order), k))
    return t("audit.pair_sep").join(t("audit.pair", field=field_label(k), value=field_value(k, fields[k], entity))
                                    for k in keys if fields[k] is not None) or "—"


# The order fields are shown in: what the object is first, then what changed, then who and how.
_FIELD_ORDER = (
    "code", "username", "display_name", "role", "party_id", "is_active", "status", "replaced_by", "period", "basis",
    "category", "severity", "description", "on", "satisfaction", "identified_on", "quarter", "assessed_on",
    "responded_on", "feedback_on", "closed_on", "social_worker", "revenue_cents", "cost_cents", "profit_cents",
    "carried_loss_cents", "member_pool_cents", "cooperative_pool_cents", "public_fund_cents", "help_fund_cents",
    "effective_from", "member_bp", "cooperative_bp", "public_fund_bp", "help_fund_bp", "help_fund_basis",
    "spent_on", "purpose", "amount_cents", "approver", "version", "party_kind", "decision", "note", "cut_off",
    "changed_figures", "narrative_changed", "snapshot_sha256", "created", "updated", "unchanged", "batch", "file",
    "deleted", "restored", "sha256", "scale", "reset", "rows", "seconds", "channel", "reason", "wait_seconds",
    "created_by", "approved_by", "id", "practitioner_id", "community_id", "cooperative_id",
)


def audit_table(log: pd.DataFrame) -> pd.DataFrame:
    """The log for the screen: headers, actions and objects in the user's language, changes as 字段：值."""
    entities = log["entity"].tolist()
    worded = log.assign(
        entity=[audit_entity(e) for e in entities],
        before=[audit_change(v, e) for v, e in zip(log["before"].tolist(), entities, strict=True)],
        after=[audit_change(v, e) for v, e in zip(log["after"].tolist(), entities, strict=True)],
    )
    return table(worded, AUDIT_COLUMNS)
