"""add anonymisation marks and legal holds

callers.anonymised_at, cases.anonymised_at: when retention or an erasure removed the free text and identifying
fields (caseapp/retention); shown as "Anonymised caller" from then and skipped by later runs.

cases.legal_hold_at/_by_id/_reason: a legal hold, which keeps retention and erasure away from the case's caller.

ix_cases_retention_due: closed cases not yet anonymised, by when they closed (the daily retention run's scan).

On SQLite the columns are added in place, without the foreign key and check (recreating `cases` there would lose
its expression index); PostgreSQL gets them all.

Revision ID: 9d3e5b7a1c24
Revises: b58122f692b7
Create Date: 2026-12-02 12:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

import caseapp.db


# revision identifiers, used by Alembic.
revision = '9d3e5b7a1c24'
down_revision = 'b58122f692b7'
branch_labels = None
depends_on = None

DUE = sa.text("status = 'closed' AND anonymised_at IS NULL")
CASE_COLUMNS = ('anonymised_at', 'legal_hold_at', 'legal_hold_by_id', 'legal_hold_reason')


def _postgresql():
    return op.get_bind().dialect.name == 'postgresql'


def upgrade():
    op.add_column('callers', sa.Column('anonymised_at', caseapp.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('cases', sa.Column('anonymised_at', caseapp.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('cases', sa.Column('legal_hold_at', caseapp.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('cases', sa.Column('legal_hold_by_id', sa.Integer(), nullable=True))
    op.add_column('cases', sa.Column('legal_hold_reason', sa.Text(), nullable=True))  # a Fernet token
    op.create_index('ix_cases_retention_due', 'cases', ['closed_at'], unique=False, postgresql_where=DUE, sqlite_where=DUE)
    if _postgresql():
        op.create_foreign_key(
            op.f('fk_cases_legal_hold_by_id_users'), 'cases', 'users', ['legal_hold_by_id'], ['id'], ondelete='SET NULL'
        )
        op.create_check_constraint(
            'legal_hold_has_reason', 'cases', '(legal_hold_at IS NULL) = (legal_hold_reason IS NULL)'
        )


def downgrade():
    if _postgresql():
        op.drop_constraint(op.f('ck_cases_legal_hold_has_reason'), 'cases', type_='check')
        op.drop_constraint(op.f('fk_cases_legal_hold_by_id_users'), 'cases', type_='foreignkey')
    op.drop_index('ix_cases_retention_due', table_name='cases', postgresql_where=DUE, sqlite_where=DUE)
    for column in CASE_COLUMNS:
        op.execute(f'ALTER TABLE cases DROP COLUMN {column}')
    op.execute('ALTER TABLE callers DROP COLUMN anonymised_at')
