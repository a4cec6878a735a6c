"""直播现场 (issue 16): a livestream's comment export grouped into candidate requests, and the 五步协商 cases that
settle neighbourhood disputes.

* Comments: an upload is a `comment_batch` of one livestream; each comment is kept with personal data masked
  (phone and ID numbers, addresses) and either set aside as chatter (`chatter_rule` says which visible rule) or put
  in a `comment_candidate`. The social worker accepts, merges, splits or discards candidates; an accepted one is a
  request (已收集) with the comments behind it as its 附议. `comment_column_map` remembers, per platform, which
  columns of its export hold the time, the nickname and the text.
* Consultation: a `consultation_case` goes 问题收集 → 主体邀请 → 协商会议 → 解决方案 → 执行监督 → closed, each move
  a `case_event`; `case_party` the invited parties, `case_request` the requests it settles (they close with it),
  `case_check` the governance group's weekly checks and the residents' monthly feedback.

Rules live in dashboard/services/comment_import.py and dashboard/services/consultation.py.
"""

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data_models.base import ck, code_field, enum_field
from data_models.core import utcnow
from data_models.enums import CandidateStatus, CaseCheckKind, CasePartyKind, CaseStep, RequestCategory


class CommentColumnMap(SQLModel, table=True):
    """Which columns of a platform's comment export hold what, as the user mapped them once."""

    __tablename__ = "comment_column_map"

    platform: str = Field(primary_key=True, max_length=40)
    time_column: str = Field(default="", max_length=100)      # "" when the export has no time
    nickname_column: str = Field(default="", max_length=100)
    text_column: str = Field(max_length=100)
    updated_by: str = Field(max_length=64)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class CommentBatch(SQLModel, table=True):
    """One uploaded comment export of one livestream. The same comments twice for one livestream are refused:
    `sha256` is of the comments read (time, nickname, text), so the export saved again as .xlsx or .csv is the same."""

    __tablename__ = "comment_batch"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "sha256", name="uq_comment_batch_session_file"),
        ck("total >= 0 AND chatter >= 0 AND chatter <= total", "counts_valid"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="livestream_session.id", index=True)
    platform: str = Field(max_length=40)
    filename: str = Field(default="", max_length=200)
    sha256: str = Field(max_length=64)
    total: int = 0                 # comments read
    chatter: int = 0               # set aside as greetings or chatter
    uploaded_by: str = Field(max_length=64)
    uploaded_at: dt.datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class CommentCandidate(SQLModel, table=True):
    """Near-duplicate comments about one thing: one candidate request. `endorsements` (附议) counts the comments
    behind it besides the first."""

    __tablename__ = "comment_candidate"
    __table_args__ = (
        ck("comments >= 1 AND endorsements >= 0", "counts_valid"),
        ck("version >= 1", "version_positive"),
        ck("status != 'accepted' OR request_id IS NOT NULL", "accepted_has_request"),
        ck("status != 'merged' OR merged_into_id IS NOT NULL", "merged_has_target"),
    )

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="comment_batch.id", ondelete="CASCADE", index=True)
    label: str = Field(max_length=500)                 # the representative comment (masked), editable on accept
    category: RequestCategory | None = enum_field(RequestCategory, default=None)   # the guess, if any
    comments: int = 1
    endorsements: int = 0
    # The earliest comment's time, as the export gave it (local, no zone).
    first_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime())
    status: CandidateStatus = enum_field(CandidateStatus, default=CandidateStatus.pending)
    merged_into_id: int | None = Field(default=None, foreign_key="comment_candidate.id")
    request_id: int | None = Field(default=None, foreign_key="request.id", index=True)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    version: int = 1


class LivestreamComment(SQLModel, table=True):
    """One comment, masked before it was stored. Chatter has a `chatter_rule` and no candidate."""

    __tablename__ = "livestream_comment"
    __table_args__ = (sa.UniqueConstraint("batch_id", "seq", name="uq_livestream_comment_batch_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="comment_batch.id", ondelete="CASCADE", index=True)
    seq: int                                           # the row of the export it came from (1 = first data row)
    said_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime())   # local, as the export gave it
    nickname: str = Field(default="", max_length=100)
    text: str = Field(max_length=500)
    chatter_rule: str | None = Field(default=None, max_length=40)
    candidate_id: int | None = Field(default=None, foreign_key="comment_candidate.id", index=True)


class ConsultationCase(SQLModel, table=True):
    """五步协商: a neighbourhood dispute settled by the parties concerned, then supervised until it holds."""

    __tablename__ = "consultation_case"
    __table_args__ = (
        ck("version >= 1", "version_positive"),
        ck("check_every_days >= 1 AND feedback_every_days >= 1", "periods_positive"),
        ck("step != 'closed' OR closed_on IS NOT NULL", "closed_has_date"),
        ck("step != 'supervision' OR supervision_from IS NOT NULL", "supervision_has_start"),
        sa.Index("ix_consultation_case_community_step", "community_id", "step"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    community_id: int = Field(foreign_key="community.id")
    title: str = Field(max_length=200)
    step: CaseStep = enum_field(CaseStep, default=CaseStep.collection)
    opened_on: dt.date
    opened_by: str = Field(max_length=64)
    summary: str = Field(default="", max_length=1000)            # 问题收集: what the dispute is
    meeting_on: dt.date | None = None                              # 协商会议
    meeting_place: str = Field(default="", max_length=200)
    meeting_record: str = Field(default="", sa_type=sa.Text)
    measures: str = Field(default="", sa_type=sa.Text)             # 解决方案: the agreed measures, one per line
    supervision_from: dt.date | None = None                        # 执行监督 began: checks are due from here
    check_every_days: int = 7
    feedback_every_days: int = 30
    closed_on: dt.date | None = None
    close_note: str = Field(default="", max_length=500)
    version: int = 1


class CaseParty(SQLModel, table=True):
    """A party invited to the consultation (主体邀请) and whether it came to the meeting."""

    __tablename__ = "case_party"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="consultation_case.id", ondelete="CASCADE", index=True)
    kind: CasePartyKind = enum_field(CasePartyKind)
    name: str = Field(max_length=100)
    invited_on: dt.date | None = None
    attended: bool = False


class CaseRequest(SQLModel, table=True):
    """A request the case settles: a request is settled by one case at most, and closes when it does."""

    __tablename__ = "case_request"

    case_id: int = Field(foreign_key="consultation_case.id", ondelete="CASCADE", primary_key=True)
    request_id: int = Field(foreign_key="request.id", primary_key=True, unique=True)


class CaseCheck(SQLModel, table=True):
    """执行监督: a weekly check by the governance group or a monthly resident feedback, dated, and whether the
    measures held (a check) or the residents were satisfied (a feedback)."""

    __tablename__ = "case_check"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="consultation_case.id", ondelete="CASCADE", index=True)
    kind: CaseCheckKind = enum_field(CaseCheckKind)
    on: dt.date
    holds: bool = True
    note: str = Field(default="", max_length=500)
    actor: str = Field(max_length=64)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class CaseEvent(SQLModel, table=True):
    """One move of a case: from step, to step, the day, who, and the note."""

    __tablename__ = "case_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="consultation_case.id", ondelete="CASCADE", index=True)
    from_step: CaseStep | None = enum_field(CaseStep, default=None, check_name="from_step")
    to_step: CaseStep = enum_field(CaseStep, check_name="to_step")
    on: dt.date
    actor: str = Field(max_length=64)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    note: str = Field(default="", max_length=500)
