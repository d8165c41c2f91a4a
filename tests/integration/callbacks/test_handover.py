"""Handover at the end of a shift (callbacks/handover.py, offers.py and the clock in due.py): clocking off gives every
open callback a destination or is refused; an offered callback is its receiver's (reminders follow it) until it is
accepted, returned to the pool on the clock (on time, once), or settled by whatever happens to it first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role, User
from caseapp.callbacks import booking, due, handover, workflow
from caseapp.callbacks.handover import HandoverRequest
from caseapp.callbacks.models import Callback, Handover
from caseapp.cases.models import Case
from caseapp.cases.timeline import build_timeline
from caseapp.errors import Conflict, Forbidden, ValidationError
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.reference import AttemptOutcome, CallbackStatus, HandoverStatus
from caseapp.reminders.models import DeliveryChannel, OutboxKind, OutboxMessage, OutboxStatus
from caseapp.shifts import queries as shift_queries
from caseapp.timeutil import now_utc
from tests import factories

#: when the advisor clocks off; the workers then run at START + the minutes each test names
START = datetime(2027, 5, 4, 14, 0, tzinfo=UTC)
ACCEPT = timedelta(minutes=15)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


@pytest.fixture
def frozen(time_machine: Any) -> Any:
    time_machine.move_to(START, tick=False)
    return time_machine


@pytest.fixture
def giver(advisor: User, frozen: Any, dispatched: list[Any]) -> User:
    """The advisor clocking off (on shift)."""
    factories.make_shift(advisor)
    return advisor


@pytest.fixture
def colleague(db_session: Any) -> User:
    return factories.make_shift(factories.make_user(role=Role.ADVISOR, full_name="Sam Colleague")).user


@pytest.fixture
def manager(db_session: Any) -> User:
    return factories.make_shift(factories.make_user(role=Role.MANAGER, full_name="Morgan Manager")).user


def hold(case: Case, user: User, minutes: float = 120, **overrides: Any) -> Callback:
    """A callback `user` holds, due START + `minutes`."""
    return booking.book_callback(case, due_at=at(minutes), actor=user, assignee_id=user.id, **overrides).callback


def steps(callback: Callback) -> list[str]:
    query = sa.select(AuditEvent.action).where(
        AuditEvent.entity_type == "callback",
        AuditEvent.entity_id == str(callback.id),
        AuditEvent.action.like("callback.hand%"),
    )
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def notes_to(user: User, kind: str) -> list[str]:
    query = sa.select(Notification.title).where(Notification.user_id == user.id, Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


def messages(callback: Callback, kind: OutboxKind = OutboxKind.REMINDER) -> set[tuple[int, OutboxStatus]]:
    query = sa.select(OutboxMessage.recipient_id, OutboxMessage.status).where(
        OutboxMessage.callback_id == callback.id, OutboxMessage.kind == kind
    )
    return {(recipient, status) for recipient, status in db.session.execute(query)}


def offer_of(callback: Callback) -> Handover:
    (latest,) = db.session.scalars(
        sa.select(Handover).where(Handover.callback_id == callback.id).order_by(Handover.id.desc()).limit(1)
    )
    return latest


# --- clocking off ------------------------------------------------------------------------------------------------


def test_clock_off_hands_each_callback_to_a_colleague_or_the_pool_and_ends_the_shift(
    case: Case, giver: User, colleague: User, manager: User
) -> None:
    to_colleague, to_pool = hold(case, giver, 60), hold(case, giver, 90)

    done = handover.clock_off(
        actor=giver,
        handovers=[
            HandoverRequest(to_colleague.id, colleague.id, "  Mum answers; ask for Jo by name.  "),
            HandoverRequest(to_pool.id, None, ""),
        ],
    )

    assert shift_queries.find_open_shift(giver.id) is None
    assert done.shift.ended_at == START
    first, second = done.handovers
    assert (first.callback_id, first.to_user_id, first.note, first.status) == (
        to_colleague.id,
        colleague.id,
        "Mum answers; ask for Jo by name.",
        HandoverStatus.OFFERED,
    )
    assert (second.callback_id, second.to_user_id, second.note) == (to_pool.id, None, None)
    assert first.created_at == START
    assert first.accept_by(15 * 60) == at(15)
    assert second.accept_by(15 * 60) is None  # the pool: whoever claims it
    # while offered, the callback is the receiver's
    assert (to_colleague.assignee_id, to_pool.assignee_id) == (colleague.id, None)
    # the receiver is told in the app, with the note; the pool's callback is told to everyone else on shift
    assert notes_to(colleague, "handover_offered") == [
        (
            f"Alex Advisor handed you a callback: case {case.reference}, due 16:00 BST on Tue 04 May: "
            "“Mum answers; ask for Jo by name.”"
        ),
        f"Alex Advisor handed a callback to the pool: case {case.reference}, due 16:30 BST on Tue 04 May.",
    ]
    assert len(notes_to(manager, "handover_offered")) == 1
    assert notes_to(giver, "handover_offered") == []
    assert steps(to_colleague) == steps(to_pool) == ["callback.handed_over"]


def test_clock_off_is_refused_until_every_open_callback_has_a_destination(
    case: Case, giver: User, colleague: User
) -> None:
    listed, forgotten = hold(case, giver, 60), hold(case, giver, 90)

    with pytest.raises(handover.HandoverRequired) as refused:
        handover.clock_off(actor=giver, handovers=[HandoverRequest(listed.id, colleague.id)])

    error = refused.value
    assert (error.status, error.code) == (409, "handover_required")
    assert error.message == (
        "You still hold 1 open callback. Before you clock off, hand each one to a colleague on shift or to the pool."
    )
    assert error.fields == {"handovers": [f"Not handed over yet: {case.reference} (due 16:30 BST on Tue 04 May)."]}
    assert error.extra == {"open_callback_ids": [forgotten.id]}


def test_clock_off_with_rest_to_pool_sends_every_callback_not_listed_to_the_pool(
    case: Case, giver: User, colleague: User
) -> None:
    listed, rest = hold(case, giver, 60), hold(case, giver, 90)

    done = handover.clock_off(actor=giver, handovers=[HandoverRequest(listed.id, colleague.id)], rest_to_pool=True)

    assert [(h.callback_id, h.to_user_id) for h in done.handovers] == [(listed.id, colleague.id), (rest.id, None)]
    assert rest.assignee_id is None


def test_clock_off_counts_only_open_callbacks_the_advisor_holds(
    case: Case, giver: User, colleague: User, manager: User
) -> None:
    done_already = hold(case, giver, 60)
    workflow.record_attempt(done_already.id, outcome=AttemptOutcome.ANSWERED, actor=giver)
    cancelled = hold(case, giver, 70)
    workflow.cancel_callback(cancelled.id, actor=giver)
    hold(case, colleague, 80)  # someone else's
    booking.book_callback(case, due_at=at(90), actor=giver)  # the pool's

    done = handover.clock_off(actor=giver)

    assert done.handovers == []
    assert done.shift.ended_at is not None


def test_no_answer_and_in_progress_callbacks_are_open_and_must_be_handed_over(
    case: Case, giver: User, colleague: User
) -> None:
    unanswered, ringing = hold(case, giver, 60), hold(case, giver, 90)
    workflow.record_attempt(unanswered.id, outcome=AttemptOutcome.NO_ANSWER, actor=giver)
    workflow.start_callback(ringing.id, actor=giver)

    with pytest.raises(handover.HandoverRequired) as refused:
        handover.clock_off(actor=giver)
    done = handover.clock_off(actor=giver, rest_to_pool=True)

    assert sorted(refused.value.extra["open_callback_ids"]) == sorted([unanswered.id, ringing.id])
    assert {h.callback_id for h in done.handovers} == {unanswered.id, ringing.id}
    assert (unanswered.status, ringing.status) == (CallbackStatus.NO_ANSWER, CallbackStatus.IN_PROGRESS)


def test_each_wrong_entry_is_refused_by_name_and_nothing_is_handed_over(
    case: Case, giver: User, colleague: User, manager: User
) -> None:
    mine, also_mine = hold(case, giver, 60), hold(case, giver, 65)
    theirs = hold(case, colleague, 60)
    pooled = booking.book_callback(case, due_at=at(60), actor=giver).callback
    closed = hold(case, giver, 70)
    workflow.record_attempt(closed.id, outcome=AttemptOutcome.ANSWERED, actor=giver)
    off_shift = factories.make_user(role=Role.ADVISOR, full_name="Olu Offshift")
    requests = [
        HandoverRequest(2_000_000_000, None),
        HandoverRequest(theirs.id, None),
        HandoverRequest(pooled.id, None),
        HandoverRequest(closed.id, None),
        HandoverRequest(mine.id, off_shift.id),
        HandoverRequest(mine.id, None),
        HandoverRequest(also_mine.id, colleague.id, "x" * 1001),
    ]

    with pytest.raises(ValidationError) as refused:
        handover.clock_off(actor=giver, handovers=requests)

    assert refused.value.status == 422
    assert refused.value.fields == {
        "handovers.0.callback_id": ["There is no such callback."],
        "handovers.1.callback_id": ["This callback is not yours to hand over: Sam Colleague holds it."],
        "handovers.2.callback_id": ["This callback is in the pool, not yours to hand over."],
        "handovers.3.callback_id": ["This callback is completed; there is nothing to hand over."],
        "handovers.4.to_user_id": ["Olu Offshift is not on shift. Choose a colleague who is on shift, or the pool."],
        "handovers.5.callback_id": ["This callback is listed more than once."],
        "handovers.6.note": ["Use 1000 characters or fewer."],
    }
    assert shift_queries.find_open_shift(giver.id) is not None
    assert (mine.assignee_id, also_mine.assignee_id) == (giver.id, giver.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Handover)) == 0


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("self", "You cannot hand a callback to yourself. Choose a colleague who is on shift, or the pool."),
        ("inactive", "That is not an active member of staff. Choose a colleague who is on shift, or the pool."),
        ("missing", "That is not an active member of staff. Choose a colleague who is on shift, or the pool."),
        ("off_shift", "Olu Offshift is not on shift. Choose a colleague who is on shift, or the pool."),
    ],
)
def test_a_receiver_who_is_not_a_colleague_on_shift_is_refused(case: Case, giver: User, to: str, message: str) -> None:
    callback = hold(case, giver)
    inactive = factories.make_shift(factories.make_user(role=Role.ADVISOR)).user
    inactive.is_active = False
    receivers = {
        "self": giver.id,
        "inactive": inactive.id,
        "missing": 2_000_000_000,
        "off_shift": factories.make_user(full_name="Olu Offshift").id,
    }

    with pytest.raises(ValidationError) as refused:
        handover.clock_off(actor=giver, handovers=[HandoverRequest(callback.id, receivers[to])])

    assert refused.value.fields == {"handovers.0.to_user_id": [message]}
    assert callback.assignee_id == giver.id


def test_a_note_longer_than_a_thousand_characters_is_refused(case: Case, giver: User, colleague: User) -> None:
    callback = hold(case, giver)

    with pytest.raises(ValidationError) as refused:
        handover.clock_off(actor=giver, handovers=[HandoverRequest(callback.id, colleague.id, "x" * 1001)])
    done = handover.clock_off(actor=giver, handovers=[HandoverRequest(callback.id, colleague.id, "x" * 1000)])

    assert refused.value.fields == {"handovers.0.note": ["Use 1000 characters or fewer."]}
    assert len(done.handovers[0].note or "") == 1000


def test_clock_off_when_not_on_shift_is_refused(case: Case, advisor: User, frozen: Any) -> None:
    hold(case, advisor)

    with pytest.raises(Conflict) as refused:
        handover.clock_off(actor=advisor, rest_to_pool=True)

    assert refused.value.message == "You are not on shift."
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Handover)) == 0


# --- reminders follow the callback (on the database's clock: not frozen) ---------------------------------------------


@pytest.fixture
def giver_now(advisor: User, dispatched: list[Any]) -> User:
    factories.make_shift(advisor)
    return advisor


def test_a_callback_whose_reminder_time_has_come_reminds_the_receiver_instead(
    case: Case, giver_now: User, colleague: User
) -> None:
    callback = booking.book_callback(
        case, due_at=now_utc() + timedelta(minutes=5), actor=giver_now, assignee_id=giver_now.id
    ).callback
    due.remind_due()
    assert messages(callback) == {(giver_now.id, OutboxStatus.PENDING)}

    handover.clock_off(actor=giver_now, handovers=[HandoverRequest(callback.id, colleague.id, "ring the mobile")])

    assert messages(callback) == {(giver_now.id, OutboxStatus.WITHDRAWN), (colleague.id, OutboxStatus.PENDING)}


def test_a_callback_handed_to_the_pool_reminds_the_people_still_on_shift_in_the_app(
    case: Case, giver_now: User, colleague: User, manager: User
) -> None:
    callback = booking.book_callback(
        case, due_at=now_utc() + timedelta(minutes=5), actor=giver_now, assignee_id=giver_now.id
    ).callback
    due.remind_due()

    handover.clock_off(actor=giver_now, rest_to_pool=True)

    pending = sa.select(OutboxMessage.recipient_id, OutboxMessage.channel).where(
        OutboxMessage.callback_id == callback.id, OutboxMessage.status == OutboxStatus.PENDING
    )
    assert set(db.session.execute(pending)) == {
        (colleague.id, DeliveryChannel.IN_APP),
        (manager.id, DeliveryChannel.IN_APP),
    }


def test_the_receivers_reminder_is_withdrawn_when_the_handover_returns_to_the_pool(
    case: Case, giver_now: User, colleague: User
) -> None:
    callback = booking.book_callback(
        case, due_at=now_utc() + timedelta(minutes=5), actor=giver_now, assignee_id=giver_now.id
    ).callback
    (offered,) = handover.clock_off(actor=giver_now, handovers=[HandoverRequest(callback.id, colleague.id)]).handovers
    assert messages(callback) == {(colleague.id, OutboxStatus.PENDING)}  # due within the lead: reminded at once

    due.run_clocks(now=offered.created_at + ACCEPT)

    assert messages(callback) == {(colleague.id, OutboxStatus.WITHDRAWN)}
    assert callback.assignee_id is None


# --- accepting ---------------------------------------------------------------------------------------------------


def test_the_receiver_accepts_once_then_a_second_accept_is_a_conflict(case: Case, giver: User, colleague: User) -> None:
    callback = hold(case, giver)
    (offered,) = handover.clock_off(actor=giver, handovers=[HandoverRequest(callback.id, colleague.id)]).handovers

    accepted = handover.accept_handover(offered.id, actor=colleague)
    with pytest.raises(Conflict) as again:
        handover.accept_handover(offered.id, actor=colleague)

    assert (accepted.status, accepted.accepted_by_id, accepted.responded_at) == (
        HandoverStatus.ACCEPTED,
        colleague.id,
        START,
    )
    assert callback.assignee_id == colleague.id
    assert again.value.message == "You have already accepted this handover (at 15:00 BST on Tue 04 May)."
    assert again.value.extra == {"handover_status": "accepted"}
    assert steps(callback) == ["callback.handed_over", "callback.handover_accepted"]


def test_only_the_receiver_may_accept_a_handover_to_them(
    case: Case, giver: User, colleague: User, manager: User
) -> None:
    callback = hold(case, giver)
    (offered,) = handover.clock_off(actor=giver, handovers=[HandoverRequest(callback.id, colleague.id)]).handovers

    with pytest.raises(Forbidden) as refused:
        handover.accept_handover(offered.id, actor=manager)

    assert refused.value.message == "This handover was offered to Sam Colleague; only they can accept it."
    assert offer_of(callback).status == HandoverStatus.OFFERED


def test_a_handover_to_the_pool_is_accepted_by_whoever_claims_it(
    case: Case, giver: User, colleague: User, manager: User
) -> None:
    first, second = hold(case, giver, 60), hold(case, giver, 90)
    handover.clock_off(actor=giver, rest_to_pool=True)

    workflow.claim_callback(first.id, actor=colleague)
    handover.accept_handover(offer_of(second).id, actor=manager)
    with pytest.raises(Conflict) as late:
        handover.accept_handover(offer_of(second).id, actor=colleague)

    assert (offer_of(first).status, offer_of(first).accepted_by_id, first.assignee_id) == (
        HandoverStatus.ACCEPTED,
        colleague.id,
        colleague.id,
    )
    assert (offer_of(second).accepted_by_id, second.assignee_id) == (manager.id, manager.id)
    assert late.value.message == "This handover was already accepted by Morgan Manager (at 15:00 BST on Tue 04 May)."
    assert steps(first) == ["callback.handed_over", "callback.handover_accepted"]


def test_accepting_an_unknown_handover_is_not_found(giver: User) -> None:
    from caseapp.errors import NotFound

    with pytest.raises(NotFound):
        handover.accept_handover(2_000_000_000, actor=giver)


# --- the clock: back to the pool, on time, once -------------------------------------------------------------------


def test_an_unaccepted_handover_returns_to_the_pool_at_fifteen_minutes_once_and_the_shift_is_told(
    case: Case, giver: User, colleague: User, manager: User
) -> None:
    returned, accepted, pooled = hold(case, giver, 60), hold(case, giver, 70), hold(case, giver, 80)
    handover.clock_off(
        actor=giver,
        handovers=[HandoverRequest(returned.id, colleague.id), HandoverRequest(accepted.id, colleague.id)],
        rest_to_pool=True,
    )
    handover.accept_handover(offer_of(accepted).id, actor=colleague)

    results = {minutes: due.run_clocks(now=at(minutes)).returned for minutes in (14, 14.99, 15, 15.01, 16, 120)}

    assert results == {14: [], 14.99: [], 15: [returned.id], 15.01: [], 16: [], 120: []}
    offer = offer_of(returned)
    assert (offer.status, offer.responded_at, offer.accepted_by_id) == (HandoverStatus.RETURNED, at(15), None)
    assert returned.assignee_id is None
    assert (accepted.assignee_id, offer_of(accepted).status) == (colleague.id, HandoverStatus.ACCEPTED)
    assert offer_of(pooled).status == HandoverStatus.OFFERED  # the pool's wait for a claim
    told = (
        f"Not accepted by Sam Colleague: callback on case {case.reference}, due 16:00 BST on Tue 04 May, is back in "
        "the pool"
    )
    assert notes_to(colleague, "handover_returned") == [told]
    assert notes_to(manager, "handover_returned") == [told]
    assert notes_to(giver, "handover_returned") == []  # off shift
    assert steps(returned) == ["callback.handed_over", "callback.handover_returned"]


def test_a_returned_handover_can_no_longer_be_accepted_but_the_callback_can_be_claimed(
    case: Case, giver: User, colleague: User
) -> None:
    callback = hold(case, giver)
    (offered,) = handover.clock_off(actor=giver, handovers=[HandoverRequest(callback.id, colleague.id)]).handovers
    due.run_clocks(now=at(15))

    with pytest.raises(Conflict) as late:
        handover.accept_handover(offered.id, actor=colleague)
    workflow.claim_callback(callback.id, actor=colleague)

    assert late.value.message.startswith("This handover was not accepted in time and went back to the pool (at 15:15")
    assert late.value.extra == {"handover_status": "returned"}
    assert callback.assignee_id == colleague.id


def test_the_time_to_accept_is_a_setting(
    app: Any, case: Case, giver: User, colleague: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "HANDOVER_ACCEPT_SECONDS", 120)
    callback = hold(case, giver)
    handover.clock_off(actor=giver, handovers=[HandoverRequest(callback.id, colleague.id)])

    assert due.run_clocks(now=at(1.99)).returned == []
    assert due.run_clocks(now=at(2)).returned == [callback.id]


# --- whatever happens first settles the offer ------------------------------------------------------------------


def _offered(case: Case, giver: User, colleague: User, minutes: float = 60) -> Callback:
    callback = hold(case, giver, minutes)
    handover.hand_over_callback(callback.id, to_user_id=colleague.id, actor=giver, note="see the case notes")
    return callback


def test_the_receiver_starting_the_callback_accepts_the_handover(case: Case, giver: User, colleague: User) -> None:
    callback = _offered(case, giver, colleague)

    workflow.start_callback(callback.id, actor=colleague)

    assert (offer_of(callback).status, offer_of(callback).accepted_by_id) == (HandoverStatus.ACCEPTED, colleague.id)
    assert due.run_clocks(now=at(30)).returned == []


def test_the_receiver_rescheduling_or_recording_an_attempt_accepts_it(case: Case, giver: User, colleague: User) -> None:
    rescheduled, attempted = _offered(case, giver, colleague, 60), _offered(case, giver, colleague, 70)

    workflow.reschedule_callback(rescheduled.id, at(180), actor=colleague)
    workflow.record_attempt(attempted.id, outcome=AttemptOutcome.NO_ANSWER, actor=colleague)

    assert offer_of(rescheduled).status == offer_of(attempted).status == HandoverStatus.ACCEPTED


def test_someone_else_taking_the_callback_withdraws_the_handover(
    case: Case, giver: User, colleague: User, manager: User
) -> None:
    started, reassigned, cancelled = (_offered(case, giver, colleague, m) for m in (60, 70, 80))

    workflow.start_callback(started.id, actor=manager)
    workflow.reassign_callback(reassigned.id, manager.id, actor=manager)
    workflow.cancel_callback(cancelled.id, actor=manager)

    for callback in (started, reassigned, cancelled):
        assert offer_of(callback).status == HandoverStatus.WITHDRAWN
        assert offer_of(callback).accepted_by_id is None
        assert steps(callback) == ["callback.handed_over", "callback.handover_withdrawn"]
    assert due.run_clocks(now=at(30)).returned == []
    with pytest.raises(Conflict) as late:
        handover.accept_handover(offer_of(started).id, actor=colleague)
    assert late.value.message.startswith("This handover no longer stands")


def test_a_colleague_recording_an_attempt_leaves_the_handover_with_its_receiver(
    case: Case, giver: User, colleague: User, manager: User
) -> None:
    callback = _offered(case, giver, colleague)

    workflow.record_attempt(callback.id, outcome=AttemptOutcome.NO_ANSWER, actor=manager)

    assert (offer_of(callback).status, callback.assignee_id) == (HandoverStatus.OFFERED, colleague.id)


def test_a_handover_still_offered_when_the_callback_is_missed_is_withdrawn(
    case: Case, giver: User, colleague: User
) -> None:
    callback = hold(case, giver, 5)
    handover.clock_off(actor=giver, rest_to_pool=True)  # nobody claims it

    due.run_clocks(now=at(65))

    assert callback.status == CallbackStatus.MISSED
    assert (offer_of(callback).status, offer_of(callback).responded_at) == (HandoverStatus.WITHDRAWN, at(65))


def test_a_receiver_clocking_off_hands_the_callback_on(case: Case, giver: User, colleague: User, manager: User) -> None:
    callback = _offered(case, giver, colleague)

    handover.clock_off(actor=colleague, handovers=[HandoverRequest(callback.id, manager.id, "over to you")])

    first, second = db.session.scalars(
        sa.select(Handover).where(Handover.callback_id == callback.id).order_by(Handover.id)
    )
    assert (first.status, second.status, second.from_user_id, second.to_user_id) == (
        HandoverStatus.WITHDRAWN,
        HandoverStatus.OFFERED,
        colleague.id,
        manager.id,
    )
    assert callback.assignee_id == manager.id
    assert steps(callback) == ["callback.handed_over", "callback.handover_withdrawn", "callback.handed_over"]


def test_the_database_keeps_one_open_offer_per_callback(case: Case, giver: User, colleague: User) -> None:
    callback = _offered(case, giver, colleague)

    db.session.add(Handover(callback_id=callback.id, from_user_id=giver.id, to_user_id=None))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()


# --- the timeline -----------------------------------------------------------------------------------------------


def test_the_handover_and_its_note_are_on_the_case_timeline(case: Case, giver: User, colleague: User) -> None:
    callback = hold(case, giver)
    handover.clock_off(actor=giver, handovers=[HandoverRequest(callback.id, colleague.id, "Dad may pick up")])
    handover.accept_handover(offer_of(callback).id, actor=colleague)

    shown = [(e.summary, e.note) for e in build_timeline(case.id) if e.kind == "callback_step"]

    assert shown == [("Handover accepted", None), ("Callback handed over to Sam Colleague", "Dad may pick up")]
