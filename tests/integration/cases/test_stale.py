"""The stale-cases rule on PostgreSQL (caseapp/cases/stale.py): open, nobody reached for N local days (or since the
case was opened), and no callback open. Each boundary, each kind of contact, and the last contact kept on the case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask

from caseapp.auth.models import Role, User
from caseapp.callbacks import workflow
from caseapp.callbacks.models import Callback
from caseapp.cases import stale
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reference import AttemptOutcome, CallbackStatus, CaseStatus, CloseReason, Direction
from tests import factories
from tests.statements import counted_queries

#: when the lists are read: Monday 15 June 2026, 10:00 BST; with 14 days, stale = last contact before 2 June local
NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
DAYS = 14
OPENED = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_broker(app: Flask, db_session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bookings and attempts queue reminder tasks after commit; none of that is under test here."""
    monkeypatch.setattr(app.extensions["celery"], "send_task", lambda *args, **kwargs: None)


@pytest.fixture
def advisor(db_session: Any) -> User:
    return factories.make_user(role=Role.ADVISOR, full_name="Alex Advisor")


def open_case(opened: datetime = OPENED, **overrides: Any) -> Case:
    """An open case opened at `opened`, whose caller agreed to callbacks."""
    return factories.make_case(
        factories.make_caller(consent_callback=True, name="Jo Bloggs"), created_at=opened, **overrides
    )


def contact(case: Case, at: datetime, advisor: User) -> None:
    factories.make_call(case, actor=advisor, started_at=at)


def listed(days: int = DAYS, now: datetime = NOW) -> list[int]:
    return [c.id for c in db.session.scalars(stale.select_stale_cases(days, now))]


def is_listed(case: Case, days: int = DAYS, now: datetime = NOW) -> bool:
    return case.id in listed(days, now)


def attempt(case: Case, advisor: User, at: datetime, outcome: AttemptOutcome, call_id: int | None = None) -> Callback:
    """A callback booked an hour before `at`, and an attempt with `outcome` at `at` (the clock held there)."""
    with time_machine.travel(at - timedelta(hours=1), tick=False):
        callback = factories.make_callback(case, actor=advisor, assignee_id=advisor.id, due_at=at)
    with time_machine.travel(at, tick=False):
        workflow.record_attempt(callback.id, outcome=outcome, actor=advisor, call_id=call_id)
    return callback


def close_open_callbacks(case: Case) -> None:
    """Leave the attempt in the history but no callback open (as the clocks would, once it is missed)."""
    db.session.execute(
        sa.update(Callback).where(Callback.case_id == case.id).values(status=CallbackStatus.MISSED, closed_at=NOW)
    )


# --- the days: local calendar days since the last successful contact ---------------------------------------------


def test_a_case_contacted_n_days_ago_is_stale_and_one_contacted_n_minus_1_days_ago_is_not(advisor: User) -> None:
    n_days_ago, n_minus_1_days_ago = open_case(), open_case()
    contact(n_days_ago, NOW - timedelta(days=DAYS), advisor)
    contact(n_minus_1_days_ago, NOW - timedelta(days=DAYS - 1), advisor)

    assert is_listed(n_days_ago)
    assert not is_listed(n_minus_1_days_ago)


def test_the_days_turn_at_uk_midnight_not_24_hours_after_the_contact(advisor: User) -> None:
    late_on_day_n, early_on_day_n_minus_1 = open_case(), open_case()
    contact(late_on_day_n, utc(2026, 6, 1, 22, 30), advisor)  # 23:30 BST on 1 June: 14 days before 15 June
    contact(early_on_day_n_minus_1, utc(2026, 6, 1, 23, 30), advisor)  # 00:30 BST on 2 June: 13 days

    assert is_listed(late_on_day_n)
    assert not is_listed(early_on_day_n_minus_1)


@pytest.mark.parametrize(
    ("now", "days", "stale_at", "fresh_at"),
    [
        # read on Sunday 5 April 2026 (BST) with 7 days: the clocks went forward on 29 March at 01:00 UTC;
        # 22:30 UTC on 29 March is 23:30 BST that day (7 days), 23:30 UTC is 00:30 BST on 30 March (6 days)
        (utc(2026, 4, 5, 9), 7, utc(2026, 3, 29, 22, 30), utc(2026, 3, 29, 23, 30)),
        # read on Tuesday 27 October 2026 (GMT) with 3 days: the clocks went back on 25 October at 01:00 UTC, and
        # 25 October began at 23:00 UTC on the 24th (BST)
        (utc(2026, 10, 27, 12), 3, utc(2026, 10, 24, 22, 30), utc(2026, 10, 24, 23, 30)),
    ],
    ids=["march", "october"],
)
def test_the_day_boundary_is_local_midnight_across_the_clock_changes(
    advisor: User, now: datetime, days: int, stale_at: datetime, fresh_at: datetime
) -> None:
    stale_case, fresh_case = open_case(utc(2026, 3, 1)), open_case(utc(2026, 3, 1))
    contact(stale_case, stale_at, advisor)
    contact(fresh_case, fresh_at, advisor)

    assert is_listed(stale_case, days, now)
    assert not is_listed(fresh_case, days, now)
    assert [r.days_since for r in stale.stale_page(days, now, page=1, per_page=50).items if r.id == stale_case.id] == [
        days
    ]


def test_a_case_nobody_has_reached_counts_from_when_it_was_opened() -> None:
    opened_n_days_ago = open_case(NOW - timedelta(days=DAYS))
    opened_n_minus_1_days_ago = open_case(NOW - timedelta(days=DAYS - 1))

    assert is_listed(opened_n_days_ago)
    assert not is_listed(opened_n_minus_1_days_ago)
    row = next(r for r in stale.stale_page(DAYS, NOW, page=1, per_page=50).items if r.id == opened_n_days_ago.id)
    assert (row.last_contact_at, row.days_since) == (None, DAYS)


def test_a_later_contact_takes_the_case_off_the_list(advisor: User) -> None:
    case = open_case()
    contact(case, utc(2026, 5, 2), advisor)
    assert is_listed(case)

    contact(case, NOW - timedelta(days=3), advisor)

    assert not is_listed(case)


def test_a_call_typed_in_later_for_an_earlier_time_does_not_move_the_last_contact_back(advisor: User) -> None:
    case = open_case()
    contact(case, NOW - timedelta(days=2), advisor)
    contact(case, utc(2026, 5, 2), advisor)  # an older call logged afterwards

    db.session.refresh(case)
    assert case.last_contact_at == NOW - timedelta(days=2)
    assert not is_listed(case)


# --- callbacks -----------------------------------------------------------------------------------------------------


def test_a_future_callback_takes_the_case_off_the_list(advisor: User) -> None:
    case = open_case()
    assert is_listed(case)

    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        factories.make_callback(case, actor=advisor, due_at=NOW + timedelta(days=1))

    assert not is_listed(case)


@pytest.mark.parametrize("status", [CallbackStatus.SCHEDULED, CallbackStatus.IN_PROGRESS, CallbackStatus.NO_ANSWER])
def test_any_open_callback_keeps_the_case_off_the_list_even_when_overdue(advisor: User, status: CallbackStatus) -> None:
    case = open_case()
    with time_machine.travel(NOW - timedelta(days=5), tick=False):
        factories.make_callback(case, actor=advisor, due_at=NOW - timedelta(days=4), status=status)

    assert not is_listed(case)


@pytest.mark.parametrize("status", [CallbackStatus.CANCELLED, CallbackStatus.MISSED, CallbackStatus.UNREACHABLE])
def test_a_callback_that_is_over_without_reaching_anyone_leaves_the_case_on_the_list(
    advisor: User, status: CallbackStatus
) -> None:
    case = open_case()
    with time_machine.travel(NOW - timedelta(days=5), tick=False):
        factories.make_callback(case, actor=advisor, due_at=NOW - timedelta(days=4), status=status, closed_at=NOW)

    assert is_listed(case)


def test_an_answered_attempt_counts_as_contact(advisor: User) -> None:
    answered, not_answered = open_case(), open_case()
    attempt(answered, advisor, NOW - timedelta(days=2), AttemptOutcome.ANSWERED)
    attempt(not_answered, advisor, NOW - timedelta(days=2), AttemptOutcome.NO_ANSWER)
    close_open_callbacks(not_answered)

    db.session.refresh(answered)
    assert answered.last_contact_at == NOW - timedelta(days=2)
    assert not is_listed(answered)  # completed: no callback open, and reached two days ago
    assert is_listed(not_answered)


@pytest.mark.parametrize(
    "outcome", [AttemptOutcome.NO_ANSWER, AttemptOutcome.VOICEMAIL_LEFT, AttemptOutcome.WRONG_NUMBER]
)
def test_a_failed_attempt_and_the_call_logged_for_it_do_not_count(advisor: User, outcome: AttemptOutcome) -> None:
    case = open_case()
    case.caller.consent_voicemail = True
    contact(case, utc(2026, 5, 20), advisor)  # reached on 20 May: 26 days
    ringing = factories.make_call(case, actor=advisor, started_at=NOW - timedelta(days=1), direction=Direction.OUTBOUND)
    db.session.refresh(case)
    assert case.last_contact_at == ringing.started_at  # a call on the case counts...

    attempt(case, advisor, NOW - timedelta(days=1), outcome, call_id=ringing.id)
    close_open_callbacks(case)

    db.session.refresh(case)
    assert case.last_contact_at == utc(2026, 5, 20)  # ...until its attempt says it reached nobody
    assert is_listed(case)


def test_a_call_logged_for_an_answered_attempt_counts(advisor: User) -> None:
    case = open_case()
    call = factories.make_call(case, actor=advisor, started_at=NOW - timedelta(days=1), direction=Direction.OUTBOUND)

    attempt(case, advisor, NOW - timedelta(days=1), AttemptOutcome.ANSWERED, call_id=call.id)

    assert not is_listed(case)


# --- which cases ---------------------------------------------------------------------------------------------------


def test_a_closed_case_is_not_listed() -> None:
    closed = open_case(status=CaseStatus.CLOSED, close_reason=CloseReason.NO_FURTHER_ACTION, closed_at=OPENED)
    still_open = open_case()

    assert not is_listed(closed)
    assert is_listed(still_open)


@pytest.mark.parametrize(
    "status", [CaseStatus.NEW, CaseStatus.ASSESSING, CaseStatus.ASSESSED, CaseStatus.REFERRED, CaseStatus.ADMITTED]
)
def test_every_open_status_is_listed(status: CaseStatus) -> None:
    assert is_listed(open_case(status=status))


def test_the_list_is_most_stale_first_then_the_older_case(advisor: User) -> None:
    reached_late, never_reached, reached_early = open_case(), open_case(utc(2026, 5, 10)), open_case()
    tie = open_case(utc(2026, 5, 10))
    contact(reached_late, utc(2026, 5, 25), advisor)
    contact(reached_early, utc(2026, 5, 5), advisor)

    order = [i for i in listed() if i in {reached_late.id, never_reached.id, reached_early.id, tie.id}]

    assert order == [reached_early.id, never_reached.id, tie.id, reached_late.id]


def test_the_count_is_the_length_of_the_list(advisor: User) -> None:
    for _ in range(3):
        open_case()
    contact(open_case(), NOW - timedelta(days=1), advisor)

    assert stale.count_stale_cases(DAYS, NOW) == len(listed())


# --- the last contact kept on the case -----------------------------------------------------------------------------


def test_the_last_contact_kept_on_each_case_is_the_rule_worked_out_from_its_calls_and_attempts(advisor: User) -> None:
    cases = [open_case() for _ in range(5)]
    contact(cases[0], utc(2026, 5, 3), advisor)
    contact(cases[0], utc(2026, 5, 9), advisor)
    attempt(cases[1], advisor, utc(2026, 5, 12), AttemptOutcome.ANSWERED)
    failed_call = factories.make_call(
        cases[2], actor=advisor, started_at=utc(2026, 5, 14), direction=Direction.OUTBOUND
    )
    attempt(cases[2], advisor, utc(2026, 5, 14), AttemptOutcome.NO_ANSWER, call_id=failed_call.id)
    contact(cases[3], utc(2026, 5, 4), advisor)
    attempt(cases[3], advisor, utc(2026, 5, 2), AttemptOutcome.ANSWERED)  # older than the call

    kept = {c.id: db.session.scalar(sa.select(Case.last_contact_at).where(Case.id == c.id)) for c in cases}

    assert kept == {c.id: stale.last_contact_of(c.id) for c in cases}
    assert [kept[c.id] for c in cases] == [utc(2026, 5, 9), utc(2026, 5, 12), None, utc(2026, 5, 4), None]


def test_backfill_sets_what_the_services_keep(advisor: User) -> None:
    cases = [open_case() for _ in range(3)]
    contact(cases[0], utc(2026, 5, 3), advisor)
    attempt(cases[1], advisor, utc(2026, 5, 12), AttemptOutcome.ANSWERED)
    kept = [db.session.scalar(sa.select(Case.last_contact_at).where(Case.id == c.id)) for c in cases]
    db.session.execute(sa.update(Case).where(Case.id.in_([c.id for c in cases])).values(last_contact_at=None))

    stale.backfill_contacts(after_case_id=min(c.id for c in cases) - 1)

    assert [db.session.scalar(sa.select(Case.last_contact_at).where(Case.id == c.id)) for c in cases] == kept


def test_a_contact_is_no_edit_of_the_case_its_version_and_updated_at_stay(advisor: User) -> None:
    case = open_case()
    db.session.refresh(case)
    version, updated_at = case.version, case.updated_at

    contact(case, NOW - timedelta(days=1), advisor)
    attempt(case, advisor, NOW - timedelta(hours=2), AttemptOutcome.ANSWERED)

    db.session.refresh(case)
    assert case.last_contact_at == NOW - timedelta(hours=2)
    assert (case.version, case.updated_at) == (version, updated_at)


# --- one statement per page, whatever its length --------------------------------------------------------------------


def _statements_for_a_page(rows: int, advisor: User) -> int:
    db.session.execute(sa.update(Case).values(status=CaseStatus.CLOSED, close_reason=CloseReason.NO_FURTHER_ACTION))
    for i in range(rows):
        case = open_case(assigned_advisor_id=advisor.id if i % 2 else None)
        contact(case, utc(2026, 5, 2 + i % 20), advisor)
    db.session.flush()
    db.session.expire_all()
    with counted_queries() as seen:
        page = stale.stale_page(DAYS, NOW, page=1, per_page=50)
        shown = [  # everything the page and the API show
            (row.reference, row.caller_first_name, row.risk_level, row.assigned_advisor_name, row.opened_on)
            for row in page.items
        ]
    assert len(shown) == rows
    return len(seen)


def test_a_page_takes_the_same_two_statements_for_3_rows_as_for_30(advisor: User) -> None:
    few = _statements_for_a_page(3, advisor)
    many = _statements_for_a_page(30, advisor)

    assert few == many == 2
