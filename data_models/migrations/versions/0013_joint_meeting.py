"""四方联席会议: attendance by status with deputies, agenda evidence and notes, action owners and their history,
minutes that are circulated, signed by every party and locked, and addenda.

* `meeting`: `starts_at` (HH:MM, for the agenda's estimated end), the minutes' status (draft / circulated /
  locked), the amendment window's last day, the circulated then signed text, its SHA-256, when it was locked, and a
  version for compare-and-set.
* `meeting_attendance.present` becomes `status` (present / absent / deputy) with the deputy's name: a row that said
  present stays present, one that did not is absent.
* `agenda_item`: `evidence` (the figures that proposed it) and `notes` (what was said).
* `action_item`: the named owner, the owner's latest note, who moved it last and when, and a version.
* New: `action_update` (each status move), `minutes_signature` (会签), `minutes_addendum` (corrections to locked
  minutes).

Revision ID: 0013
Revises: 0012
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTION = ("open", "in_progress", "done", "cancelled")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    with op.batch_alter_table("meeting") as b:
        b.add_column(sa.Column("starts_at", sa.String(length=5), nullable=False, server_default="09:30"))
        b.add_column(sa.Column("minutes_status", _enum("minutesstatus", "draft", "circulated", "locked"),
                               nullable=False, server_default="draft"))
        b.add_column(sa.Column("amend_until", sa.Date(), nullable=True))
        b.add_column(sa.Column("circulated_at", sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column("minutes_text", sa.Text(), nullable=True))
        b.add_column(sa.Column("minutes_sha256", sa.String(length=64), nullable=True))
        b.add_column(sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        b.create_check_constraint("ck_meeting_version_positive", "version >= 1")
        b.create_check_constraint("ck_meeting_starts_at_hhmm", "length(starts_at) = 5")
        b.create_check_constraint(
            "ck_meeting_locked_has_hash",
            "minutes_status != 'locked' OR (minutes_sha256 IS NOT NULL AND locked_at IS NOT NULL)")
        b.create_check_constraint("ck_meeting_circulated_has_window",
                                  "minutes_status = 'draft' OR amend_until IS NOT NULL")

    with op.batch_alter_table("meeting_attendance") as b:
        b.add_column(sa.Column("status", _enum("attendancestatus", "present", "absent", "deputy"),
                               nullable=False, server_default="present"))
        b.add_column(sa.Column("deputy", sa.String(length=100), nullable=False, server_default=""))
        b.create_check_constraint("ck_meeting_attendance_deputy_named", "status != 'deputy' OR length(deputy) > 0")
    op.execute("UPDATE meeting_attendance SET status = 'absent' WHERE NOT present")
    with op.batch_alter_table("meeting_attendance") as b:
        b.drop_column("present")

    with op.batch_alter_table("agenda_item") as b:
        b.add_column(sa.Column("evidence", sa.Text(), nullable=False, server_default=""))
        b.add_column(sa.Column("notes", sa.Text(), nullable=False, server_default=""))

    with op.batch_alter_table("action_item") as b:
        b.add_column(sa.Column("owner_person", sa.String(length=100), nullable=False, server_default=""))
        b.add_column(sa.Column("note", sa.String(length=500), nullable=False, server_default=""))
        b.add_column(sa.Column("updated_by", sa.String(length=64), nullable=True))
        b.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        b.create_check_constraint("ck_action_item_version_positive", "version >= 1")

    op.create_table(
        "action_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_item_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("from_status", _enum("from_status", *ACTION), nullable=False),
        sa.Column("to_status", _enum("to_status", *ACTION), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["action_item_id"], ["action_item.id"], name=op.f("fk_action_update_action_item_id_action_item"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_update")),
    )
    op.create_index(op.f("ix_action_update_action_item_id"), "action_update", ["action_item_id"])

    op.create_table(
        "minutes_signature",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("signed_by", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_minutes_signature_meeting_id_meeting"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name=op.f("fk_minutes_signature_party_id_party")),
        sa.PrimaryKeyConstraint("meeting_id", "party_id", name=op.f("pk_minutes_signature")),
    )

    op.create_table(
        "minutes_addendum",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("no", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("no >= 1", name=op.f("ck_minutes_addendum_no_positive")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_minutes_addendum_meeting_id_meeting"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_minutes_addendum")),
        sa.UniqueConstraint("meeting_id", "no", name="uq_minutes_addendum_meeting_no"),
    )
    op.create_index(op.f("ix_minutes_addendum_meeting_id"), "minutes_addendum", ["meeting_id"])

    if op.get_bind().dialect.name == "sqlite":     # the new enum checks as OR chains, like every other table (0006)
        path = Path(__file__).with_name("0006_sqlite_checks_without_in_lists.py")
        spec = importlib.util.spec_from_file_location("_migration_0006", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.upgrade()


def downgrade() -> None:
    op.drop_index(op.f("ix_minutes_addendum_meeting_id"), table_name="minutes_addendum")
    op.drop_table("minutes_addendum")
    op.drop_table("minutes_signature")
    op.drop_index(op.f("ix_action_update_action_item_id"), table_name="action_update")
    op.drop_table("action_update")
    with op.batch_alter_table("action_item") as b:
        b.drop_constraint("ck_action_item_version_positive", type_="check")
        for c in ("version", "updated_at", "updated_by", "note", "owner_person"):
            b.drop_column(c)
    with op.batch_alter_table("agenda_item") as b:
        b.drop_column("notes")
        b.drop_column("evidence")
    with op.batch_alter_table("meeting_attendance") as b:
        b.add_column(sa.Column("present", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute("UPDATE meeting_attendance SET present = (status != 'absent')")
    # SQLite rebuilds the tables: the enum checks of the dropped columns go too (PostgreSQL drops them with them).
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("meeting_attendance") as b:
        b.drop_constraint("ck_meeting_attendance_deputy_named", type_="check")
        if sqlite:
            b.drop_constraint(op.f("ck_meeting_attendance_attendancestatus"), type_="check")
        b.drop_column("deputy")
        b.drop_column("status")
    with op.batch_alter_table("meeting") as b:
        for name in ("ck_meeting_circulated_has_window", "ck_meeting_locked_has_hash", "ck_meeting_starts_at_hhmm",
                     "ck_meeting_version_positive"):
            b.drop_constraint(name, type_="check")
        if sqlite:
            b.drop_constraint(op.f("ck_meeting_minutesstatus"), type_="check")
        for c in ("version", "locked_at", "minutes_sha256", "minutes_text", "circulated_at", "amend_until",
                  "minutes_status", "starts_at"):
            b.drop_column(c)
