"""add callbacks, shifts and the reminder outbox

Callbacks and their attempts, case flags, shifts (one open per user: a partial unique index) and the
reminder outbox (unique per callback, kind, due time, channel and recipient).

Revision ID: ebdfaa52adec
Revises: 8c59738451b5
Create Date: 2026-11-25 12:38:59.249568

"""
from alembic import op
import sqlalchemy as sa

import caseapp.db


# revision identifiers, used by Alembic.
revision = 'ebdfaa52adec'
down_revision = '8c59738451b5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('started_at', caseapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint('ended_at IS NULL OR ended_at >= started_at', name=op.f('ck_shifts_ends_after_start')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'], name=op.f('fk_shifts_ended_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shifts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shifts'))
    )
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shifts_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_shifts_one_open_per_user', ['user_id'], unique=True, postgresql_where=sa.text('ended_at IS NULL'), sqlite_where=sa.text('ended_at IS NULL'))

    op.create_table('callbacks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('due_at', caseapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('window_minutes', sa.SmallInteger(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('priority', sa.Enum('normal', 'high', 'urgent', name='callback_priority', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('status', sa.Enum('scheduled', 'in_progress', 'completed', 'no_answer', 'cancelled', 'missed', 'unreachable', name='callback_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('attempt_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('failed_attempt_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('outside_preferred_times', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('started_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.String(length=200), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('created_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint('attempt_count >= failed_attempt_count AND failed_attempt_count >= 0', name=op.f('ck_callbacks_attempts')),
    sa.CheckConstraint('window_minutes IS NULL OR window_minutes BETWEEN 0 AND 720', name=op.f('ck_callbacks_window_range')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_callbacks_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_callbacks_case_id_cases'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_callbacks_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callbacks'))
    )
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.create_index('ix_callbacks_assignee_status_due', ['assignee_id', 'status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_callbacks_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_callbacks_due_at_id', ['due_at', 'id'], unique=False)
        batch_op.create_index('ix_callbacks_open_due', ['due_at'], unique=False, postgresql_where=sa.text("status IN ('scheduled', 'in_progress', 'no_answer')"), sqlite_where=sa.text("status IN ('scheduled', 'in_progress', 'no_answer')"))

    op.create_table('callback_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('callback_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Enum('answered', 'no_answer', 'voicemail_left', 'wrong_number', 'call_back_later', name='callback_attempt_outcome', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('advisor_id', sa.Integer(), nullable=False),
    sa.Column('attempted_at', caseapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('notes', sa.String(length=1000), nullable=True),
    sa.Column('created_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['advisor_id'], ['users.id'], name=op.f('fk_callback_attempts_advisor_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_callback_attempts_call_id_calls'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['callback_id'], ['callbacks.id'], name=op.f('fk_callback_attempts_callback_id_callbacks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_attempts'))
    )
    with op.batch_alter_table('callback_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_attempts_callback_id'), ['callback_id'], unique=False)

    op.create_table('case_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('callback_id', sa.Integer(), nullable=True),
    sa.Column('cleared_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cleared_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['callback_id'], ['callbacks.id'], name=op.f('fk_case_flags_callback_id_callbacks'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_flags_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['cleared_by_id'], ['users.id'], name=op.f('fk_case_flags_cleared_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_flags'))
    )
    with op.batch_alter_table('case_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_flags_case_id'), ['case_id'], unique=False)
        batch_op.create_index('uq_case_flags_open_kind', ['case_id', 'kind'], unique=True, postgresql_where=sa.text('cleared_at IS NULL'), sqlite_where=sa.text('cleared_at IS NULL'))

    op.create_table('reminder_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('callback_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('reminder', 'escalation', name='reminder_outbox_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('due_at', caseapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.Enum('email', 'in_app', 'sms', name='reminder_outbox_channel', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'failed', 'withdrawn', name='reminder_outbox_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=200), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('dispatched_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('claimed_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name=op.f('ck_reminder_outbox_sent_has_time')),
    sa.ForeignKeyConstraint(['callback_id'], ['callbacks.id'], name=op.f('fk_reminder_outbox_callback_id_callbacks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_reminder_outbox_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_reminder_outbox_recipient_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_outbox')),
    sa.UniqueConstraint('callback_id', 'kind', 'due_at', 'channel', 'recipient_id', name='uq_reminder_outbox_key'),
    sa.UniqueConstraint('message_id', name=op.f('uq_reminder_outbox_message_id'))
    )
    with op.batch_alter_table('reminder_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_outbox_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index('ix_reminder_outbox_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_reminder_outbox_unsent', ['dispatched_at'], unique=False, postgresql_where=sa.text("status IN ('pending', 'sending')"), sqlite_where=sa.text("status IN ('pending', 'sending')"))



def downgrade():
    with op.batch_alter_table('reminder_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_reminder_outbox_unsent', postgresql_where=sa.text("status IN ('pending', 'sending')"), sqlite_where=sa.text("status IN ('pending', 'sending')"))
        batch_op.drop_index('ix_reminder_outbox_status_created')
        batch_op.drop_index(batch_op.f('ix_reminder_outbox_recipient_id'))

    op.drop_table('reminder_outbox')
    with op.batch_alter_table('case_flags', schema=None) as batch_op:
        batch_op.drop_index('uq_case_flags_open_kind', postgresql_where=sa.text('cleared_at IS NULL'), sqlite_where=sa.text('cleared_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_case_flags_case_id'))

    op.drop_table('case_flags')
    with op.batch_alter_table('callback_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_attempts_callback_id'))

    op.drop_table('callback_attempts')
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.drop_index('ix_callbacks_open_due', postgresql_where=sa.text("status IN ('scheduled', 'in_progress', 'no_answer')"), sqlite_where=sa.text("status IN ('scheduled', 'in_progress', 'no_answer')"))
        batch_op.drop_index('ix_callbacks_due_at_id')
        batch_op.drop_index(batch_op.f('ix_callbacks_case_id'))
        batch_op.drop_index('ix_callbacks_assignee_status_due')

    op.drop_table('callbacks')
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_index('uq_shifts_one_open_per_user', postgresql_where=sa.text('ended_at IS NULL'), sqlite_where=sa.text('ended_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_shifts_user_id'))

    op.drop_table('shifts')
