"""培训成效: courses and enrolments with their outcomes."""

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data_models.base import ck, code_field, enum_field, money_field
from data_models.enums import CourseLevel, CourseTopic, TargetGroup


class Course(SQLModel, table=True):
    __table_args__ = (
        ck("hours > 0", "hours_positive"),
        ck("end_date >= start_date", "ends_after_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    community_id: int = Field(foreign_key="community.id", index=True)
    title: str = Field(max_length=200)
    topic: CourseTopic = enum_field(CourseTopic)
    level: CourseLevel = enum_field(CourseLevel)
    provider_party_id: int | None = Field(default=None, foreign_key="party.id")
    target_group: TargetGroup = enum_field(TargetGroup, default=TargetGroup.all)
    hours: int
    start_date: dt.date
    end_date: dt.date
    quarter: str = Field(max_length=6, index=True)


class Enrolment(SQLModel, table=True):
    """One practitioner on one course; the funnel enrolled -> attended -> completed -> certified -> employed."""

    __table_args__ = (
        sa.UniqueConstraint("course_id", "practitioner_id", name="uq_enrolment_course_practitioner"),
        ck("pre_score IS NULL OR pre_score BETWEEN 0 AND 100", "pre_score_range"),
        ck("post_score IS NULL OR post_score BETWEEN 0 AND 100", "post_score_range"),
        ck("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", "satisfaction_range"),
        ck("attended OR NOT completed", "completed_needs_attended"),
        ck("completed OR NOT certified", "certified_needs_completed"),
        ck("income_before_cents IS NULL OR income_before_cents >= 0", "income_before_nonnegative"),
        ck("income_after_cents IS NULL OR income_after_cents >= 0", "income_after_nonnegative"),
        sa.Index("ix_enrolment_community_quarter", "community_id", "quarter"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    course_id: int = Field(foreign_key="course.id", index=True)
    practitioner_id: int = Field(foreign_key="practitioner.id", index=True)
    community_id: int = Field(foreign_key="community.id")
    enrolled_on: dt.date
    quarter: str = Field(max_length=6, index=True)
    attended: bool = False
    completed: bool = False
    pre_score: int | None = None
    post_score: int | None = None
    certified: bool = False
    employed_after: bool = False
    income_before_cents: int | None = money_field(default=None, nullable=True)
    income_after_cents: int | None = money_field(default=None, nullable=True)
    satisfaction: int | None = None
