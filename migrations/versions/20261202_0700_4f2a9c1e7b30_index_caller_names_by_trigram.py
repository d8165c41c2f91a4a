"""index caller names by trigram

Search by part of a name (`lower(name) LIKE '%kowal%'`) reads every caller without an index that knows the parts of
words. On PostgreSQL this creates the pg_trgm extension when the migrating role may (a SAVEPOINT catches the refusal:
then no trigram index, and the search still works, by scanning) and a GIN index on lower(name) with its trigram
operator class, built without blocking writes. SQLite has no trigram index: there the search stays a plain LIKE.

The index exists on PostgreSQL only, so the models do not declare it: `caseapp.db.MIGRATION_ONLY_INDEXES` keeps
autogenerate (and `caseapp db check`) from asking to drop it. The downgrade drops the index and leaves the extension,
which other databases' objects may use and which dropping needs the privilege to.

Revision ID: 4f2a9c1e7b30
Revises: a28b5a98011d
Create Date: 2026-12-02 07:00:00.000000

"""
import logging

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4f2a9c1e7b30'
down_revision = 'a28b5a98011d'
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")
INDEX = "ix_callers_name_trgm"


def trigram_available(connection: sa.Connection) -> bool:
    """pg_trgm is there, or this role could create it; False (and the transaction still usable) when refused."""
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as exc:
        logger.warning("pg_trgm is not available (%s): name search will scan callers", type(exc.orig).__name__)
        return False
    return True


def upgrade():
    connection = op.get_bind()
    if connection.dialect.name != "postgresql" or not trigram_available(connection):
        return
    # a few hundred thousand callers: build without blocking writes (Notify's pattern)
    with op.get_context().autocommit_block():
        op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON callers USING gin (lower(name) gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {INDEX}")
