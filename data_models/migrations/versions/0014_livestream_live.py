"""直播现场 (issue 16): requests captured on air, comment exports grouped into candidates, 五步协商 cases.

* `request` gains `resident` (the nickname or house number said on air), `source` (typed / live / comments /
  imported; every existing request was typed) and `raised_at` (the moment it was raised, when known).
* `request_stats.untimed`: requests finished with no deadline (settled by a case), left out of the on-time rate.
* `request_event.move` may be `consult`: 已分类 → 办理中 by opening a consultation case; `agenda_item.source`
  may be `hot_topic` (每月一题 offered to the joint meeting's agenda builder).
* New: `comment_column_map`, `comment_batch`, `comment_candidate`, `livestream_comment` (the comments, masked),
  `consultation_case`, `case_party`, `case_request`, `case_check`, `case_event`.

Revision ID: 0014
Revises: 0013
"""

import importlib.util
import re
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('comment_column_map',
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('time_column', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('nickname_column', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('text_column', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('platform', name=op.f('pk_comment_column_map'))
    )
    op.create_table('consultation_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('step', sa.Enum('collection', 'invitation', 'meeting', 'solution', 'supervision', 'closed', name='casestep', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('opened_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('meeting_on', sa.Date(), nullable=True),
    sa.Column('meeting_place', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('meeting_record', sa.Text(), nullable=False),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.Column('supervision_from', sa.Date(), nullable=True),
    sa.Column('check_every_days', sa.Integer(), nullable=False),
    sa.Column('feedback_every_days', sa.Integer(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('close_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("step != 'closed' OR closed_on IS NOT NULL", name=op.f('ck_consultation_case_closed_has_date')),
    sa.CheckConstraint("step != 'supervision' OR supervision_from IS NOT NULL", name=op.f('ck_consultation_case_supervision_has_start')),
    sa.CheckConstraint('check_every_days >= 1 AND feedback_every_days >= 1', name=op.f('ck_consultation_case_periods_positive')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_consultation_case_version_positive')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_consultation_case_community_id_community')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_case'))
    )
    with op.batch_alter_table('consultation_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_case_code'), ['code'], unique=True)
        batch_op.create_index('ix_consultation_case_community_step', ['community_id', 'step'], unique=False)

    op.create_table('case_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('weekly_check', 'monthly_feedback', name='casecheckkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('holds', sa.Boolean(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['consultation_case.id'], name=op.f('fk_case_check_case_id_consultation_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_check'))
    )
    with op.batch_alter_table('case_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_check_case_id'), ['case_id'], unique=False)

    op.create_table('case_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_step', sa.Enum('collection', 'invitation', 'meeting', 'solution', 'supervision', 'closed', name='from_step', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('to_step', sa.Enum('collection', 'invitation', 'meeting', 'solution', 'supervision', 'closed', name='to_step', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['consultation_case.id'], name=op.f('fk_case_event_case_id_consultation_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_event'))
    )
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_event_case_id'), ['case_id'], unique=False)

    op.create_table('case_party',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('property_management', 'practitioner', 'resident_rep', 'committee', 'other', name='casepartykind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('invited_on', sa.Date(), nullable=True),
    sa.Column('attended', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['consultation_case.id'], name=op.f('fk_case_party_case_id_consultation_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_party'))
    )
    with op.batch_alter_table('case_party', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_party_case_id'), ['case_id'], unique=False)

    op.create_table('comment_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('chatter', sa.Integer(), nullable=False),
    sa.Column('uploaded_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('total >= 0 AND chatter >= 0 AND chatter <= total', name=op.f('ck_comment_batch_counts_valid')),
    sa.ForeignKeyConstraint(['session_id'], ['livestream_session.id'], name=op.f('fk_comment_batch_session_id_livestream_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_batch')),
    sa.UniqueConstraint('session_id', 'sha256', name='uq_comment_batch_session_file')
    )
    with op.batch_alter_table('comment_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_batch_session_id'), ['session_id'], unique=False)

    op.create_table('case_request',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['consultation_case.id'], name=op.f('fk_case_request_case_id_consultation_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['request.id'], name=op.f('fk_case_request_request_id_request')),
    sa.PrimaryKeyConstraint('case_id', 'request_id', name=op.f('pk_case_request')),
    sa.UniqueConstraint('request_id', name=op.f('uq_case_request_request_id'))
    )
    op.create_table('comment_candidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('category', sa.Enum('parcel_stacking', 'livestream_noise', 'road_lighting', 'sanitation', 'logistics', 'training', 'rights_dispute', 'public_facilities', 'other', name='requestcategory', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('comments', sa.Integer(), nullable=False),
    sa.Column('endorsements', sa.Integer(), nullable=False),
    sa.Column('first_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'accepted', 'merged', 'discarded', name='candidatestatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status != 'accepted' OR request_id IS NOT NULL", name=op.f('ck_comment_candidate_accepted_has_request')),
    sa.CheckConstraint("status != 'merged' OR merged_into_id IS NOT NULL", name=op.f('ck_comment_candidate_merged_has_target')),
    sa.CheckConstraint('comments >= 1 AND endorsements >= 0', name=op.f('ck_comment_candidate_counts_valid')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_comment_candidate_version_positive')),
    sa.ForeignKeyConstraint(['batch_id'], ['comment_batch.id'], name=op.f('fk_comment_candidate_batch_id_comment_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['comment_candidate.id'], name=op.f('fk_comment_candidate_merged_into_id_comment_candidate')),
    sa.ForeignKeyConstraint(['request_id'], ['request.id'], name=op.f('fk_comment_candidate_request_id_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_candidate'))
    )
    with op.batch_alter_table('comment_candidate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_candidate_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_candidate_request_id'), ['request_id'], unique=False)

    op.create_table('livestream_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('said_at', sa.DateTime(), nullable=True),
    sa.Column('nickname', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('chatter_rule', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('candidate_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['comment_batch.id'], name=op.f('fk_livestream_comment_batch_id_comment_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['candidate_id'], ['comment_candidate.id'], name=op.f('fk_livestream_comment_candidate_id_comment_candidate')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_livestream_comment')),
    sa.UniqueConstraint('batch_id', 'seq', name='uq_livestream_comment_batch_seq')
    )
    with op.batch_alter_table('livestream_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_livestream_comment_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_livestream_comment_candidate_id'), ['candidate_id'], unique=False)

    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resident', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('source', sa.Enum('typed', 'live', 'comments', 'imported', name='requestsource',
                                                        native_enum=False, create_constraint=True, length=32),
                                      nullable=False, server_default='typed'))
        batch_op.add_column(sa.Column('raised_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('request_stats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('untimed', sa.Integer(), nullable=False, server_default='0'))
    if op.get_bind().execute(sa.text("SELECT 1 FROM request LIMIT 1")).first() is not None:
        from dashboard import request_stats      # the table gained a column: count again (see 0010)
        request_stats.refill_in_migration(op.get_bind())
    _codes("request_event", "move", "requestmove", (*MOVES, "consult"))
    _codes("agenda_item", "source", "agendasource", (*SOURCES, "hot_topic"))
    if op.get_bind().dialect.name == "sqlite":     # the new enum checks as OR chains, like every other table (0006)
        _migration_0006().upgrade()


MOVES = ("collect", "classify", "route", "accept", "finish", "propose_unreasonable", "report", "close", "send_back",
         "transfer", "reopen", "escalate", "callback")
SOURCES = ("manual", "action_item", "overdue_requests", "unmet_needs", "training", "distribution")


def _migration_0006() -> ModuleType:
    path = Path(__file__).with_name("0006_sqlite_checks_without_in_lists.py")
    spec = importlib.util.spec_from_file_location("_migration_0006", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _codes(table: str, column: str, check: str, codes: tuple[str, ...]) -> None:
    """The CHECK `check` of `table.column` allows exactly `codes`. SQLite: its text is rewritten in place (0006's
    procedure, no row is read); PostgreSQL: the constraint is dropped and added again."""
    conn = op.get_bind()
    name = f"ck_{table}_{check}"
    if conn.dialect.name == "sqlite":
        chain = " OR ".join(f"{column} = '{c}'" for c in codes)
        pattern = re.compile(rf"CONSTRAINT {name} CHECK \(\(({column} = '[a-z_]+'(?: OR )?)+\)\)")
        _migration_0006().rewrite(pattern, lambda _m: f"CONSTRAINT {name} CHECK (({chain}))")
        return
    op.drop_constraint(op.f(name), table, type_="check")
    listed = ", ".join(f"'{c}'" for c in codes)
    op.create_check_constraint(op.f(name), table, f"{column} IN ({listed})")


def downgrade() -> None:
    # A consultation's opening reads as the unit's acceptance it stands in for (same statuses).
    op.execute("UPDATE request_event SET move = 'accept' WHERE move = 'consult'")
    op.execute("UPDATE agenda_item SET source = 'manual' WHERE source = 'hot_topic'")
    _codes("request_event", "move", "requestmove", MOVES)
    _codes("agenda_item", "source", "agendasource", SOURCES)
    with op.batch_alter_table('request_stats', schema=None) as batch_op:
        batch_op.drop_column('untimed')
    with op.batch_alter_table('request', schema=None) as batch_op:
        if op.get_bind().dialect.name == "sqlite":   # SQLite rebuilds the table: the dropped column's check goes too
            batch_op.drop_constraint(op.f("ck_request_requestsource"), type_="check")
        batch_op.drop_column('raised_at')
        batch_op.drop_column('source')
        batch_op.drop_column('resident')

    with op.batch_alter_table('livestream_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_livestream_comment_candidate_id'))
        batch_op.drop_index(batch_op.f('ix_livestream_comment_batch_id'))

    op.drop_table('livestream_comment')
    with op.batch_alter_table('comment_candidate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_candidate_request_id'))
        batch_op.drop_index(batch_op.f('ix_comment_candidate_batch_id'))

    op.drop_table('comment_candidate')
    op.drop_table('case_request')
    with op.batch_alter_table('comment_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_batch_session_id'))

    op.drop_table('comment_batch')
    with op.batch_alter_table('case_party', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_party_case_id'))

    op.drop_table('case_party')
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_event_case_id'))

    op.drop_table('case_event')
    with op.batch_alter_table('case_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_check_case_id'))

    op.drop_table('case_check')
    with op.batch_alter_table('consultation_case', schema=None) as batch_op:
        batch_op.drop_index('ix_consultation_case_community_step')
        batch_op.drop_index(batch_op.f('ix_consultation_case_code'))

    op.drop_table('consultation_case')
    op.drop_table('comment_column_map')
