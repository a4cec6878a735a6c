"""The machinery of the demo requests' scripts (seed/request_loop.py): working days for many dates at once, the
steps taken, and the rows they leave behind (the request's columns, its events and its callbacks)."""

from dataclasses import dataclass, field

import numpy as np

from dashboard.services.workdays import Calendar
from seed.common import Columns, iso, shared, stamp_text, to_date

CAL_START = np.datetime64("2025-01-01")
CAL_END = np.datetime64("2027-12-31")


@dataclass(frozen=True)
class WorkdayTable:
    """The Calendar's working days as arrays, to count working days for many dates at once."""

    start: np.datetime64
    upto: np.ndarray        # upto[i]: working days from `start` to start + i, inclusive
    workdays: np.ndarray    # the working days, in order

    @classmethod
    def build(cls, calendar: Calendar, start: np.datetime64 = CAL_START,
              end: np.datetime64 = CAL_END) -> "WorkdayTable":
        days = np.arange(start, end + 1, dtype="datetime64[D]")
        flags = np.fromiter((calendar.is_workday(to_date(d)) for d in days), dtype=bool, count=len(days))
        return cls(start, np.cumsum(flags), days[flags])

    def add(self, dates: np.ndarray, n: np.ndarray | int) -> np.ndarray:
        """The n-th working day after each date (n = 0: the date itself), as Calendar.add_working_days."""
        i = (dates - self.start).astype(int)
        if len(i) and (i.min() < 0 or i.max() >= len(self.upto)):
            raise ValueError("a date outside the demo calendar")
        n = np.broadcast_to(np.asarray(n), i.shape)
        k = np.where(n == 0, 0, self.upto[i] + n - 1)
        if len(k) and k.max() >= len(self.workdays):
            raise ValueError("a working day past the end of the demo calendar")
        return np.where(n == 0, dates, self.workdays[k])


@dataclass
class Step:
    """One step of the script: the requests that took it (`mask`), on which day, and what it records."""

    move: str
    from_status: str | None
    to_status: str
    mask: np.ndarray
    day: np.ndarray
    actor: np.ndarray | str
    from_unit: np.ndarray | int = 0          # unit ids; 0 = none
    to_unit: np.ndarray | int = 0
    reason: np.ndarray | None = None
    note: np.ndarray | str = ""
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    joins: bool = False                      # written by the previous step's move (one version, one audit entry)


class Script:
    """The steps taken so far; `go` is False for a request that has stopped (stalled or reached the data's end)."""

    def __init__(self, start: np.ndarray, end: np.datetime64) -> None:
        self.day = start.copy()
        self.go = np.ones(len(start), dtype=bool)
        self.end = end
        self.steps: list[Step] = []

    def take(self, move: str, frm: str | None, to: str, rows: np.ndarray | bool, day: np.ndarray,
             **fields: object) -> Step:
        """Take a step where `rows` and the request still goes; never on a day before its last step. A step that
        would fall after the data's end is not taken, and the request stops there."""
        day = np.maximum(day, self.day)
        mask = self.go & rows
        late = mask & (day > self.end)
        self.go &= ~late
        mask &= ~late
        self.day = np.where(mask, day, self.day)
        step = Step(move, frm, to, mask, day, **fields)  # type: ignore[arg-type]
        self.steps.append(step)
        return step

    def stop(self, rows: np.ndarray) -> None:
        self.go &= ~rows


def request_columns(steps: list[Step], n: int, wd: WorkdayTable, sla: np.ndarray,
                     priority: np.ndarray) -> Columns:
    """What the steps leave behind on the request row (the service keeps the same columns on each move)."""
    nat = np.datetime64("NaT", "D")
    none = np.array(None, dtype=object)
    status = np.full(n, "collected", dtype=object)
    lead = np.zeros(n, dtype=int)
    first_routed, routed, resolved, closed = (np.full(n, nat) for _ in range(4))
    outcome = np.full(n, None, dtype=object)
    resolution = np.full(n, "", dtype=object)
    proposed_by = np.full(n, None, dtype=object)
    agreed_by = np.full(n, None, dtype=object)
    session = np.zeros(n, dtype=int)
    satisfaction = np.full(n, None, dtype=object)
    tries = np.zeros(n, dtype=int)
    counts = {m: np.zeros(n, dtype=int) for m in ("reopen", "send_back", "escalate")}
    version = np.zeros(n, dtype=int)
    for st in steps:
        m = st.mask
        status[m] = st.to_status
        version += m & (not st.joins)
        if st.move in counts:
            counts[st.move] += m
        if st.move in ("route", "transfer", "escalate"):
            lead = np.where(m, st.to_unit, lead)
            routed = np.where(m, st.day, routed)
            first_routed = np.where(m & np.isnat(first_routed), st.day, first_routed)
        elif st.move == "propose_unreasonable":
            proposed_by = np.where(m, st.actor, proposed_by)
            resolution = np.where(m, st.note, resolution)
        elif st.move == "finish":
            outcome = np.where(m, st.extra["outcome"], outcome)
            resolution = np.where(m, st.extra["resolution"], resolution)
            resolved = np.where(m, st.day, resolved)
            agreed_by = np.where(m & (outcome == "unreasonable"), st.actor, agreed_by)
        elif st.move == "report":
            session = np.where(m, st.extra["session"], session)
        elif st.move == "callback":
            satisfaction = np.where(m, st.extra["result"], satisfaction)
            tries = np.where(m, st.extra["tries"], tries)
        elif st.move == "close":
            closed = np.where(m, st.day, closed)
        elif st.move == "reopen":
            # Back to 办理中 (as dashboard.services.requests.REOPENED): the outcome, the report-back and the closing
            # are to be done again. A reopening of its own (not by a 不满意 callback) also asks for a new callback.
            outcome = np.where(m, none, outcome)
            proposed_by, agreed_by = np.where(m, none, proposed_by), np.where(m, none, agreed_by)
            resolved, closed = np.where(m, nat, resolved), np.where(m, nat, closed)
            session = np.where(m, 0, session)
            if not st.joins:
                satisfaction, tries = np.where(m, none, satisfaction), np.where(m, 0, tries)
    is_routed = lead > 0
    deadline = np.where(is_routed, wd.add(np.where(is_routed, routed, CAL_START), np.where(is_routed, sla, 0)), nat)
    return {
        "priority": priority, "lead": lead, "lead_unit_id": _ids(lead),
        "first_routed_on": iso(first_routed), "routed_on": iso(routed), "deadline": iso(deadline),
        "status": status, "resolved_on": iso(resolved), "outcome": outcome, "resolution": resolution,
        "unreasonable_by": proposed_by, "unreasonable_agreed_by": agreed_by,
        "reported_session_id": _ids(session),
        "satisfaction": satisfaction, "callback_tries": tries, "closed_on": iso(closed),
        "reopen_count": counts["reopen"], "return_count": counts["send_back"],
        "escalation_level": counts["escalate"], "version": version,
    }


def _column(steps: list[Step], taken: list[np.ndarray], name: str, default: object) -> np.ndarray:
    """One event column: each step's value for the requests that took it, steps one after another."""
    parts = []
    for st, idx in zip(steps, taken, strict=True):
        value = getattr(st, name) if name in Step.__dataclass_fields__ else st.extra.get(name)
        if value is None:
            value = default
        parts.append(value[idx] if isinstance(value, np.ndarray) else np.full(len(idx), value, dtype=object))
    return np.concatenate(parts) if parts else np.array([], dtype=object)


def _stamps(days: np.ndarray, seconds: np.ndarray) -> list[str]:
    """A UTC timestamp per day, `seconds` after midnight, as the bulk loader takes it."""
    return stamp_text(days.astype("datetime64[s]") + seconds.astype("timedelta64[s]"))  # type: ignore[return-value]


def _ids(values: np.ndarray) -> list[object]:
    """Ids with None for 0, each id one object however many rows hold it."""
    ids = values.astype(int)
    if not len(ids):
        return []
    lut = np.array([None, *range(1, int(ids.max()) + 1)], dtype=object)
    return lut[ids].tolist()


def history(rng: np.random.Generator, steps: list[Step]) -> tuple[Columns, Columns]:
    """request_event rows (per request in the order taken; the time of day rises with the step) and the
    request_callback rows (one per callback event)."""
    taken = [np.flatnonzero(st.mask) for st in steps]
    req = np.concatenate(taken)
    step_no = np.concatenate([np.full(len(idx), k) for k, idx in enumerate(taken)])
    order = np.lexsort((step_no, req))
    req, step_no = req[order], step_no[order]

    def column(name: str, default: object = None) -> np.ndarray:
        return _column(steps, taken, name, default)[order]

    def labels(name: str, default: object = None) -> np.ndarray:
        return shared(column(name, default))

    day = column("day")
    # 09:00 Beijing time (01:00 UTC) onwards, 24 minutes per step of the script: never backwards in a request.
    at = _stamps(day, 3600 + 1440 * step_no + rng.integers(0, 1200, size=len(order)))
    move = labels("move")
    n_ev = len(order)
    events: Columns = {
        "id": np.arange(1, n_ev + 1), "request_id": req + 1, "move": move, "from_status": labels("from_status"),
        "to_status": labels("to_status"), "on": iso(day.astype("datetime64[D]")), "at": at,
        "actor": labels("actor"), "from_unit_id": _ids(column("from_unit", 0)),
        "to_unit_id": _ids(column("to_unit", 0)),
        "reason_code": labels("reason"), "note": labels("note", ""),
    }
    call = move == "callback"
    n_cb = int(call.sum())
    callbacks: Columns = {
        "id": np.arange(1, n_cb + 1), "request_id": req[call] + 1,
        "called_on": iso(day[call].astype("datetime64[D]")),
        "result": labels("result")[call], "tries": column("tries", 0)[call].astype(int),
        "actor": events["actor"][call],
        "at": [a for a, c in zip(at, call.tolist(), strict=True) if c], "note": np.full(n_cb, "", dtype=object),
    }
    return events, callbacks
