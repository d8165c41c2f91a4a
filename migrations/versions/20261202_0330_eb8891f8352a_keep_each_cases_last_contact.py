"""keep each case's last contact and the day's stale-case notice

cases.last_contact_at: the latest successful contact with the caller (a data call logged on the case, except the
call of a callback attempt that did not get through, or an answered callback attempt), kept by the services that
write calls and attempts (caseapp/cases/stale.py). Filled here from the calls and attempts already there.

ix_cases_open_contact_clock: open cases by coalesce(last_contact_at, created_at), id: the stale-cases list is a range
of it, in the order it is shown (built CONCURRENTLY on PostgreSQL so a live table is not locked).

stale_case_digests: one row per local day the managers were told about stale cases; its unique date is what keeps a
second run of the daily task from telling them twice.

Revision ID: eb8891f8352a
Revises: c195f5602481
Create Date: 2026-12-02 03:30:05.120922

"""
from alembic import op
import sqlalchemy as sa

import caseapp.db


# revision identifiers, used by Alembic.
revision = 'eb8891f8352a'
down_revision = 'c195f5602481'
branch_labels = None
depends_on = None

OPEN = "status IN ('new', 'assessing', 'assessed', 'referred', 'admitted')"
CLOCK = "coalesce(last_contact_at, created_at)"

#: the rule of caseapp/cases/stale.py, as SQL both PostgreSQL and SQLite (3.33+: UPDATE ... FROM) run
BACKFILL = """
UPDATE cases SET last_contact_at = contact.at
FROM (
    SELECT case_id, max(at) AS at FROM (
        SELECT calls.case_id AS case_id, calls.started_at AS at
        FROM calls
        WHERE calls.case_id IS NOT NULL AND calls.call_type = 'data'
          AND NOT EXISTS (
              SELECT 1 FROM callback_attempts
              WHERE callback_attempts.call_id = calls.id AND callback_attempts.outcome <> 'answered'
          )
        UNION ALL
        SELECT callbacks.case_id, callback_attempts.attempted_at
        FROM callback_attempts JOIN callbacks ON callbacks.id = callback_attempts.callback_id
        WHERE callback_attempts.outcome = 'answered'
    ) AS contacts
    GROUP BY case_id
) AS contact
WHERE contact.case_id = cases.id
"""


def upgrade():
    op.create_table('stale_case_digests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('days', sa.SmallInteger(), nullable=False),
    sa.Column('case_count', sa.Integer(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('created_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stale_case_digests')),
    sa.UniqueConstraint('local_date', name=op.f('uq_stale_case_digests_local_date'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_contact_at', caseapp.db.UTCDateTime(timezone=True), nullable=True))
    op.execute(BACKFILL)

    clock = [sa.literal_column(CLOCK), 'id']
    if op.get_bind().dialect.name == "postgresql":
        # a year of cases is a few hundred thousand rows: build without blocking writes (Notify's pattern)
        with op.get_context().autocommit_block():
            op.create_index(
                'ix_cases_open_contact_clock', 'cases', clock, postgresql_where=sa.text(OPEN),
                postgresql_concurrently=True,
            )
    else:
        with op.batch_alter_table('cases', schema=None) as batch_op:
            batch_op.create_index('ix_cases_open_contact_clock', clock, unique=False, sqlite_where=sa.text(OPEN))


def downgrade():
    # outside the batch: SQLite's reflection skips an index on an expression, so the batch would not know it
    op.drop_index('ix_cases_open_contact_clock', table_name='cases')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('last_contact_at')

    op.drop_table('stale_case_digests')
