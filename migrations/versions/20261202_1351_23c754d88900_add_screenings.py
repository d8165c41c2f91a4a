"""add screenings

screenings: one validated instrument's answers on a case (AUDIT-C, AUDIT, SDS, DAST-10, SADQ; caseapp/screenings),
the version scored with, the total, the band and the pathway the band suggests; a draft holds partial answers and no
score (ck_screenings_complete_has_score). Listed per case newest first (ix_screenings_case_recorded).

Revision ID: 23c754d88900
Revises: 24a452af89f9
Create Date: 2026-12-02 13:51:24.526843

"""
from alembic import op
import sqlalchemy as sa

import caseapp.db


# revision identifiers, used by Alembic.
revision = '23c754d88900'
down_revision = '24a452af89f9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('screenings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('instrument', sa.Enum('audit_c', 'audit', 'sds', 'dast10', 'sadq', name='screening_instrument', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('version', sa.SmallInteger(), nullable=False),
    sa.Column('answers', sa.Text(), nullable=False),  # a Fernet token (caseapp/encryption): health data
    sa.Column('substance', sa.Enum('heroin', 'ketamine', 'cocaine', 'crack_cocaine', 'alcohol', 'benzodiazepines', 'cannabis', 'prescription_opioids', 'synthetic_cannabinoids', 'amphetamines', 'ghb_gbl', 'other', name='screening_substance', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('status', sa.Enum('draft', 'complete', name='screening_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=True),
    sa.Column('band', sa.String(length=32), nullable=True),
    sa.Column('suggested_pathway', sa.Enum('medical_detox', 'residential_rehab', 'outpatient', 'dual_diagnosis', 'signposted', 'no_further_action', name='screening_suggested_pathway', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', caseapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'complete') = (score IS NOT NULL AND band IS NOT NULL AND completed_at IS NOT NULL)", name=op.f('ck_screenings_complete_has_score')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_screenings_case_id_cases'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_screenings_recorded_by_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screenings'))
    )
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.create_index('ix_screenings_case_recorded', ['case_id', 'recorded_at'], unique=False)



def downgrade():
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.drop_index('ix_screenings_case_recorded')

    op.drop_table('screenings')
