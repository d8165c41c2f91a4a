"""Callback rules: booking (consent, preferred times, risk deadlines, the March and October clock changes), the
workflow, attempts, and what falls-due scans do (reminders, pool, escalation, missed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role, User
from caseapp.callbacks import booking, due, queries, wallclock, workflow
from caseapp.callbacks.models import Callback
from caseapp.cases.models import Case
from caseapp.errors import Conflict, ValidationError
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.reference import AttemptOutcome, CallbackPriority, CallbackStatus, RiskLevel
from caseapp.reminders import delivery
from caseapp.reminders.models import DeliveryChannel, OutboxKind, OutboxMessage, OutboxStatus
from caseapp.timeutil import now_utc
from tests import factories
from tests import outbox as outbox_support

LEAD = timedelta(minutes=10)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def outbox(callback: Callback, kind: OutboxKind | None = None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).where(OutboxMessage.callback_id == callback.id).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def actions(entity_id: int) -> list[str]:
    query = sa.select(AuditEvent.action).where(AuditEvent.entity_id == str(entity_id)).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def book(case: Case, advisor: User, due_at: datetime, **kwargs: Any) -> Callback:
    return booking.book_callback(case, due_at=due_at, actor=advisor, assignee_id=advisor.id, **kwargs).callback


# --- booking ----------------------------------------------------------------------------------------------------


def test_book_callback_rejects_time_in_the_past(case: Case, advisor: User) -> None:
    with pytest.raises(ValidationError) as error:
        book(case, advisor, now_utc() - timedelta(minutes=1))

    assert error.value.fields == {"due_at": ["That time has already passed. Choose a time in the future."]}


def test_book_callback_refuses_caller_without_callback_consent(advisor: User) -> None:
    case = factories.make_case(factories.make_caller(consent_callback=False))

    with pytest.raises(booking.ConsentRequired) as error:
        book(case, advisor, now_utc() + timedelta(hours=1))

    assert error.value.code == "no_callback_consent"
    assert "has not agreed to be called back" in error.value.message
    assert queries.callbacks_for_case(case.id) == []


def test_book_callback_outside_preferred_times_needs_explicit_override(advisor: User) -> None:
    caller = factories.make_caller(consent_callback=True, preferred_from=time(18, 0), preferred_to=time(20, 0))
    case = factories.make_case(caller)
    # 1 July 2027 is in BST: 18:30 local is 17:30 UTC (inside); 20:30 UTC is 21:30 local (outside)
    inside = book(case, advisor, utc(2027, 7, 1, 17, 30), window_minutes=30)

    with pytest.raises(booking.OutsidePreferredTimes) as error:
        book(case, advisor, utc(2027, 7, 1, 20, 30))
    overridden = book(case, advisor, utc(2027, 7, 1, 20, 30), override_preferred_times=True)

    assert inside.outside_preferred_times is False
    assert error.value.code == "outside_preferred_times"
    assert "between 18:00 and 20:00 (UK time)" in error.value.message
    assert set(error.value.fields) == {"due_at", "override_preferred_times"}
    assert overridden.outside_preferred_times is True


def test_book_callback_window_must_fit_inside_preferred_times(advisor: User) -> None:
    caller = factories.make_caller(consent_callback=True, preferred_from=time(18, 0), preferred_to=time(20, 0))
    case = factories.make_case(caller)

    with pytest.raises(booking.OutsidePreferredTimes):
        book(case, advisor, utc(2027, 7, 1, 18, 45), window_minutes=30)  # 19:45-20:15 local


@pytest.mark.parametrize(
    ("due_at", "allowed"),
    [
        (utc(2027, 1, 10, 23, 30), True),  # GMT: 23:30 local
        (utc(2027, 1, 11, 6, 30), True),  # 06:30 local, after midnight
        (utc(2027, 1, 11, 12, 0), False),  # midday
        (utc(2027, 7, 11, 6, 30), False),  # BST: 07:30 local, after the window closed at 07:00
        (utc(2027, 7, 11, 5, 30), True),  # BST: 06:30 local
    ],
)
def test_preferred_window_that_crosses_midnight_is_compared_in_uk_local_time(
    advisor: User, due_at: datetime, allowed: bool
) -> None:
    caller = factories.make_caller(consent_callback=True, preferred_from=time(22, 0), preferred_to=time(7, 0))

    assert wallclock.within_preferred_times(caller, due_at, due_at) is allowed


def test_high_risk_suggests_a_callback_within_two_hours_and_warns_when_later(case: Case, advisor: User) -> None:
    case.risk_level = RiskLevel.HIGH
    suggestion = booking.suggestion_for(case)

    late = booking.book_callback(case, due_at=now_utc() + timedelta(hours=3), actor=advisor)
    on_time = booking.book_callback(case, due_at=now_utc() + timedelta(minutes=90), actor=advisor)

    assert suggestion.due_by is not None
    assert abs((suggestion.due_by - now_utc()) - timedelta(hours=2)) < timedelta(seconds=5)
    assert suggestion.priority == CallbackPriority.HIGH
    assert len(late.warnings) == 1
    assert "call back within 2 hours" in late.warnings[0]
    assert late.callback.priority == CallbackPriority.HIGH
    assert on_time.warnings == []


def test_immediate_danger_suggests_thirty_minutes_and_urgent_priority(case: Case, advisor: User) -> None:
    case.risk_level = RiskLevel.IMMEDIATE_DANGER

    booked = booking.book_callback(case, due_at=now_utc() + timedelta(minutes=45), actor=advisor)

    assert booked.callback.priority == CallbackPriority.URGENT
    assert "within 30 minutes" in booked.warnings[0]


def test_risk_deadlines_are_configurable(app: Any, case: Case, advisor: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "CALLBACK_DEADLINE_HIGH_MINUTES", 45)
    case.risk_level = RiskLevel.HIGH

    booked = booking.book_callback(case, due_at=now_utc() + timedelta(minutes=60), actor=advisor)

    assert "within 45 minutes" in booked.warnings[0]


def test_book_callback_to_the_pool_and_audits_it(case: Case, advisor: User) -> None:
    callback = booking.book_callback(case, due_at=now_utc() + timedelta(hours=1), actor=advisor).callback

    assert callback.assignee_id is None
    assert callback.status == CallbackStatus.SCHEDULED
    assert actions(callback.id) == ["callback.booked"]


# --- wall-clock input and the clock changes ---------------------------------------------------------------------


def test_local_time_skipped_in_march_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValidationError) as error:
        wallclock.local_due_at(date(2027, 3, 28), time(1, 30))

    message = error.value.fields["due_time"][0]
    assert message.startswith("01:30 on Sunday 28 March 2027 does not exist in the UK")
    assert "clocks go forward" in message


def test_local_time_repeated_in_october_asks_which_one() -> None:
    with pytest.raises(ValidationError) as error:
        wallclock.local_due_at(date(2027, 10, 31), time(1, 30))

    assert "happens twice" in error.value.fields["fold"][0]
    choices = error.value.extra["choices"]
    assert [(c["fold"], c["utc"]) for c in choices] == [
        (0, "2027-10-31T00:30:00+00:00"),
        (1, "2027-10-31T01:30:00+00:00"),
    ]
    assert choices[0]["label"].startswith("01:30 BST")
    assert choices[1]["label"].startswith("01:30 GMT")


@pytest.mark.parametrize(("fold", "due_utc"), [(0, utc(2027, 10, 31, 0, 30)), (1, utc(2027, 10, 31, 1, 30))])
def test_october_0130_booking_with_fold_choice_reminds_at_the_right_utc_instant(
    case: Case, advisor: User, dispatched: list[Any], fold: int, due_utc: datetime
) -> None:
    due_at = wallclock.local_due_at(date(2027, 10, 31), time(1, 30), fold=fold)
    callback = book(case, advisor, due_at)
    db.session.commit()

    early = due.remind_due(now=due_utc - LEAD - timedelta(seconds=1))
    on_time = due.remind_due(now=due_utc - LEAD)

    assert callback.due_at == due_utc
    assert early == []
    assert len(on_time) == 2  # email + in-app to the assignee
    assert {(m.channel, m.due_at) for m in outbox(callback)} == {
        (DeliveryChannel.EMAIL, due_utc),
        (DeliveryChannel.IN_APP, due_utc),
    }


def test_march_booking_just_after_the_gap_reminds_at_the_right_utc_instant(
    case: Case, advisor: User, dispatched: list[Any]
) -> None:
    due_at = wallclock.local_due_at(date(2027, 3, 28), time(2, 30))  # BST: 01:30 UTC
    callback = book(case, advisor, due_at)

    assert due.remind_due(now=utc(2027, 3, 28, 1, 19, 59)) == []
    assert len(due.remind_due(now=utc(2027, 3, 28, 1, 20))) == 2
    assert callback.due_at == utc(2027, 3, 28, 1, 30)


# --- reminders follow the callback ------------------------------------------------------------------------------


def test_scan_due_writes_one_row_per_channel_and_is_idempotent(
    case: Case, advisor: User, dispatched: list[Any]
) -> None:
    callback = book(case, advisor, now_utc() + timedelta(hours=1))
    at = callback.due_at - LEAD

    first = due.remind_due(now=at)
    db.session.commit()
    second = due.remind_due(now=at + timedelta(minutes=1))
    db.session.commit()

    assert len(first) == 2
    assert second == []
    assert dispatched == [("reminders.deliver", [sorted(first)])]  # one delivery task for the batch
    rows = outbox(callback)
    assert {r.recipient_id for r in rows} == {advisor.id}
    assert len({r.message_id for r in rows}) == 2


def test_reschedule_before_the_reminder_time_means_no_reminder_for_the_old_time(
    case: Case, advisor: User, dispatched: list[Any]
) -> None:
    callback = book(case, advisor, utc(2027, 5, 1, 18, 0))
    workflow.reschedule_callback(callback.id, utc(2027, 5, 1, 19, 0), actor=advisor)

    at_old_time = due.remind_due(now=utc(2027, 5, 1, 17, 50))
    at_new_time = due.remind_due(now=utc(2027, 5, 1, 18, 50))

    assert at_old_time == []
    assert {m.due_at for m in outbox(callback)} == {utc(2027, 5, 1, 19, 0)}
    assert len(at_new_time) == 2
    assert "callback.rescheduled" in actions(callback.id)


def test_cancel_before_the_reminder_time_means_no_reminder(case: Case, advisor: User, dispatched: list[Any]) -> None:
    callback = book(case, advisor, utc(2027, 5, 1, 18, 0))
    workflow.cancel_callback(callback.id, actor=advisor, reason="caller rang in")

    assert due.remind_due(now=utc(2027, 5, 1, 17, 55)) == []
    assert callback.status == CallbackStatus.CANCELLED
    assert outbox(callback) == []


def test_complete_before_the_reminder_time_means_no_reminder(case: Case, advisor: User, dispatched: list[Any]) -> None:
    callback = book(case, advisor, utc(2027, 5, 1, 18, 0))
    workflow.record_attempt(callback.id, outcome=AttemptOutcome.ANSWERED, actor=advisor)

    assert due.remind_due(now=utc(2027, 5, 1, 17, 55)) == []
    assert callback.status == CallbackStatus.COMPLETED


def test_cancel_after_the_scan_withdraws_unsent_reminders(case: Case, advisor: User, dispatched: list[Any]) -> None:
    callback = book(case, advisor, utc(2027, 5, 1, 18, 0))
    ids = due.remind_due(now=utc(2027, 5, 1, 17, 50))
    db.session.commit()

    workflow.cancel_callback(callback.id, actor=advisor)
    db.session.commit()
    results = [outbox_support.deliver(i) for i in ids]

    assert {m.status for m in outbox(callback)} == {OutboxStatus.WITHDRAWN}
    assert results == [delivery.DeliveryResult.ALREADY_DONE] * 2


def test_reschedule_back_to_the_old_time_revives_the_withdrawn_reminders(
    case: Case, advisor: User, dispatched: list[Any]
) -> None:
    callback = book(case, advisor, utc(2027, 5, 1, 18, 0))
    first = due.remind_due(now=utc(2027, 5, 1, 17, 50))
    workflow.reschedule_callback(callback.id, utc(2027, 5, 1, 19, 0), actor=advisor)
    workflow.reschedule_callback(callback.id, utc(2027, 5, 1, 18, 0), actor=advisor)

    again = due.remind_due(now=utc(2027, 5, 1, 17, 52))

    assert sorted(again) == sorted(first)
    assert {m.status for m in outbox(callback)} == {OutboxStatus.PENDING}


def test_reassign_after_the_reminder_time_reminds_the_new_assignee_instead(
    case: Case, advisor: User, dispatched: list[Any]
) -> None:
    other = factories.make_user(role=Role.ADVISOR)
    callback = book(case, advisor, now_utc() + timedelta(minutes=5))
    due.remind_due(now=now_utc())

    workflow.reassign_callback(callback.id, other.id, actor=advisor)

    by_recipient = {(m.recipient_id, m.status) for m in outbox(callback)}
    assert by_recipient == {(advisor.id, OutboxStatus.WITHDRAWN), (other.id, OutboxStatus.PENDING)}


def test_pooled_callback_reminds_everyone_on_shift_in_app_only(case: Case, dispatched: list[Any]) -> None:
    on_shift = [factories.make_shift().user for _ in range(2)]
    factories.make_user()  # off shift: not reminded
    callback = booking.book_callback(case, due_at=utc(2027, 5, 1, 18, 0), actor=on_shift[0]).callback

    due.remind_due(now=utc(2027, 5, 1, 17, 50))

    rows = outbox(callback)
    assert {(r.recipient_id, r.channel) for r in rows} == {(u.id, DeliveryChannel.IN_APP) for u in on_shift}
    assert rows[0].subject.startswith("Pool callback due 19:00 BST")


# --- attempts ---------------------------------------------------------------------------------------------------


def test_voicemail_only_when_the_caller_allowed_it(case: Case, advisor: User) -> None:
    callback = book(case, advisor, now_utc() + timedelta(hours=1))

    with pytest.raises(ValidationError) as error:
        workflow.record_attempt(callback.id, outcome=AttemptOutcome.VOICEMAIL_LEFT, actor=advisor)
    case.caller.consent_voicemail = True
    result = workflow.record_attempt(callback.id, outcome=AttemptOutcome.VOICEMAIL_LEFT, actor=advisor)

    assert "not agreed to voicemail" in error.value.fields["outcome"][0]
    assert result.callback.status == CallbackStatus.NO_ANSWER
    assert result.needs_reschedule is True


def test_no_answer_with_a_new_time_reschedules_at_once(case: Case, advisor: User) -> None:
    callback = book(case, advisor, now_utc() + timedelta(hours=1))
    call = factories.make_call(case, actor=advisor)

    result = workflow.record_attempt(
        callback.id,
        outcome=AttemptOutcome.NO_ANSWER,
        actor=advisor,
        call_id=call.id,
        next_due_at=now_utc() + timedelta(hours=3),
    )

    assert result.callback.status == CallbackStatus.SCHEDULED
    assert result.needs_reschedule is False
    assert result.attempt.call_id == call.id
    assert callback.attempt_count == 1
    assert callback.failed_attempt_count == 1


def test_attempt_refuses_a_call_from_another_case(case: Case, advisor: User) -> None:
    callback = book(case, advisor, now_utc() + timedelta(hours=1))
    other_call = factories.make_call(actor=advisor)

    with pytest.raises(ValidationError) as error:
        workflow.record_attempt(callback.id, outcome=AttemptOutcome.ANSWERED, actor=advisor, call_id=other_call.id)

    assert "call_id" in error.value.fields


def test_three_failed_attempts_close_it_unreachable_and_flag_the_case(case: Case, advisor: User) -> None:
    factories.make_user(role=Role.MANAGER)
    callback = book(case, advisor, now_utc() + timedelta(hours=1))

    for hours in (2, 3):
        workflow.record_attempt(
            callback.id, outcome=AttemptOutcome.NO_ANSWER, actor=advisor, next_due_at=now_utc() + timedelta(hours=hours)
        )
    result = workflow.record_attempt(callback.id, outcome=AttemptOutcome.NO_ANSWER, actor=advisor)

    assert result.callback.status == CallbackStatus.UNREACHABLE
    assert result.callback.closed_at is not None
    assert [f.kind for f in queries.open_flags_for_case(case.id)] == ["unreachable"]
    flagged = db.session.scalars(sa.select(Notification).where(Notification.kind == "case_flagged_unreachable"))
    assert len(list(flagged)) >= 1
    with pytest.raises(Conflict):
        workflow.record_attempt(callback.id, outcome=AttemptOutcome.ANSWERED, actor=advisor)


def test_call_back_later_does_not_count_as_a_failed_attempt(case: Case, advisor: User) -> None:
    callback = book(case, advisor, now_utc() + timedelta(hours=1))

    result = workflow.record_attempt(callback.id, outcome=AttemptOutcome.CALL_BACK_LATER, actor=advisor)

    assert result.callback.status == CallbackStatus.NO_ANSWER
    assert callback.failed_attempt_count == 0


def test_wrong_number_closes_it_unreachable_at_once(case: Case, advisor: User) -> None:
    callback = book(case, advisor, now_utc() + timedelta(hours=1))

    workflow.record_attempt(callback.id, outcome=AttemptOutcome.WRONG_NUMBER, actor=advisor)

    assert callback.status == CallbackStatus.UNREACHABLE
    assert queries.find_open_flag(case.id, "unreachable") is not None


# --- pool, claim, start -----------------------------------------------------------------------------------------


def test_claim_from_the_pool_then_a_second_claim_is_refused(case: Case, advisor: User) -> None:
    other = factories.make_user()
    callback = booking.book_callback(case, due_at=now_utc() + timedelta(hours=1), actor=advisor).callback

    workflow.claim_callback(callback.id, actor=advisor)
    with pytest.raises(Conflict):
        workflow.claim_callback(callback.id, actor=other)

    assert callback.assignee_id == advisor.id
    assert "callback.claimed" in actions(callback.id)


def test_start_takes_it_over_and_withdraws_pending_reminders(case: Case, advisor: User, dispatched: list[Any]) -> None:
    other = factories.make_user(role=Role.MANAGER)  # an advisor may not take a colleague's (tests/integration/access)
    callback = book(case, advisor, now_utc() + timedelta(minutes=5))
    due.remind_due(now=now_utc())

    workflow.start_callback(callback.id, actor=other)

    assert callback.status == CallbackStatus.IN_PROGRESS
    assert callback.assignee_id == other.id
    assert {m.status for m in outbox(callback)} == {OutboxStatus.WITHDRAWN}


def test_my_callbacks_today_and_overdue_soonest_first(case: Case, advisor: User) -> None:
    later = book(case, advisor, now_utc() + timedelta(hours=30))
    soon = book(case, advisor, now_utc() + timedelta(minutes=30))
    overdue = book(case, advisor, now_utc() + timedelta(minutes=10))
    overdue.due_at = now_utc() - timedelta(hours=1)
    db.session.flush()

    mine = queries.my_callbacks(advisor.id, until=now_utc() + timedelta(hours=12))

    assert [c.id for c in mine] == [overdue.id, soon.id]
    assert overdue.is_overdue is True
    assert later not in mine


# --- falling due: pool, escalation, missed ----------------------------------------------------------------------


def test_due_callback_of_an_off_shift_advisor_moves_to_the_pool_and_the_shift_is_told(
    case: Case, advisor: User, dispatched: list[Any]
) -> None:
    on_shift = factories.make_shift().user
    callback = book(case, advisor, utc(2027, 5, 1, 18, 0))

    not_yet = due.run_clocks(now=utc(2027, 5, 1, 17, 59))
    fell_due = due.run_clocks(now=utc(2027, 5, 1, 18, 0))

    assert not_yet.pooled == []
    assert fell_due.pooled == [callback.id]
    assert callback.assignee_id is None
    notes = list(db.session.scalars(sa.select(Notification).where(Notification.kind == "callback_pooled")))
    assert [n.user_id for n in notes] == [on_shift.id]
    assert "callback.pooled" in actions(callback.id)


def test_due_callback_of_an_on_shift_advisor_stays_theirs(case: Case, advisor: User, dispatched: list[Any]) -> None:
    factories.make_shift(advisor)
    callback = book(case, advisor, utc(2027, 5, 1, 18, 0))

    due.run_clocks(now=utc(2027, 5, 1, 18, 5))

    assert callback.assignee_id == advisor.id


def test_not_started_fifteen_minutes_after_due_escalates_to_managers_on_shift_then_missed_at_sixty(
    case: Case, advisor: User, dispatched: list[Any]
) -> None:
    factories.make_shift(advisor)
    manager_on = factories.make_shift(factories.make_user(role=Role.MANAGER)).user
    factories.make_user(role=Role.MANAGER)  # off shift: not told while someone is on
    callback = book(case, advisor, utc(2027, 5, 1, 18, 0))

    at_14 = due.run_clocks(now=utc(2027, 5, 1, 18, 14))
    at_15 = due.run_clocks(now=utc(2027, 5, 1, 18, 15))
    at_16 = due.run_clocks(now=utc(2027, 5, 1, 18, 16))
    at_60 = due.run_clocks(now=utc(2027, 5, 1, 19, 0))

    assert at_14.escalated == []
    assert at_15.escalated == [callback.id]
    assert at_16.escalated == []  # once per due time
    assert {(m.recipient_id, m.channel) for m in outbox(callback, OutboxKind.ESCALATION)} == {
        (manager_on.id, DeliveryChannel.EMAIL),
        (manager_on.id, DeliveryChannel.IN_APP),
    }
    assert at_60.missed == [callback.id]
    assert callback.status == CallbackStatus.MISSED
    assert queries.select_callbacks(statuses=[CallbackStatus.MISSED]).where(Callback.id == callback.id) is not None


def test_started_callback_is_neither_escalated_nor_missed(case: Case, advisor: User, dispatched: list[Any]) -> None:
    callback = book(case, advisor, now_utc() + timedelta(minutes=5))
    workflow.start_callback(callback.id, actor=advisor)

    result = due.run_clocks(now=now_utc() + timedelta(hours=2))

    assert (result.escalated, result.missed) == ([], [])
    assert callback.status == CallbackStatus.IN_PROGRESS


def test_escalation_goes_to_every_manager_when_none_is_on_shift(
    case: Case, advisor: User, dispatched: list[Any]
) -> None:
    managers = {factories.make_user(role=Role.MANAGER).id, factories.make_user(role=Role.ADMIN).id}
    callback = book(case, advisor, utc(2027, 5, 1, 18, 0))

    due.run_clocks(now=utc(2027, 5, 1, 18, 20))

    assert {m.recipient_id for m in outbox(callback, OutboxKind.ESCALATION)} >= managers
