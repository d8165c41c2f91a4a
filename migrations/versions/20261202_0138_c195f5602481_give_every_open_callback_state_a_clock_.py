"""give every open callback state a clock and the outbox a dispatch record

- callbacks.clock_started_at: when the clock of the callback's current state started (booked or rescheduled,
  started, an attempt, a claim). Backfilled: the start of one in progress, the last attempt of one unanswered,
  otherwise its last change.
- reminder_outbox.next_attempt_at: when a row may be tried (next). Retries are the outbox's now, so a pending row's
  retry time (kept in dispatched_at until now) moves here.
- reminder_outbox.dispatched_at: when the broker took the row's task; null = not handed over (the sweeper sees to
  it). Pending rows start null, so the sweeper queues each once after the upgrade.
- The sweeper's partial index reads next_attempt_at; three new message kinds (stalled_nudge, stalled_alert,
  retry_prompt).

Revision ID: c195f5602481
Revises: f750f2eeb1c4
Create Date: 2026-12-02 01:38:08.434623

"""
import warnings
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa

import caseapp.db


# revision identifiers, used by Alembic.
revision = 'c195f5602481'
down_revision = 'f750f2eeb1c4'
branch_labels = None
depends_on = None

OLD_KINDS = ('reminder', 'escalation')
NEW_KINDS = (*OLD_KINDS, 'stalled_nudge', 'stalled_alert', 'retry_prompt')
UNSENT = sa.text("status IN ('pending', 'sending')")
OPEN_CLOCK = sa.text("status IN ('in_progress', 'no_answer')")


@contextmanager
def _batch(table):
    """batch_alter_table, quiet about what SQLite's copy-and-move reflects along the foreign keys: callers' expression
    index (lower(name)), which it cannot reflect and does not touch."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", sa.exc.SAWarning)
        with op.batch_alter_table(table, schema=None) as batch_op:
            yield batch_op


def _kind_check(kinds):
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    return f"kind IN ({listed})"


def upgrade():
    with _batch('callbacks') as batch_op:
        batch_op.add_column(sa.Column('clock_started_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False))
        batch_op.create_index('ix_callbacks_open_clock', ['clock_started_at'], unique=False, postgresql_where=OPEN_CLOCK, sqlite_where=OPEN_CLOCK)
    op.execute(
        """
        UPDATE callbacks SET clock_started_at = CASE
            WHEN status = 'in_progress' THEN COALESCE(started_at, updated_at)
            WHEN status = 'no_answer' THEN COALESCE(
                (SELECT MAX(attempted_at) FROM callback_attempts a WHERE a.callback_id = callbacks.id), updated_at)
            ELSE updated_at END
        """
    )

    with _batch('reminder_outbox') as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False))
        batch_op.alter_column('dispatched_at', existing_type=caseapp.db.UTCDateTime(timezone=True), nullable=True, server_default=None)
        batch_op.drop_index('ix_reminder_outbox_unsent', postgresql_where=UNSENT, sqlite_where=UNSENT)
        batch_op.create_index('ix_reminder_outbox_unsent', ['next_attempt_at'], unique=False, postgresql_where=UNSENT, sqlite_where=UNSENT)
        batch_op.drop_constraint(op.f('ck_reminder_outbox_reminder_outbox_kind'), type_='check')
        batch_op.create_check_constraint('reminder_outbox_kind', _kind_check(NEW_KINDS))
    op.execute(
        "UPDATE reminder_outbox SET next_attempt_at = CASE WHEN status = 'pending' THEN dispatched_at ELSE created_at END"
    )
    op.execute("UPDATE reminder_outbox SET dispatched_at = NULL WHERE status = 'pending'")


def downgrade():
    op.execute(f"DELETE FROM reminder_outbox WHERE NOT ({_kind_check(OLD_KINDS)})")
    op.execute(
        "UPDATE reminder_outbox SET dispatched_at = CASE WHEN status = 'pending' THEN next_attempt_at "
        "ELSE COALESCE(dispatched_at, created_at) END"
    )
    with _batch('reminder_outbox') as batch_op:
        batch_op.drop_constraint(op.f('ck_reminder_outbox_reminder_outbox_kind'), type_='check')
        batch_op.create_check_constraint('reminder_outbox_kind', _kind_check(OLD_KINDS))
        batch_op.drop_index('ix_reminder_outbox_unsent', postgresql_where=UNSENT, sqlite_where=UNSENT)
        batch_op.create_index('ix_reminder_outbox_unsent', ['dispatched_at'], unique=False, postgresql_where=UNSENT, sqlite_where=UNSENT)
        batch_op.alter_column('dispatched_at', existing_type=caseapp.db.UTCDateTime(timezone=True), nullable=False, server_default=sa.func.now())
        batch_op.drop_column('next_attempt_at')

    with _batch('callbacks') as batch_op:
        batch_op.drop_index('ix_callbacks_open_clock', postgresql_where=OPEN_CLOCK, sqlite_where=OPEN_CLOCK)
        batch_op.drop_column('clock_started_at')
