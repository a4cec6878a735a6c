"""The demo meetings' minutes, built as dashboard/services/minutes.assemble builds them (as at the day they were
circulated, three days after the meeting), hashed in Python, and the audit entries that record their locking.

Each community's minutes chain: every minutes prints the hash of the community's previous locked minutes.
"""

import datetime as dt
from typing import Any

from dashboard.services.meeting_types import (
    MinutesAction,
    MinutesAttendance,
    MinutesContent,
    MinutesDecision,
    MinutesItem,
    text_sha256,
)
from seed.common import Columns

SIGNING = ["GOV", "PLT", "ASN", "SW"]          # the four parties, in the order they sign
FOUR = ("government", "platform", "association", "social_work")
OPEN = ("open", "in_progress")
CIRCULATED_AFTER = 3                           # days after the meeting
WINDOW_DAYS = 10                               # the amendment window's last day, after the meeting
OPEN_WINDOW_UNTIL = "2026-12-15"               # the latest meeting's minutes are still out for amendment
Row = dict[str, Any]


def _day(text: object) -> dt.date:
    return dt.date.fromisoformat(str(text))


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(2), dt.UTC)


class MinutesBook:
    """Keeps, per community, the previous locked hash and the action items decided so far (for 落实情况)."""

    def __init__(self, party: Columns) -> None:
        self.name = dict(zip(party["id"], party["name"], strict=True))
        self.kind = dict(zip(party["id"], party["kind"], strict=True))
        self.code = dict(zip(party["id"], party["code"], strict=True))
        self.previous: dict[str, str] = {}
        self.decided: dict[str, list[tuple[Row, str]]] = {}

    @staticmethod
    def draft() -> Row:
        return {"minutes_status": "draft", "amend_until": None, "circulated_at": None, "minutes_text": None,
                "minutes_sha256": None, "locked_at": None, "version": 1}

    def _action(self, row: Row, on: dt.date, meeting_code: str, overdue: bool) -> MinutesAction:
        moved = row["_moved"]
        happened = moved is not None and _day(moved) <= on
        status = row["status"] if happened else "open"
        done_on = row["done_on"] if happened and status == "done" else None
        days = max((on - _day(row["due_on"])).days, 0) if overdue and status in OPEN else 0
        return MinutesAction(code=row["code"], title=row["title"], owner_party=self.name[row["owner_party_id"]],
                             owner_person=row["owner_person"], due_on=str(row["due_on"]), status=status,
                             done_on=done_on, meeting_code=meeting_code, days_overdue=days,
                             note=row["note"] if happened else "")

    def minutes(self, meeting: Row, ccode: str, cname: str, attendance: list[Row], items: list[Row],
                decisions: list[Row], actions: list[Row], signatures: list[Row], *, latest: bool) -> None:
        """Circulate the meeting's minutes; lock them with the four signatures unless it is the latest meeting."""
        held = _day(meeting["held_on"])
        on = held + dt.timedelta(days=CIRCULATED_AFTER)
        there = {self.kind[a["party_id"]] for a in attendance if a["status"] == "present"
                 or (a["status"] == "deputy" and a["deputy"])}
        quorate = all(k in there for k in FOUR)
        content_items = tuple(
            MinutesItem(order_no=i["order_no"], title=i["title"], presenter=self.name[i["presenter_party_id"]],
                        minutes=i["minutes"], source=i["source"], notes=i["notes"],
                        decisions=tuple(MinutesDecision(d["code"], d["text"], not quorate)
                                        for d in decisions if d["agenda_item_id"] == i["id"]))
            for i in items)
        carried = [self._action(r, on, code, True) for r, code in self.decided.get(ccode, [])]
        carried = [a for a in carried if a.status in OPEN]
        carried.sort(key=lambda a: (-a.days_overdue, a.due_on, a.code))
        content = MinutesContent(
            meeting_code=meeting["code"], title=meeting["title"], community=cname, held_on=held.isoformat(),
            starts_at=meeting["starts_at"], location=meeting["location"], quorate=quorate,
            attendance=tuple(MinutesAttendance(self.name[a["party_id"]], self.kind[a["party_id"]], a["status"],
                                               a["attendees"], a["deputy"]) for a in attendance),
            items=content_items,
            actions=tuple(self._action(r, on, meeting["code"], False)
                          for r in sorted(actions, key=lambda r: r["code"])),
            carried=tuple(carried), distribution=tuple(self.name[a["party_id"]] for a in attendance),
            previous_sha256=self.previous.get(ccode), assembled_at=_at(on).isoformat())
        text = content.to_json()
        digest = text_sha256(text)
        by_suffix = {self.code[a["party_id"]].rsplit("-", 1)[-1]: a["party_id"] for a in attendance}
        signers = SIGNING[:1] if latest else SIGNING
        for n, suffix in enumerate(signers, start=1):
            signatures.append({"meeting_id": meeting["id"], "party_id": by_suffix[suffix],
                               "signed_by": f"{ccode}-{suffix}".lower(),
                               "signed_at": _at(held + dt.timedelta(days=WINDOW_DAYS + n)).isoformat(),
                               "sha256": digest})
        meeting.update({"minutes_status": "circulated" if latest else "locked",
                        "amend_until": OPEN_WINDOW_UNTIL if latest else (held + dt.timedelta(days=WINDOW_DAYS))
                        .isoformat(),
                        "circulated_at": _at(on).isoformat(), "minutes_text": text,
                        "minutes_sha256": None if latest else digest,
                        "locked_at": None if latest else _at(held + dt.timedelta(days=WINDOW_DAYS + 4)).isoformat(),
                        "version": 2 if latest else 3})
        if not latest:
            self.previous[ccode] = digest
        self.decided.setdefault(ccode, []).extend((r, meeting["code"]) for r in actions)


def lock_entries(data: dict[str, Columns]) -> list[Row]:
    """One `minutes_lock` audit entry per locked demo minutes, as dashboard/services/minutes.sign writes it."""
    party = data["party"]
    name = dict(zip(party["id"], party["name"], strict=True))
    code = dict(zip(party["id"], party["code"], strict=True))
    sig = data["minutes_signature"]
    signed: dict[int, list[tuple[str, str]]] = {}
    last: dict[int, tuple[str, str]] = {}           # the fourth signature locked the minutes: its signer and time
    for mid, pid, by, at in zip(sig["meeting_id"], sig["party_id"], sig["signed_by"], sig["signed_at"], strict=True):
        signed.setdefault(mid, []).append((code[pid], f"{name[pid]}:{by}"))
        last[mid] = max(last.get(mid, ("", "")), (at, by))
    m = data["meeting"]
    out: list[Row] = []
    for mid, mcode, status, digest, locked_at in zip(m["id"], m["code"], m["minutes_status"], m["minutes_sha256"],
                                                      m["locked_at"], strict=True):
        if status != "locked":
            continue
        lines = [line for _, line in sorted(signed[mid])]
        out.append({"at": dt.datetime.fromisoformat(locked_at), "actor": last[mid][1], "action": "minutes_lock",
                    "entity": "meeting", "entity_id": mcode,
                    "before": {"minutes_status": "circulated"},
                    "after": {"minutes_status": "locked", "sha256": digest, "signatures": lines}})
    return out
