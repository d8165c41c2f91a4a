"""add callback handovers

One row each time an advisor clocking off hands an open callback to a colleague on shift (to_user_id) or to the pool
(null), with the note the receiver needs. It is offered until it is accepted (by the receiver, or whoever claims it
from the pool), returned to the pool by the clock (HANDOVER_ACCEPT_SECONDS), or withdrawn when the callback changes
hands or closes first. A partial unique index keeps one offer open per callback.

Revision ID: a28b5a98011d
Revises: eb8891f8352a
Create Date: 2026-12-02 03:23:37.354507

"""
from alembic import op
import sqlalchemy as sa

import caseapp.db


# revision identifiers, used by Alembic.
revision = 'a28b5a98011d'
down_revision = 'eb8891f8352a'
branch_labels = None
depends_on = None

OFFERED = sa.text("status = 'offered'")


def upgrade():
    op.create_table('callback_handovers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('callback_id', sa.Integer(), nullable=False),
    sa.Column('from_user_id', sa.Integer(), nullable=False),
    sa.Column('to_user_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('status', sa.Enum('offered', 'accepted', 'returned', 'withdrawn', name='handover_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('responded_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint("(status = 'offered') = (responded_at IS NULL)", name=op.f('ck_callback_handovers_responded_unless_offered')),
    sa.CheckConstraint("accepted_by_id IS NULL OR status = 'accepted'", name=op.f('ck_callback_handovers_accepted_by_when_accepted')),
    sa.CheckConstraint('to_user_id IS NULL OR to_user_id <> from_user_id', name=op.f('ck_callback_handovers_not_to_oneself')),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_callback_handovers_accepted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['callback_id'], ['callbacks.id'], name=op.f('fk_callback_handovers_callback_id_callbacks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_user_id'], ['users.id'], name=op.f('fk_callback_handovers_from_user_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['to_user_id'], ['users.id'], name=op.f('fk_callback_handovers_to_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_handovers'))
    )
    with op.batch_alter_table('callback_handovers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_handovers_callback_id'), ['callback_id'], unique=False)
        batch_op.create_index('ix_callback_handovers_offered_to', ['to_user_id', 'created_at'], unique=False, postgresql_where=OFFERED, sqlite_where=OFFERED)
        batch_op.create_index('uq_callback_handovers_one_offered', ['callback_id'], unique=True, postgresql_where=OFFERED, sqlite_where=OFFERED)


def downgrade():
    with op.batch_alter_table('callback_handovers', schema=None) as batch_op:
        batch_op.drop_index('uq_callback_handovers_one_offered', postgresql_where=OFFERED, sqlite_where=OFFERED)
        batch_op.drop_index('ix_callback_handovers_offered_to', postgresql_where=OFFERED, sqlite_where=OFFERED)
        batch_op.drop_index(batch_op.f('ix_callback_handovers_callback_id'))

    op.drop_table('callback_handovers')
