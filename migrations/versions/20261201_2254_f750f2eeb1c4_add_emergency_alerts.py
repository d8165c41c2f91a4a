"""add emergency alerts

One row each time the managers on shift are told that a case is in immediate danger: when, by whom, how many were
told, and the assessment it came with (if any).

Revision ID: f750f2eeb1c4
Revises: 5d0c7a9e4b18
Create Date: 2026-12-01 22:54:48.248842

"""
from alembic import op
import sqlalchemy as sa

import caseapp.db


# revision identifiers, used by Alembic.
revision = 'f750f2eeb1c4'
down_revision = '5d0c7a9e4b18'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('emergency_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('raised_by_id', sa.Integer(), nullable=True),
    sa.Column('raised_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('recipients', sa.SmallInteger(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_emergency_alerts_assessment_id_assessments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_emergency_alerts_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['raised_by_id'], ['users.id'], name=op.f('fk_emergency_alerts_raised_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emergency_alerts'))
    )
    with op.batch_alter_table('emergency_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_emergency_alerts_case_raised', ['case_id', 'raised_at'], unique=False)



def downgrade():
    with op.batch_alter_table('emergency_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_emergency_alerts_case_raised')

    op.drop_table('emergency_alerts')
