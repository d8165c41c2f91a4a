"""add report rollups

Tables the reports read instead of scanning calls and assessments, kept current by triggers in the same
transaction as every write (PL/pgSQL on PostgreSQL, plain triggers on SQLite), and backfilled here:

- report_call_hours: calls and talk time per UTC hour, channel, direction and advisor, plus an all-advisors row
  (advisor_id 0);
- report_case_facts: each assessed case's latest assessment (substance, pathway, risk);
- report_call_days: calls and talk time per local day by what they are about (the case's substance, pathway and
  risk) and who rang (the caller's relationship); a new assessment or a changed relationship moves the case's or
  caller's calls from the old value to the new one.

On SQLite, a later migration that rebuilds calls, assessments or callers (batch "move and copy") drops these
triggers; tests/unit/reports checks they are all there after upgrade head.

Also two indexes: cases(created_at) for the funnel and assessments(case_id, id) for "latest assessment of a case"
(built CONCURRENTLY on PostgreSQL so a live table is not locked).

Revision ID: 7235cd3fc93d
Revises: ebdfaa52adec
Create Date: 2026-11-25 13:08:01.195500

"""
from alembic import op
import sqlalchemy as sa

import caseapp.db


# revision identifiers, used by Alembic.
revision = '7235cd3fc93d'
down_revision = 'ebdfaa52adec'
branch_labels = None
depends_on = None

CALL_COLUMNS = "started_at, ended_at, advisor_id, channel, direction, local_date, local_hour, case_id, caller_id"
FACT_COLUMNS = "case_id, primary_substance, recommended_pathway, risk_level"
ABOUT = ("substance", "pathway", "risk")


def _talk(postgres: bool, row: str) -> str:
    """Seconds a call lasted (0 while it has no end)."""
    if postgres:
        return f"coalesce(extract(epoch FROM {row}.ended_at - {row}.started_at), 0)"
    return f"coalesce((julianday({row}.ended_at) - julianday({row}.started_at)) * 86400, 0)"


def _hour(postgres: bool, row: str) -> str:
    """The UTC hour a call started in."""
    if postgres:
        return f"date_trunc('hour', {row}.started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
    return f"strftime('%Y-%m-%d %H:00:00.000000', {row}.started_at)"


ADD_TO_DAYS = (
    " ON CONFLICT (dimension, local_date, value) DO UPDATE SET calls = report_call_days.calls + excluded.calls,"
    " talk_seconds = report_call_days.talk_seconds + excluded.talk_seconds"
)
ADD_TO_HOURS = (
    " ON CONFLICT (advisor_id, hour_start, channel, direction) DO UPDATE SET calls = report_call_hours.calls"
    " + excluded.calls, talk_seconds = report_call_hours.talk_seconds + excluded.talk_seconds"
)


def _facts_of(case: str) -> str:
    """(dimension, value) rows: what the case is about ('' when it has no assessment)."""
    return " UNION ALL ".join(
        f"SELECT '{name}' AS dimension, coalesce((SELECT {name} FROM report_case_facts WHERE case_id = {case}), '') "
        "AS value"
        for name in ABOUT
    )


def call_counted(postgres: bool, row: str, sign: int) -> list[str]:
    """Count (+1) or uncount (-1) one call (NEW or OLD) in report_call_hours and report_call_days."""
    talk, hour = _talk(postgres, row), _hour(postgres, row)
    rest = f"{row}.channel, {row}.direction, {row}.local_date, {row}.local_hour, {sign}, {sign} * {talk}"
    about = (
        f"{_facts_of(f'{row}.case_id')} UNION ALL SELECT 'relationship', "
        f"coalesce((SELECT relationship FROM callers WHERE id = {row}.caller_id), '')"
    )
    return [
        "INSERT INTO report_call_hours "
        "(hour_start, advisor_id, channel, direction, local_date, local_hour, calls, talk_seconds) "
        f"VALUES ({hour}, {row}.advisor_id, {rest}), ({hour}, 0, {rest}){ADD_TO_HOURS}",
        "INSERT INTO report_call_days (dimension, local_date, value, calls, talk_seconds) "
        f"SELECT d.dimension, {row}.local_date, d.value, {sign}, {sign} * {talk} FROM ({about}) d WHERE true"
        f"{ADD_TO_DAYS}",
    ]


def case_counted(postgres: bool, case: str, sign: int) -> str:
    """Count (+1) or uncount (-1) all the case's calls under what the case is about now."""
    return (
        "INSERT INTO report_call_days (dimension, local_date, value, calls, talk_seconds) "
        f"SELECT d.dimension, c.local_date, d.value, {sign} * count(*), {sign} * sum({_talk(postgres, 'c')}) "
        f"FROM calls c, ({_facts_of(case)}) d WHERE c.case_id = {case} "
        f"GROUP BY d.dimension, c.local_date, d.value{ADD_TO_DAYS}"
    )


def refresh_facts(case: str) -> list[str]:
    """The case's facts from its latest assessment (none left: no facts)."""
    return [
        f"DELETE FROM report_case_facts WHERE case_id = {case}",
        "INSERT INTO report_case_facts (case_id, assessment_id, substance, pathway, risk) "
        "SELECT case_id, id, primary_substance, recommended_pathway, risk_level "
        f"FROM assessments WHERE case_id = {case} ORDER BY id DESC LIMIT 1",
    ]


def reassessed(postgres: bool, case: str) -> list[str]:
    """The case's latest assessment may have changed: move its calls from what it was about to what it is."""
    return [case_counted(postgres, case, -1), *refresh_facts(case), case_counted(postgres, case, 1)]


def relationship_counted(postgres: bool, row: str, sign: int) -> str:
    """Count (+1) or uncount (-1) the caller's calls under the caller's relationship (NEW or OLD)."""
    return (
        "INSERT INTO report_call_days (dimension, local_date, value, calls, talk_seconds) "
        f"SELECT 'relationship', c.local_date, {row}.relationship, {sign} * count(*), "
        f"{sign} * sum({_talk(postgres, 'c')}) FROM calls c WHERE c.caller_id = {row}.id GROUP BY c.local_date"
        f"{ADD_TO_DAYS}"
    )


def _body(statements: list[str]) -> str:
    return " ".join(f"{statement};" for statement in statements)


POSTGRES_FUNCTIONS = [
    f"""
    CREATE FUNCTION report_calls_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN {_body(call_counted(True, 'OLD', -1))} END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN {_body(call_counted(True, 'NEW', 1))} END IF;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE FUNCTION report_assessments_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN {_body(reassessed(True, 'OLD.case_id'))} END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.case_id <> OLD.case_id) THEN
            {_body(reassessed(True, 'NEW.case_id'))}
        END IF;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE FUNCTION report_callers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_body([relationship_counted(True, 'OLD', -1), relationship_counted(True, 'NEW', 1)])}
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER report_calls_counted AFTER INSERT OR DELETE ON calls "
    "FOR EACH ROW EXECUTE FUNCTION report_calls_changed()",
    f"CREATE TRIGGER report_calls_recounted AFTER UPDATE OF {CALL_COLUMNS} ON calls "
    "FOR EACH ROW EXECUTE FUNCTION report_calls_changed()",
    "CREATE TRIGGER report_assessments_added AFTER INSERT OR DELETE ON assessments "
    "FOR EACH ROW EXECUTE FUNCTION report_assessments_changed()",
    f"CREATE TRIGGER report_assessments_edited AFTER UPDATE OF {FACT_COLUMNS} ON assessments "
    "FOR EACH ROW EXECUTE FUNCTION report_assessments_changed()",
    "CREATE TRIGGER report_callers_relationship AFTER UPDATE OF relationship ON callers "
    "FOR EACH ROW WHEN (OLD.relationship IS DISTINCT FROM NEW.relationship) "
    "EXECUTE FUNCTION report_callers_changed()",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS report_callers_relationship ON callers",
    "DROP TRIGGER IF EXISTS report_assessments_edited ON assessments",
    "DROP TRIGGER IF EXISTS report_assessments_added ON assessments",
    "DROP TRIGGER IF EXISTS report_calls_recounted ON calls",
    "DROP TRIGGER IF EXISTS report_calls_counted ON calls",
    "DROP FUNCTION IF EXISTS report_callers_changed()",
    "DROP FUNCTION IF EXISTS report_assessments_changed()",
    "DROP FUNCTION IF EXISTS report_calls_changed()",
]
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER report_calls_added AFTER INSERT ON calls BEGIN {_body(call_counted(False, 'NEW', 1))} END",
    f"CREATE TRIGGER report_calls_removed AFTER DELETE ON calls BEGIN {_body(call_counted(False, 'OLD', -1))} END",
    f"CREATE TRIGGER report_calls_recounted AFTER UPDATE OF {CALL_COLUMNS} ON calls "
    f"BEGIN {_body([*call_counted(False, 'OLD', -1), *call_counted(False, 'NEW', 1)])} END",
    "CREATE TRIGGER report_assessments_added AFTER INSERT ON assessments "
    f"BEGIN {_body(reassessed(False, 'NEW.case_id'))} END",
    "CREATE TRIGGER report_assessments_removed AFTER DELETE ON assessments "
    f"BEGIN {_body(reassessed(False, 'OLD.case_id'))} END",
    f"CREATE TRIGGER report_assessments_edited AFTER UPDATE OF {FACT_COLUMNS} ON assessments "
    f"BEGIN {_body([*reassessed(False, 'OLD.case_id'), *reassessed(False, 'NEW.case_id')])} END",
    "CREATE TRIGGER report_callers_relationship AFTER UPDATE OF relationship ON callers "
    "WHEN OLD.relationship IS NOT NEW.relationship "
    f"BEGIN {_body([relationship_counted(False, 'OLD', -1), relationship_counted(False, 'NEW', 1)])} END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "report_callers_relationship",
        "report_assessments_edited",
        "report_assessments_removed",
        "report_assessments_added",
        "report_calls_recounted",
        "report_calls_removed",
        "report_calls_added",
    )
]


def _backfill(postgres: bool) -> None:
    hour, talk = _hour(postgres, "calls"), _talk(postgres, "calls")
    for advisor, group in (("advisor_id", ", advisor_id"), ("0", "")):
        op.execute(
            "INSERT INTO report_call_hours "
            "(hour_start, advisor_id, channel, direction, local_date, local_hour, calls, talk_seconds) "
            f"SELECT {hour}, {advisor}, channel, direction, min(local_date), min(local_hour), count(*), sum({talk}) "
            f"FROM calls GROUP BY {hour}{group}, channel, direction"
        )
    op.execute(
        "INSERT INTO report_case_facts (case_id, assessment_id, substance, pathway, risk) "
        "SELECT a.case_id, a.id, a.primary_substance, a.recommended_pathway, a.risk_level FROM assessments a "
        "WHERE a.id = (SELECT max(b.id) FROM assessments b WHERE b.case_id = a.case_id)"
    )
    talk = _talk(postgres, "c")
    joins = {name: ("report_case_facts f", "f.case_id = c.case_id", f"f.{name}") for name in ABOUT}
    joins["relationship"] = ("callers f", "f.id = c.caller_id", "f.relationship")
    for name, (table, condition, column) in joins.items():
        op.execute(
            "INSERT INTO report_call_days (dimension, local_date, value, calls, talk_seconds) "
            f"SELECT '{name}', c.local_date, coalesce({column}, ''), count(*), sum({talk}) "
            f"FROM calls c LEFT JOIN {table} ON {condition} GROUP BY c.local_date, coalesce({column}, '')"
        )


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table('report_call_hours',
    sa.Column('hour_start', caseapp.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('advisor_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('channel', sa.Enum('phone', 'web_chat', 'email', 'sms', name='report_call_hours_channel', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('direction', sa.Enum('inbound', 'outbound', name='report_call_hours_direction', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('local_hour', sa.SmallInteger(), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('talk_seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('advisor_id', 'hour_start', 'channel', 'direction', name=op.f('pk_report_call_hours'))
    )

    op.create_table('report_case_facts',
    sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('substance', sa.Enum('heroin', 'ketamine', 'cocaine', 'crack_cocaine', 'alcohol', 'benzodiazepines', 'cannabis', 'prescription_opioids', 'synthetic_cannabinoids', 'amphetamines', 'ghb_gbl', 'other', name='report_case_facts_substance', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('pathway', sa.Enum('medical_detox', 'residential_rehab', 'outpatient', 'dual_diagnosis', 'signposted', 'no_further_action', name='report_case_facts_pathway', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('risk', sa.Enum('low', 'medium', 'high', 'immediate_danger', name='report_case_facts_risk', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_report_case_facts_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_report_case_facts'))
    )

    op.create_table('report_call_days',
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('value', sa.String(length=32), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('talk_seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('dimension', 'local_date', 'value', name=op.f('pk_report_call_days'))
    )

    for statement in POSTGRES_FUNCTIONS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)
    _backfill(postgres)

    if postgres:
        # existing tables may be big: build without blocking writes (Notify's pattern)
        with op.get_context().autocommit_block():
            op.create_index('ix_assessments_case_id_id', 'assessments', ['case_id', 'id'], postgresql_concurrently=True)
            op.create_index('ix_cases_created_at', 'cases', ['created_at'], postgresql_concurrently=True)
    else:
        with op.batch_alter_table('assessments', schema=None) as batch_op:
            batch_op.create_index('ix_assessments_case_id_id', ['case_id', 'id'], unique=False)
        with op.batch_alter_table('cases', schema=None) as batch_op:
            batch_op.create_index('ix_cases_created_at', ['created_at'], unique=False)


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_created_at')

    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index('ix_assessments_case_id_id')

    for statement in POSTGRES_DROP if postgres else SQLITE_DROP:
        op.execute(statement)

    op.drop_table('report_call_days')
    op.drop_table('report_case_facts')
    op.drop_table('report_call_hours')
