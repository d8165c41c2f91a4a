"""add users.phone_extension

The phone system names the advisor who answered a call by a user id or by their extension; the extension is unique
(one advisor per extension) and optional (staff who take no calls have none).

Revision ID: 3d7e9a1c5b20
Revises: fe3bb188bdf0
Create Date: 2026-12-02 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3d7e9a1c5b20'
down_revision = 'fe3bb188bdf0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_extension', sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_phone_extension'), ['phone_extension'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_phone_extension'), type_='unique')
        batch_op.drop_column('phone_extension')
