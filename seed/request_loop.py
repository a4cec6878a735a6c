"""Demo requests that walk the lifecycle (收集 → 处理 → 反馈) on the Chinese working-day calendar (issue 13, item 9).

Every request follows a script of steps in one fixed order: collect, classify, route, maybe 退回 and route again (a
second 退回 escalates to the parent unit), maybe 转办, accept, maybe a 不合理诉求 proposal, finish, report back in
the community's next livestream, call back (不满意 reopens: finish, report and call back again), close, and for a few
a 重新打开 after closing. Each step is taken for all requests at once: its day is a gap in working days after an
earlier step, counted on dashboard.services.workdays.Calendar. A request stops at the data's end, or where its
script stalls (a few are never routed, some never accepted or finished: those are overdue at the end).

The request's row is derived from the steps it took, so the row and its history (request_event) always agree.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from dashboard.services.workdays import Calendar
from seed.common import DATA_END, Columns
from seed.request_script import Script, Step, WorkdayTable, history, request_columns

# The deadlines per priority: the same numbers migration 0008 puts into request_sla.
SLA_DAYS = {"urgent": 1, "general": 5, "complex": 15}

# Routing per category: (lead, alternative) unit for an urban community, then for a rural one. The alternative is
# where a wrong first routing goes (then 退回 or 转办), and the supporting unit (协办) where it is not the top unit.
ROUTES: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "parcel_stacking": (("property_management", "postal_logistics"), ("village_committee", "postal_logistics")),
    "livestream_noise": (("residents_committee", "urban_management"), ("village_committee", "township_government")),
    "road_lighting": (("street_office", "urban_management"), ("township_government", "village_committee")),
    "sanitation": (("urban_management", "property_management"), ("village_committee", "township_government")),
    "logistics": (("postal_logistics", "platform"), ("postal_logistics", "platform")),
    "training": (("association", "human_resources"), ("association", "human_resources")),
    "rights_dispute": (("platform", "market_regulation"), ("platform", "market_regulation")),
    "public_facilities": (("street_office", "residents_committee"), ("township_government", "village_committee")),
    "other": (("residents_committee", "street_office"), ("village_committee", "township_government")),
}
SWAPPED = {"training": 0.3, "rights_dispute": 0.3}    # share that goes to the alternative as its lead unit
PRIORITY = {
    "parcel_stacking": {"urgent": 45, "general": 55}, "livestream_noise": {"urgent": 35, "general": 65},
    "road_lighting": {"general": 70, "complex": 30}, "sanitation": {"urgent": 20, "general": 80},
    "logistics": {"general": 80, "complex": 20}, "training": {"complex": 100},
    "rights_dispute": {"general": 60, "complex": 40}, "public_facilities": {"complex": 100},
    "other": {"general": 80, "complex": 20},
}

# Where a request's script stalls: it never gets past this status (the rest go all the way). 6 = no stall.
STALL = {0: 0.004, 1: 0.006, 2: 0.015, 3: 0.03, 4: 0.006, 5: 0.015, 6: 0.924}
LATE_ROUTING = 0.12        # routed more than one working day after collection (响应率 below 100%)
LATE_FINISH = 0.08         # finished after the deadline
SHARES = {
    "send_back": 0.06, "second_send_back": 0.35, "transfer": 0.05, "support": 0.08, "unreasonable": 0.04,
    "reopen_after_close": 0.03, "stall_after_reopen": 0.3,
}
OUTCOMES = {"solved": 70, "partly_solved": 14, "explained": 12, "unreasonable": 4}
RETURN_REASONS = {"not_our_remit": 60, "information_missing": 30, "other": 10}
SECOND_RETURN_REASONS = {"other": 50, "information_missing": 30, "not_our_remit": 20}
CALLBACKS = {  # by outcome: 满意, 基本满意, 不满意 (reopens), unreachable after 3 tries
    "solved": (62, 25, 3, 10), "partly_solved": (40, 35, 10, 15), "explained": (40, 35, 10, 15),
    "unreasonable": (10, 30, 30, 30),
}
CALLBACK_RESULTS = ("satisfied", "basically_satisfied", "dissatisfied", "unreachable")
LAST_CALLBACK = (60, 25, 0, 15)                       # after a reopening: no second 不满意 in the demo

RESOLUTION = {
    "solved": "已协调相关部门处理完毕", "partly_solved": "已部分处理，剩余问题列入下季度计划",
    "explained": "已向居民解释相关政策和办理情况", "unreasonable": "经核实，诉求超出政策和合同约定范围，不予支持",
}
RETURN_NOTE = {"not_our_remit": "不属于本单位职责范围", "information_missing": "诉求地点和联系方式不详，请补充后再转",
               "other": "涉及多个部门，需上级统筹协调"}
TRANSFER_NOTE = "职责划分调整，转主责单位办理"
ESCALATE_NOTE = "两次退回，自动升级至上级单位"
REOPEN_NOTE = "回访不满意：问题仍未解决"
LATE_REOPEN_NOTE = "居民在直播中反映问题复发"
SOCIAL_WORKER, SUPERVISOR = "社工", "社工督导"

def _choose(rng: np.random.Generator, n: int, labels: tuple[str, ...] | list[str],
            weights: np.ndarray) -> np.ndarray:
    """One label per row, each row with its own weights (rows of `weights`)."""
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    k = (rng.random(n)[:, None] > cum).sum(axis=1)
    return np.asarray(labels, dtype=object)[np.minimum(k, len(labels) - 1)]


def _pick(rng: np.random.Generator, n: int, shares: Mapping[str, float]) -> np.ndarray:
    return _choose(rng, n, list(shares), np.tile(np.array(list(shares.values()), dtype=float), (n, 1)))


def _finished(outcome: np.ndarray, unit: np.ndarray) -> dict[str, object]:
    """What a finish step records: the outcome and what was done (also its note), by the lead unit."""
    text = np.array([RESOLUTION[o] for o in outcome], dtype=object)
    return {"from_unit": unit, "note": text, "extra": {"outcome": outcome, "resolution": text}}


def _gap(rng: np.random.Generator, n: int, lo: int, hi: int) -> np.ndarray:
    """Working days, lo to hi inclusive."""
    return rng.integers(lo, hi + 1, size=n)


@dataclass(frozen=True)
class Units:
    """The demo's units per community: ids by (community index, key), the top unit, names and which are top."""

    ids: np.ndarray          # [community index, key index] -> unit id (0: the community has no such unit)
    keys: list[str]
    top: np.ndarray          # community index -> its top unit's id
    names: np.ndarray        # unit id -> name (index 0 unused)

    def of(self, ci: np.ndarray, key: np.ndarray) -> np.ndarray:
        index = {k: i for i, k in enumerate(self.keys)}
        return self.ids[ci, np.array([index[k] for k in key], dtype=int)]


def walk(rng: np.random.Generator, *, raised: np.ndarray, ci: np.ndarray, rural: np.ndarray,
         category: np.ndarray, units: Units, first_session: np.ndarray, weeks: int, session_codes: np.ndarray,
         calendar: Calendar | None = None) -> tuple[Columns, Columns, Columns, Columns]:
    """The requests' lifecycle columns, their events, supporting units and callbacks.

    `raised`: each request's livestream day; `ci`: its community's index; `first_session`: each community's first
    livestream day (then weekly, `weeks` of them; report-back happens in the next one after 已办结)."""
    n = len(raised)
    wd = WorkdayTable.build(calendar or Calendar())
    rural_c = rural[ci]

    # Who handles what.
    lead_key = np.array([ROUTES[c][int(r)][0] for c, r in zip(category, rural_c, strict=True)], dtype=object)
    alt_key = np.array([ROUTES[c][int(r)][1] for c, r in zip(category, rural_c, strict=True)], dtype=object)
    swap = np.zeros(n, dtype=bool)
    for cat, share in SWAPPED.items():
        swap |= (category == cat) & (rng.random(n) < share)
    lead_key, alt_key = np.where(swap, alt_key, lead_key), np.where(swap, lead_key, alt_key)
    lead, alt, top = units.of(ci, lead_key), units.of(ci, alt_key), units.top[ci]
    priority = np.full(n, "general", dtype=object)
    for cat, shares in PRIORITY.items():
        rows = category == cat
        priority[rows] = _pick(rng, int(rows.sum()), shares)
    sla = np.array([SLA_DAYS[p] for p in priority], dtype=int)

    # The script's choices, drawn for every request (a choice counts only if the request gets that far).
    stall = rng.choice(list(STALL), size=n, p=np.array(list(STALL.values())) / sum(STALL.values()))
    send_back = rng.random(n) < SHARES["send_back"]
    second = send_back & (lead != top) & (rng.random(n) < SHARES["second_send_back"])
    transfer = ~send_back & (alt != lead) & (rng.random(n) < SHARES["transfer"])
    reason1 = _pick(rng, n, RETURN_REASONS)
    reason2 = _pick(rng, n, SECOND_RETURN_REASONS)
    unit1 = np.where(transfer | (send_back & (reason1 == "not_our_remit")), alt, lead)
    late_routing = rng.random(n) < LATE_ROUTING
    late_finish = rng.random(n) < LATE_FINISH
    outcome1 = _pick(rng, n, OUTCOMES)
    unreasonable = outcome1 == "unreasonable"
    outcome2 = _pick(rng, n, {"solved": 70, "partly_solved": 20, "explained": 10})
    cb_weights = np.array([CALLBACKS[o] for o in outcome1], dtype=float)
    result1 = _choose(rng, n, CALLBACK_RESULTS, cb_weights)
    last_weights = np.tile(np.array(LAST_CALLBACK, dtype=float), (n, 1))
    result2 = _choose(rng, n, CALLBACK_RESULTS, last_weights)
    result3 = _choose(rng, n, CALLBACK_RESULTS, last_weights)
    tries = [np.where(r == "unreachable", 3, rng.choice([1, 2, 3], size=n, p=[0.7, 0.2, 0.1]))
             for r in (result1, result2, result3)]
    late_reopen = rng.random(n) < SHARES["reopen_after_close"]
    stall_after_reopen = rng.random(n) < SHARES["stall_after_reopen"]

    def handled(start: np.ndarray) -> np.ndarray:
        """Finished this many working days after the latest 转办: within the deadline, or a little after it."""
        on_time = np.maximum(1, np.ceil(sla * rng.uniform(0.25, 1.0, size=n))).astype(int)
        late = sla + rng.integers(1, 3 + sla // 3)
        return wd.add(start, np.where(late_finish, late, on_time))

    def next_session(day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The community's next livestream strictly after `day` (its week number; past the last: after the end)."""
        week = (day - first_session[ci]).astype(int) // 7 + 1
        held = first_session[ci] + (7 * week).astype("timedelta64[D]")
        return np.where(week < weeks, held, DATA_END + 1), week

    names = units.names
    s = Script(raised, DATA_END)
    s.take("collect", None, "collected", True, raised, actor=SOCIAL_WORKER)
    s.stop(stall < 1)
    s.take("classify", "collected", "classified", True, wd.add(raised, _gap(rng, n, 0, 1)), actor=SOCIAL_WORKER)
    s.stop(stall < 2)
    routing = np.where(late_routing, _gap(rng, n, 2, 6), _gap(rng, n, 0, 1))
    s.take("route", "classified", "routed", True, wd.add(raised, routing), actor=SOCIAL_WORKER, to_unit=unit1)
    routed_on = s.day.copy()
    back1 = s.take("send_back", "routed", "classified", send_back, wd.add(s.day, _gap(rng, n, 1, 2)),
                   actor=names[unit1], from_unit=unit1, reason=reason1,
                   note=np.array([RETURN_NOTE[r] for r in reason1], dtype=object))
    route2 = s.take("route", "classified", "routed", send_back, wd.add(s.day, _gap(rng, n, 0, 1)),
                    actor=SOCIAL_WORKER, to_unit=lead)
    back1.mask &= ~(back1.mask & ~route2.mask)      # sent back at the data's end: shown before the 退回
    s.take("send_back", "routed", "classified", second, wd.add(s.day, _gap(rng, n, 1, 3)), actor=names[lead],
           from_unit=lead, reason=reason2, note=np.array([RETURN_NOTE[r] for r in reason2], dtype=object))
    escalate = s.take("escalate", "classified", "routed", second, s.day, actor=names[lead], from_unit=lead,
                      to_unit=top, note=ESCALATE_NOTE, joins=True)
    moved = s.take("transfer", "routed", "routed", transfer, wd.add(s.day, _gap(rng, n, 1, 2)),
                   actor=names[unit1], from_unit=unit1, to_unit=lead, note=TRANSFER_NOTE)
    for step in (route2, escalate, moved):
        routed_on = np.where(step.mask, step.day, routed_on)
    handler = np.where(escalate.mask, top, lead)
    s.stop(stall < 3)
    s.take("accept", "routed", "in_progress", True, wd.add(s.day, _gap(rng, n, 0, 1)), actor=names[handler],
           to_unit=handler)
    s.stop(stall < 4)
    finish_day = handled(routed_on)
    s.take("propose_unreasonable", "in_progress", "in_progress", unreasonable, finish_day, actor=names[handler],
           note=RESOLUTION["unreasonable"])
    finish_day = np.where(unreasonable, wd.add(np.maximum(finish_day, s.day), _gap(rng, n, 1, 2)), finish_day)
    s.take("finish", "in_progress", "resolved", True, finish_day,
           actor=np.where(unreasonable, SUPERVISOR, names[handler]), **_finished(outcome1, handler))
    s.stop(stall < 5)

    def feed_back(rows: np.ndarray | bool, result: np.ndarray, tried: np.ndarray) -> Step:
        held, week = next_session(s.day)
        sid = ci * weeks + week + 1
        s.take("report", "resolved", "reported", rows, held, actor=SOCIAL_WORKER,
               note=session_codes[np.clip(sid - 1, 0, len(session_codes) - 1)], extra={"session": sid})
        return s.take("callback", "reported", "reported", rows, wd.add(s.day, _gap(rng, n, 1, 5)),
                      actor=SOCIAL_WORKER, note=result, extra={"result": result, "tries": tried})

    called = feed_back(True, result1, tries[0])
    unhappy = called.mask & (result1 == "dissatisfied")
    s.take("reopen", "reported", "in_progress", unhappy, s.day, actor=SOCIAL_WORKER, note=REOPEN_NOTE, joins=True)
    s.take("finish", "in_progress", "resolved", unhappy, wd.add(s.day, _gap(rng, n, 2, 8)),
           actor=names[handler], **_finished(outcome2, handler))
    feed_back(unhappy, result2, tries[1])
    s.stop(stall < 6)
    closed = s.take("close", "reported", "closed", True, wd.add(s.day, _gap(rng, n, 0, 3)), actor=SOCIAL_WORKER)
    again = closed.mask & late_reopen
    s.take("reopen", "closed", "in_progress", again, wd.add(s.day, _gap(rng, n, 5, 20)), actor=SOCIAL_WORKER,
           note=LATE_REOPEN_NOTE)
    s.stop(again & stall_after_reopen)
    s.take("finish", "in_progress", "resolved", again, wd.add(s.day, _gap(rng, n, 2, 10)), actor=names[handler],
           **_finished(outcome2, handler))
    feed_back(again, result3, tries[2])
    s.take("close", "reported", "closed", again, wd.add(s.day, _gap(rng, n, 0, 3)), actor=SOCIAL_WORKER)

    req = request_columns(s.steps, n, wd, sla, priority)
    final = req.pop("lead")
    support = (final > 0) & (alt != final) & (alt != top) & (rng.random(n) < SHARES["support"])
    supports: Columns = {"request_id": np.flatnonzero(support) + 1, "unit_id": alt[support]}
    events, callbacks = history(rng, s.steps)
    return req, events, supports, callbacks
