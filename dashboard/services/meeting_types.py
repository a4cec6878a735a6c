"""The shapes the joint meeting's modules pass each other: a proposed agenda item, the inputs of the page's forms,
and the minutes' content (what is circulated, signed, hashed, and turned into Word and PDF).

MinutesContent is plain data: `to_json` is canonical (sorted keys, no whitespace variance), and the locked minutes
store exactly that JSON in `meeting.minutes_text`, so the .docx and PDF of locked minutes are rebuilt from what was
signed, never from today's rows.
"""

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Proposal:
    """One item the agenda builder proposes. `lines` are the figures that put it there, in the user's language;
    `evidence` the same as data (JSON-able), stored on the saved item."""

    source: str                         # AgendaSource value
    title: str
    presenter_party_id: int | None
    minutes: int
    lines: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AgendaInput:
    """An item as the user leaves it in the editor (accepted proposals, edited or added by hand), in order."""

    title: str
    presenter_party_id: int | None
    minutes: int
    source: str = "manual"
    evidence: str = ""                  # JSON text
    notes: str = ""


@dataclass(frozen=True)
class AttendanceInput:
    party_id: int
    status: str                         # AttendanceStatus value
    attendees: str = ""                 # named representatives, 、-separated
    deputy: str = ""                    # required when status is deputy


@dataclass(frozen=True)
class MinutesAttendance:
    party: str
    party_kind: str
    status: str
    attendees: str
    deputy: str


@dataclass(frozen=True)
class MinutesDecision:
    code: str
    text: str
    provisional: bool                   # the meeting was not quorate


@dataclass(frozen=True)
class MinutesAction:
    code: str
    title: str
    owner_party: str
    owner_person: str
    due_on: str                         # ISO date
    status: str                         # ActionStatus value, as at assembly
    done_on: str | None = None
    meeting_code: str = ""              # the meeting that decided it (for carried-over items)
    days_overdue: int = 0               # as at assembly; 0 when not overdue
    note: str = ""


@dataclass(frozen=True)
class MinutesItem:
    order_no: int
    title: str
    presenter: str                      # party name, "" when none
    minutes: int
    source: str
    notes: str
    decisions: tuple[MinutesDecision, ...] = ()


@dataclass(frozen=True)
class MinutesSignatureLine:
    party: str
    signed_by: str
    signed_at: str                      # ISO timestamp, UTC


@dataclass(frozen=True)
class MinutesContent:
    meeting_code: str
    title: str
    community: str
    held_on: str                        # ISO date
    starts_at: str                      # HH:MM
    location: str
    quorate: bool
    attendance: tuple[MinutesAttendance, ...]
    items: tuple[MinutesItem, ...]
    actions: tuple[MinutesAction, ...]          # decided at this meeting
    carried: tuple[MinutesAction, ...]          # 上次决议落实情况: open items of earlier meetings, as at assembly
    distribution: tuple[str, ...]               # 分送: the parties (names) the minutes go to
    previous_sha256: str | None = None          # the community's previous locked minutes (printed in these)
    assembled_at: str = ""                      # ISO timestamp, UTC

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def sha256(self) -> str:
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    @staticmethod
    def from_json(text: str) -> "MinutesContent":
        d = json.loads(text)
        return MinutesContent(
            **{**d,
               "attendance": tuple(MinutesAttendance(**a) for a in d["attendance"]),
               "items": tuple(MinutesItem(**{**i, "decisions": tuple(MinutesDecision(**x) for x in i["decisions"])})
                              for i in d["items"]),
               "actions": tuple(MinutesAction(**a) for a in d["actions"]),
               "carried": tuple(MinutesAction(**a) for a in d["carried"]),
               "distribution": tuple(d["distribution"])})


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def iso(value: dt.date | dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()
