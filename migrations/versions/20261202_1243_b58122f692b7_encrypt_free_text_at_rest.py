"""encrypt free text at rest

The notes, reasons, outcomes and assessment answers people type about callers become Fernet tokens (the data key
ring, CASEAPP_DATA_KEY: caseapp/encryption/keys.py). On PostgreSQL their columns become TEXT (a token is longer than
the VARCHAR limit its text had; the limits stay in the forms and schemas) and the JSON ones TEXT too (a token is not
JSON); so does the second factor's shared secret. SQLite keeps the declared types: it stores text whatever a column declares, and changing a type there rebuilds
the table, which would drop its report triggers. Then every value already there is encrypted in batches, with the key
the app uses (the migration runs inside the app). The downgrade decrypts them and restores the types.

Revision ID: b58122f692b7
Revises: d5eca7e5aefa
Create Date: 2026-12-02 12:43:34.000000

"""
from alembic import op
import sqlalchemy as sa

from caseapp.encryption.keys import current_keyring


# revision identifiers, used by Alembic.
revision = 'b58122f692b7'
down_revision = 'd5eca7e5aefa'
branch_labels = None
depends_on = None

JSON = sa.JSON()
#: table → {column: its type before this revision}
COLUMNS = {
    'callers': {'preferred_times_note': sa.String(length=200), 'safe_to_call_notes': sa.Text()},
    'calls': {'reason': sa.String(length=500), 'outcome_summary': sa.String(length=1000), 'notes': sa.Text()},
    'call_drafts': {'data': JSON},
    'case_notes': {'body': sa.Text()},
    'assessments': {'answers': JSON},
    'callbacks': {'reason': sa.String(length=500), 'cancel_reason': sa.String(length=200)},
    'callback_attempts': {'notes': sa.String(length=1000)},
    'callback_handovers': {'note': sa.String(length=1000)},
    'users': {'totp_secret': sa.String(length=64)},
}
BATCH = 1000


def _rewrite(table_name, columns, change):
    """Every non-null value of `columns` through `change`, a batch of rows at a time in id order."""
    table = sa.table(table_name, sa.column('id'), *(sa.column(name) for name in columns))
    update = (
        table.update()
        .where(table.c.id == sa.bindparam('row_id'))
        .values({name: sa.bindparam(f'new_{name}') for name in columns})
    )
    connection = op.get_bind()
    after = 0
    while True:
        rows = connection.execute(
            sa.select(table).where(table.c.id > after).order_by(table.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            update,
            [
                {
                    'row_id': row.id,
                    **{f'new_{name}': None if row._mapping[name] is None else change(row._mapping[name])
                       for name in columns},
                }
                for row in rows
            ],
        )
        after = rows[-1].id


def _postgres():
    return op.get_bind().dialect.name == 'postgresql'


def upgrade():
    ring = current_keyring()
    for table, columns in COLUMNS.items():
        if _postgres():
            for name, before in columns.items():
                if not isinstance(before, sa.Text):
                    op.alter_column(table, name, existing_type=before, type_=sa.Text(),
                                    postgresql_using=f'{name}::text')
        _rewrite(table, list(columns), ring.encrypt)


def downgrade():
    ring = current_keyring()
    for table, columns in COLUMNS.items():
        _rewrite(table, list(columns), ring.decrypt)
        if _postgres():
            for name, before in columns.items():
                if not isinstance(before, sa.Text):
                    cast = 'json' if before is JSON else f'varchar({before.length})'
                    op.alter_column(table, name, existing_type=sa.Text(), type_=before,
                                    postgresql_using=f'{name}::{cast}')
