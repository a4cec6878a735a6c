"""The rules an import checks on each row, said with the column they name: ranges and dates the database would
refuse, the needs loop without gaps, the request lifecycle (a status needs every stage before it), and the unit
tree (no unit its own parent or ancestor).

A rule reads only the columns in `values`. A column missing from `values` is unknown (the file does not have it
and the stored value has not been merged in yet), and a rule that needs it says nothing until it is known.
"""

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from dashboard.excel.spec import ENTITIES, Entity
from dashboard.i18n import get_language
from data_models.enums import CallbackResult, RequestOutcome, RequestStatus

Problem = tuple[str, str, dict[str, Any]]           # (column, message key, message params)

# Every column check_row reads: rows are checked over just these.
RULE_COLUMNS = ("satisfaction", "pre_score", "post_score", "daily_work_hours", "end_date", "start_date", "deadline",
                "raised_on", "routed_on", "resolved_on", "due_on", "created_on", "assessed_on", "identified_on",
                "responded_on", "feedback_on", "closed_on", "hours", "quantity", "minutes", "order_no", "birth_year",
                "status", "done_on", "completed", "attended", "certified", "working_days", "endorsements",
                "callback_tries", "lead_unit_id", "outcome", "resolution", "reported_session_id", "unreasonable_by",
                "unreasonable_agreed_by", "tries", "reached_on", "employment", "opened_store", "livestreams_per_week",
                "income_cents", "valid_from", "valid_to", "first_pct", "employment_pct", "window_months",
                "claim_grace_days")

# The rules that read one number, in the order check_row applies them; only where the entity's column is a number
# (a need's 满意度 is 1-5, a request's 回访结果 is a list).
SINGLE_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "satisfaction": (lambda v: 1 <= v <= 5, "excel.range_1_5"),
    "pre_score": (lambda v: 0 <= v <= 100, "excel.range_0_100"),
    "post_score": (lambda v: 0 <= v <= 100, "excel.range_0_100"),
    "daily_work_hours": (lambda v: 0 <= v <= 24, "excel.range_hours"),
    "hours": (lambda v: v > 0, "excel.positive"), "quantity": (lambda v: v > 0, "excel.positive"),
    "minutes": (lambda v: v > 0, "excel.positive"), "order_no": (lambda v: v > 0, "excel.positive"),
    "birth_year": (lambda v: 1900 <= v <= 2100, "excel.range_year"),
    "working_days": (lambda v: 1 <= v <= 365, "excel.range_working_days"),
    "endorsements": (lambda v: v >= 0, "excel.nonnegative"), "callback_tries": (lambda v: v >= 0, "excel.nonnegative"),
    "tries": (lambda v: 0 <= v <= 20, "excel.range_tries"),
    "livestreams_per_week": (lambda v: 0 <= v <= 50, "excel.range_livestreams"),
    "first_pct": (lambda v: 0 <= v <= 100, "excel.range_pct"),
    "employment_pct": (lambda v: 0 <= v <= 100, "excel.range_pct"),
    "window_months": (lambda v: 1 <= v <= 24, "excel.range_window"),
    "claim_grace_days": (lambda v: 0 <= v <= 365, "excel.range_grace"),
}
FIRST_SINGLE = ("satisfaction", "pre_score", "post_score", "daily_work_hours")
ROW_RULE_ENTITIES = ("needs", "action_items", "enrolments", "requests", "followups")     # rules over several columns

# (later, earlier): a date that may not come before another.
DATE_ORDER = (("end_date", "start_date"), ("deadline", "raised_on"), ("due_on", "created_on"),
              ("assessed_on", "identified_on"), ("responded_on", "assessed_on"), ("feedback_on", "responded_on"),
              ("closed_on", "feedback_on"), ("routed_on", "raised_on"), ("deadline", "routed_on"),
              ("resolved_on", "raised_on"), ("resolved_on", "routed_on"), ("closed_on", "raised_on"),
              ("closed_on", "resolved_on"), ("done_on", "created_on"), ("valid_to", "valid_from"))

STAGE = {s.value: i for i, s in enumerate(RequestStatus)}      # collected 0 … closed 6, in lifecycle order
UNREACHABLE_TRIES = 3


def single_rules(entity: Entity) -> dict[str, tuple[Callable[[Any], bool], str]]:
    """The one-column rules that apply to the entity: its numeric columns that have one."""
    return _single_rules_of(entity.name)


@cache
def _single_rules_of(name: str) -> dict[str, tuple[Callable[[Any], bool], str]]:
    return {f.column: SINGLE_RULES[f.column] for f in ENTITIES[name].fields
            if f.column in SINGLE_RULES and f.kind in ("int", "float")}


def header(entity: Entity, column: str) -> str:
    """A column's header in the user's language, for a message that names another column."""
    f = next((f for f in entity.fields if f.column == column), None)
    return column if f is None else f.header(get_language())


def _single(entity: Entity, values: Mapping[str, Any], columns: tuple[str, ...]) -> list[Problem]:
    rules = single_rules(entity)
    out: list[Problem] = []
    for column in columns:
        v = values.get(column)
        if column in rules and v is not None and not rules[column][0](v):
            out.append((column, rules[column][1], {}))
    return out


def check_row(entity: Entity, values: Mapping[str, Any], *, settled: bool = False) -> list[Problem]:
    """The row's problems: (column, message key, params), the first one of each column (a cell is told one thing
    to fix at a time). `settled`: a request a 五步协商 case took (no unit, no report-back: see request_lifecycle)."""
    out: list[Problem] = []
    for problem in _problems(entity, values, settled):
        if all(p[0] != problem[0] for p in out):
            out.append(problem)
    return out


def _problems(entity: Entity, values: Mapping[str, Any], settled: bool = False) -> list[Problem]:
    out = _single(entity, values, FIRST_SINGLE)
    for later, earlier in DATE_ORDER:
        a, b = values.get(later), values.get(earlier)
        if a is not None and b is not None and a < b:
            out.append((later, "excel.date_order", {"earlier": header(entity, earlier), "date": b.isoformat()}))
    if entity.name == "needs":      # the loop has no gaps: a stage's date needs the one before it
        for later, earlier in (("responded_on", "assessed_on"), ("feedback_on", "responded_on"),
                               ("closed_on", "feedback_on")):
            if values.get(later) is not None and values.get(earlier) is None:
                out.append((later, "excel.stage_missing", {}))
    out += _single(entity, values, tuple(c for c in SINGLE_RULES if c not in FIRST_SINGLE))
    if entity.name == "action_items" and values.get("status") == "done" and values.get("done_on") is None:
        out.append(("done_on", "excel.done_needs_date", {}))
    if entity.name == "enrolments":
        if values.get("completed") and not values.get("attended"):
            out.append(("completed", "excel.completed_needs_attended", {}))
        if values.get("certified") and not values.get("completed"):
            out.append(("certified", "excel.certified_needs_completed", {}))
    if entity.name == "requests":
        out += request_lifecycle(values, settled=settled)
    if entity.name == "followups":
        out += followup_answers(values)
    return out


ANSWERS = ("reached_on", "employment", "opened_store", "livestreams_per_week", "income_cents")


def followup_answers(values: Mapping[str, Any]) -> list[Problem]:
    """A reached contact has its date and what was found about work; one not reached has no answers (an
    unreachable person is never read as not employed); unreachable means the tries ran out."""
    status = values.get("status")
    if status is None:
        return []
    out: list[Problem] = []
    if status == "reached":
        for column in ("reached_on", "employment"):
            if column in values and values[column] is None:
                out.append((column, f"excel.followup_needs_{column}", {}))
    else:
        out += [(c, "excel.followup_answer_not_reached", {}) for c in ANSWERS if values.get(c) is not None]
    if status == "unreachable" and "tries" in values and (values["tries"] or 0) < UNREACHABLE_TRIES:
        out.append(("tries", "excel.followup_unreachable_tries", {"n": UNREACHABLE_TRIES}))
    return out


# What each status needs, beyond those before it: (first status that needs it, column).
NEEDED_FROM = (("routed", "lead_unit_id"), ("routed", "routed_on"), ("resolved", "resolved_on"),
               ("resolved", "outcome"), ("reported", "reported_session_id"), ("closed", "closed_on"))


# A request a 五步协商 case took was never routed to a unit nor reported back in a livestream: the case settled it.
CASE_WAIVED = frozenset({"lead_unit_id", "routed_on", "reported_session_id"})


def request_lifecycle(values: Mapping[str, Any], *, settled: bool = False) -> list[Problem]:
    """A request's status with the stages it needs: routed (已转办) and later has a lead unit and a routing
    date; resolved (已办结) and later an outcome and a date; reported (已公示反馈) and later the livestream it was
    reported in; closed (已关闭) its date, and only closed has one. 不合理诉求 needs a written reason (办理结果) and
    the person who proposed it, and from 已办结 on a second person who agreed. 三次未接通 needs three tries."""
    status = values.get("status")
    if status is None:
        return []
    rank = STAGE[str(status)]
    out: list[Problem] = []
    for first, column in NEEDED_FROM:
        if rank >= STAGE[first] and column in values and values[column] is None \
                and not (settled and column in CASE_WAIVED):
            out.append((column, f"excel.request_needs_{first}", {}))
    if status != RequestStatus.closed and values.get("closed_on") is not None:
        out.append(("closed_on", "excel.request_closed_on_open", {}))
    if values.get("outcome") == RequestOutcome.unreasonable:
        if "resolution" in values and not values["resolution"]:
            out.append(("resolution", "excel.unreasonable_needs_reason", {}))
        if "unreasonable_by" in values and not values["unreasonable_by"]:
            out.append(("unreasonable_by", "excel.unreasonable_needs_proposer", {}))
        agreed = values.get("unreasonable_agreed_by")
        if rank >= STAGE["resolved"] and "unreasonable_agreed_by" in values and not agreed:
            out.append(("unreasonable_agreed_by", "excel.unreasonable_needs_agreement", {}))
        if agreed and agreed == values.get("unreasonable_by"):
            out.append(("unreasonable_agreed_by", "excel.unreasonable_same_person", {}))
    if values.get("satisfaction") == CallbackResult.unreachable and "callback_tries" in values \
            and (values["callback_tries"] or 0) < UNREACHABLE_TRIES:
        out.append(("callback_tries", "excel.unreachable_needs_tries", {"n": UNREACHABLE_TRIES}))
    return out


def status_backwards(stored: str | None, new: str | None) -> bool:
    """A re-import may move a request forward (or leave it), never back: 退回 and 重新打开 are moves on the page,
    with their reasons and counts."""
    return stored is not None and new is not None and STAGE[str(new)] < STAGE[str(stored)]


def unit_tree(codes: list[Any], parents: list[Any], stored: Mapping[str, str | None]
              ) -> list[tuple[int, str, dict[str, Any]]]:
    """The rows (by index) whose parent unit is the unit itself or one of its own descendants: (index, key, params).

    `stored` is every stored unit's parent code; the file's rows replace their own entries."""
    tree = dict(stored)
    for code, parent in zip(codes, parents, strict=True):
        if code is not None:
            tree[code] = parent
    out: list[tuple[int, str, dict[str, Any]]] = []
    for j, (code, parent) in enumerate(zip(codes, parents, strict=True)):
        if code is None or parent is None:
            continue
        if parent == code:
            out.append((j, "excel.own_parent", {}))
            continue
        path, seen, at = [code, parent], {code, parent}, tree.get(parent)
        while at is not None and at not in seen:
            path.append(at)
            seen.add(at)
            at = tree.get(at)
        if at == code:
            out.append((j, "excel.parent_cycle", {"path": " → ".join([*path, code])}))
    return out
