"""需求评估: practitioners, their vulnerable-group tags, needs assessments and the closed loop."""

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data_models.base import ck, code_field, enum_field, money_field
from data_models.core import utcnow
from data_models.enums import (
    DomesticService,
    Education,
    EmploymentType,
    Gender,
    Hukou,
    NeedCategory,
    NeedStatus,
    Occupation,
    Severity,
    VulnerableGroup,
)


class Practitioner(SQLModel, table=True):
    """从业者: an e-commerce worker in a community, with a profile that records strengths, not only problems."""

    __table_args__ = (
        ck("birth_year BETWEEN 1900 AND 2100", "birth_year_range"),
        ck("daily_work_hours >= 0 AND daily_work_hours <= 24", "work_hours_range"),
        ck("monthly_income_cents >= 0", "income_nonnegative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    community_id: int = Field(foreign_key="community.id", index=True)
    name: str = Field(max_length=100)
    gender: Gender = enum_field(Gender)
    birth_year: int
    phone: str | None = Field(default=None, max_length=32)
    education: Education = enum_field(Education)
    hukou: Hukou = enum_field(Hukou)
    employment_type: EmploymentType = enum_field(EmploymentType, index=True)
    occupation: Occupation = enum_field(Occupation)
    domestic_service: DomesticService | None = enum_field(DomesticService, default=None)
    daily_work_hours: float
    has_labour_contract: bool = False
    has_pension: bool = False
    has_injury_insurance: bool = False
    monthly_income_cents: int = money_field()
    is_association_member: bool = False
    strengths: str = Field(default="", max_length=500)
    registered_on: dt.date


class PractitionerGroup(SQLModel, table=True):
    """One row per vulnerable-group tag a practitioner carries (a practitioner may carry several)."""

    __tablename__ = "practitioner_group"

    practitioner_id: int = Field(foreign_key="practitioner.id", ondelete="CASCADE", primary_key=True)
    group: VulnerableGroup = enum_field(VulnerableGroup, primary_key=True)


class NeedAssessment(SQLModel, table=True):
    """A need raised by or for a practitioner, worked through the loop identified -> ... -> closed."""

    __tablename__ = "need_assessment"
    __table_args__ = (
        ck("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", "satisfaction_range"),
        ck("assessed_on IS NULL OR assessed_on >= identified_on", "assessed_after_identified"),
        ck("responded_on IS NULL OR (assessed_on IS NOT NULL AND responded_on >= assessed_on)",
           "responded_after_assessed"),
        ck("feedback_on IS NULL OR (responded_on IS NOT NULL AND feedback_on >= responded_on)",
           "feedback_after_responded"),
        ck("closed_on IS NULL OR (feedback_on IS NOT NULL AND closed_on >= feedback_on)",
           "closed_after_feedback"),
        sa.Index("ix_need_assessment_community_quarter", "community_id", "quarter"),
        sa.Index("ix_need_assessment_quarter_severity", "quarter", "severity"),
        sa.Index("ix_need_assessment_feedback_on", "feedback_on"),
        # Covers the loop funnel: its counts and medians are read from the index alone.
        sa.Index("ix_need_assessment_quarter_stages", "quarter", "identified_on", "assessed_on", "responded_on",
                 "feedback_on", "closed_on"),
        # The 需求评估 backlog, oldest first (migration 0017): the open needs in the order shown, for all
        # communities and for one, and the needs closed after a day.
        sa.Index("ix_need_assessment_open", "identified_on", "code", sqlite_where=sa.text("closed_on IS NULL"),
                 postgresql_where=sa.text("closed_on IS NULL")),
        sa.Index("ix_need_assessment_open_community", "community_id", "identified_on", "code",
                 sqlite_where=sa.text("closed_on IS NULL"), postgresql_where=sa.text("closed_on IS NULL")),
        # Only the closed: an index of every row would serve «closed_on IS NULL» and beat the open one above.
        sa.Index("ix_need_assessment_closed_on", "closed_on", sqlite_where=sa.text("closed_on IS NOT NULL"),
                 postgresql_where=sa.text("closed_on IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    practitioner_id: int = Field(foreign_key="practitioner.id", index=True)
    community_id: int = Field(foreign_key="community.id")
    category: NeedCategory = enum_field(NeedCategory, index=True)
    severity: Severity = enum_field(Severity)
    status: NeedStatus = enum_field(NeedStatus, index=True)
    description: str = Field(default="", max_length=500)
    identified_on: dt.date
    quarter: str = Field(max_length=6, index=True)
    assessed_on: dt.date | None = None
    responded_on: dt.date | None = None
    feedback_on: dt.date | None = None
    closed_on: dt.date | None = None
    satisfaction: int | None = None
    social_worker: str = Field(default="", max_length=64)


class NeedEvent(SQLModel, table=True):
    """One status change of a need: who moved it, when, from what to what."""

    __tablename__ = "need_event"

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need_assessment.id", ondelete="CASCADE", index=True)
    from_status: NeedStatus | None = enum_field(NeedStatus, default=None, check_name="from_status")
    to_status: NeedStatus = enum_field(NeedStatus)
    at: dt.datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=64)
    note: str = Field(default="", max_length=500)
