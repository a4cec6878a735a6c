"""四方联席会议: meetings, who attended, the agenda, decisions, action items and the signed minutes.

A meeting's minutes go draft -> circulated (for amendment until `amend_until`) -> locked, once every one of the four
parties (government, platform, association, social work) has signed the circulated text. Locked minutes never
change: `minutes_text` is what was signed, its SHA-256 is in the audit chain, and a correction is an addendum.
Action items live on after the lock: their status moves (with a history in `action_update`) until done or
cancelled, and an open one appears in every later meeting's 上次决议落实情况.
"""

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data_models.base import ck, code_field, enum_field
from data_models.enums import ActionStatus, AgendaSource, AttendanceStatus, MeetingKind, MinutesStatus


class Meeting(SQLModel, table=True):
    __table_args__ = (
        sa.Index("ix_meeting_community_quarter", "community_id", "quarter"),
        ck("version >= 1", "version_positive"),
        ck("length(starts_at) = 5", "starts_at_hhmm"),
        ck("minutes_status != 'locked' OR (minutes_sha256 IS NOT NULL AND locked_at IS NOT NULL)", "locked_has_hash"),
        ck("minutes_status = 'draft' OR amend_until IS NOT NULL", "circulated_has_window"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    community_id: int = Field(foreign_key="community.id")
    kind: MeetingKind = enum_field(MeetingKind, default=MeetingKind.joint_four_party)
    title: str = Field(max_length=200)
    held_on: dt.date
    quarter: str = Field(max_length=6, index=True)
    location: str = Field(default="", max_length=200)
    starts_at: str = Field(default="09:30", max_length=5)          # HH:MM, local time: the agenda's estimated end
    minutes_status: MinutesStatus = enum_field(MinutesStatus, default=MinutesStatus.draft)
    amend_until: dt.date | None = None                               # the circulation window's last day
    circulated_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    minutes_text: str | None = Field(default=None, sa_type=sa.Text)  # the circulated, then the signed text
    minutes_sha256: str | None = Field(default=None, max_length=64)
    locked_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    version: int = 1                                                 # compare-and-set for every move


class MeetingAttendance(SQLModel, table=True):
    """One row per party invited. `attendees`: the named representatives; `deputy`: who came in their place."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (ck("status != 'deputy' OR length(deputy) > 0", "deputy_named"),)

    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", primary_key=True)
    party_id: int = Field(foreign_key="party.id", primary_key=True)
    attendees: str = Field(default="", max_length=300)
    status: AttendanceStatus = enum_field(AttendanceStatus, default=AttendanceStatus.present)
    deputy: str = Field(default="", max_length=100)


class AgendaItem(SQLModel, table=True):
    __tablename__ = "agenda_item"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "order_no", name="uq_agenda_item_meeting_order"),
        ck("order_no >= 1", "order_positive"),
        ck("minutes > 0", "minutes_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    order_no: int
    title: str = Field(max_length=300)
    presenter_party_id: int | None = Field(default=None, foreign_key="party.id")
    minutes: int = 10
    source: AgendaSource = enum_field(AgendaSource, default=AgendaSource.manual)
    evidence: str = Field(default="", sa_type=sa.Text)     # the figures that proposed it (JSON), for the record
    notes: str = Field(default="", sa_type=sa.Text)        # what was said, for the minutes


class Decision(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    agenda_item_id: int | None = Field(default=None, foreign_key="agenda_item.id")
    text: str = Field(max_length=1000)


class ActionItem(SQLModel, table=True):
    __tablename__ = "action_item"
    __table_args__ = (
        ck("due_on >= created_on", "due_after_created"),
        ck("done_on IS NULL OR done_on >= created_on", "done_after_created"),
        ck("status != 'done' OR done_on IS NOT NULL", "done_has_date"),
        ck("version >= 1", "version_positive"),
        sa.Index("ix_action_item_status_due", "status", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    decision_id: int | None = Field(default=None, foreign_key="decision.id")
    title: str = Field(max_length=300)
    owner_party_id: int = Field(foreign_key="party.id", index=True)
    owner_person: str = Field(default="", max_length=100)    # the named person who owes it
    created_on: dt.date
    due_on: dt.date
    status: ActionStatus = enum_field(ActionStatus, default=ActionStatus.open)
    done_on: dt.date | None = None
    note: str = Field(default="", max_length=500)            # the owner's latest word on it
    updated_by: str | None = Field(default=None, max_length=64)
    updated_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    version: int = 1


class ActionUpdate(SQLModel, table=True):
    """Every status move of an action item: who, when, from, to, and the note they gave."""

    __tablename__ = "action_update"

    id: int | None = Field(default=None, primary_key=True)
    action_item_id: int = Field(foreign_key="action_item.id", ondelete="CASCADE", index=True)
    at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))
    by: str = Field(max_length=64)
    from_status: ActionStatus = enum_field(ActionStatus, check_name="from_status")
    to_status: ActionStatus = enum_field(ActionStatus, check_name="to_status")
    note: str = Field(default="", max_length=500)


class MinutesSignature(SQLModel, table=True):
    """会签: a party's account signed the circulated text whose hash is `sha256`."""

    __tablename__ = "minutes_signature"

    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", primary_key=True)
    party_id: int = Field(foreign_key="party.id", primary_key=True)
    signed_by: str = Field(max_length=64)
    signed_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))
    sha256: str = Field(max_length=64)


class MinutesAddendum(SQLModel, table=True):
    """A correction to locked minutes: numbered per meeting, its own hash in the audit chain."""

    __tablename__ = "minutes_addendum"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "no", name="uq_minutes_addendum_meeting_no"),
                      ck("no >= 1", "no_positive"))

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    no: int
    text: str = Field(sa_type=sa.Text)
    sha256: str = Field(max_length=64)
    created_by: str = Field(max_length=64)
    created_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))
