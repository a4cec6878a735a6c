"""training_stats: the 培训成效 funnel's and levels' counts that do not depend on today, per enrolment quarter,
community, course and vulnerable group; kept current by dashboard/training_stats.py from the pairs the database
triggers mark dirty."""

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

EVERYONE = ""        # `grp` of the rows that count every learner; the other rows count one vulnerable group's
# ix_training_stats_funnel's columns (migration 0028): the funnel the overview and the quarterly report show (enrolled,
# completed, certified, reached and employed at 3 months) summed over everyone's rows of a quarter, or of a community's
# quarter, per course, from this index alone instead of the table's wide rows.
FUNNEL_INDEX = ("grp", "quarter", "community_id", "course_id", "enrolled", "completed", "certified", "m3_reached",
                "m3_employed")


class TrainingStat(SQLModel, table=True):
    """The enrolments of one quarter and community on one course (of one vulnerable group, or everyone), counted as
    they stand. The 3- and 6-month follow-ups are counted only where reached or given up: whether a pending one is
    due depends on the day, so those are in training_stats_due."""

    __tablename__ = "training_stats"
    # SQLite keeps the rows in primary-key order (quarter first): a quarter's rows are read in one range.
    __table_args__ = (sa.Index("ix_training_stats_funnel", *FUNNEL_INDEX), {"sqlite_with_rowid": False})

    quarter: str = Field(max_length=6, primary_key=True)
    community_id: int = Field(primary_key=True)
    course_id: int = Field(primary_key=True, index=True)
    grp: str = Field(max_length=32, primary_key=True)
    enrolled: int
    attended: int
    completed: int
    certified: int
    m3_reached: int
    m3_unreachable: int
    m3_employed: int
    m6_reached: int
    m6_unreachable: int
    m6_income_known: int
    m6_income_up: int
    stable_base: int
    stable: int
    n_paired: int                # pre and post score both known
    gain_n: int                  # of them, pre < 100 (room to gain)
    # Sum of (post - pre) / (100 - pre) over those, each in millionths rounded: an integer sum is the same whatever
    # order the database adds in (a float sum was not, from one load of the same data to the next on PostgreSQL).
    gain_micro: int = Field(sa_type=sa.BigInteger)
    gain_sq: int = Field(sa_type=sa.BigInteger)     # sum of the squares of those millionths (the SD, exactly)
    sum_pre: int                 # pre and post scores summed over n_paired
    sum_post: int
    sat_1: int                   # learners who gave satisfaction 1 .. 5 (level 1, reaction)
    sat_2: int
    sat_3: int
    sat_4: int
    sat_5: int
    # Per wave (m3, m6), over follow-ups of completed enrolments: how many there are, then answers of the reached
    # only, each over those who gave it; income reported against income before, where both are known.
    m3_followups: int
    m3_ecommerce: int
    m3_store_answered: int
    m3_opened_store: int
    m3_streams_answered: int
    m3_streams_sum: int          # livestreams a week, summed over streams_answered
    m3_streams_3plus: int
    m3_inc_n: int
    m3_inc_before: int = Field(sa_type=sa.BigInteger)    # cents, summed over inc_n
    m3_inc_after: int = Field(sa_type=sa.BigInteger)
    m3_inc_up: int
    m3_inc_down: int
    m6_followups: int
    m6_ecommerce: int
    m6_store_answered: int
    m6_opened_store: int
    m6_streams_answered: int
    m6_streams_sum: int
    m6_streams_3plus: int
    m6_inc_n: int
    m6_inc_before: int = Field(sa_type=sa.BigInteger)
    m6_inc_after: int = Field(sa_type=sa.BigInteger)
    m6_inc_up: int
    m6_inc_down: int


class TrainingStatDue(SQLModel, table=True):
    """Pending follow-ups of completed enrolments by wave and due day: due once the day has come."""

    __tablename__ = "training_stats_due"
    __table_args__ = {"sqlite_with_rowid": False}

    quarter: str = Field(max_length=6, primary_key=True)
    community_id: int = Field(primary_key=True)
    course_id: int = Field(primary_key=True, index=True)
    grp: str = Field(max_length=32, primary_key=True)
    wave: str = Field(max_length=2, primary_key=True)
    due_on: dt.date = Field(primary_key=True)
    pending: int


class TrainingStatDirty(SQLModel, table=True):
    """(community, quarter) pairs whose enrolments, follow-ups or group tags changed since they were counted. The
    triggers of migration 0012 add them on every write; `gen` goes up on each, so a recount that began before a
    later write does not clear it."""

    __tablename__ = "training_stats_dirty"

    community_id: int = Field(primary_key=True)
    quarter: str = Field(max_length=6, primary_key=True)
    gen: int


class TrainingStatEmployed(SQLModel, table=True):
    """Certified learners found employed by a reached follow-up, per enrolment quarter, community and course, by the
    days they were first so found at the 3- and at the 6-month follow-up (None: not at that one): the subsidy's
    second tranche counts those within each course's window (dashboard/services/subsidy.py), summed from here
    instead of joining a quarter's certified enrolments to their follow-ups."""

    __tablename__ = "training_stats_employed"
    __table_args__ = (sa.Index("ix_training_stats_employed_pair", "quarter", "community_id"),)

    id: int | None = Field(default=None, primary_key=True)
    quarter: str = Field(max_length=6)
    community_id: int
    course_id: int = Field(index=True)
    m3_on: dt.date | None = None
    m6_on: dt.date | None = None
    n: int
