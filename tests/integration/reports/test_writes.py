"""Reports over data written the way the app writes it (log_call, record_assessment, a caller's details, callbacks
and shifts): the report tables follow every write at once, a one-call range, and the live "today" strip."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
import time_machine

from caseapp.auth.models import Role, User
from caseapp.callbacks import booking, due, wallclock, workflow
from caseapp.callbacks.models import Callback
from caseapp.cases import services as cases
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reference import (
    AttemptOutcome,
    CallbackStatus,
    CallType,
    CaseStatus,
    CloseReason,
    Relationship,
)
from caseapp.reports import queries
from caseapp.reports.params import Bucket, Dimension, Filters, Period
from caseapp.reports.services import breakdown, today, volume
from tests import factories
from tests.integration.reports import expected
from tests.integration.reports import rollup_checks as checks

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
    expected.assert_report_tables_agree()

    assessment = factories.make_assessment(
        case=first.case, actor=advisor, primary_substance="cocaine", substances=["cocaine"]
    )
    expected.assert_report_tables_agree()
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
    expected.assert_report_tables_agree()

    by_substance = breakdown(DAY, Dimension.SUBSTANCE, Filters())
    assert {row["key"]: row["calls"] for row in by_substance["rows"]} == {"ketamine": 2, None: 1}
    by_relationship = breakdown(DAY, Dimension.RELATIONSHIP, Filters())
    assert {row["key"]: row["calls"] for row in by_relationship["rows"]} == {"partner": 2, None: 1}
    assert {row["key"]: row["talk_seconds"] for row in by_substance["rows"]}["ketamine"] == 12 * 60 + 90

    db.session.delete(second)
    db.session.flush()
    expected.assert_report_tables_agree()


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


# --- callbacks, cases and assessments: report_callback_days, report_case_days, report_assessment_days ----------------

#: the night the clocks go back: local 01:00-02:00 happens twice (01:00 GMT is 01:00 UTC)
NIGHT = date(2027, 10, 31)
BOOKED = datetime(2027, 10, 30, 12, 0, tzinfo=UTC)
#: the days the scenarios below write to, and a day either side
DAYS = [date(2027, 10, 29) + timedelta(days=n) for n in range(7)]
SPAN = Period.of_days(DAYS[0], DAYS[-1])


def _run_sql(statement: str, **values: Any) -> None:
    """A write behind the ORM's back (as a data fix would be), then forget what the session had loaded."""
    db.session.flush()
    db.session.execute(sa.text(statement), values)
    db.session.expire_all()


def _periods() -> list[Period]:
    """Each whole local day (the night of the clock change is 25 hours), and all of them at once."""
    return [*(Period.of_days(day, day) for day in DAYS), SPAN]


def test_callback_rollup_follows_every_step_of_a_callback(db_session: Any) -> None:
    check = expected.assert_report_tables_agree
    with time_machine.travel(BOOKED, tick=False) as clock:
        manager = factories.make_user(role=Role.MANAGER)
        first, second, leaver = (factories.make_user(role=Role.ADVISOR) for _ in range(3))
        case = factories.make_case(factories.make_caller(consent_callback=True), actor=first)

        def book(day: date, at: time, **details: Any) -> Callback:
            due_at = wallclock.local_due_at(day, at)
            return booking.book_callback(case, due_at=due_at, actor=manager, **details).callback

        # due 00:30 BST on the night the clocks go back, with a 90-minute window: the window ends 90 real minutes
        # later, at 01:00 GMT (02:00 by wall-clock arithmetic)
        late = book(NIGHT, time(0, 30), window_minutes=90, assignee_id=first.id)
        assert late.due_at == datetime(2027, 10, 30, 23, 30, tzinfo=UTC)  # the 30th in UTC, the 31st locally
        pooled = book(NIGHT, time(10, 0))  # no assignee: the pool
        moved = book(NIGHT, time(9, 0), assignee_id=first.id)
        cancelled = book(date(2027, 11, 1), time(12, 0))
        wrong = book(date(2027, 11, 1), time(15, 0), window_minutes=60, assignee_id=second.id)
        orphaned = book(date(2027, 11, 2), time(10, 0), assignee_id=leaver.id)
        check("booking")

        workflow.reassign_callback(moved.id, second.id, actor=manager)
        check("reassigning")
        workflow.reschedule_callback(
            moved.id, wallclock.local_due_at(date(2027, 11, 2), time(14, 0)), window_minutes=30, actor=manager
        )
        check("rescheduling to another day")
        _run_sql("UPDATE callbacks SET assignee_id = :first WHERE id = :id", first=first.id, id=moved.id)
        check("UPDATE callbacks SET assignee_id")
        workflow.cancel_callback(cancelled.id, actor=manager, reason="the caller rang us")
        check("cancelling")

        clock.move_to(datetime(2027, 10, 31, 1, 20, 0, 750000, tzinfo=UTC))  # 01:20:00.75 GMT, the second 01:20
        workflow.start_callback(late.id, actor=first)
        check("starting")
        clock.move_to(datetime(2027, 10, 31, 1, 32, tzinfo=UTC))
        workflow.record_attempt(late.id, outcome=AttemptOutcome.ANSWERED, actor=first)
        check("completing late across the clock change")
        # 20 minutes and 0.75 s after the window closed: 1201 whole seconds late, on the local day it was due
        assert expected.kept_tables()["late_callbacks"][(late.id,)] == (NIGHT, first.id, 1201)
        _run_sql("UPDATE callbacks SET assignee_id = :second WHERE id = :id", second=second.id, id=late.id)
        check("UPDATE callbacks SET assignee_id of a late one")
        _run_sql("UPDATE callbacks SET assignee_id = :first WHERE id = :id", first=first.id, id=late.id)

        clock.move_to(datetime(2027, 10, 31, 11, 30, tzinfo=UTC))
        due.run_clocks(now=datetime(2027, 10, 31, 11, 30, tzinfo=UTC))
        assert pooled.status == CallbackStatus.MISSED
        check("marking a pooled callback missed")

        clock.move_to(datetime(2027, 11, 1, 15, 5, tzinfo=UTC))
        workflow.record_attempt(wrong.id, outcome=AttemptOutcome.WRONG_NUMBER, actor=second)
        assert wrong.status == CallbackStatus.UNREACHABLE
        check("a wrong number")

        clock.move_to(datetime(2027, 11, 2, 10, 5, tzinfo=UTC))
        due.run_clocks(now=datetime(2027, 11, 2, 10, 5, tzinfo=UTC))  # its assignee is off shift
        assert orphaned.assignee_id is None
        check("moving to the pool")
        workflow.claim_callback(orphaned.id, actor=leaver)
        check("claiming from the pool")

        clock.move_to(datetime(2027, 11, 2, 14, 10, tzinfo=UTC))
        workflow.record_attempt(moved.id, outcome=AttemptOutcome.NO_ANSWER, actor=first)
        assert moved.status == CallbackStatus.NO_ANSWER
        check("no answer")
        workflow.reschedule_callback(
            moved.id, wallclock.local_due_at(date(2027, 11, 3), time(9, 0)), window_minutes=30, actor=first
        )
        check("rescheduling after no answer")
        clock.move_to(datetime(2027, 11, 3, 9, 29, 59, tzinfo=UTC))
        workflow.start_callback(moved.id, actor=first)
        workflow.record_attempt(moved.id, outcome=AttemptOutcome.ANSWERED, actor=first)
        check("completing on time")

        _run_sql("DELETE FROM users WHERE id = :id", id=leaver.id)  # the foreign key puts its callback in the pool
        check("deleting the assignee")
        _run_sql("UPDATE callbacks SET status = 'completed', started_at = due_at WHERE id = :id", id=orphaned.id)
        check("UPDATE callbacks: completed at the very end of its window")
        _run_sql("DELETE FROM callbacks WHERE id = :id", id=cancelled.id)
        check("DELETE FROM callbacks")

    assert {c.status for c in expected.load_callbacks()} >= {"completed", "missed", "unreachable"}
    for period in _periods():
        for filters in (Filters(), Filters(advisor_id=first.id)):
            checks.assert_callback_reports_agree(period, filters)


def test_callback_report_rounds_lateness_the_same_from_the_rollup_and_the_callbacks(db_session: Any) -> None:
    """Lateness of x.5 seconds: the median and 90th percentile are the same whichever table the report reads; and
    the late callback stays listed once, or not at all, through data fixes behind the app's back."""
    with time_machine.travel(BOOKED, tick=False) as clock:
        advisor = factories.make_user(role=Role.ADVISOR)
        callback = factories.make_callback(
            due_at=datetime(2027, 10, 31, 9, 0, tzinfo=UTC), assignee_id=advisor.id, actor=advisor
        )
        clock.move_to(datetime(2027, 10, 31, 9, 0, 2, 500000, tzinfo=UTC))  # 2.5 s late
        workflow.record_attempt(callback.id, outcome=AttemptOutcome.ANSWERED, actor=advisor)
    expected.assert_report_tables_agree()

    checks.assert_callback_reports_agree(Period.of_days(NIGHT, NIGHT), Filters())
    for step, change in (
        ("no longer late", "started_at = due_at"),
        ("late again", "started_at = due_at + interval '90 seconds'"),
        ("completed with no start time", "started_at = NULL"),
        ("late again", "started_at = due_at + interval '1 hour'"),
    ):
        _run_sql(f"UPDATE callbacks SET {change} WHERE id = :id", id=callback.id)  # noqa: S608 - constant SQL
        expected.assert_report_tables_agree(step)
    checks.assert_callback_reports_agree(Period.of_days(NIGHT, NIGHT), Filters())
    number = callback.id
    _run_sql("DELETE FROM callback_attempts WHERE callback_id = :id", id=number)
    _run_sql("DELETE FROM reminder_outbox WHERE callback_id = :id", id=number)
    _run_sql("UPDATE callbacks SET id = :new WHERE id = :id", new=number + 1000, id=number)  # a data fix
    expected.assert_report_tables_agree("renumbering a late callback")
    _run_sql("DELETE FROM callbacks WHERE id = :id", id=number + 1000)
    expected.assert_report_tables_agree("deleting a late callback")


def test_case_and_assessment_rollups_follow_the_funnel(db_session: Any) -> None:
    check = expected.assert_report_tables_agree
    with time_machine.travel(BOOKED, tick=False):
        advisor, other = factories.make_user(role=Role.ADVISOR), factories.make_user(role=Role.ADVISOR)

        def opened(at: datetime) -> Case:
            return factories.make_case(actor=advisor, created_at=at)

        def moved_on(case: Case, status: CaseStatus, reason: CloseReason | None = None) -> None:
            changes = {"status": status, "close_reason": reason}
            cases.update_case(case, changes, expected_version=case.version, actor=advisor)

        def assessed(case: Case, substance: str, by: User = advisor, supersedes: int | None = None) -> int:
            answers: dict[str, Any] = {"primary_substance": substance, "substances": [substance]}
            if supersedes is not None:
                answers["supersedes_id"] = supersedes
            return factories.make_assessment(case=case, actor=by, **answers).id

        before_midnight = opened(datetime(2027, 10, 30, 22, 59, 59, 999999, tzinfo=UTC))  # 23:59:59.999999 BST
        at_midnight = opened(datetime(2027, 10, 30, 23, 0, tzinfo=UTC))  # 00:00 BST on the 31st
        first_one_thirty = opened(datetime(2027, 10, 31, 0, 30, tzinfo=UTC))  # 01:30 BST
        second_one_thirty = opened(datetime(2027, 10, 31, 1, 30, tzinfo=UTC))  # 01:30 GMT
        doomed = opened(datetime(2027, 11, 1, 12, 0, tzinfo=UTC))
        doomed_assessed = opened(datetime(2027, 11, 1, 13, 0, tzinfo=UTC))
        check("opening cases")

        heroin = assessed(second_one_thirty, "heroin")
        check("an assessment")
        assessed(second_one_thirty, "cocaine", by=other, supersedes=heroin)
        check("a correction (another substance, not another assessment)")
        moved_on(second_one_thirty, CaseStatus.REFERRED)
        check("referring")
        moved_on(second_one_thirty, CaseStatus.ADMITTED)
        check("admitting")

        moved_on(first_one_thirty, CaseStatus.ASSESSED)  # assessed without an assessment on record
        check("status assessed without an assessment")
        moved_on(first_one_thirty, CaseStatus.CLOSED, CloseReason.TREATMENT_STARTED)
        check("closing with treatment started")
        moved_on(first_one_thirty, CaseStatus.ASSESSING)  # reopened: the close reason goes
        check("reopening")

        assessed(before_midnight, "alcohol", by=other)
        moved_on(before_midnight, CaseStatus.CLOSED, CloseReason.SIGNPOSTED)
        check("closing an assessed case for another reason")
        moved_on(at_midnight, CaseStatus.CLOSED, CloseReason.DUPLICATE)
        check("closing a new case")
        referred = opened(datetime(2027, 10, 31, 12, 0, tzinfo=UTC))
        assessed(referred, "alcohol")
        moved_on(referred, CaseStatus.REFERRED)
        check("referring another case")
        _run_sql(
            "UPDATE assessments SET created_at = :at WHERE case_id = :id",
            at=datetime(2027, 10, 31, 12, 5, tzinfo=UTC),
            id=referred.id,
        )

        _run_sql(
            "UPDATE cases SET created_at = :at WHERE id = :id",
            at=datetime(2027, 11, 2, 0, 30, tzinfo=UTC),
            id=at_midnight.id,
        )
        check("UPDATE cases SET created_at")
        # assessments are stamped by the database clock: put them on the days around the change
        _run_sql(
            "UPDATE assessments SET created_at = :at WHERE case_id = :id",
            at=datetime(2027, 10, 30, 23, 0, tzinfo=UTC),  # local midnight: the 31st
            id=second_one_thirty.id,
        )
        _run_sql(
            "UPDATE assessments SET created_at = :at, advisor_id = :by WHERE case_id = :id",
            at=datetime(2027, 10, 30, 22, 59, 59, tzinfo=UTC),  # still the 30th
            by=advisor.id,
            id=before_midnight.id,
        )
        check("UPDATE assessments SET created_at, advisor_id")
        _run_sql(
            "UPDATE assessments SET case_id = :target WHERE case_id = :source",
            target=at_midnight.id,
            source=before_midnight.id,
        )
        check("UPDATE assessments SET case_id (another case's assessment now)")

        _run_sql("DELETE FROM cases WHERE id = :id", id=doomed.id)
        check("DELETE FROM cases")
        ketamine = assessed(doomed_assessed, "ketamine")
        cannabis = assessed(doomed_assessed, "cannabis", supersedes=ketamine)
        _run_sql(
            "UPDATE assessments SET created_at = :at WHERE case_id = :id",
            at=datetime(2027, 11, 1, 23, 30, tzinfo=UTC),
            id=doomed_assessed.id,
        )
        check("assessing and correcting")
        _run_sql("DELETE FROM assessments WHERE id = :id", id=cannabis)
        check("DELETE FROM assessments: the correction")
        _run_sql("DELETE FROM assessments WHERE id = :id", id=ketamine)
        check("DELETE FROM assessments: the last one")
        _run_sql("DELETE FROM cases WHERE id = :id", id=doomed_assessed.id)
        check("DELETE FROM cases: a case that had been assessed")

    assert {expected.case_stage(c) for c in expected.load_cases()} == {"opened", "assessed", "referred", "admitted"}
    for period in _periods():
        checks.assert_funnel_agrees(period)
        for advisor_id in (None, other.id):
            checks.assert_assessments_completed_agree(period, Filters(advisor_id=advisor_id))


def test_calls_by_advisor_follow_logging_moving_and_deleting_calls(db_session: Any) -> None:
    check = expected.assert_report_tables_agree
    with time_machine.travel(datetime(2027, 11, 3, 12, 0, tzinfo=UTC), tick=False):
        advisor, other = factories.make_user(role=Role.ADVISOR), factories.make_user(role=Role.ADVISOR)
        logged = []
        # 23:30 BST on the 30th, then 00:30 BST, 01:30 BST, 01:30 GMT and 02:30 GMT on the 31st
        for n, at in enumerate(
            (
                datetime(2027, 10, 30, 22, 30, tzinfo=UTC),
                *(datetime(2027, 10, 30, 23, 30, tzinfo=UTC) + timedelta(hours=h) for h in range(4)),
            )
        ):
            who = advisor if n % 2 else other
            logged.append(
                factories.make_call(actor=who, started_at=at, ended_at=at + timedelta(minutes=n + 1, seconds=7))
            )
        factories.make_call(actor=advisor, started_at=datetime(2027, 11, 1, 9, 0, tzinfo=UTC))  # not ended
        check("logging calls")
        _run_sql("UPDATE calls SET advisor_id = :by WHERE id = :id", by=advisor.id, id=logged[2].id)
        check("UPDATE calls SET advisor_id")
        _run_sql("DELETE FROM calls WHERE id = :id", id=logged[3].id)
        check("DELETE FROM calls")

    for period in _periods():
        for advisor_id in (None, advisor.id):
            checks.assert_advisor_breakdown_agrees(period, advisor_id)
