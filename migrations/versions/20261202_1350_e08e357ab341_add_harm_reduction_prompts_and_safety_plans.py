"""add harm-reduction prompts and safety plans

The safety plan's text columns hold Fernet tokens (caseapp/encryption): the plan is in the caller's words.

Revision ID: e08e357ab341
Revises: 23c754d88900
Create Date: 2026-12-02 13:50:18.337553

"""
from alembic import op
import sqlalchemy as sa

import caseapp.db


# revision identifiers, used by Alembic.
revision = 'e08e357ab341'
down_revision = '23c754d88900'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('safety_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.SmallInteger(), nullable=False),
    sa.Column('warning_signs', sa.Text(), nullable=True),
    sa.Column('coping_strategies', sa.Text(), nullable=True),
    sa.Column('contacts', sa.Text(), nullable=True),
    sa.Column('services', sa.Text(), nullable=True),
    sa.Column('safe_place', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', caseapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_safety_plans_case_id_cases'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_safety_plans_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_plans')),
    sa.UniqueConstraint('case_id', 'version', name=op.f('uq_safety_plans_case_id_version'))
    )
    op.create_table('harm_reduction_prompts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('rule_code', sa.String(length=40), nullable=False),
    sa.Column('rule_version', sa.SmallInteger(), nullable=False),
    sa.Column('response', sa.Enum('given', 'declined', 'not_relevant', name='harm_reduction_response', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', caseapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_harm_reduction_prompts_assessment_id_assessments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_harm_reduction_prompts_case_id_cases'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_harm_reduction_prompts_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_harm_reduction_prompts')),
    sa.UniqueConstraint('assessment_id', 'rule_code', name=op.f('uq_harm_reduction_prompts_assessment_id_rule_code'))
    )
    with op.batch_alter_table('harm_reduction_prompts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_harm_reduction_prompts_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_harm_reduction_prompts_recorded_at', ['recorded_at'], unique=False)



def downgrade():
    with op.batch_alter_table('harm_reduction_prompts', schema=None) as batch_op:
        batch_op.drop_index('ix_harm_reduction_prompts_recorded_at')
        batch_op.drop_index(batch_op.f('ix_harm_reduction_prompts_case_id'))

    op.drop_table('harm_reduction_prompts')
    op.drop_table('safety_plans')
