"""add clinician scores

clinician_scores: a clinician-observed withdrawal scale's total reported to the helpline (COWS 0-48, CIWA-Ar 0-67;
ck_clinician_scores_score_range), its band by the published cut-offs (caseapp/screenings/clinician.py), when the
clinician assessed, the clinician's name and role/organisation (encrypted free text), and who recorded it. Listed per
case newest assessment first (ix_clinician_scores_case_assessed).

Revision ID: 5c1d0e7f2a94
Revises: a8150fed455c
Create Date: 2026-12-02 14:17:00.000000

"""
from alembic import op
import sqlalchemy as sa

import caseapp.db
import caseapp.encryption.types


# revision identifiers, used by Alembic.
revision = '5c1d0e7f2a94'
down_revision = 'a8150fed455c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('clinician_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('instrument', sa.Enum('cows', 'ciwa_ar', name='clinician_scale', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.Column('band', sa.String(length=32), nullable=False),
    sa.Column('assessed_at', caseapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('clinician_name', caseapp.encryption.types.EncryptedText(), nullable=False),
    sa.Column('clinician_role', caseapp.encryption.types.EncryptedText(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', caseapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(instrument = 'cows' AND score BETWEEN 0 AND 48) OR (instrument = 'ciwa_ar' AND score BETWEEN 0 AND 67)", name=op.f('ck_clinician_scores_score_range')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_clinician_scores_case_id_cases'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_clinician_scores_recorded_by_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clinician_scores'))
    )
    with op.batch_alter_table('clinician_scores', schema=None) as batch_op:
        batch_op.create_index('ix_clinician_scores_case_assessed', ['case_id', 'assessed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('clinician_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_clinician_scores_case_assessed')

    op.drop_table('clinician_scores')
