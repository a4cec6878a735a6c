"""直播治理诉求: weekly governance livestreams, the requests residents raise in them, the units that handle them.

The lifecycle and every rule live in dashboard/services/requests.py; these tables only keep what it decided.
"""

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data_models.base import ck, code_field, enum_field
from data_models.core import utcnow
from data_models.enums import (
    CallbackResult,
    LivestreamPlatform,
    RequestCategory,
    RequestMove,
    RequestOutcome,
    RequestPriority,
    RequestSource,
    RequestStatus,
    ReturnReason,
    UnitKind,
)

# ix_request_topic's columns (migration 0024 creates it with these): what dashboard.queries.hot_topics filters on,
# groups by, sums, sorts by and returns. The text comes before the category: led by (quarter, category) the index
# drew SQLite's by-category counts of open requests away from ix_request_open (it saves their sort, then reads each
# row from the table: 9 to 30 ms at province scale).
TOPIC_INDEX = ("quarter", "description", "category", "status", "endorsements", "reopen_count", "raised_on", "code",
               "session_id", "community_id")
# ix_request_open's columns (migration 0026 added first_routed_on): the open requests' counts (open, overdue, at risk,
# waiting to be routed; by category and by unit) and the list's most urgent, read from a quarter's open ones alone.
OPEN_INDEX = ("quarter", "status", "community_id", "deadline", "raised_on", "code", "category", "lead_unit_id",
              "first_routed_on")


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


class Unit(SQLModel, table=True):
    """A routing target: a village committee, a township department, a platform, an association.

    `party_id` is the joint-meeting party whose staff act for the unit (a government office sees and answers what
    is routed to its units). `parent_id` receives the unit's escalations: after two 退回, or when overdue."""

    __table_args__ = (ck("parent_id IS NULL OR parent_id != id", "not_own_parent"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    name: str = Field(max_length=200)
    kind: UnitKind = enum_field(UnitKind, index=True)
    community_id: int | None = Field(default=None, foreign_key="community.id", index=True)
    township: str = Field(default="", max_length=100)
    party_id: int | None = Field(default=None, foreign_key="party.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="unit.id")
    is_active: bool = True


class Request(SQLModel, table=True):
    """诉求: raised in a livestream, routed to a unit with a deadline in working days, reported back in a later one.

    `version` is raised by every move: a move names the version it saw and is refused if another came first."""

    __table_args__ = (
        ck("deadline >= raised_on", "deadline_after_raised"),
        ck("routed_on >= raised_on", "routed_after_raised"),
        ck("resolved_on IS NULL OR resolved_on >= raised_on", "resolved_after_raised"),
        ck("closed_on IS NULL OR closed_on >= raised_on", "closed_after_raised"),
        ck("version >= 1", "version_positive"),
        ck("endorsements >= 0", "endorsements_nonnegative"),
        ck("reopen_count >= 0 AND return_count >= 0 AND escalation_level >= 0 AND callback_tries >= 0",
           "counts_nonnegative"),
        sa.Index("ix_request_community_quarter", "community_id", "quarter"),
        sa.Index("ix_request_status_deadline", "status", "deadline"),
        # The request page's figures read this index alone (migration 0009).
        sa.Index("ix_request_figures", "quarter", "community_id", "status", "outcome", "deadline", "resolved_on",
                 "raised_on", "first_routed_on", "reopen_count", "return_count", "lead_unit_id", "category"),
        # Open, overdue, at risk, waiting (by category, by unit) and the list's most urgent, from the open ones
        # alone (0010, 0026).
        sa.Index("ix_request_open", *OPEN_INDEX),
        # 每月一题: a quarter's texts with their sums, and a topic's sessions and earliest codes, from this index
        # alone (0024).
        sa.Index("ix_request_topic", *TOPIC_INDEX),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    session_id: int = Field(foreign_key="livestream_session.id", index=True)
    community_id: int = Field(foreign_key="community.id")
    raised_on: dt.date
    quarter: str = Field(max_length=6, index=True)
    category: RequestCategory = enum_field(RequestCategory, index=True)
    priority: RequestPriority = enum_field(RequestPriority, default=RequestPriority.general)
    description: str = Field(default="", max_length=500)
    endorsements: int = 0                             # 附议: how many residents backed it in the comments
    lead_unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    first_routed_on: dt.date | None = None           # the response rate counts from the first 转办
    routed_on: dt.date | None = None                 # the deadline counts from the latest 转办
    deadline: dt.date | None = None
    status: RequestStatus = enum_field(RequestStatus, default=RequestStatus.collected)
    resolved_on: dt.date | None = None
    outcome: RequestOutcome | None = enum_field(RequestOutcome, default=None)
    resolution: str = Field(default="", max_length=500)
    unreasonable_by: str | None = Field(default=None, max_length=64)     # who proposed 不合理诉求
    unreasonable_agreed_by: str | None = Field(default=None, max_length=64)  # the second person who agreed
    reported_session_id: int | None = Field(default=None, foreign_key="livestream_session.id")
    satisfaction: CallbackResult | None = enum_field(CallbackResult, default=None)
    callback_tries: int = 0
    closed_on: dt.date | None = None
    reopen_count: int = 0
    return_count: int = 0
    escalation_level: int = 0
    version: int = 1
    # Issue 16: who raised it (a nickname or house number, as said on air), how it came in, and when exactly.
    resident: str = Field(default="", max_length=100)
    source: RequestSource = enum_field(RequestSource, default=RequestSource.typed)
    raised_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class RequestSupport(SQLModel, table=True):
    """A supporting unit (协办) of a request; the lead unit is `request.lead_unit_id`."""

    __tablename__ = "request_support"

    request_id: int = Field(foreign_key="request.id", ondelete="CASCADE", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True, index=True)


class RequestEvent(SQLModel, table=True):
    """One entry of a request's history: every move, with who, when, from, to, the units and the note.

    The transfer log is the entries whose move is route, transfer, send_back or escalate."""

    __tablename__ = "request_event"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", ondelete="CASCADE", index=True)
    move: RequestMove = enum_field(RequestMove, default=RequestMove.collect)
    from_status: RequestStatus | None = enum_field(RequestStatus, default=None, check_name="from_status")
    to_status: RequestStatus = enum_field(RequestStatus)
    on: dt.date | None = None                         # the working day the move counts as made
    at: dt.datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=64)
    from_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    to_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    reason_code: ReturnReason | None = enum_field(ReturnReason, default=None)
    note: str = Field(default="", max_length=500)


class RequestCallback(SQLModel, table=True):
    """回访: one satisfaction callback before closing; `tries` counts the calls it took (3 unanswered = unreachable)."""

    __tablename__ = "request_callback"
    __table_args__ = (ck("tries >= 1", "tries_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", ondelete="CASCADE", index=True)
    called_on: dt.date
    result: CallbackResult = enum_field(CallbackResult)
    tries: int = 1
    actor: str = Field(max_length=64)
    at: dt.datetime = Field(default_factory=utcnow)
    note: str = Field(default="", max_length=500)


class RequestSla(SQLModel, table=True):
    """办理时限: working days from 转办, per priority; an admin edits it (import or CLI)."""

    __tablename__ = "request_sla"
    __table_args__ = (ck("working_days >= 1 AND working_days <= 365", "days_range"),)

    priority: RequestPriority = enum_field(RequestPriority, primary_key=True)
    working_days: int


class CalendarDay(SQLModel, table=True):
    """A day whose working status an admin set: a holiday or 调休 working day of a year the library does not know,
    or a local correction. It wins over the chinese-calendar package."""

    __tablename__ = "calendar_day"

    day: dt.date = Field(primary_key=True)
    is_workday: bool
    note: str = Field(default="", max_length=100)
