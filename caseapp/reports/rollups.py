"""Filling the report tables in bulk, for `caseapp seed`, which loads PostgreSQL with the report triggers off (row
triggers would double the load time) and counts the new rows in after, in the same transaction.

The statements are the triggers' logic as GROUP BYs (migrations 7235cd3fc93d, 3b1f0c9d2e71 and 5d0c7a9e4b18). They
assume the new calls, assessments and callbacks belong to new cases and callers only, as seeded ones do: older calls
are not moved to what a new assessment says.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from caseapp.extensions import db
from caseapp.reports.queries import inline_zone_name

#: (table, trigger): the PostgreSQL row triggers that keep the report tables current
POSTGRES_TRIGGERS = (
    ("calls", "report_calls_counted"),
    ("calls", "report_calls_by_advisor"),
    ("assessments", "report_assessments_added"),
    ("assessments", "report_assessments_by_advisor"),
    ("callbacks", "report_callbacks_counted"),
    ("cases", "report_cases_counted"),
    ("report_case_facts", "report_case_facts_counted"),
)

TALK = "coalesce(extract(epoch FROM c.ended_at - c.started_at), 0)"
#: report_callback_days' counts: when a callback counts in each (over CALLBACKS)
CALLBACK_OUTCOMES = {
    "booked": "true",
    "on_time": "b.status = 'completed' AND b.started <= b.window_end",
    "late": "b.status = 'completed' AND b.started > b.window_end",
    "missed": "b.status = 'missed'",
    "unreachable": "b.status = 'unreachable'",
    "cancelled": "b.status = 'cancelled'",
    "still_open": "b.status IN ('scheduled', 'in_progress', 'no_answer')",
}
CALLBACKS = (
    "(SELECT id, due_at, assignee_id, status, started_at AS started, "
    "due_at + coalesce(window_minutes, 0) * interval '1 minute' AS window_end FROM callbacks) b"
)


@dataclass(frozen=True)
class LoadedAfter:
    """The highest ids before the load: rows above them are new."""

    calls: int
    assessments: int
    cases: int
    callbacks: int


def add_to_report_tables(after: LoadedAfter) -> None:
    """Count the rows loaded after `after` into every report table (PostgreSQL)."""
    zone = inline_zone_name()
    ids = {"calls": after.calls, "assessments": after.assessments, "cases": after.cases, "callbacks": after.callbacks}
    hour = "date_trunc('hour', c.started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
    statements = [
        *(
            "INSERT INTO report_call_hours AS r "  # noqa: S608 - constant SQL fragments, no input
            "(hour_start, advisor_id, channel, direction, local_date, local_hour, calls, talk_seconds) "
            f"SELECT {hour}, {advisor}, c.channel, c.direction, min(c.local_date), min(c.local_hour), count(*), "
            f"sum({TALK}) FROM calls c WHERE c.id > :calls GROUP BY {hour}{group}, c.channel, c.direction "
            "ON CONFLICT (advisor_id, hour_start, channel, direction) DO UPDATE "
            "SET calls = r.calls + EXCLUDED.calls, talk_seconds = r.talk_seconds + EXCLUDED.talk_seconds"
            for advisor, group in (("c.advisor_id", ", c.advisor_id"), ("0", ""))
        ),
        (
            "INSERT INTO report_case_facts AS f (case_id, assessment_id, substance, pathway, risk) "
            "SELECT a.case_id, a.id, a.primary_substance, a.recommended_pathway, a.risk_level FROM assessments a "
            "WHERE a.id > :assessments AND a.id = (SELECT max(b.id) FROM assessments b WHERE b.case_id = a.case_id) "
            "ON CONFLICT (case_id) DO UPDATE SET assessment_id = EXCLUDED.assessment_id, "
            "substance = EXCLUDED.substance, pathway = EXCLUDED.pathway, risk = EXCLUDED.risk "
            "WHERE f.assessment_id < EXCLUDED.assessment_id"
        ),
        *(
            "INSERT INTO report_call_days AS r (dimension, local_date, value, calls, talk_seconds) "  # noqa: S608 - constant SQL fragments, no input
            f"SELECT '{name}', c.local_date, coalesce({column}, ''), count(*), sum({TALK}) "
            f"FROM calls c {join} WHERE c.id > :calls GROUP BY c.local_date, coalesce({column}, '') "
            "ON CONFLICT (dimension, local_date, value) DO UPDATE "
            "SET calls = r.calls + EXCLUDED.calls, talk_seconds = r.talk_seconds + EXCLUDED.talk_seconds"
            for name, column, join in (
                *(
                    (n, f"f.{n}", "LEFT JOIN report_case_facts f ON f.case_id = c.case_id")
                    for n in ("substance", "pathway", "risk")
                ),
                ("relationship", "f.relationship", "LEFT JOIN callers f ON f.id = c.caller_id"),
                ("advisor", "CAST(c.advisor_id AS TEXT)", ""),
            )
        ),
        (
            f"INSERT INTO report_callback_days AS r (due_date, assignee_id, {', '.join(CALLBACK_OUTCOMES)}) "  # noqa: S608 - constant fragments, a checked zone
            f"SELECT (b.due_at AT TIME ZONE '{zone}')::date, coalesce(b.assignee_id, 0), "
            + ", ".join(f"count(*) FILTER (WHERE {condition})" for condition in CALLBACK_OUTCOMES.values())
            + f" FROM {CALLBACKS} WHERE b.id > :callbacks GROUP BY 1, 2 ON CONFLICT (due_date, assignee_id) DO UPDATE "
            "SET " + ", ".join(f"{name} = r.{name} + EXCLUDED.{name}" for name in CALLBACK_OUTCOMES)
        ),
        (
            "INSERT INTO report_late_callbacks (callback_id, due_date, assignee_id, lateness_seconds) "  # noqa: S608 - constant fragments, a checked zone
            f"SELECT b.id, (b.due_at AT TIME ZONE '{zone}')::date, coalesce(b.assignee_id, 0), "
            f"round(extract(epoch FROM b.started - b.window_end))::integer FROM {CALLBACKS} "
            f"WHERE b.id > :callbacks AND {CALLBACK_OUTCOMES['late']}"
        ),
        (
            "INSERT INTO report_case_days AS r (created_date, substance, stage, cases) "  # noqa: S608 - constant fragments, a checked zone
            f"SELECT (k.created_at AT TIME ZONE '{zone}')::date, coalesce(f.substance, ''), "
            "CASE WHEN k.status = 'admitted' OR k.close_reason = 'treatment_started' THEN 'admitted' "
            "WHEN k.status = 'referred' THEN 'referred' "
            "WHEN f.substance IS NOT NULL OR k.status = 'assessed' THEN 'assessed' ELSE 'opened' END, count(*) "
            "FROM cases k LEFT JOIN report_case_facts f ON f.case_id = k.id WHERE k.id > :cases GROUP BY 1, 2, 3 "
            "ON CONFLICT (created_date, substance, stage) DO UPDATE SET cases = r.cases + EXCLUDED.cases"
        ),
        (
            "INSERT INTO report_assessment_days AS r (advisor_id, local_date, assessments) "  # noqa: S608 - constant fragments, a checked zone
            f"SELECT a.advisor_id, (a.created_at AT TIME ZONE '{zone}')::date, count(*) FROM assessments a "
            "WHERE a.id > :assessments AND a.supersedes_id IS NULL GROUP BY 1, 2 "
            "ON CONFLICT (advisor_id, local_date) DO UPDATE SET assessments = r.assessments + EXCLUDED.assessments"
        ),
    ]
    for statement in statements:
        db.session.execute(sa.text(statement), ids)
