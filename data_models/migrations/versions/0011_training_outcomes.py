"""培训成效: follow-ups at 3 and 6 months, certificates, and the subsidy rule.

* `training_followup`: one row per completed enrolment and wave (m3, m6), due 3 or 6 months after the course's last
  day; tries, the day reached, the answers (employment, store opened, livestreams a week, income). Unreachable is a
  status of its own, never "not employed".
* `certificate`: one per certified enrolment, numbered from the enrolment's id with a check character; revoked, never
  deleted.
* `subsidy_rule`: the subsidy per certified learner by level and the 60/40 split on certification and employment;
  one default rule is created here (an admin changes it by import).
* `enrolment.employed_after` and `enrolment.income_after_cents` go: employment and income after the course are what
  a follow-up found. A database that holds them keeps them as a reached 6-month follow-up of each such enrolment
  (employment `other_work` when it said employed, since it did not say where; the note says it was carried over).

Revision ID: 0011
Revises: 0010
"""

import datetime as dt
import importlib.util
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CARRIED = "由旧字段「结业后就业 / 培训后月收入」迁移"


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "subsidy_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("basic_cents", sa.BigInteger(), nullable=False),
        sa.Column("intermediate_cents", sa.BigInteger(), nullable=False),
        sa.Column("advanced_cents", sa.BigInteger(), nullable=False),
        sa.Column("first_pct", sa.Integer(), nullable=False),
        sa.Column("employment_pct", sa.Integer(), nullable=False),
        sa.Column("window_months", sa.Integer(), nullable=False),
        sa.Column("claim_grace_days", sa.Integer(), nullable=False),
        sa.CheckConstraint("basic_cents >= 0 AND intermediate_cents >= 0 AND advanced_cents >= 0",
                           name=op.f("ck_subsidy_rule_amounts_nonnegative")),
        sa.CheckConstraint("claim_grace_days BETWEEN 0 AND 365", name=op.f("ck_subsidy_rule_grace_range")),
        sa.CheckConstraint("employment_pct BETWEEN 0 AND 100", name=op.f("ck_subsidy_rule_employment_pct_range")),
        sa.CheckConstraint("first_pct BETWEEN 0 AND 100", name=op.f("ck_subsidy_rule_first_pct_range")),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_subsidy_rule_valid_range")),
        sa.CheckConstraint("window_months BETWEEN 1 AND 24", name=op.f("ck_subsidy_rule_window_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_rule")),
    )
    op.create_index(op.f("ix_subsidy_rule_code"), "subsidy_rule", ["code"], unique=True)
    op.bulk_insert(sa.table(
        "subsidy_rule", *[sa.column(n) for n in (
            "code", "title", "valid_from", "basic_cents", "intermediate_cents", "advanced_cents", "first_pct",
            "employment_pct", "window_months", "claim_grace_days")]), [{
        "code": "BT-DEFAULT", "title": "职业技能培训补贴（通用规则：取证后拨付60%，六个月内就业率达50%再拨付40%）",
        "valid_from": dt.date(2020, 1, 1), "basic_cents": 80_000, "intermediate_cents": 150_000,
        "advanced_cents": 250_000, "first_pct": 60, "employment_pct": 50, "window_months": 6,
        "claim_grace_days": 30}])

    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=200), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint("revoked_on IS NULL OR revoked_on >= issued_on",
                           name=op.f("ck_certificate_revoked_after_issued")),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"], name=op.f("fk_certificate_community_id_community")),
        sa.ForeignKeyConstraint(["enrolment_id"], ["enrolment.id"], name=op.f("fk_certificate_enrolment_id_enrolment")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
        sa.UniqueConstraint("enrolment_id", name=op.f("uq_certificate_enrolment_id")),
    )
    op.create_index(op.f("ix_certificate_community_id"), "certificate", ["community_id"], unique=False)
    op.create_index(op.f("ix_certificate_number"), "certificate", ["number"], unique=True)

    op.create_table(
        "training_followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("wave", _enum("followupwave", "m3", "m6"), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", _enum("followupstatus", "pending", "reached", "unreachable"), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("last_tried_on", sa.Date(), nullable=True),
        sa.Column("reached_on", sa.Date(), nullable=True),
        sa.Column("employment", _enum("employmentstatus", "ecommerce_employed", "ecommerce_self", "other_work",
                                      "not_employed"), nullable=True),
        sa.Column("opened_store", sa.Boolean(), nullable=True),
        sa.Column("livestreams_per_week", sa.Integer(), nullable=True),
        sa.Column("income_cents", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("(status = 'reached') = (reached_on IS NOT NULL)",
                           name=op.f("ck_training_followup_reached_has_date")),
        sa.CheckConstraint("status = 'reached' OR employment IS NULL",
                           name=op.f("ck_training_followup_answers_need_reached")),
        sa.CheckConstraint("income_cents IS NULL OR income_cents >= 0",
                           name=op.f("ck_training_followup_income_nonnegative")),
        sa.CheckConstraint("livestreams_per_week IS NULL OR livestreams_per_week BETWEEN 0 AND 50",
                           name=op.f("ck_training_followup_livestreams_range")),
        sa.CheckConstraint("tries >= 0 AND tries <= 20", name=op.f("ck_training_followup_tries_range")),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"],
                                name=op.f("fk_training_followup_community_id_community")),
        sa.ForeignKeyConstraint(["enrolment_id"], ["enrolment.id"],
                                name=op.f("fk_training_followup_enrolment_id_enrolment")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_followup")),
        sa.UniqueConstraint("enrolment_id", "wave", name="uq_training_followup_enrolment_wave"),
    )
    op.create_index(op.f("ix_training_followup_community_id"), "training_followup", ["community_id"])
    op.create_index("ix_training_followup_due", "training_followup", ["status", "due_on", "community_id"])
    op.create_index(op.f("ix_training_followup_enrolment_id"), "training_followup", ["enrolment_id"])

    conn = op.get_bind()
    _carry_over(conn)
    # The code of today, on the schema of 0011 (as 0010 does): the other follow-ups and every certificate.
    from dashboard import training_sync
    training_sync.sync(conn)

    with op.batch_alter_table("enrolment") as batch_op:
        batch_op.drop_constraint(op.f("ck_enrolment_income_after_nonnegative"), type_="check")
        batch_op.drop_column("income_after_cents")
        batch_op.drop_column("employed_after")

    if conn.dialect.name == "sqlite":     # the new tables' enum checks as OR chains, like every other table (0006)
        path = Path(__file__).with_name("0006_sqlite_checks_without_in_lists.py")
        spec = importlib.util.spec_from_file_location("_migration_0006", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.upgrade()


def _carry_over(conn: sa.Connection) -> None:
    """Each enrolment that said employed or gave an income after becomes a reached 6-month follow-up: also one not
    completed (0010 took such values), so nothing is lost; the figures count completed enrolments' follow-ups only,
    and the follow-up stays visible in the export."""
    from dashboard.training_sync import due_date
    rows = conn.execute(sa.text(
        "SELECT e.id, e.community_id, e.employed_after, e.income_after_cents, c.end_date FROM enrolment e "
        "JOIN course c ON c.id = e.course_id "
        "WHERE e.employed_after OR e.income_after_cents IS NOT NULL")).all()
    today = dt.date.today()
    values = []
    for r in rows:
        end = r.end_date if isinstance(r.end_date, dt.date) else dt.date.fromisoformat(str(r.end_date))
        due = due_date(end, "m6")
        values.append({"enrolment_id": r.id, "community_id": r.community_id, "wave": "m6", "due_on": due,
                       "status": "reached", "tries": 1, "reached_on": min(due, today),
                       "employment": "other_work" if r.employed_after else "not_employed",
                       "income_cents": r.income_after_cents, "note": CARRIED, "recorded_by": "migration 0011",
                       "version": 1})
    if values:
        table = sa.table("training_followup", *[sa.column(k) for k in values[0]])
        conn.execute(sa.insert(table), values)


def downgrade() -> None:
    with op.batch_alter_table("enrolment") as batch_op:
        batch_op.add_column(sa.Column("employed_after", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("income_after_cents", sa.BigInteger(), nullable=True))
        batch_op.create_check_constraint("income_after_nonnegative",
                                         sa.text("income_after_cents IS NULL OR income_after_cents >= 0"))
    conn = op.get_bind()
    # What the 6-month follow-up found goes back to the enrolment (the 3-month one where no 6-month was reached).
    conn.execute(sa.text(
        "UPDATE enrolment SET employed_after = EXISTS (SELECT 1 FROM training_followup f WHERE f.enrolment_id = "
        "enrolment.id AND f.status = 'reached' AND f.employment IS NOT NULL AND f.employment <> 'not_employed'), "
        "income_after_cents = (SELECT f.income_cents FROM training_followup f WHERE f.enrolment_id = enrolment.id "
        "AND f.status = 'reached' AND f.income_cents IS NOT NULL ORDER BY f.wave DESC LIMIT 1)"))
    op.drop_index("ix_training_followup_enrolment_id", "training_followup")
    op.drop_index("ix_training_followup_due", "training_followup")
    op.drop_index("ix_training_followup_community_id", "training_followup")
    op.drop_table("training_followup")
    op.drop_index("ix_certificate_number", "certificate")
    op.drop_index("ix_certificate_community_id", "certificate")
    op.drop_table("certificate")
    op.drop_index("ix_subsidy_rule_code", "subsidy_rule")
    op.drop_table("subsidy_rule")
