"""直播治理诉求: weekly governance livestreams and the requests residents raise in them."""

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data_models.base import ck, code_field, enum_field
from data_models.core import utcnow
from data_models.enums import Department, LivestreamPlatform, RequestCategory, RequestStatus


class LivestreamSession(SQLModel, table=True):
    __tablename__ = "livestream_session"
    __table_args__ = (
        ck("viewers >= 0", "viewers_nonnegative"),
        sa.Index("ix_livestream_session_community_quarter", "community_id", "quarter"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    community_id: int = Field(foreign_key="community.id")
    held_on: dt.date
    quarter: str = Field(max_length=6, index=True)
    title: str = Field(default="", max_length=200)
    hosts: str = Field(default="", max_length=200)
    platform: LivestreamPlatform = enum_field(LivestreamPlatform)
    viewers: int = 0


class Request(SQLModel, table=True):
    """诉求: raised in a livestream, routed to a department with a deadline, reported back in a later one."""

    __table_args__ = (
        ck("deadline >= raised_on", "deadline_after_raised"),
        ck("resolved_on IS NULL OR resolved_on >= raised_on", "resolved_after_raised"),
        ck("closed_on IS NULL OR closed_on >= raised_on", "closed_after_raised"),
        sa.Index("ix_request_community_quarter", "community_id", "quarter"),
        sa.Index("ix_request_status_deadline", "status", "deadline"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    session_id: int = Field(foreign_key="livestream_session.id", index=True)
    community_id: int = Field(foreign_key="community.id")
    raised_on: dt.date
    quarter: str = Field(max_length=6, index=True)
    category: RequestCategory = enum_field(RequestCategory, index=True)
    description: str = Field(default="", max_length=500)
    department: Department | None = enum_field(Department, default=None, index=True)
    deadline: dt.date
    status: RequestStatus = enum_field(RequestStatus, default=RequestStatus.collected)
    resolved_on: dt.date | None = None
    resolution: str = Field(default="", max_length=500)
    reported_session_id: int | None = Field(default=None, foreign_key="livestream_session.id")
    closed_on: dt.date | None = None


class RequestEvent(SQLModel, table=True):
    """One status change of a request: the history the lifecycle is checked against."""

    __tablename__ = "request_event"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", ondelete="CASCADE", index=True)
    from_status: RequestStatus | None = enum_field(RequestStatus, default=None, check_name="from_status")
    to_status: RequestStatus = enum_field(RequestStatus)
    at: dt.datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=64)
    note: str = Field(default="", max_length=500)
