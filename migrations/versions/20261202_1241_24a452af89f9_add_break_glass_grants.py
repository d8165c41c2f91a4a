"""add break-glass grants

break_glass_grants: each time an advisor opens a case they have no relationship with (not assigned, no call logged
on it, no callback held, not in the pool), the reason they gave, how long the access lasts, what made it unusual
(flags), and the admin review. Read on every check of such a case (ix_break_glass_grants_user_case) and listed for the
admins newest first (ix_break_glass_grants_created).

Revision ID: 24a452af89f9
Revises: 9d3e5b7a1c24
Create Date: 2026-12-02 12:41:00.000000

"""
from alembic import op
import sqlalchemy as sa

import caseapp.db


# revision identifiers, used by Alembic.
revision = '24a452af89f9'
down_revision = '9d3e5b7a1c24'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('break_glass_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('caller_asked_for_me', 'covering', 'safeguarding', 'manager_asked', 'other', name='break_glass_reason', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),  # a Fernet token (caseapp/encryption): the note may name a caller
    sa.Column('expires_at', caseapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('is_flagged', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('reviewed_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_break_glass_grants_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_break_glass_grants_reviewed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_break_glass_grants_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_break_glass_grants'))
    )
    with op.batch_alter_table('break_glass_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_break_glass_grants_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_break_glass_grants_created', ['created_at'], unique=False)
        batch_op.create_index('ix_break_glass_grants_user_case', ['user_id', 'case_id', 'expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('break_glass_grants', schema=None) as batch_op:
        batch_op.drop_index('ix_break_glass_grants_user_case')
        batch_op.drop_index('ix_break_glass_grants_created')
        batch_op.drop_index(batch_op.f('ix_break_glass_grants_case_id'))

    op.drop_table('break_glass_grants')
