"""Reports over data written the way the app writes it (log_call, record_assessment, a caller's details, callbacks
and shifts): the report tables follow every write at once, a one-call range, and the live "today" strip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.reference import CallbackStatus, CallType, Relationship
from caseapp.reports import queries
from caseapp.reports.params import Bucket, Dimension, Filters, Period
from caseapp.reports.services import breakdown, today, volume
from tests import factories
from tests.integration.reports import expected

#: a quiet stretch of the past no other test writes to
WHEN = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
DAY = Period(datetime(2001, 2, 3, tzinfo=UTC), datetime(2001, 2, 4, tzinfo=UTC))  # GMT: local midnight = UTC


def test_report_tables_follow_every_write_the_app_makes(db_session: Any) -> None:
    advisor = factories.make_user(role=Role.ADVISOR)
    first = factories.make_call(actor=advisor, started_at=WHEN, ended_at=WHEN + timedelta(minutes=12))
    second = factories.make_call(
        case=first.case,
        actor=advisor,
        started_at=WHEN + timedelta(hours=2),
        ended_at=WHEN + timedelta(hours=2, seconds=90),
    )
    factories.make_call(call_type=CallType.SILENT, actor=advisor, started_at=WHEN + timedelta(minutes=30), phone=None)
    assert expected.report_tables_agree()

    assessment = factories.make_assessment(
        case=first.case, actor=advisor, primary_substance="cocaine", substances=["cocaine"]
    )
    assert expected.report_tables_agree()
    factories.make_assessment(
        case=first.case,
        actor=advisor,
        primary_substance="ketamine",
        substances=["ketamine"],
        risk_level="high",
        supersedes_id=assessment.id,
    )
    assert first.caller is not None
    first.caller.relationship = Relationship.PARTNER
    db.session.flush()
    assert expected.report_tables_agree()

    by_substance = breakdown(DAY, Dimension.SUBSTANCE, Filters())
    assert {row["key"]: row["calls"] for row in by_substance["rows"]} == {"ketamine": 2, None: 1}
    by_relationship = breakdown(DAY, Dimension.RELATIONSHIP, Filters())
    assert {row["key"]: row["calls"] for row in by_relationship["rows"]} == {"partner": 2, None: 1}
    assert {row["key"]: row["talk_seconds"] for row in by_substance["rows"]}["ketamine"] == 12 * 60 + 90

    db.session.delete(second)
    db.session.flush()
    assert expected.report_tables_agree()


def test_a_range_holding_one_call_shows_it_once_in_every_view(db_session: Any) -> None:
    call = factories.make_call(started_at=WHEN, ended_at=WHEN + timedelta(minutes=3))
    period = Period(WHEN, WHEN + timedelta(seconds=1))

    for bucket in Bucket:
        rows = volume(period, bucket, None, Filters(), with_previous=False).as_json()["rows"]
        assert [row["calls"] for row in rows] == [1], bucket
    day_rows = volume(DAY, Bucket.HOUR, Dimension.ADVISOR, Filters(), with_previous=False).as_json()["rows"]
    assert len(day_rows) == 24
    assert [(row["start"], row["key"]) for row in day_rows if row["calls"]] == [
        ("2001-02-03T04:00:00+00:00", call.advisor_id)
    ]
    assert sum(row["calls"] for row in day_rows) == 1
    heat = queries.heatmap(DAY, Filters())
    assert heat == [(6, 4, 1)]  # a Saturday, 04:00


NOW = datetime(2026, 11, 25, 14, 20, tzinfo=UTC)


def test_today_strip_counts_calls_so_far_staff_on_shift_and_callbacks_due_or_overdue(db_session: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        for minutes in (5, 60, 13 * 60):  # today (local midnight is 00:00 GMT)
            factories.make_call(started_at=NOW - timedelta(minutes=minutes))
        factories.make_call(started_at=NOW - timedelta(hours=15))  # yesterday 23:20
        factories.make_shift()
        factories.make_shift()
        factories.make_shift(started_at=NOW - timedelta(hours=9), ended_at=NOW - timedelta(hours=1))
        due_soon = factories.make_callback(due_at=NOW + timedelta(minutes=30))
        later = factories.make_callback(due_at=NOW + timedelta(hours=3))
        overdue = factories.make_callback(due_at=NOW + timedelta(hours=1))
        in_window = factories.make_callback(due_at=NOW + timedelta(hours=1), window_minutes=30)
        done = factories.make_callback(due_at=NOW + timedelta(hours=1))
        overdue.due_at = NOW - timedelta(hours=2)
        in_window.due_at = NOW - timedelta(minutes=10)  # due, but its window runs to 14:40
        done.due_at, done.status = NOW - timedelta(hours=1), CallbackStatus.COMPLETED
        db.session.flush()

        strip = today()

    assert strip["date"] == "2026-11-25"
    assert strip["calls"] == 3
    assert strip["on_shift"] == 2
    assert strip["callbacks_due_next_hour"] == 1
    assert strip["callbacks_overdue"] == 1
    assert {due_soon.id, later.id} != set()
