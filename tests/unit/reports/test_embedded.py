"""The reports in embedded mode: SQLite built by `upgrade head`, with the report tables' triggers, the bulk seed
path (executemany) and every report answering what the rows say, clock changes included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
import time_machine
from flask import Flask

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.reference import Relationship
from caseapp.reports import queries, services
from caseapp.reports.params import Bucket, Dimension, Filters, Period
from caseapp.reports.seed import SeedPlan, seed
from tests import factories
from tests.integration.reports import expected
from tests.integration.reports.expected import midnight

OCTOBER = date(2026, 10, 25)
NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
TRIGGERS = {
    "report_calls_added",
    "report_calls_removed",
    "report_calls_recounted",
    "report_assessments_added",
    "report_assessments_removed",
    "report_assessments_edited",
    "report_callers_relationship",
    "report_calls_by_advisor_added",
    "report_calls_by_advisor_removed",
    "report_calls_by_advisor_recounted",
}


def _volume(period: Period, bucket: Bucket, by: Dimension | None = None) -> dict[tuple[str, object], int]:
    rows = services.volume(period, bucket, by, Filters(), with_previous=False).as_json()["rows"]
    return {(row["start"], row["key"]): row["calls"] for row in rows}


def test_migrations_leave_the_report_triggers_in_place(sqlite_app: Flask) -> None:
    with sqlite_app.app_context():
        names = {n for (n,) in db.session.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))}

    assert names >= TRIGGERS


def test_reports_answer_from_sqlite_around_the_october_clock_change(sqlite_app: Flask) -> None:
    with sqlite_app.app_context(), time_machine.travel(NOW, tick=False):
        seed(SeedPlan(calls=400, days=3, seed=3, end=OCTOBER + timedelta(days=1)))
        advisor = factories.make_user(role=Role.ADVISOR)
        for minutes in (30, 90, 150):  # 01:30 BST, 01:30 GMT, 02:30 GMT
            start = datetime(2026, 10, 25, 0, 0, tzinfo=UTC) + timedelta(minutes=minutes)
            call = factories.make_call(actor=advisor, started_at=start, ended_at=start + timedelta(minutes=7))
        factories.make_assessment(case=call.case, actor=advisor, primary_substance="ghb_gbl", substances=["ghb_gbl"])
        assert call.caller is not None
        call.caller.relationship = Relationship.FRIEND
        db.session.commit()
        calls = expected.load_calls()
        day = Period.of_days(OCTOBER, OCTOBER)
        start, end = midnight(OCTOBER), midnight(OCTOBER + timedelta(days=1))

        hours = _volume(day, Bucket.HOUR)
        assert len(hours) == 25
        assert hours == expected.volume(calls, start, end, "hour")
        assert _volume(day, Bucket.DAY) == expected.volume(calls, start, end, "day")
        for by in (Dimension.SUBSTANCE, Dimension.RELATIONSHIP, Dimension.CHANNEL):
            assert _volume(day, Bucket.DAY, by) == expected.volume(calls, start, end, "day", by.value)
            got = {r["key"]: (r["calls"], r["talk_seconds"]) for r in services.breakdown(day, by, Filters())["rows"]}
            assert got == expected.breakdown(calls, start, end, by.value)
        mid_day = Period(start + timedelta(hours=1, minutes=10), end - timedelta(hours=3))
        assert _volume(mid_day, Bucket.HOUR, Dimension.SUBSTANCE) == expected.volume(
            calls, mid_day.start, mid_day.end, "hour", "substance"
        )
        heat = {(r["weekday"], r["hour"]): r["calls"] for r in services.heatmap(day, Filters())["rows"]}
        assert heat == expected.heatmap(calls, start, end)
        three_days = Period.of_days(OCTOBER - timedelta(days=1), OCTOBER + timedelta(days=1))
        funnel = [s["cases"] for s in services.funnel(three_days, Filters())["steps"]]
        assert funnel == expected.funnel(expected.load_cases(), three_days.start, three_days.end)
        due = [c for c in expected.load_callbacks() if three_days.start <= c.due_at < three_days.end]
        report = services.callbacks(three_days, Filters())
        assert report["totals"] == expected.callback_counts(due)
        for row in report["by_day"]:
            on_day = [c for c in due if c.due_at.astimezone(expected.LONDON).date().isoformat() == row["key"]]
            assert {k: v for k, v in row.items() if k != "key"} == expected.callback_counts(on_day)


def test_reports_api_answers_in_embedded_mode(sqlite_app: Flask) -> None:
    with sqlite_app.app_context(), time_machine.travel(NOW, tick=False):
        seed(SeedPlan(calls=50, days=2, seed=5, end=OCTOBER))
        manager = factories.make_user(role=Role.MANAGER)
        _, token = factories.make_token(manager)
        db.session.commit()

    client = sqlite_app.test_client()
    with time_machine.travel(NOW, tick=False):
        response = client.get(
            "/api/v1/reports/volume",
            query_string={"from": "2026-10-24", "to": "2026-10-26", "by": "risk"},
            headers={"Authorization": f"Bearer {token}"},
        )

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert sum(row["calls"] for row in body["rows"]) == 50
    assert {row["start"] for row in body["rows"]} == {"2026-10-24T00:00:00+01:00", "2026-10-25T00:00:00+01:00"}


def test_advisor_breakdown_over_whole_days_comes_from_the_day_rollup_and_matches_the_calls(sqlite_app: Flask) -> None:
    with sqlite_app.app_context(), time_machine.travel(NOW, tick=False):
        seed(SeedPlan(calls=300, days=3, seed=11, end=OCTOBER + timedelta(days=2)))
        advisor, other = factories.make_user(role=Role.ADVISOR), factories.make_user(role=Role.ADVISOR)
        logged = []
        # 23:30 BST on the 24th; 00:30 BST, 01:30 BST, 01:30 GMT and 23:59 GMT on the 25th
        for n, minutes in enumerate((-30, 30, 90, 150, 25 * 60 - 1)):
            start = datetime(2026, 10, 24, 23, 0, tzinfo=UTC) + timedelta(minutes=minutes)
            who = advisor if n % 2 else other
            logged.append(factories.make_call(actor=who, started_at=start, ended_at=start + timedelta(minutes=n + 2)))
        db.session.commit()
        expected.assert_report_tables_agree("logging calls")
        db.session.execute(
            sa.text("UPDATE calls SET advisor_id = :to WHERE id = :id"), {"to": advisor.id, "id": logged[2].id}
        )
        db.session.execute(sa.text("DELETE FROM calls WHERE id = :id"), {"id": logged[3].id})
        db.session.commit()
        expected.assert_report_tables_agree("moving a call to another advisor and deleting one")
        calls = expected.load_calls()

        days = [OCTOBER + timedelta(days=n) for n in (-1, 0, 1)]
        for period in [*(Period.of_days(day, day) for day in days), Period.of_days(days[0], days[-1])]:
            assert queries.Source.choose(period, Dimension.ADVISOR, Filters()).kind == "days"  # report_call_days
            for advisor_id in (None, advisor.id, other.id):
                rows = services.breakdown(period, Dimension.ADVISOR, Filters(advisor_id=advisor_id))["rows"]
                got = {row["key"]: (row["calls"], row["talk_seconds"]) for row in rows}
                where = expected.Filter(advisor=advisor_id)
                assert got == expected.breakdown(calls, period.start, period.end, "advisor", where), (
                    period.first_day,
                    period.last_day,
                    advisor_id,
                )


def test_today_strip_counts_in_embedded_mode(sqlite_app: Flask) -> None:
    with sqlite_app.app_context(), time_machine.travel(NOW, tick=False):
        for minutes in (5, 11 * 60):  # today (local midnight is 00:00 GMT)
            factories.make_call(started_at=NOW - timedelta(minutes=minutes))
        factories.make_call(started_at=NOW - timedelta(hours=13))  # yesterday 23:00
        factories.make_shift()
        factories.make_callback(due_at=NOW + timedelta(minutes=30))
        factories.make_callback(due_at=NOW + timedelta(hours=2))
        overdue = factories.make_callback(due_at=NOW + timedelta(hours=1))
        in_window = factories.make_callback(due_at=NOW + timedelta(hours=1), window_minutes=30)
        overdue.due_at = NOW - timedelta(minutes=1)
        in_window.due_at = NOW - timedelta(minutes=29)  # due, but its window runs another minute
        db.session.flush()

        strip = services.today()

    assert (strip["calls"], strip["on_shift"]) == (2, 1)
    assert (strip["callbacks_due_next_hour"], strip["callbacks_overdue"]) == (1, 1)
