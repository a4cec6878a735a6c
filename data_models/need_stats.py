"""need_stats, practitioner_stats and sale_stats: the 首页 and 需求评估 counts per community and quarter, kept
current by dashboard/need_stats.py from the pairs the triggers of migration 0017 mark dirty."""

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

EVERYONE = ""        # `grp` of the rows that count everyone; the other rows count one vulnerable group's
ALL = 0             # `community_id` of the rows that add up every community's (no community has id 0)
WHOLE = "*"          # `quarter` of a dirty mark that stands for every quarter of its community (a practitioner changed)


class NeedStat(SQLModel, table=True):
    """Needs identified in one quarter and community (of one vulnerable group, or everyone), counted per `kind`:
    heat (k1 category, k2 employment type), cat_grp (k1 category, k2 group), sev (k1 severity), stage (k1 stage,
    v days from identified), closed (k1 quarter closed), fbd (k1 quarter of the feedback, v days from identified
    to it), fbs (k1 quarter of the feedback, v satisfaction). Nothing here depends on today."""

    __tablename__ = "need_stats"
    # The key's order puts a quarter's rows of one kind and community in one range; ix_need_stats_scope a
    # community's rows of one kind over every need quarter («open at the quarter's end», «closed in» or «feedback
    # in» a quarter), covering every column so that nothing is read from the table (migration 0023).
    # ix_need_stats_community: a recount's rows of a few communities (the key would scan the whole quarter).
    __table_args__ = (sa.Index("ix_need_stats_scope", "grp", "kind", "community_id", "quarter", "k1", "k2", "v", "n"),
                      sa.Index("ix_need_stats_community", "community_id", "quarter"),
                      {"sqlite_with_rowid": False})

    quarter: str = Field(max_length=6, primary_key=True)
    grp: str = Field(max_length=32, primary_key=True)
    kind: str = Field(max_length=8, primary_key=True)
    community_id: int = Field(primary_key=True)
    k1: str = Field(max_length=32, primary_key=True)
    k2: str = Field(max_length=32, primary_key=True)
    v: int = Field(primary_key=True)
    n: int


class PractitionerStat(SQLModel, table=True):
    """Practitioners of a community registered by a quarter's end, ages in the quarter's year, per `dim` and code:
    total, age_group, education, hukou, employment_type, group, flag (the profile's yes/no figures)."""

    __tablename__ = "practitioner_stats"
    __table_args__ = (sa.Index("ix_practitioner_stats_community", "community_id", "quarter"),
                      {"sqlite_with_rowid": False})

    quarter: str = Field(max_length=6, primary_key=True)
    grp: str = Field(max_length=32, primary_key=True)
    community_id: int = Field(primary_key=True)
    dim: str = Field(max_length=16, primary_key=True)
    code: str = Field(max_length=40, primary_key=True)
    n: int


class PractitionerStatQuarter(SQLModel, table=True):
    """The quarters practitioner_stats holds, for every community: one is added the first time a page asks."""

    __tablename__ = "practitioner_stats_quarter"

    quarter: str = Field(max_length=6, primary_key=True)


class SaleStat(SQLModel, table=True):
    """The sales of one quarter, community and channel: orders, revenue and cost (the 首页's cooperative tile sums
    the channels; the 季度汇报 shows revenue per channel)."""

    __tablename__ = "sale_stats"

    quarter: str = Field(max_length=6, primary_key=True)
    community_id: int = Field(primary_key=True)
    channel: str = Field(max_length=32, primary_key=True)
    orders: int
    revenue_cents: int = Field(sa_type=sa.BigInteger)
    cost_cents: int = Field(sa_type=sa.BigInteger)


class NeedStatDirty(SQLModel, table=True):
    """(community, quarter) pairs whose needs or sales changed, or (community, '*') where a practitioner or a group
    tag did,
    since they were counted; `gen` goes up on each mark, so a recount begun before a later write does not clear it."""

    __tablename__ = "need_stats_dirty"

    community_id: int = Field(primary_key=True)
    quarter: str = Field(max_length=6, primary_key=True)
    gen: int
