"""季度汇报: the published versions of a community-quarter's report, and the parties' confirmations of them.

A version is frozen when written: the figures as shown (the `ReportData` snapshot, JSON), the narrative per language,
the data's cut-off, who published it and when. Republishing after a change is a restatement: the next version, with
a required reason and the table of figures that changed. Confirmations belong to one version, so a restatement
starts them over.
"""

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class ReportVersion(SQLModel, table=True):
    __tablename__ = "report_version"
    __table_args__ = (
        sa.UniqueConstraint("scope_key", "quarter", "version", name="uq_report_version_scope_quarter_version"),
        sa.CheckConstraint("version >= 1", name="ck_report_version_version_positive"),
        sa.CheckConstraint("version = 1 OR length(reason) > 0", name="ck_report_version_restatement_reason"),
    )
    id: int | None = Field(default=None, primary_key=True)
    # "all" for all communities, else "c<community id>": one key, so the unique constraint holds for both.
    scope_key: str = Field(max_length=16, index=True)
    community_id: int | None = Field(default=None, foreign_key="community.id")
    quarter: str = Field(max_length=6)
    version: int = Field(default=1)
    cut_off_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))     # when the figures were read
    published_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))
    published_by: str = Field(max_length=64)
    snapshot: str = Field(sa_type=sa.Text)          # dashboard.report.types.to_json of the figures as shown
    narrative: str = Field(sa_type=sa.Text)         # JSON {"zh": {area: text}, "en": {area: text}}
    reason: str = Field(default="", max_length=1000)   # why it was restated (version 2 on)
    changes: str = Field(default="[]", sa_type=sa.Text)   # JSON: the figures that changed from the version before
    sha256: str = Field(max_length=64)              # of snapshot + narrative, for the record


class ReportConfirmation(SQLModel, table=True):
    """A party's word on one published version: the platform and the association confirm, the government accepts."""
    __tablename__ = "report_confirmation"
    report_version_id: int = Field(foreign_key="report_version.id", ondelete="CASCADE", primary_key=True)
    party_kind: str = Field(max_length=16, primary_key=True)     # government / platform / association
    decision: str = Field(max_length=16)                         # confirmed / accepted
    by: str = Field(max_length=64)
    at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))
    note: str = Field(default="", max_length=500)
