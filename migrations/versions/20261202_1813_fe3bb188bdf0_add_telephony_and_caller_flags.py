"""add telephony calls, events, rejections and caller flags

telephony_calls: one row per call the phone system offered (unique per provider and call id), filled by its events
in any order; telephony_events: each event as received, unique on (provider, call id, event) so a repeat changes
nothing; telephony_rejections: webhook requests refused before anything was applied (code, status, sender address;
no body). caller_flags: a warning on a caller or a number with an encrypted reason and a required expiry; the partial
indexes serve the lookup of flags in force by number and the expiry task.

Revision ID: fe3bb188bdf0
Revises: 5c1d0e7f2a94
Create Date: 2026-12-02 18:13:11.105918

"""
from alembic import op
import sqlalchemy as sa

import caseapp.db
import caseapp.encryption.types


# revision identifiers, used by Alembic.
revision = 'fe3bb188bdf0'
down_revision = '5c1d0e7f2a94'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('telephony_rejections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('status', sa.SmallInteger(), nullable=False),
    sa.Column('remote_addr', sa.String(length=45), nullable=True),
    sa.Column('created_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telephony_rejections'))
    )
    with op.batch_alter_table('telephony_rejections', schema=None) as batch_op:
        batch_op.create_index('ix_telephony_rejections_created_at', ['created_at'], unique=False)

    op.create_table('caller_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('caller_id', sa.Integer(), nullable=True),
    sa.Column('phone_e164', sa.String(length=16), nullable=True),
    sa.Column('kind', sa.Enum('abusive', 'hoax', 'safeguarding_concern', 'do_not_ring_back', name='caller_flag_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reason', caseapp.encryption.types.EncryptedText(), nullable=False),
    sa.Column('expires_at', caseapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('raised_by_id', sa.Integer(), nullable=False),
    sa.Column('ended_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.Enum('expired', 'lifted', name='caller_flag_end', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint('(ended_at IS NULL) = (end_reason IS NULL)', name=op.f('ck_caller_flags_end_has_reason')),
    sa.CheckConstraint('caller_id IS NOT NULL OR phone_e164 IS NOT NULL', name=op.f('ck_caller_flags_on_caller_or_number')),
    sa.CheckConstraint('expires_at > created_at', name=op.f('ck_caller_flags_expires_after_raised')),
    sa.ForeignKeyConstraint(['caller_id'], ['callers.id'], name=op.f('fk_caller_flags_caller_id_callers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'], name=op.f('fk_caller_flags_ended_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['raised_by_id'], ['users.id'], name=op.f('fk_caller_flags_raised_by_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_caller_flags'))
    )
    with op.batch_alter_table('caller_flags', schema=None) as batch_op:
        batch_op.create_index('ix_caller_flags_active_expiry', ['expires_at'], unique=False, postgresql_where=sa.text('ended_at IS NULL'), sqlite_where=sa.text('ended_at IS NULL'))
        batch_op.create_index('ix_caller_flags_active_phone', ['phone_e164'], unique=False, postgresql_where=sa.text('ended_at IS NULL'), sqlite_where=sa.text('ended_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_caller_flags_caller_id'), ['caller_id'], unique=False)

    op.create_table('telephony_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('provider_call_id', sa.String(length=64), nullable=False),
    sa.Column('line', sa.String(length=32), nullable=True),
    sa.Column('from_e164', sa.String(length=16), nullable=True),
    sa.Column('withheld', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('caller_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.Enum('ringing', 'answered', 'missed', 'voicemail', name='telephony_call_outcome', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('offered_at', caseapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('missed_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('duration_seconds', sa.Integer(), nullable=True),
    sa.Column('advisor_id', sa.Integer(), nullable=True),
    sa.Column('call_draft_id', sa.Integer(), nullable=True),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('callback_id', sa.Integer(), nullable=True),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('local_hour', sa.SmallInteger(), nullable=False),
    sa.Column('updated_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('created_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint('duration_seconds IS NULL OR duration_seconds >= 0', name=op.f('ck_telephony_calls_duration_not_negative')),
    sa.CheckConstraint('local_hour BETWEEN 0 AND 23', name=op.f('ck_telephony_calls_local_hour_range')),
    sa.ForeignKeyConstraint(['advisor_id'], ['users.id'], name=op.f('fk_telephony_calls_advisor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['call_draft_id'], ['call_drafts.id'], name=op.f('fk_telephony_calls_call_draft_id_call_drafts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_telephony_calls_call_id_calls'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['callback_id'], ['callbacks.id'], name=op.f('fk_telephony_calls_callback_id_callbacks'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['caller_id'], ['callers.id'], name=op.f('fk_telephony_calls_caller_id_callers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telephony_calls')),
    sa.UniqueConstraint('provider', 'provider_call_id', name='uq_telephony_calls_provider_call')
    )
    with op.batch_alter_table('telephony_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telephony_calls_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_telephony_calls_callback_id'), ['callback_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_telephony_calls_caller_id'), ['caller_id'], unique=False)
        batch_op.create_index('ix_telephony_calls_from_missed', ['from_e164', 'missed_at'], unique=False)
        batch_op.create_index('ix_telephony_calls_local_date_hour', ['local_date', 'local_hour'], unique=False)

    op.create_table('telephony_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('telephony_call_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('provider_call_id', sa.String(length=64), nullable=False),
    sa.Column('event', sa.String(length=24), nullable=False),
    sa.Column('kind', sa.Enum('ringing', 'answered', 'ended', 'missed', 'voicemail', name='telephony_event_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('occurred_at', caseapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['telephony_call_id'], ['telephony_calls.id'], name=op.f('fk_telephony_events_telephony_call_id_telephony_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telephony_events')),
    sa.UniqueConstraint('provider', 'provider_call_id', 'event', name='uq_telephony_events_provider_call_event')
    )
    with op.batch_alter_table('telephony_events', schema=None) as batch_op:
        batch_op.create_index('ix_telephony_events_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_telephony_events_telephony_call_id'), ['telephony_call_id'], unique=False)


def downgrade():
    with op.batch_alter_table('telephony_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_telephony_events_telephony_call_id'))
        batch_op.drop_index('ix_telephony_events_created_at')

    op.drop_table('telephony_events')
    with op.batch_alter_table('telephony_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_telephony_calls_local_date_hour')
        batch_op.drop_index('ix_telephony_calls_from_missed')
        batch_op.drop_index(batch_op.f('ix_telephony_calls_caller_id'))
        batch_op.drop_index(batch_op.f('ix_telephony_calls_callback_id'))
        batch_op.drop_index(batch_op.f('ix_telephony_calls_call_id'))

    op.drop_table('telephony_calls')
    with op.batch_alter_table('caller_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_caller_flags_caller_id'))
        batch_op.drop_index('ix_caller_flags_active_phone', postgresql_where=sa.text('ended_at IS NULL'), sqlite_where=sa.text('ended_at IS NULL'))
        batch_op.drop_index('ix_caller_flags_active_expiry', postgresql_where=sa.text('ended_at IS NULL'), sqlite_where=sa.text('ended_at IS NULL'))

    op.drop_table('caller_flags')
    with op.batch_alter_table('telephony_rejections', schema=None) as batch_op:
        batch_op.drop_index('ix_telephony_rejections_created_at')

    op.drop_table('telephony_rejections')
