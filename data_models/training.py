"""培训成效: courses and enrolments with their outcomes."""

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data_models.base import ck, code_field, enum_field, money_field
from data_models.enums import CourseLevel, CourseTopic, EmploymentStatus, FollowupStatus, FollowupWave, TargetGroup


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


# ix_enrolment_practitioner_id's columns (migration 0027 widened it from practitioner_id alone): the training page's
# verified income finds a member's completed enrolments of the quarter, with their community and course, from this
# index alone. Every lookup by practitioner (the foreign key, the imports' matches) reads its leading column.
PRACTITIONER_INDEX = ("practitioner_id", "quarter", "completed", "community_id", "course_id")


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
        sa.Index("ix_enrolment_community_quarter", "community_id", "quarter"),
        sa.Index("ix_enrolment_practitioner_id", *PRACTITIONER_INDEX),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    course_id: int = Field(foreign_key="course.id", index=True)
    practitioner_id: int = Field(foreign_key="practitioner.id")
    community_id: int = Field(foreign_key="community.id")
    enrolled_on: dt.date
    quarter: str = Field(max_length=6, index=True)
    attended: bool = False
    completed: bool = False
    pre_score: int | None = None
    post_score: int | None = None
    certified: bool = False
    income_before_cents: int | None = money_field(default=None, nullable=True)
    satisfaction: int | None = None


class TrainingFollowup(SQLModel, table=True):
    """The contact 3 or 6 months after a course's last day (one row per completed enrolment and wave, made when the
    enrolment is completed). Level 3 (behaviour) and level 4 (results, self-reported) come from here.

    A person not reached is `pending` until the tries run out and then `unreachable`: never "not employed". Rates
    say how many were reached. `version` guards two people recording the same contact at once."""

    __tablename__ = "training_followup"
    __table_args__ = (
        sa.UniqueConstraint("enrolment_id", "wave", name="uq_training_followup_enrolment_wave"),
        ck("tries >= 0 AND tries <= 20", "tries_range"),
        ck("income_cents IS NULL OR income_cents >= 0", "income_nonnegative"),
        ck("livestreams_per_week IS NULL OR livestreams_per_week BETWEEN 0 AND 50", "livestreams_range"),
        ck("(status = 'reached') = (reached_on IS NOT NULL)", "reached_has_date"),
        ck("status = 'reached' OR employment IS NULL", "answers_need_reached"),
        sa.Index("ix_training_followup_due", "status", "due_on", "community_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enrolment_id: int = Field(foreign_key="enrolment.id", index=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    wave: FollowupWave = enum_field(FollowupWave)
    due_on: dt.date
    status: FollowupStatus = enum_field(FollowupStatus, default=FollowupStatus.pending)
    tries: int = 0
    last_tried_on: dt.date | None = None
    reached_on: dt.date | None = None
    employment: EmploymentStatus | None = enum_field(EmploymentStatus, default=None, nullable=True)
    opened_store: bool | None = None
    livestreams_per_week: int | None = None
    income_cents: int | None = money_field(default=None, nullable=True)
    note: str | None = Field(default=None, max_length=500)
    recorded_by: str | None = Field(default=None, max_length=64)
    recorded_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    version: int = 1


class Certificate(SQLModel, table=True):
    """结业证书: one per certified enrolment. The number carries a check character (dashboard/services/
    certificates.py); a revoked certificate stays, with when, why and by whom."""

    __table_args__ = (ck("revoked_on IS NULL OR revoked_on >= issued_on", "revoked_after_issued"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, unique=True, index=True)
    enrolment_id: int = Field(foreign_key="enrolment.id", unique=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    issued_on: dt.date
    revoked_on: dt.date | None = None
    revoked_reason: str | None = Field(default=None, max_length=200)
    revoked_by: str | None = Field(default=None, max_length=64)


class SubsidyRule(SQLModel, table=True):
    """培训补贴规则: per certified learner, by level; `first_pct` is payable on the number certified, the rest once at
    least `employment_pct` of the certified are employed within `window_months` of the course's end. The rule in
    force for a course is the one whose validity covers the course's last day."""

    __tablename__ = "subsidy_rule"
    __table_args__ = (
        ck("first_pct BETWEEN 0 AND 100", "first_pct_range"),
        ck("employment_pct BETWEEN 0 AND 100", "employment_pct_range"),
        ck("window_months BETWEEN 1 AND 24", "window_range"),
        ck("claim_grace_days BETWEEN 0 AND 365", "grace_range"),
        ck("valid_to IS NULL OR valid_to >= valid_from", "valid_range"),
        ck("basic_cents >= 0 AND intermediate_cents >= 0 AND advanced_cents >= 0", "amounts_nonnegative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    title: str = Field(max_length=200)
    valid_from: dt.date
    valid_to: dt.date | None = None
    basic_cents: int = money_field()
    intermediate_cents: int = money_field()
    advanced_cents: int = money_field()
    first_pct: int = 60
    employment_pct: int = 50
    window_months: int = 6
    claim_grace_days: int = 30
