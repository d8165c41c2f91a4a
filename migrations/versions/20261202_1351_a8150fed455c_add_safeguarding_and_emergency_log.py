"""add safeguarding records and the emergency log

safeguarding_records: a concern raised on a case (who is at risk and the concern as codes, the description, the
decision to share and its reasoning, the agency told with its reference, a manager's review and the status open ->
under_review -> closed); the managers' list reads the unclosed ones oldest first (ix_safeguarding_records_unclosed).
emergency_actions: the 999 calls and transfers made for a caller in immediate danger, linked to the case and to the
alert of the same emergency when there was one. The free text and references are encrypted (EncryptedText).

Revision ID: a8150fed455c
Revises: e08e357ab341
Create Date: 2026-12-02 13:51:24.938110

"""
from alembic import op
import sqlalchemy as sa

import caseapp.db
import caseapp.encryption.types


# revision identifiers, used by Alembic.
revision = 'a8150fed455c'
down_revision = 'e08e357ab341'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('safeguarding_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('at_risk', sa.JSON(), nullable=False),
    sa.Column('children_count', sa.SmallInteger(), nullable=True),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('description', caseapp.encryption.types.EncryptedText(), nullable=False),
    sa.Column('decision', sa.Enum('shared_with_consent', 'shared_without_consent', 'not_shared', 'manager_to_decide', name='safeguarding_decision', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('decision_reason', caseapp.encryption.types.EncryptedText(), nullable=True),
    sa.Column('agency', sa.Enum('police', 'childrens_social_care', 'adult_social_care', 'ambulance', 'gp', 'other', name='safeguarding_agency', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('agency_reference', caseapp.encryption.types.EncryptedText(), nullable=True),
    sa.Column('agency_contacted_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.Enum('open', 'under_review', 'closed', name='safeguarding_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_note', caseapp.encryption.types.EncryptedText(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('created_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint('children_count IS NULL OR children_count BETWEEN 0 AND 30', name=op.f('ck_safeguarding_records_children_count_range')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_safeguarding_records_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_safeguarding_records_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_safeguarding_records_reviewed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safeguarding_records'))
    )
    with op.batch_alter_table('safeguarding_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safeguarding_records_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_safeguarding_records_unclosed', ['created_at'], unique=False, postgresql_where=sa.text("status IN ('open', 'under_review')"), sqlite_where=sa.text("status IN ('open', 'under_review')"))

    op.create_table('emergency_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=True),
    sa.Column('made_by_id', sa.Integer(), nullable=True),
    sa.Column('made_at', caseapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.Enum('emergency_call', 'transfer', name='emergency_action_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('service', sa.Enum('ambulance', 'police', 'fire', 'crisis_team', 'nhs_111_mental_health', 'samaritans', 'other', name='emergency_service', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reference', caseapp.encryption.types.EncryptedText(), nullable=True),
    sa.Column('outcome', sa.Enum('help_sent', 'transfer_completed', 'advice_given', 'caller_declined', 'call_lost', 'other', name='emergency_outcome', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('outcome_note', caseapp.encryption.types.EncryptedText(), nullable=True),
    sa.Column('created_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['emergency_alerts.id'], name=op.f('fk_emergency_actions_alert_id_emergency_alerts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_emergency_actions_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['made_by_id'], ['users.id'], name=op.f('fk_emergency_actions_made_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emergency_actions'))
    )
    with op.batch_alter_table('emergency_actions', schema=None) as batch_op:
        batch_op.create_index('ix_emergency_actions_case_made', ['case_id', 'made_at'], unique=False)



def downgrade():
    with op.batch_alter_table('emergency_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_emergency_actions_case_made')

    op.drop_table('emergency_actions')
    with op.batch_alter_table('safeguarding_records', schema=None) as batch_op:
        batch_op.drop_index('ix_safeguarding_records_unclosed', postgresql_where=sa.text("status IN ('open', 'under_review')"), sqlite_where=sa.text("status IN ('open', 'under_review')"))
        batch_op.drop_index(batch_op.f('ix_safeguarding_records_case_id'))

    op.drop_table('safeguarding_records')
