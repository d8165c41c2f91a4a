"""keep late callbacks apart

report_callback_days counted late callbacks per whole second of lateness, so it held about one row per late callback
and every callbacks report summed them all. Now:

- report_callback_days: one row per local due day and assignee (0 = the pool), a column per outcome;
- report_late_callbacks: one row per late callback (its local due day, assignee and lateness in whole seconds),
  indexed in lateness order by day and by assignee, which percentile_disc reads for the median and 90th percentile.

PostgreSQL fills both from triggers (the zone is the app's TIMEZONE when this runs, as in 3b1f0c9d2e71); on SQLite
they stay empty.

Revision ID: 5d0c7a9e4b18
Revises: 3b1f0c9d2e71
Create Date: 2026-11-25 17:00:00.000000

"""
from alembic import context, op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d0c7a9e4b18'
down_revision = '3b1f0c9d2e71'
branch_labels = None
depends_on = None


def _previous():
    """The revision that made the callback tables, triggers and functions: its code names and rebuilds them."""
    return context.script.get_revision(down_revision).module


def _callback_triggers():
    """3b1f0c9d2e71's triggers on callbacks (the same names are used here)."""
    return [trigger for trigger in _previous().POSTGRES_TRIGGERS if trigger[1] == "callbacks"]


def _new_callback_triggers():
    """The same triggers, the update one watching `id` too: report_late_callbacks is keyed by it."""
    columns = f"id, {_previous().CALLBACK_COLUMNS}"
    return [
        ("report_callbacks_counted", "callbacks", "AFTER INSERT OR DELETE", "report_callbacks_changed"),
        (
            "report_callbacks_recounted",
            "callbacks",
            f"AFTER UPDATE OF {columns}",
            "report_callbacks_changed",
            _previous()._when_changed(columns),
        ),
    ]


def _old_functions():
    return [f for f in _previous().POSTGRES_FUNCTION_NAMES if f.startswith(("report_callback_", "report_callbacks_"))]


NEW_FUNCTIONS = [
    "report_callbacks_changed()",
    "report_callback_count(integer, timestamptz, integer, integer, text, timestamptz, integer)",
]
#: report_callback_days' counts: when a callback (its status, start time and window end) counts in each
OUTCOMES = {
    "booked": "true",
    "on_time": "status = 'completed' AND started <= window_end",
    "late": "status = 'completed' AND started > window_end",
    "missed": "status = 'missed'",
    "unreachable": "status = 'unreachable'",
    "cancelled": "status = 'cancelled'",
    "still_open": "status IN ('scheduled', 'in_progress', 'no_answer')",
}
COUNTS = ", ".join(OUTCOMES)
ADD_COUNTS = ", ".join(f"{name} = r.{name} + excluded.{name}" for name in OUTCOMES)
#: the callbacks with the names OUTCOMES uses
CALLBACKS = (
    "(SELECT id, due_at, assignee_id, status, started_at AS started, "
    "due_at + coalesce(window_minutes, 0) * interval '1 minute' AS window_end FROM callbacks) c"
)


def _functions(zone: str) -> list[str]:
    deltas = ", ".join(f"CASE WHEN {condition} THEN delta ELSE 0 END" for condition in OUTCOMES.values())
    return [
        # count the callback in its day's outcome columns; list (or unlist) it with its lateness when late
        f"""
        CREATE FUNCTION report_callback_count(
            callback integer, due timestamptz, window_minutes integer, assignee integer, status text,
            started timestamptz, delta integer
        ) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
            window_end timestamptz := due + coalesce(window_minutes, 0) * interval '1 minute';
            due_day date := (due AT TIME ZONE '{zone}')::date;
        BEGIN
            INSERT INTO report_callback_days AS r (due_date, assignee_id, {COUNTS})
            VALUES (due_day, coalesce(assignee, 0), {deltas})
            ON CONFLICT (due_date, assignee_id) DO UPDATE SET {ADD_COUNTS};
            IF delta < 0 THEN
                DELETE FROM report_late_callbacks WHERE callback_id = callback;
            ELSIF {OUTCOMES["late"]} THEN
                INSERT INTO report_late_callbacks (callback_id, due_date, assignee_id, lateness_seconds)
                VALUES (callback, due_day, coalesce(assignee, 0),
                        round(extract(epoch FROM started - window_end))::integer);
            END IF;
        END $$
        """,
        """
        CREATE FUNCTION report_callbacks_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                PERFORM report_callback_count(OLD.id, OLD.due_at, OLD.window_minutes, OLD.assignee_id, OLD.status,
                                              OLD.started_at, -1);
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                PERFORM report_callback_count(NEW.id, NEW.due_at, NEW.window_minutes, NEW.assignee_id, NEW.status,
                                              NEW.started_at, 1);
            END IF;
            RETURN NULL;
        END $$
        """,
    ]


def _backfill(zone: str) -> None:
    counts = ", ".join(f"count(*) FILTER (WHERE {condition})" for condition in OUTCOMES.values())
    day = f"(due_at AT TIME ZONE '{zone}')::date"
    op.execute(
        f"INSERT INTO report_callback_days (due_date, assignee_id, {COUNTS}) "
        f"SELECT {day}, coalesce(assignee_id, 0), {counts} FROM {CALLBACKS} GROUP BY 1, 2"
    )
    op.execute(
        "INSERT INTO report_late_callbacks (callback_id, due_date, assignee_id, lateness_seconds) "
        f"SELECT id, {day}, coalesce(assignee_id, 0), round(extract(epoch FROM started - window_end))::integer "
        f"FROM {CALLBACKS} WHERE {OUTCOMES['late']}"
    )


#: (name, columns, included columns): each day's and each assignee's late callbacks in lateness order, read from the
#: index alone
LATE_INDEXES = [
    ("ix_report_late_callbacks_due_date_lateness", ["due_date", "lateness_seconds"], ["assignee_id"]),
    ("ix_report_late_callbacks_assignee_lateness", ["assignee_id", "lateness_seconds"], ["due_date"]),
]


def _drop_callback_triggers(functions: list[str]) -> None:
    for name, table, *_ in _callback_triggers():
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for function in functions:
        op.execute(f"DROP FUNCTION IF EXISTS {function}")


def _create_callback_triggers(functions: list[str], triggers: list[tuple[str, ...]]) -> None:
    for statement in functions:
        op.execute(statement)
    for trigger in triggers:
        op.execute(_previous()._create_trigger(*trigger))


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        _drop_callback_triggers(_old_functions())
    op.drop_table('report_callback_days')
    op.create_table('report_callback_days',
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), autoincrement=False, nullable=False),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in OUTCOMES),
    sa.PrimaryKeyConstraint('due_date', 'assignee_id', name=op.f('pk_report_callback_days'))
    )
    op.create_table('report_late_callbacks',
    sa.Column('callback_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=False),
    sa.Column('lateness_seconds', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('callback_id', name=op.f('pk_report_late_callbacks'))
    )
    for name, columns, include in LATE_INDEXES:
        op.create_index(name, 'report_late_callbacks', columns, unique=False, postgresql_include=include)
    if postgres:
        zone = _previous()._zone()
        _create_callback_triggers(_functions(zone), _new_callback_triggers())
        _backfill(zone)


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        _drop_callback_triggers(NEW_FUNCTIONS)
    op.drop_table('report_late_callbacks')
    op.drop_table('report_callback_days')
    op.create_table('report_callback_days',
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('lateness_seconds', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('callbacks', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('due_date', 'assignee_id', 'outcome', 'lateness_seconds', name=op.f('pk_report_callback_days'))
    )
    if postgres:
        zone = _previous()._zone()
        old_functions = [s for s in _previous().postgres_functions(zone) if "FUNCTION report_callback" in s]
        _create_callback_triggers(old_functions, _callback_triggers())
        op.execute(
            "INSERT INTO report_callback_days (due_date, assignee_id, outcome, lateness_seconds, callbacks) "
            f"SELECT (due_at AT TIME ZONE '{zone}')::date, coalesce(assignee_id, 0), "
            "CASE WHEN status <> 'completed' OR started IS NULL THEN status "
            f"WHEN {OUTCOMES['late']} THEN 'late' ELSE 'on_time' END, "
            f"CASE WHEN {OUTCOMES['late']} THEN round(extract(epoch FROM started - window_end))::integer ELSE 0 END, "
            f"count(*) FROM {CALLBACKS} GROUP BY 1, 2, 3, 4"
        )
