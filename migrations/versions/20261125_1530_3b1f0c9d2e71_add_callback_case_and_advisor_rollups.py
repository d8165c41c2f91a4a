"""add callback, case and advisor rollups

More tables the reports read instead of the raw rows, kept current by triggers in the same transaction as every
write, and backfilled here:

- report_call_days gains an "advisor" dimension (calls and talk time per advisor and local day), both dialects;
- report_callback_days: callbacks per local due day, assignee (0 = the pool) and outcome, late ones per whole second
  of lateness (the callbacks report, percentiles included);
- report_case_days: cases per local day opened, latest assessed substance and furthest funnel step (the funnel);
- report_assessment_days: first assessments per advisor and local day (the advisor breakdown).

The last three bucket timestamps by local date inside the trigger, in the zone the app is configured with when this
migration runs (TIMEZONE, Europe/London by default). PostgreSQL only: SQLite has no time zones, so there the tables
stay empty and the reports read the raw tables.

Revision ID: 3b1f0c9d2e71
Revises: 7235cd3fc93d
Create Date: 2026-11-25 15:30:00.000000

"""
import re

from alembic import op
import sqlalchemy as sa

from caseapp.timeutil import local_zone


# revision identifiers, used by Alembic.
revision = '3b1f0c9d2e71'
down_revision = '7235cd3fc93d'
branch_labels = None
depends_on = None

CALLBACK_COLUMNS = "due_at, window_minutes, assignee_id, status, started_at"
CASE_COLUMNS = "created_at, status, close_reason"
ASSESSMENT_COLUMNS = "advisor_id, created_at, supersedes_id"


def _zone() -> str:
    name = local_zone().key
    if not re.match(r"^[A-Za-z0-9_+\-/]+$", name):
        raise ValueError(f"unexpected time zone name {name!r}")
    return name


# --- calls per advisor and local day (both dialects) -----------------------------------------------------------------


def _talk(postgres: bool, row: str) -> str:
    if postgres:
        return f"coalesce(extract(epoch FROM {row}.ended_at - {row}.started_at), 0)"
    return f"coalesce((julianday({row}.ended_at) - julianday({row}.started_at)) * 86400, 0)"


def advisor_counted(postgres: bool, row: str, sign: int) -> str:
    return (
        "INSERT INTO report_call_days (dimension, local_date, value, calls, talk_seconds) "
        f"VALUES ('advisor', {row}.local_date, CAST({row}.advisor_id AS TEXT), {sign}, {sign} * {_talk(postgres, row)}) "
        "ON CONFLICT (dimension, local_date, value) DO UPDATE SET calls = report_call_days.calls + excluded.calls, "
        "talk_seconds = report_call_days.talk_seconds + excluded.talk_seconds"
    )


CALL_COLUMNS = "advisor_id, local_date, started_at, ended_at"
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER report_calls_by_advisor_added AFTER INSERT ON calls BEGIN {advisor_counted(False, 'NEW', 1)}; END",
    "CREATE TRIGGER report_calls_by_advisor_removed AFTER DELETE ON calls "
    f"BEGIN {advisor_counted(False, 'OLD', -1)}; END",
    f"CREATE TRIGGER report_calls_by_advisor_recounted AFTER UPDATE OF {CALL_COLUMNS} ON calls "
    f"BEGIN {advisor_counted(False, 'OLD', -1)}; {advisor_counted(False, 'NEW', 1)}; END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS report_calls_by_advisor_{name}" for name in ("recounted", "removed", "added")
]


# --- PostgreSQL: the functions that say where a row counts -------------------------------------------------------


def postgres_functions(zone: str) -> list[str]:
    return [
        f"""
        CREATE FUNCTION report_calls_by_advisor_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN {advisor_counted(True, 'OLD', -1)}; END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN {advisor_counted(True, 'NEW', 1)}; END IF;
            RETURN NULL;
        END $$
        """,
        # a callback's outcome: its status, "completed" split into on time and late (by whole seconds) when started
        f"""
        CREATE FUNCTION report_callback_count(
            due timestamptz, window_minutes integer, assignee integer, status text, started timestamptz, delta integer
        ) RETURNS void LANGUAGE sql AS $$
            INSERT INTO report_callback_days AS r (due_date, assignee_id, outcome, lateness_seconds, callbacks)
            SELECT (due AT TIME ZONE '{zone}')::date, coalesce(assignee, 0),
                   CASE WHEN status <> 'completed' OR started IS NULL THEN status
                        WHEN started > w.window_end THEN 'late' ELSE 'on_time' END,
                   CASE WHEN status = 'completed' AND started > w.window_end
                        THEN round(extract(epoch FROM started - w.window_end))::integer ELSE 0 END,
                   delta
            FROM (SELECT due + coalesce(window_minutes, 0) * interval '1 minute' AS window_end) w
            ON CONFLICT (due_date, assignee_id, outcome, lateness_seconds)
            DO UPDATE SET callbacks = r.callbacks + excluded.callbacks
        $$
        """,
        """
        CREATE FUNCTION report_callbacks_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                PERFORM report_callback_count(OLD.due_at, OLD.window_minutes, OLD.assignee_id, OLD.status,
                                              OLD.started_at, -1);
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                PERFORM report_callback_count(NEW.due_at, NEW.window_minutes, NEW.assignee_id, NEW.status,
                                              NEW.started_at, 1);
            END IF;
            RETURN NULL;
        END $$
        """,
        # a case's funnel step: the furthest it has got (substance null: no assessment)
        f"""
        CREATE FUNCTION report_case_count(
            created timestamptz, status text, close_reason text, substance text, delta integer
        ) RETURNS void LANGUAGE sql AS $$
            INSERT INTO report_case_days AS r (created_date, substance, stage, cases)
            VALUES ((created AT TIME ZONE '{zone}')::date, coalesce(substance, ''),
                    CASE WHEN status = 'admitted' OR close_reason = 'treatment_started' THEN 'admitted'
                         WHEN status = 'referred' THEN 'referred'
                         WHEN substance IS NOT NULL OR status = 'assessed' THEN 'assessed'
                         ELSE 'opened' END,
                    delta)
            ON CONFLICT (created_date, substance, stage) DO UPDATE SET cases = r.cases + excluded.cases
        $$
        """,
        # BEFORE DELETE: the case's facts are still there (the cascade that removes them runs after)
        """
        CREATE FUNCTION report_cases_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                PERFORM report_case_count(OLD.created_at, OLD.status, OLD.close_reason,
                    (SELECT substance FROM report_case_facts WHERE case_id = OLD.id), -1);
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                PERFORM report_case_count(NEW.created_at, NEW.status, NEW.close_reason,
                    (SELECT substance FROM report_case_facts WHERE case_id = NEW.id), 1);
            END IF;
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NULL END;
        END $$
        """,
        # a case's facts changed (a new latest assessment): move it between substances and steps; nothing when the
        # case itself is being deleted (already uncounted)
        """
        CREATE FUNCTION report_case_facts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            k record;
        BEGIN
            SELECT created_at, status, close_reason INTO k FROM cases
            WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.case_id ELSE NEW.case_id END;
            IF NOT FOUND THEN RETURN NULL; END IF;
            PERFORM report_case_count(k.created_at, k.status, k.close_reason,
                CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.substance END, -1);
            PERFORM report_case_count(k.created_at, k.status, k.close_reason,
                CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.substance END, 1);
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE FUNCTION report_assessments_by_advisor_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.supersedes_id IS NULL THEN
                INSERT INTO report_assessment_days AS r (advisor_id, local_date, assessments)
                VALUES (OLD.advisor_id, (OLD.created_at AT TIME ZONE '{zone}')::date, -1)
                ON CONFLICT (advisor_id, local_date) DO UPDATE SET assessments = r.assessments - 1;
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.supersedes_id IS NULL THEN
                INSERT INTO report_assessment_days AS r (advisor_id, local_date, assessments)
                VALUES (NEW.advisor_id, (NEW.created_at AT TIME ZONE '{zone}')::date, 1)
                ON CONFLICT (advisor_id, local_date) DO UPDATE SET assessments = r.assessments + 1;
            END IF;
            RETURN NULL;
        END $$
        """,
    ]


def _when_changed(columns: str) -> str:
    old = ", ".join(f"OLD.{c.strip()}" for c in columns.split(","))
    new = ", ".join(f"NEW.{c.strip()}" for c in columns.split(","))
    return f"WHEN (({old}) IS DISTINCT FROM ({new}))"


#: (name, table, when, function): the triggers; the insert ones are in reports/rollups.POSTGRES_TRIGGERS (the seed turns
#: them off while it loads)
POSTGRES_TRIGGERS = [
    ("report_calls_by_advisor", "calls", "AFTER INSERT OR DELETE", "report_calls_by_advisor_changed"),
    (
        "report_calls_by_advisor_recounted",
        "calls",
        f"AFTER UPDATE OF {CALL_COLUMNS}",
        "report_calls_by_advisor_changed",
        _when_changed(CALL_COLUMNS),
    ),
    ("report_callbacks_counted", "callbacks", "AFTER INSERT OR DELETE", "report_callbacks_changed"),
    (
        "report_callbacks_recounted",
        "callbacks",
        f"AFTER UPDATE OF {CALLBACK_COLUMNS}",
        "report_callbacks_changed",
        _when_changed(CALLBACK_COLUMNS),
    ),
    ("report_cases_counted", "cases", "AFTER INSERT", "report_cases_changed"),
    ("report_cases_uncounted", "cases", "BEFORE DELETE", "report_cases_changed"),
    (
        "report_cases_recounted",
        "cases",
        f"AFTER UPDATE OF {CASE_COLUMNS}",
        "report_cases_changed",
        _when_changed(CASE_COLUMNS),
    ),
    ("report_case_facts_counted", "report_case_facts", "AFTER INSERT OR UPDATE OR DELETE", "report_case_facts_changed"),
    (
        "report_assessments_by_advisor",
        "assessments",
        f"AFTER INSERT OR DELETE OR UPDATE OF {ASSESSMENT_COLUMNS}",
        "report_assessments_by_advisor_changed",
    ),
]
POSTGRES_FUNCTION_NAMES = [
    "report_calls_by_advisor_changed()",
    "report_callbacks_changed()",
    "report_callback_count(timestamptz, integer, integer, text, timestamptz, integer)",
    "report_cases_changed()",
    "report_case_facts_changed()",
    "report_case_count(timestamptz, text, text, text, integer)",
    "report_assessments_by_advisor_changed()",
]


def _create_trigger(name: str, table: str, when: str, function: str, condition: str = "") -> str:
    return f"CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW {condition} EXECUTE FUNCTION {function}()"


# --- backfill ----------------------------------------------------------------------------------------------------


def _backfill_advisors(postgres: bool) -> None:
    op.execute(
        "INSERT INTO report_call_days (dimension, local_date, value, calls, talk_seconds) "
        f"SELECT 'advisor', local_date, CAST(advisor_id AS TEXT), count(*), sum({_talk(postgres, 'calls')}) "
        "FROM calls GROUP BY local_date, advisor_id"
    )


def _backfill_postgres(zone: str) -> None:
    window_end = "c.due_at + coalesce(c.window_minutes, 0) * interval '1 minute'"
    op.execute(
        "INSERT INTO report_callback_days (due_date, assignee_id, outcome, lateness_seconds, callbacks) "
        f"SELECT (c.due_at AT TIME ZONE '{zone}')::date, coalesce(c.assignee_id, 0), "
        "CASE WHEN c.status <> 'completed' OR c.started_at IS NULL THEN c.status "
        f"WHEN c.started_at > {window_end} THEN 'late' ELSE 'on_time' END, "
        f"CASE WHEN c.status = 'completed' AND c.started_at > {window_end} "
        f"THEN round(extract(epoch FROM c.started_at - ({window_end})))::integer ELSE 0 END, count(*) "
        "FROM callbacks c GROUP BY 1, 2, 3, 4"
    )
    op.execute(
        "INSERT INTO report_case_days (created_date, substance, stage, cases) "
        f"SELECT (k.created_at AT TIME ZONE '{zone}')::date, coalesce(f.substance, ''), "
        "CASE WHEN k.status = 'admitted' OR k.close_reason = 'treatment_started' THEN 'admitted' "
        "WHEN k.status = 'referred' THEN 'referred' "
        "WHEN f.substance IS NOT NULL OR k.status = 'assessed' THEN 'assessed' ELSE 'opened' END, count(*) "
        "FROM cases k LEFT JOIN report_case_facts f ON f.case_id = k.id GROUP BY 1, 2, 3"
    )
    op.execute(
        "INSERT INTO report_assessment_days (advisor_id, local_date, assessments) "
        f"SELECT advisor_id, (created_at AT TIME ZONE '{zone}')::date, count(*) FROM assessments "
        "WHERE supersedes_id IS NULL GROUP BY 1, 2"
    )


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table('report_callback_days',
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('lateness_seconds', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('callbacks', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('due_date', 'assignee_id', 'outcome', 'lateness_seconds', name=op.f('pk_report_callback_days'))
    )
    op.create_table('report_case_days',
    sa.Column('created_date', sa.Date(), nullable=False),
    sa.Column('substance', sa.String(length=32), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('created_date', 'substance', 'stage', name=op.f('pk_report_case_days'))
    )
    op.create_table('report_assessment_days',
    sa.Column('advisor_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('assessments', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('advisor_id', 'local_date', name=op.f('pk_report_assessment_days'))
    )
    if postgres:
        zone = _zone()
        for statement in postgres_functions(zone):
            op.execute(statement)
        for trigger in POSTGRES_TRIGGERS:
            op.execute(_create_trigger(*trigger))
        _backfill_postgres(zone)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    _backfill_advisors(postgres)


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        for name, table, *_ in POSTGRES_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for function in POSTGRES_FUNCTION_NAMES:
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    else:
        for statement in SQLITE_DROP:
            op.execute(statement)
    op.execute("DELETE FROM report_call_days WHERE dimension = 'advisor'")
    op.drop_table('report_assessment_days')
    op.drop_table('report_case_days')
    op.drop_table('report_callback_days')
