"""Tables shared by every area: communities, parties, users, audit log, import batches."""

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data_models.base import ck, code_field, enum_field
from data_models.enums import CommunityKind, PartyKind, Role


def utcnow() -> dt.datetime:
    """Timestamps are stored in UTC (SQLModel's UTCDateTime); pages show them in Asia/Shanghai."""
    return dt.datetime.now(dt.UTC)


class Community(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    name: str = Field(max_length=100)
    kind: CommunityKind = enum_field(CommunityKind)
    city: str = Field(default="", max_length=100)
    district: str = Field(default="", max_length=100)


class Party(SQLModel, table=True):
    """An organisation at the joint meeting: a government office, platform, association or social-work org."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = code_field()
    name: str = Field(max_length=200)
    kind: PartyKind = enum_field(PartyKind, index=True)
    community_id: int | None = Field(default=None, foreign_key="community.id", index=True)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(default="", max_length=100)
    role: Role = enum_field(Role)
    party_id: int | None = Field(default=None, foreign_key="party.id")
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow)


class AuditLog(SQLModel, table=True):
    """Append-only record of every write: who, when, what, before and after."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=64, index=True)
    action: str = Field(max_length=32)
    entity: str = Field(max_length=64, index=True)
    entity_id: str | None = Field(default=None, max_length=64)
    before: str | None = Field(default=None, sa_type=sa.Text)
    after: str | None = Field(default=None, sa_type=sa.Text)
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id")
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)


class ImportBatch(SQLModel, table=True):
    __tablename__ = "import_batch"
    __table_args__ = (
        ck("created >= 0 AND updated >= 0 AND unchanged >= 0 AND rejected >= 0", "counts_nonnegative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=64, index=True)
    file_name: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    actor: str = Field(max_length=64)
    at: dt.datetime = Field(default_factory=utcnow)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    undone_at: dt.datetime | None = None


class ImportChange(SQLModel, table=True):
    """One row an import created (before is NULL) or updated (before holds its earlier values), for undo."""

    __tablename__ = "import_change"

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="import_batch.id", ondelete="CASCADE", index=True)
    code: str = Field(max_length=40)
    before: str | None = Field(default=None, sa_type=sa.Text)
