"""The request loop: units instead of a fixed department list, the lifecycle's columns, callbacks, the calendar.

* `unit` replaces the `department` codes of requests and parties. Every (community, department) a request was
  routed to or a government party stood for becomes a unit of that community, named after both; the party with
  that department becomes the unit's party (its staff act for it); the community's street office or township
  government becomes the parent of its other units (escalations climb to it).
* `request` gains its lead unit, priority, 附议 count, the dates of routing, the outcome and its second signature,
  the callback, counters of reopenings, returns and escalations, and a version for optimistic locking. Its
  deadline may be empty until it is routed. `reopened` is no longer a status: such requests are back 办理中 with
  a reopening counted.
* `request_event` gains the kind of move, the day it counts for, the units it moved between and a reason code.
* `request_support`, `request_callback`, `request_sla` (urgent 1, general 5, complex 15 working days) and
  `calendar_day` (an admin's holidays and 调休 working days) are new.

SQLite rebuilds `party`, `request` and `request_event` (batch mode) with foreign keys off for the migration, as
its documented procedure asks; dashboard.db.upgrade turns them off and checks them before committing.

Revision ID: 0008
Revises: 0007
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEPARTMENT_NAMES = {
    "village_committee": "村委会", "residents_committee": "居委会", "street_office": "街道办",
    "township_government": "乡镇政府", "market_regulation": "市场监管所", "human_resources": "人社所",
    "transport": "交通运输所", "urban_management": "城管中队", "property_management": "物业服务中心",
    "postal_logistics": "邮政快递网点",
}
DEPARTMENT_KIND = {
    "village_committee": "village_committee", "residents_committee": "village_committee",
    "street_office": "township_department", "township_government": "township_department",
    "market_regulation": "township_department", "human_resources": "township_department",
    "transport": "township_department", "urban_management": "township_department",
    "property_management": "other", "postal_logistics": "other",
}
TOP = ("street_office", "township_government")     # the unit a community's other units escalate to
OLD_STATUS = ("collected", "classified", "routed", "in_progress", "resolved", "reported", "closed", "reopened")
NEW_STATUS = OLD_STATUS[:-1]


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _status_check(column: str, values: Sequence[str], dialect: str) -> str:
    if dialect == "sqlite":     # as 0006 writes them: OR chains, not IN lists
        return "(" + " OR ".join(f"{column} = '{v}'" for v in values) + ")"
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _units_from_departments(conn: sa.Connection) -> None:
    """One unit per (community, department) in use; requests and parties point at it from now on."""
    pairs = conn.execute(sa.text(
        "SELECT DISTINCT community_id, department FROM request WHERE department IS NOT NULL "
        "UNION SELECT DISTINCT community_id, department FROM party "
        "WHERE department IS NOT NULL AND community_id IS NOT NULL")).all()
    communities = {cid: (code, name) for cid, code, name in
                   conn.execute(sa.text("SELECT id, code, name FROM community")).all()}
    parties = {(cid, dept): pid for pid, cid, dept in conn.execute(sa.text(
        "SELECT id, community_id, department FROM party WHERE department IS NOT NULL AND kind = 'government' "
        "ORDER BY id DESC")).all()}
    unit_table = sa.table("unit", sa.column("id"), sa.column("code"), sa.column("name"), sa.column("kind"),
                          sa.column("community_id"), sa.column("township"), sa.column("party_id"),
                          sa.column("parent_id"), sa.column("is_active"))
    ids: dict[tuple[int, str], int] = {}
    for n, (cid, dept) in enumerate(sorted(pairs, key=lambda p: (p[0], p[1] not in TOP, p[1])), start=1):
        ccode, cname = communities[cid]
        conn.execute(sa.insert(unit_table).values(
            id=n, code=f"U-{ccode}-{dept}"[:40], name=f"{cname}{DEPARTMENT_NAMES[dept]}"[:200],
            kind=DEPARTMENT_KIND[dept], community_id=cid, township="", party_id=parties.get((cid, dept)),
            parent_id=None, is_active=True))
        ids[(cid, dept)] = n
    for (cid, dept), uid in ids.items():
        top = next((ids[(cid, t)] for t in TOP if (cid, t) in ids), None)
        if top is not None and top != uid and dept not in TOP:
            conn.execute(sa.update(unit_table).where(unit_table.c.id == uid).values(parent_id=top))
    for (cid, dept), uid in ids.items():
        conn.execute(sa.text("UPDATE request SET lead_unit_id = :u WHERE community_id = :c AND department = :d"),
                     {"u": uid, "c": cid, "d": dept})
    if conn.dialect.name == "postgresql" and ids:
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('unit', 'id'), :n)"), {"n": max(ids.values())})


def upgrade() -> None:
    conn = op.get_bind()
    dialect = conn.dialect.name
    op.create_table(
        "calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_workday", sa.Boolean(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_day")),
    )
    sla = op.create_table(
        "request_sla",
        sa.Column("priority", _enum("requestpriority", "urgent", "general", "complex"), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.CheckConstraint("working_days >= 1 AND working_days <= 365", name=op.f("ck_request_sla_days_range")),
        sa.PrimaryKeyConstraint("priority", name=op.f("pk_request_sla")),
    )
    op.bulk_insert(sla, [{"priority": "urgent", "working_days": 1}, {"priority": "general", "working_days": 5},
                         {"priority": "complex", "working_days": 15}])
    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", _enum("unitkind", "village_committee", "township_department", "platform", "association",
                                "other"), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("township", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("parent_id IS NULL OR parent_id != id", name=op.f("ck_unit_not_own_parent")),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"], name=op.f("fk_unit_community_id_community")),
        sa.ForeignKeyConstraint(["parent_id"], ["unit.id"], name=op.f("fk_unit_parent_id_unit")),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name=op.f("fk_unit_party_id_party")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
    )
    with op.batch_alter_table("unit") as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_code"), ["code"], unique=True)
        batch_op.create_index(batch_op.f("ix_unit_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_party_id"), ["party_id"], unique=False)
    op.create_table(
        "request_callback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("called_on", sa.Date(), nullable=False),
        sa.Column("result", _enum("callbackresult", "satisfied", "basically_satisfied", "dissatisfied",
                                  "unreachable"), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.CheckConstraint("tries >= 1", name=op.f("ck_request_callback_tries_positive")),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"], name=op.f("fk_request_callback_request_id_request"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_callback")),
    )
    with op.batch_alter_table("request_callback") as batch_op:
        batch_op.create_index(batch_op.f("ix_request_callback_request_id"), ["request_id"], unique=False)
    op.create_table(
        "request_support",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"], name=op.f("fk_request_support_request_id_request"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_request_support_unit_id_unit")),
        sa.PrimaryKeyConstraint("request_id", "unit_id", name=op.f("pk_request_support")),
    )
    with op.batch_alter_table("request_support") as batch_op:
        batch_op.create_index(batch_op.f("ix_request_support_unit_id"), ["unit_id"], unique=False)

    # New request columns first (the units are filled in from the departments), then the old ones go.
    with op.batch_alter_table("request") as batch_op:
        batch_op.add_column(sa.Column("priority", _enum("requestpriority", "urgent", "general", "complex"),
                                      nullable=False, server_default="general"))
        batch_op.add_column(sa.Column("endorsements", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("lead_unit_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("first_routed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("routed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("outcome", _enum("requestoutcome", "solved", "partly_solved", "explained",
                                                       "unreasonable"), nullable=True))
        batch_op.add_column(sa.Column("unreasonable_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("unreasonable_agreed_by", sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column("satisfaction", _enum("callbackresult", "satisfied", "basically_satisfied",
                                                            "dissatisfied", "unreachable"), nullable=True))
        for name in ("callback_tries", "reopen_count", "return_count", "escalation_level"):
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    _units_from_departments(conn)
    # The routing dates from the history (the day in Shanghai); a reopened request is back in progress with its
    # reopening counted; a finished one was solved (the only outcome there was).
    day = "substr(e.at, 1, 10)" if dialect == "sqlite" else "CAST((e.at AT TIME ZONE 'Asia/Shanghai') AS DATE)"
    op.execute(f"UPDATE request SET routed_on = (SELECT MIN({day}) FROM request_event e "
               "WHERE e.request_id = request.id AND e.to_status = 'routed') WHERE lead_unit_id IS NOT NULL")
    op.execute("UPDATE request SET routed_on = raised_on "
               "WHERE lead_unit_id IS NOT NULL AND (routed_on IS NULL OR routed_on < raised_on)")
    op.execute("UPDATE request SET first_routed_on = routed_on")
    op.execute("UPDATE request SET status = 'in_progress', reopen_count = 1, closed_on = NULL "
               "WHERE status = 'reopened'")
    op.execute("UPDATE request SET outcome = 'solved' WHERE resolved_on IS NOT NULL")

    with op.batch_alter_table("request") as batch_op:
        batch_op.alter_column("priority", server_default=None)
        batch_op.alter_column("endorsements", server_default=None)
        for name in ("callback_tries", "reopen_count", "return_count", "escalation_level", "version"):
            batch_op.alter_column(name, server_default=None)
        batch_op.alter_column("deadline", existing_type=sa.DATE(), nullable=True)
        batch_op.drop_index(batch_op.f("ix_request_department"))
        batch_op.drop_constraint(op.f("ck_request_department"), type_="check")
        batch_op.drop_column("department")
        batch_op.create_index(batch_op.f("ix_request_lead_unit_id"), ["lead_unit_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_request_lead_unit_id_unit"), "unit", ["lead_unit_id"], ["id"])
        batch_op.drop_constraint(op.f("ck_request_requeststatus"), type_="check")
        batch_op.create_check_constraint(op.f("ck_request_requeststatus"),
                                         sa.text(_status_check("status", NEW_STATUS, dialect)))
        batch_op.create_check_constraint(op.f("ck_request_routed_after_raised"), sa.text("routed_on >= raised_on"))
        batch_op.create_check_constraint(op.f("ck_request_version_positive"), sa.text("version >= 1"))
        batch_op.create_check_constraint(op.f("ck_request_endorsements_nonnegative"), sa.text("endorsements >= 0"))
        batch_op.create_check_constraint(op.f("ck_request_counts_nonnegative"), sa.text(
            "reopen_count >= 0 AND return_count >= 0 AND escalation_level >= 0 AND callback_tries >= 0"))

    with op.batch_alter_table("request_event") as batch_op:
        batch_op.add_column(sa.Column("move", _enum("requestmove", "collect", "classify", "route", "accept", "finish",
                                                    "propose_unreasonable", "report", "close", "send_back",
                                                    "transfer", "reopen", "escalate", "callback"),
                                      nullable=False, server_default="collect"))
        batch_op.add_column(sa.Column("on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("from_unit_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("to_unit_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reason_code", _enum("returnreason", "not_our_remit", "information_missing",
                                                           "duplicate", "other"), nullable=True))
    moves = {"collected": "collect", "classified": "classify", "routed": "route", "in_progress": "accept",
             "resolved": "finish", "reported": "report", "closed": "close"}
    for status, move in moves.items():
        op.execute(f"UPDATE request_event SET move = '{move}' WHERE to_status = '{status}'")
    # A reopening was a move to the status `reopened`; it is now a move back to in_progress.
    op.execute("UPDATE request_event SET move = 'reopen', to_status = 'in_progress' WHERE to_status = 'reopened'")
    op.execute("UPDATE request_event SET from_status = 'in_progress' WHERE from_status = 'reopened'")
    op.execute("UPDATE request SET reopen_count = (SELECT COUNT(*) FROM request_event e "
               "WHERE e.request_id = request.id AND e.move = 'reopen')")
    op.execute("UPDATE request_event SET to_unit_id = (SELECT lead_unit_id FROM request r "
               "WHERE r.id = request_event.request_id) WHERE move = 'route'")
    with op.batch_alter_table("request_event") as batch_op:
        batch_op.alter_column("move", server_default=None)
        batch_op.create_foreign_key(batch_op.f("fk_request_event_to_unit_id_unit"), "unit", ["to_unit_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_request_event_from_unit_id_unit"), "unit", ["from_unit_id"],
                                    ["id"])
        batch_op.drop_constraint(op.f("ck_request_event_requeststatus"), type_="check")
        batch_op.create_check_constraint(op.f("ck_request_event_requeststatus"),
                                         sa.text(_status_check("to_status", NEW_STATUS, dialect)))
        batch_op.drop_constraint(op.f("ck_request_event_from_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_request_event_from_status"),
                                         sa.text(_status_check("from_status", NEW_STATUS, dialect)))

    with op.batch_alter_table("party") as batch_op:
        if dialect == "sqlite":     # PostgreSQL drops the column's CHECK with it (0005 named it differently there)
            batch_op.drop_constraint(op.f("ck_party_department"), type_="check")
        batch_op.drop_column("department")

    if dialect == "sqlite":     # the new tables' enum checks as OR chains, like every other table (0006)
        path = Path(__file__).with_name("0006_sqlite_checks_without_in_lists.py")
        spec = importlib.util.spec_from_file_location("_migration_0006", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.upgrade()


def downgrade() -> None:
    raise NotImplementedError("0008 cannot be undone: units replace the department codes. Restore a backup.")
