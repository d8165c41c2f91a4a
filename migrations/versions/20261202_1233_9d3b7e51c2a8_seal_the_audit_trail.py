"""seal the audit trail: a hash chain, and append-only in the database

audit_events.chain_seq, row_hash: each row's place in one hash chain, filled by the sealer (caseapp/audit/chain.py)
after the row is committed; null until then (a partial index finds those rows).

On PostgreSQL a trigger refuses every UPDATE but the sealer's (chain columns from null to a value, nothing else
changed), every DELETE and TRUNCATE; and UPDATE, DELETE and TRUNCATE are revoked from PUBLIC and from the role
running this migration (the application's), which keeps UPDATE of the two chain columns only. A table owner could
grant itself the privileges back; the trigger still refuses. Nothing of this exists on SQLite.

actor_id's foreign key becomes RESTRICT: SET NULL on deleting a user would rewrite audit rows.

Revision ID: 9d3b7e51c2a8
Revises: 4f2a9c1e7b30
Create Date: 2026-12-02 12:33:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d3b7e51c2a8'
down_revision = '4f2a9c1e7b30'
branch_labels = None
depends_on = None

GUARD = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.chain_seq IS NULL AND OLD.row_hash IS NULL
       AND NEW.chain_seq IS NOT NULL AND NEW.row_hash IS NOT NULL
       AND (to_jsonb(NEW) - 'chain_seq' - 'row_hash') = (to_jsonb(OLD) - 'chain_seq' - 'row_hash')
       AND NEW.detail::text = OLD.detail::text
    THEN
        RETURN NEW;  -- the sealer, once per row
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Audit events are never changed or removed; only the sealer fills chain_seq and row_hash once.';
END
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM CURRENT_USER;
GRANT UPDATE (chain_seq, row_hash) ON audit_events TO CURRENT_USER;
"""

UNGUARD = """
DROP TRIGGER audit_events_no_truncate ON audit_events;
DROP TRIGGER audit_events_append_only ON audit_events;
DROP FUNCTION audit_events_append_only();
REVOKE UPDATE (chain_seq, row_hash) ON audit_events FROM CURRENT_USER;
GRANT UPDATE, DELETE, TRUNCATE ON audit_events TO CURRENT_USER;
"""


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
        batch_op.create_check_constraint('sealed_whole', '(chain_seq IS NULL) = (row_hash IS NULL)')
        batch_op.create_index(
            'uq_audit_events_chain_seq', ['chain_seq'], unique=True,
            postgresql_where=sa.text('chain_seq IS NOT NULL'), sqlite_where=sa.text('chain_seq IS NOT NULL'),
        )
        batch_op.create_index(
            'ix_audit_events_unsealed', ['id'],
            postgresql_where=sa.text('chain_seq IS NULL'), sqlite_where=sa.text('chain_seq IS NULL'),
        )
        batch_op.drop_constraint('fk_audit_events_actor_id_users', type_='foreignkey')
        batch_op.create_foreign_key(
            batch_op.f('fk_audit_events_actor_id_users'), 'users', ['actor_id'], ['id'], ondelete='RESTRICT'
        )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(GUARD)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(UNGUARD)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint('fk_audit_events_actor_id_users', type_='foreignkey')
        batch_op.create_foreign_key(
            batch_op.f('fk_audit_events_actor_id_users'), 'users', ['actor_id'], ['id'], ondelete='SET NULL'
        )
        batch_op.drop_index('ix_audit_events_unsealed')
        batch_op.drop_index('uq_audit_events_chain_seq')
        batch_op.drop_constraint(batch_op.f('ck_audit_events_sealed_whole'), type_='check')
        batch_op.drop_column('row_hash')
        batch_op.drop_column('chain_seq')
