"""四方联席会议: meetings, who attended, the agenda, decisions and action items."""

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data_models.base import ck, code_field, enum_field
from data_models.enums import ActionStatus, AgendaSource, MeetingKind


class Meeting(SQLModel, table=True):
    __table_args__ = (sa.Index("ix_meeting_community_quarter", "community_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    community_id: int = Field(foreign_key="community.id")
    kind: MeetingKind = enum_field(MeetingKind, default=MeetingKind.joint_four_party)
    title: str = Field(max_length=200)
    held_on: dt.date
    quarter: str = Field(max_length=6, index=True)
    location: str = Field(default="", max_length=200)


class MeetingAttendance(SQLModel, table=True):
    __tablename__ = "meeting_attendance"

    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", primary_key=True)
    party_id: int = Field(foreign_key="party.id", primary_key=True)
    attendees: str = Field(default="", max_length=300)
    present: bool = True


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
        sa.Index("ix_action_item_status_due", "status", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    decision_id: int | None = Field(default=None, foreign_key="decision.id")
    title: str = Field(max_length=300)
    owner_party_id: int = Field(foreign_key="party.id", index=True)
    created_on: dt.date
    due_on: dt.date
    status: ActionStatus = enum_field(ActionStatus, default=ActionStatus.open)
    done_on: dt.date | None = None
