"""Every open state has a clock (callbacks/due.py): a callback started and left without an outcome, and one tried
without a new time, are nudged, escalated, pooled and missed on time, once, with words that fit the state, and each
step is on the case's timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role, User
from caseapp.callbacks import booking, due, workflow
from caseapp.callbacks.models import Callback
from caseapp.cases.models import Case
from caseapp.cases.timeline import build_timeline
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.reference import AttemptOutcome, CallbackStatus
from caseapp.reminders.models import DeliveryChannel, OutboxKind, OutboxMessage, OutboxStatus
from tests import factories

#: when the advisor acts; the workers then run at START + the minutes each test names
START = datetime(2027, 5, 4, 14, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


@pytest.fixture
def frozen(time_machine: Any) -> Any:
    time_machine.move_to(START, tick=False)
    return time_machine


@pytest.fixture
def manager(db_session: Any) -> User:
    return factories.make_shift(factories.make_user(role=Role.MANAGER, full_name="Morgan Manager")).user


@pytest.fixture
def callback(case: Case, advisor: User, frozen: Any, dispatched: list[Any]) -> Callback:
    factories.make_shift(advisor)
    return booking.book_callback(case, due_at=at(5), actor=advisor, assignee_id=advisor.id).callback


def messages(callback: Callback, kind: OutboxKind, status: OutboxStatus | None = None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).where(OutboxMessage.callback_id == callback.id, OutboxMessage.kind == kind)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def steps(callback: Callback) -> list[str]:
    query = sa.select(AuditEvent.action).where(
        AuditEvent.entity_type == "callback", AuditEvent.entity_id == str(callback.id)
    )
    return [action for action in db.session.scalars(query.order_by(AuditEvent.id)) if action in CLOCK_STEPS]


CLOCK_STEPS = {
    "callback.stalled_nudged",
    "callback.stalled_escalated",
    "callback.retry_prompted",
    "callback.pooled",
    "callback.missed",
}


def run_at(minutes: float) -> due.ClockResult:
    return due.run_clocks(now=at(minutes))


# --- in progress, no outcome ------------------------------------------------------------------------------------


def test_a_started_callback_with_no_outcome_nudges_its_advisor_at_thirty_minutes_then_tells_managers_at_sixty(
    callback: Callback, advisor: User, manager: User
) -> None:
    workflow.start_callback(callback.id, actor=advisor)

    results = {minutes: run_at(minutes) for minutes in (29, 30, 31, 59, 60, 61, 600)}

    assert [m for m, r in results.items() if r.stalled_nudged == [callback.id]] == [30]
    assert [m for m, r in results.items() if r.stalled_escalated == [callback.id]] == [60]
    nudges = messages(callback, OutboxKind.STALLED_NUDGE)
    assert {(m.recipient_id, m.channel) for m in nudges} == {
        (advisor.id, DeliveryChannel.EMAIL),
        (advisor.id, DeliveryChannel.IN_APP),
    }
    assert {m.recipient_id for m in messages(callback, OutboxKind.STALLED_ALERT)} == {manager.id}
    assert steps(callback) == ["callback.stalled_nudged", "callback.stalled_escalated"]
    assert callback.status == CallbackStatus.IN_PROGRESS  # never missed: someone is on the phone, or was


def test_the_stalled_messages_say_what_happened_and_name_no_caller(
    callback: Callback, advisor: User, manager: User, case: Case
) -> None:
    workflow.start_callback(callback.id, actor=advisor)
    run_at(60)

    (nudge,) = messages(callback, OutboxKind.STALLED_NUDGE)[:1]
    (alert,) = messages(callback, OutboxKind.STALLED_ALERT)[:1]

    assert "How did the callback go?" in nudge.subject
    assert "no outcome is recorded" in nudge.body
    assert "15:00 BST" in nudge.body  # the start, in UK time
    assert "in progress with no outcome" in alert.subject
    assert advisor.full_name in alert.body
    caller_name = str(case.caller.name)
    assert caller_name == "Jo Bloggs"
    for message in (nudge, alert):
        assert case.reference in message.subject
        assert caller_name not in message.subject + message.body


def test_recording_the_outcome_withdraws_the_unsent_nudge_and_stops_the_clock(
    callback: Callback, advisor: User, manager: User
) -> None:
    workflow.start_callback(callback.id, actor=advisor)
    run_at(30)
    workflow.record_attempt(callback.id, outcome=AttemptOutcome.ANSWERED, actor=advisor)

    later = run_at(120)

    assert {m.status for m in messages(callback, OutboxKind.STALLED_NUDGE)} == {OutboxStatus.WITHDRAWN}
    assert (later.stalled_nudged, later.stalled_escalated) == ([], [])


def test_a_started_callback_put_back_in_the_pool_is_not_nudged_but_managers_still_hear(
    callback: Callback, advisor: User, manager: User
) -> None:
    workflow.start_callback(callback.id, actor=advisor)
    workflow.reassign_callback(callback.id, None, actor=manager)

    result = run_at(60)

    assert (result.stalled_nudged, result.stalled_escalated) == ([], [callback.id])


def test_a_nudge_follows_the_callback_to_its_new_holder(
    callback: Callback, advisor: User, manager: User, frozen: Any
) -> None:
    colleague = factories.make_shift(factories.make_user(role=Role.ADVISOR)).user
    workflow.start_callback(callback.id, actor=advisor)
    run_at(30)
    workflow.reassign_callback(callback.id, colleague.id, actor=manager)

    run_at(31)

    nudges = messages(callback, OutboxKind.STALLED_NUDGE)
    assert {m.recipient_id for m in nudges if m.status == OutboxStatus.WITHDRAWN} == {advisor.id}
    assert {m.recipient_id for m in nudges if m.status == OutboxStatus.PENDING} == {colleague.id}


# --- no answer, no new time -------------------------------------------------------------------------------------


def test_no_answer_without_a_new_time_prompts_at_fifteen_minutes_pools_at_sixty_and_is_missed_at_four_hours(
    callback: Callback, advisor: User, manager: User
) -> None:
    colleague = factories.make_shift(factories.make_user(role=Role.ADVISOR)).user
    workflow.record_attempt(callback.id, outcome=AttemptOutcome.NO_ANSWER, actor=advisor)
    assert callback.status == CallbackStatus.NO_ANSWER

    results = {minutes: run_at(minutes) for minutes in (14, 15, 16, 59, 60, 61, 239, 240, 241)}

    assert [m for m, r in results.items() if r.retry_prompted] == [15]
    assert [m for m, r in results.items() if r.pooled] == [60]
    assert [m for m, r in results.items() if r.missed] == [240]
    prompts = messages(callback, OutboxKind.RETRY_PROMPT)
    assert {m.recipient_id for m in prompts} == {advisor.id}
    assert "new time" in prompts[0].body
    # pooled: the unsent prompt is withdrawn and the others on shift are told
    assert {m.status for m in prompts} == {OutboxStatus.WITHDRAWN}
    pooled = db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "callback_pooled")).all()
    assert set(pooled) == {colleague.id, manager.id}
    # missed: closed, and the managers told
    assert (callback.status, callback.closed_at) == (CallbackStatus.MISSED, at(240))
    missed = db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "callback_missed")).all()
    assert manager.id in missed
    assert steps(callback) == ["callback.retry_prompted", "callback.pooled", "callback.missed"]


def test_a_new_time_stops_the_no_answer_clock(callback: Callback, advisor: User, manager: User) -> None:
    workflow.record_attempt(callback.id, outcome=AttemptOutcome.NO_ANSWER, actor=advisor)
    run_at(15)
    workflow.reschedule_callback(callback.id, at(300), actor=advisor)

    later = run_at(280)

    assert (later.pooled, later.missed) == ([], [])
    assert {m.status for m in messages(callback, OutboxKind.RETRY_PROMPT)} == {OutboxStatus.WITHDRAWN}
    assert callback.status == CallbackStatus.SCHEDULED


def test_claiming_an_unanswered_callback_from_the_pool_gives_its_new_holder_a_fresh_clock(
    callback: Callback, advisor: User, manager: User, frozen: Any
) -> None:
    colleague = factories.make_shift(factories.make_user(role=Role.ADVISOR)).user
    workflow.record_attempt(callback.id, outcome=AttemptOutcome.NO_ANSWER, actor=advisor)
    run_at(60)  # prompted, then pooled
    frozen.move_to(at(70), tick=False)
    workflow.claim_callback(callback.id, actor=colleague)

    results = {minutes: run_at(minutes) for minutes in (84, 85, 240, 309, 310)}

    assert [m for m, r in results.items() if r.retry_prompted] == [85]
    prompted = [
        m.recipient_id for m in messages(callback, OutboxKind.RETRY_PROMPT) if m.channel == DeliveryChannel.EMAIL
    ]
    assert prompted == [advisor.id, colleague.id]
    assert [m for m, r in results.items() if r.missed] == [310]  # four hours after the claim, not the attempt


# --- the timeline -----------------------------------------------------------------------------------------------


def test_each_clock_step_is_on_the_case_timeline(callback: Callback, advisor: User, manager: User, case: Case) -> None:
    workflow.start_callback(callback.id, actor=advisor)
    run_at(60)

    shown = [entry.summary for entry in build_timeline(case.id) if entry.kind == "callback_step"]

    assert shown == [
        "Callback in progress with no outcome: managers told",
        "Callback in progress with no outcome: advisor reminded",
    ]


def test_the_case_page_shows_the_clock_steps(
    client: Any, login_as: Any, case: Case, frozen: Any, dispatched: list[Any]
) -> None:
    manager = login_as(Role.MANAGER)
    factories.make_shift(manager)
    callback = booking.book_callback(case, due_at=at(5), actor=manager, assignee_id=manager.id).callback
    workflow.record_attempt(callback.id, outcome=AttemptOutcome.NO_ANSWER, actor=manager)
    run_at(15)
    db.session.commit()

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert "No answer and no new time: advisor asked to reschedule" in page
