"""Everything a callback does once it is booked, on the database's clock. Every open state has one:

    scheduled    reminder REMINDER_LEAD_SECONDS before due (remind_due)
                 at due, assignee off shift → the pool, the team on shift told (pool_off_shift)
                 not started ESCALATE_AFTER_SECONDS after due → the managers told (escalate_not_started)
                 not started MISSED_AFTER_SECONDS after due → missed (mark_missed)
    in_progress  no outcome STALLED_NUDGE_SECONDS after it was started → the advisor reminded (nudge_stalled),
                 STALLED_ALERT_SECONDS after → the managers told (alert_stalled)
    no_answer    no new time RETRY_PROMPT_SECONDS after the attempt → the advisor asked to reschedule
                 (prompt_retry), RETRY_POOL_SECONDS after → the pool (pool_unanswered),
                 RETRY_MISSED_SECONDS after → missed (mark_missed)
    any of them  handed to a colleague at the end of a shift and not accepted HANDOVER_ACCEPT_SECONDS later → the
                 pool, the team on shift told (return_unaccepted)

A state's clock runs from `clock_started_at` (the start, the attempt, or a claim from the pool). Messages are
outbox rows keyed by the moment they are about, so a scan that runs twice sends nothing twice; every step is in the
callback's history (the audit trail, and the case's timeline). The scans claim callbacks with FOR UPDATE SKIP
LOCKED: two at once split the work. workers/callbacks.py runs remind_due and run_clocks on beat's schedule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from flask import current_app

from caseapp.auth.models import User, first_name_of
from caseapp.callbacks import history, messages, offers, queries
from caseapp.callbacks.models import Callback
from caseapp.callbacks.wallclock import fmt_local
from caseapp.extensions import db
from caseapp.notifications import services as notifications
from caseapp.reference import CallbackStatus, HandoverStatus
from caseapp.reminders import outbox
from caseapp.reminders.models import DeliveryChannel, OutboxKind
from caseapp.reminders.outbox import NewMessage
from caseapp.reminders.queries import database_now
from caseapp.shifts import queries as shift_queries

logger = logging.getLogger(__name__)

#: messages addressed to whoever holds the callback: withdrawn when it changes hands
TO_THE_HOLDER = (OutboxKind.REMINDER, OutboxKind.STALLED_NUDGE, OutboxKind.RETRY_PROMPT)


def _seconds(setting: str) -> timedelta:
    return timedelta(seconds=int(current_app.config[setting]))


def scan_batch_size() -> int:
    """Callbacks one scan round takes (SCAN_BATCH_SIZE)."""
    return int(current_app.config["SCAN_BATCH_SIZE"])


# --- before due: the reminder ---------------------------------------------------------------------------------------


def reminder_messages(callback: Callback, on_shift: list[User] | None = None) -> list[NewMessage]:
    """What to send for a callback whose reminder time has come: its assignee on every reminder channel, or, for
    a pooled callback, an in-app note to everyone on shift."""
    return _reminder_messages(queries.ReminderDue.of(callback), on_shift)


def _reminder_messages(due: queries.ReminderDue, on_shift: list[User] | None) -> list[NewMessage]:
    pooled = due.assignee_id is None
    recipients: list[tuple[int, str]]
    if due.assignee_id is None:
        users = on_shift if on_shift is not None else shift_queries.on_shift_users()
        recipients, channels = [(u.id, u.first_name) for u in users], [DeliveryChannel.IN_APP]
    else:
        recipients = [(due.assignee_id, first_name_of(due.assignee_name or ""))]
        channels = outbox.configured_channels("REMINDER_CHANNELS")
    new: list[NewMessage] = []
    for user_id, first_name in recipients:
        rendered = messages.reminder(
            callback_id=due.callback_id,
            case_reference=due.case_reference,
            due_at=due.due_at,
            priority=due.priority.value,
            first_name=first_name,
            pooled=pooled,
        )
        new += [
            NewMessage(due.callback_id, due.case_id, OutboxKind.REMINDER, due.due_at, ch, user_id, rendered)
            for ch in channels
        ]
    return new


def remind_due(now: datetime | None = None) -> list[int]:
    """Write reminder rows for scheduled callbacks whose reminder time (due - REMINDER_LEAD_SECONDS) has come, up
    to SCAN_BATCH_SIZE of them; returns the new outbox ids (their deliveries are queued when the caller commits)."""
    return remind_due_round(now)[1]


def remind_due_round(now: datetime | None = None) -> tuple[int, list[int]]:
    """remind_due, and how many callbacks it took (SCAN_BATCH_SIZE of them: more may be waiting)."""
    now = now or database_now()
    found = queries.lock_reminders_due(now + _seconds("REMINDER_LEAD_SECONDS"), scan_batch_size())
    if not found:
        return 0, []
    on_shift = shift_queries.on_shift_users() if any(due.assignee_id is None for due in found) else []
    ids = outbox.enqueue([m for due in found for m in _reminder_messages(due, on_shift)])
    logger.info("reminder scan: %s callbacks due, %s messages queued", len(found), len(ids))
    return len(found), ids


# --- the clocks -----------------------------------------------------------------------------------------------------


@dataclass
class ClockResult:
    """What one run of the clocks did: callback ids per step, and the outbox rows it wrote."""

    returned: list[int] = field(default_factory=list)
    pooled: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    stalled_nudged: list[int] = field(default_factory=list)
    stalled_escalated: list[int] = field(default_factory=list)
    retry_prompted: list[int] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: len(ids) for name, ids in vars(self).items()}


def run_clocks(now: datetime | None = None) -> ClockResult:
    """Every open state's clock, in turn (the callbacks.run_clocks task)."""
    now = now or database_now()
    result = ClockResult()
    steps: list[Callable[[datetime, ClockResult], None]] = [
        return_unaccepted,
        pool_off_shift,
        escalate_not_started,
        nudge_stalled,
        alert_stalled,
        prompt_retry,
        pool_unanswered,
        mark_missed,
    ]
    for step in steps:
        step(now, result)
    done = {name: n for name, n in result.counts().items() if n and name != "messages"}
    if done:
        logger.info("callback clocks: %s", ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in done.items()))
    return result


def _managers() -> list[User]:
    """The managers on shift; if none is, every active manager (someone must hear)."""
    users = [db.session.get(User, user_id) for user_id in notifications.managers_to_alert()]
    return [u for u in users if u is not None]


def move_to_pool(callback: Callback, *, reason: str, on_shift: list[User]) -> None:
    """Put a callback into the pool and tell the people on shift (not the one it came from)."""
    previous = callback.assignee_id
    outbox.withdraw(callback.id, kinds=TO_THE_HOLDER, recipient_ids=(previous,) if previous else ())
    callback.assignee_id, callback.assignee = None, None
    recipients = [u.id for u in on_shift if u.id != previous]
    notifications.notify(
        recipients,
        kind="callback_pooled",
        title=f"Callback on case {callback.case.reference}, due {fmt_local(callback.due_at)}, is in the pool",
        link=messages.callback_link(callback.id),
        case_id=callback.case_id,
    )
    db.session.flush()
    history.record("pooled", callback.id, None, from_assignee_id=previous, reason=reason, notified=len(recipients))
    offers.close(callback, HandoverStatus.WITHDRAWN, actor_id=None, reason=reason)


def return_unaccepted(now: datetime, result: ClockResult) -> None:
    """Handed to a colleague at the end of a shift and not accepted HANDOVER_ACCEPT_SECONDS later: back to the pool,
    and the people on shift are told (the colleague among them)."""
    found = queries.lock_callbacks_with_offers_to_return(now - _seconds("HANDOVER_ACCEPT_SECONDS"), scan_batch_size())
    on_shift = shift_queries.on_shift_users() if found else []
    for callback in found:
        offer = queries.find_offer(callback.id)
        assert offer is not None  # noqa: S101 - the query found it, under the callback's lock
        assert offer.to_user is not None  # noqa: S101 - offered to a colleague
        receiver = offer.to_user
        withdrawn = outbox.withdraw(
            callback.id, kinds=TO_THE_HOLDER, recipient_ids=(callback.assignee_id,) if callback.assignee_id else ()
        )
        callback.assignee_id, callback.assignee = None, None
        notified = notifications.notify(
            [u.id for u in on_shift],
            kind="handover_returned",
            title=(
                f"Not accepted by {receiver.full_name}: callback on case {callback.case.reference}, due "
                f"{messages.when(callback.due_at)}, is back in the pool"
            ),
            link=messages.callback_link(callback.id),
            case_id=callback.case_id,
        )
        db.session.flush()
        offers.close(
            callback,
            HandoverStatus.RETURNED,
            actor_id=None,
            reason="not_accepted_in_time",
            at=now,
            withdrawn_messages=withdrawn,
            notified=notified,
        )
        result.returned.append(callback.id)


def pool_off_shift(now: datetime, result: ClockResult) -> None:
    """At due time, a scheduled callback whose assignee is off shift goes to the pool (POOL_WHEN_OFF_SHIFT)."""
    if not current_app.config["POOL_WHEN_OFF_SHIFT"]:
        return
    due = queries.lock_due_callbacks_off_shift(now, scan_batch_size())
    on_shift = shift_queries.on_shift_users() if due else []
    for callback in due:
        move_to_pool(callback, reason="assignee_off_shift", on_shift=on_shift)
        result.pooled.append(callback.id)


def _tell(
    callback: Callback,
    kind: OutboxKind,
    about: datetime,
    recipients: list[User],
    channels: list[DeliveryChannel],
    render: Callable[..., outbox.Rendered],
) -> list[int]:
    """Messages of `kind` about the moment `about`, to each recipient on each channel; `render` takes first_name."""
    new = [
        NewMessage(callback.id, callback.case_id, kind, about, channel, user.id, render(first_name=user.first_name))
        for user in recipients
        for channel in channels
    ]
    return outbox.enqueue(new)


def escalate_not_started(now: datetime, result: ClockResult) -> None:
    """Scheduled and not started ESCALATE_AFTER_SECONDS after due: the managers on shift are told."""
    found = queries.lock_callbacks_to_escalate(now - _seconds("ESCALATE_AFTER_SECONDS"), scan_batch_size())
    if not found:
        return
    managers, channels = _managers(), outbox.configured_channels("ESCALATION_CHANNELS")
    for callback in found:
        ids = _tell(
            callback,
            OutboxKind.ESCALATION,
            callback.due_at,
            managers,
            channels,
            partial(
                messages.escalation,
                callback_id=callback.id,
                case_reference=callback.case.reference,
                due_at=callback.due_at,
                priority=callback.priority.value,
            ),
        )
        if ids:
            result.messages += ids
            result.escalated.append(callback.id)
            recipients = [m.id for m in managers]
            history.record("escalated", callback.id, None, due_at=callback.due_at.isoformat(), recipients=recipients)


def _tell_holders(
    found: list[Callback],
    kind: OutboxKind,
    render: Callable[[Callback], Callable[..., outbox.Rendered]],
    done: list[int],
    result: ClockResult,
) -> list[tuple[int, int]]:
    """Tell each callback's holder (on the reminder channels) about its current clock: `render(callback)` gives the
    words, `done` is the list in `result` the callback's id goes to. Returns (callback id, holder id) of each told,
    for the caller's history step."""
    channels = outbox.configured_channels("REMINDER_CHANNELS")
    told: list[tuple[int, int]] = []
    for callback in found:
        advisor = callback.assignee
        assert advisor is not None  # noqa: S101 - the queries take held callbacks only
        ids = _tell(callback, kind, callback.clock_started_at, [advisor], channels, render(callback))
        if ids:
            result.messages += ids
            done.append(callback.id)
            told.append((callback.id, advisor.id))
    return told


def nudge_stalled(now: datetime, result: ClockResult) -> None:
    """In progress with no outcome STALLED_NUDGE_SECONDS after it was started: the advisor is reminded."""
    found = queries.lock_stalled(
        OutboxKind.STALLED_NUDGE, now - _seconds("STALLED_NUDGE_SECONDS"), scan_batch_size(), held_only=True
    )
    told = _tell_holders(
        found,
        OutboxKind.STALLED_NUDGE,
        lambda c: partial(
            messages.stalled_nudge, callback_id=c.id, case_reference=c.case.reference, started_at=c.clock_started_at
        ),
        result.stalled_nudged,
        result,
    )
    for callback_id, advisor_id in told:
        history.record("stalled_nudged", callback_id, None, advisor_id=advisor_id)


def alert_stalled(now: datetime, result: ClockResult) -> None:
    """Still no outcome STALLED_ALERT_SECONDS after it was started: the managers on shift are told."""
    found = queries.lock_stalled(OutboxKind.STALLED_ALERT, now - _seconds("STALLED_ALERT_SECONDS"), scan_batch_size())
    if not found:
        return
    managers, channels = _managers(), outbox.configured_channels("ESCALATION_CHANNELS")
    for callback in found:
        advisor = callback.assignee.full_name if callback.assignee else "An advisor"
        ids = _tell(
            callback,
            OutboxKind.STALLED_ALERT,
            callback.clock_started_at,
            managers,
            channels,
            partial(
                messages.stalled_alert,
                callback_id=callback.id,
                case_reference=callback.case.reference,
                started_at=callback.clock_started_at,
                advisor=advisor,
            ),
        )
        if ids:
            result.messages += ids
            result.stalled_escalated.append(callback.id)
            history.record("stalled_escalated", callback.id, None, recipients=[m.id for m in managers])


def prompt_retry(now: datetime, result: ClockResult) -> None:
    """No answer and no new time RETRY_PROMPT_SECONDS after the attempt: the advisor is asked to reschedule."""
    found = queries.lock_unanswered_to_prompt(now - _seconds("RETRY_PROMPT_SECONDS"), scan_batch_size())
    told = _tell_holders(
        found,
        OutboxKind.RETRY_PROMPT,
        lambda c: partial(
            messages.retry_prompt, callback_id=c.id, case_reference=c.case.reference, attempted_at=c.clock_started_at
        ),
        result.retry_prompted,
        result,
    )
    for callback_id, advisor_id in told:
        history.record("retry_prompted", callback_id, None, advisor_id=advisor_id)


def pool_unanswered(now: datetime, result: ClockResult) -> None:
    """Still no new time RETRY_POOL_SECONDS after the attempt: to the pool, so someone on shift tries again."""
    found = queries.lock_unanswered_to_pool(now - _seconds("RETRY_POOL_SECONDS"), scan_batch_size())
    on_shift = shift_queries.on_shift_users() if found else []
    for callback in found:
        move_to_pool(callback, reason="no_new_time", on_shift=on_shift)
        result.pooled.append(callback.id)


def mark_missed(now: datetime, result: ClockResult) -> None:
    """Scheduled and not started MISSED_AFTER_SECONDS after due, or no answer and no new time RETRY_MISSED_SECONDS
    after the attempt: the promise is broken. Missed, unsent reminders withdrawn, the managers told."""
    found = queries.lock_callbacks_to_mark_missed(
        now - _seconds("MISSED_AFTER_SECONDS"), now - _seconds("RETRY_MISSED_SECONDS"), scan_batch_size()
    )
    managers = notifications.managers_to_alert() if found else []
    for callback in found:
        previous = callback.status
        callback.status, callback.clock_started_at, callback.closed_at = CallbackStatus.MISSED, now, now
        withdrawn = outbox.withdraw(callback.id, kinds=(OutboxKind.REMINDER, OutboxKind.RETRY_PROMPT))
        notifications.notify(
            managers,
            kind="callback_missed",
            title=f"Callback missed on case {callback.case.reference} (due {fmt_local(callback.due_at)})",
            link=messages.callback_link(callback.id),
            case_id=callback.case_id,
        )
        db.session.flush()
        history.record(
            "missed",
            callback.id,
            None,
            due_at=callback.due_at.isoformat(),
            from_status=previous.value,
            withdrawn_messages=withdrawn,
        )
        offers.close(callback, HandoverStatus.WITHDRAWN, actor_id=None, reason="missed", at=now)
        result.missed.append(callback.id)
