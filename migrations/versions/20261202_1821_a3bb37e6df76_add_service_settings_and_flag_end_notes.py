"""add service settings and flag end notes

service_settings: settings admins change while the service runs (flag_max_days, the longest a caller flag may last),
one row per setting changed, its value as JSON with who changed it and when; a setting with no row reads its default.
caller_flags.end_note: why a flag was lifted early (encrypted free text); caller_flags.scrubbed_at: when retention
removed a flag's reason and end note.

Revision ID: a3bb37e6df76
Revises: 449bf36f91bf
Create Date: 2026-12-02 18:21:55.772222

"""
from alembic import op
import sqlalchemy as sa

import caseapp.db
import caseapp.encryption.types


# revision identifiers, used by Alembic.
revision = 'a3bb37e6df76'
down_revision = '449bf36f91bf'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('service_settings',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_service_settings_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_service_settings'))
    )
    with op.batch_alter_table('caller_flags', schema=None) as batch_op:
        batch_op.add_column(sa.Column('end_note', caseapp.encryption.types.EncryptedText(), nullable=True))
        batch_op.add_column(sa.Column('scrubbed_at', caseapp.db.UTCDateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('caller_flags', schema=None) as batch_op:
        batch_op.drop_column('scrubbed_at')
        batch_op.drop_column('end_note')

    op.drop_table('service_settings')
