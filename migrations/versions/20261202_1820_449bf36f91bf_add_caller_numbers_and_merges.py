"""add caller numbers and merges

caller_numbers: a caller's numbers other than their main one (callers.phone_e164), each with its kind, an optional
encrypted label and, for a family member's phone, when its use with consent was confirmed. A number is unique here;
the services keep it from also being any caller's main number.

caller_merges: a duplicate caller record merged into a kept one, with the ids of the rows that moved (so the merge
can be undone exactly for CASEAPP_CALLER_MERGE_UNDO_DAYS).

callers.merged_into_id/merged_at: the record a merged duplicate went into. On SQLite the columns are added in place,
without the foreign key and check (recreating `callers` there would lose its report trigger); PostgreSQL gets them.

Revision ID: 449bf36f91bf
Revises: 3d7e9a1c5b20
Create Date: 2026-12-02 18:20:48.874872

"""
from alembic import op
import sqlalchemy as sa

import caseapp.db
import caseapp.encryption.types


# revision identifiers, used by Alembic.
revision = '449bf36f91bf'
down_revision = '3d7e9a1c5b20'
branch_labels = None
depends_on = None


def _postgresql():
    return op.get_bind().dialect.name == 'postgresql'


def upgrade():
    op.create_table('caller_merges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kept_id', sa.Integer(), nullable=False),
    sa.Column('duplicate_id', sa.Integer(), nullable=False),
    sa.Column('moved', sa.JSON(), nullable=False),
    sa.Column('merged_by_id', sa.Integer(), nullable=True),
    sa.Column('undone_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint('kept_id <> duplicate_id', name=op.f('ck_caller_merges_two_callers')),
    sa.ForeignKeyConstraint(['duplicate_id'], ['callers.id'], name=op.f('fk_caller_merges_duplicate_id_callers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kept_id'], ['callers.id'], name=op.f('fk_caller_merges_kept_id_callers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merged_by_id'], ['users.id'], name=op.f('fk_caller_merges_merged_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['undone_by_id'], ['users.id'], name=op.f('fk_caller_merges_undone_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_caller_merges'))
    )
    with op.batch_alter_table('caller_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_caller_merges_duplicate_id'), ['duplicate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_caller_merges_kept_id'), ['kept_id'], unique=False)

    op.create_table('caller_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('caller_id', sa.Integer(), nullable=False),
    sa.Column('phone_e164', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.Enum('mobile', 'landline', 'family', 'other', name='caller_number_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('label', caseapp.encryption.types.EncryptedText(), nullable=True),
    sa.Column('consent_confirmed_at', caseapp.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint("kind <> 'family' OR consent_confirmed_at IS NOT NULL", name=op.f('ck_caller_numbers_family_phone_has_consent')),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_caller_numbers_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['caller_id'], ['callers.id'], name=op.f('fk_caller_numbers_caller_id_callers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_caller_numbers')),
    sa.UniqueConstraint('phone_e164', name=op.f('uq_caller_numbers_phone_e164'))
    )
    with op.batch_alter_table('caller_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_caller_numbers_caller_id'), ['caller_id'], unique=False)

    op.add_column('callers', sa.Column('merged_into_id', sa.Integer(), nullable=True))
    op.add_column('callers', sa.Column('merged_at', caseapp.db.UTCDateTime(timezone=True), nullable=True))
    if _postgresql():
        op.create_foreign_key(
            op.f('fk_callers_merged_into_id_callers'), 'callers', 'callers', ['merged_into_id'], ['id'],
            ondelete='SET NULL',
        )
        op.create_check_constraint('merge_complete', 'callers', '(merged_into_id IS NULL) = (merged_at IS NULL)')


def downgrade():
    if _postgresql():
        op.drop_constraint(op.f('ck_callers_merge_complete'), 'callers', type_='check')
        op.drop_constraint(op.f('fk_callers_merged_into_id_callers'), 'callers', type_='foreignkey')
    for column in ('merged_at', 'merged_into_id'):
        op.execute(f'ALTER TABLE callers DROP COLUMN {column}')

    with op.batch_alter_table('caller_numbers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_caller_numbers_caller_id'))

    op.drop_table('caller_numbers')
    with op.batch_alter_table('caller_merges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_caller_merges_kept_id'))
        batch_op.drop_index(batch_op.f('ix_caller_merges_duplicate_id'))

    op.drop_table('caller_merges')
