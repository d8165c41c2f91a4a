"""What staff do to a callback after booking: change it, claim it from the pool, start it, record attempts, cancel.
Each function takes the callback's id and locks it for the transaction, so two people never change it at once.

    scheduled ──start──> in_progress ──attempt: answered──> completed
        │  ^                  │
        │  └──reschedule──────┴──attempt: no answer / voicemail / call back later──> no_answer
        │                          (N failed attempts, or a wrong number) ──> unreachable (+ case flagged)
        └──cancel──> cancelled              (from any open status)
    The clocks of the open states (pool, escalation, missed) are in callbacks/due.py. A callback handed over at the
    end of a shift (callbacks/handover.py) is offered to its new holder meanwhile: each change here settles that
    offer (callbacks/offers.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app

from caseapp.access import services as access
from caseapp.access.policy import CallbackAction
from caseapp.auth.models import User
from caseapp.callbacks import due, history, offers, queries
from caseapp.callbacks.booking import check_assignee, check_time, check_window, suggestion_for
from caseapp.callbacks.flags import FLAG_UNREACHABLE, flag_case
from caseapp.callbacks.models import FAILED_OUTCOMES, Callback, CallbackAttempt
from caseapp.calls import queries as call_queries
from caseapp.cases import stale
from caseapp.errors import Conflict, ValidationError
from caseapp.extensions import db
from caseapp.reference import AttemptOutcome, CallbackPriority, CallbackStatus, HandoverStatus
from caseapp.reminders import outbox
from caseapp.reminders.models import OutboxKind
from caseapp.reminders.queries import database_now
from caseapp.timeutil import now_utc

NO_VOICEMAIL = "The caller has not agreed to voicemail, so no message may be left. Record 'no answer' instead."


class _Unset:
    """A field the change leaves as it is (None means "clear" or "the pool")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()


@dataclass(frozen=True)
class CallbackChanges:
    """A PATCH: any of these, each optional (CallbackPatchSchema loads only what was sent)."""

    due_at: datetime | None = None
    window_minutes: int | None | _Unset = UNSET
    override_preferred_times: bool = False
    #: None = to the pool
    assignee_id: int | None | _Unset = UNSET
    priority: CallbackPriority | None = None
    reason: str | None | _Unset = UNSET
    #: in_progress (start it) or cancelled (cancel it)
    status: CallbackStatus | None = None
    cancel_reason: str | None = None


def require_allowed(callback: Callback, actor: User) -> None:
    """An advisor acts on callbacks that are theirs (assigned, or handed to them) or in the pool; a colleague's
    needs a handover or a manager (403). The rule is caseapp/access/policy.py's."""
    access.require_callback(callback, actor, CallbackAction.ACT)


def require_open(callback: Callback) -> None:
    if not callback.is_open:
        raise Conflict(f"This callback is {callback.status.label.lower()}; it can no longer be changed.")


def _check_version(callback: Callback, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != callback.version:
        raise Conflict(
            "This callback was changed by someone else. Reload it and apply your change again.",
            current_version=callback.version,
        )


def _enter(callback: Callback, status: CallbackStatus, now: datetime | None = None) -> None:
    """Move to `status`; the clock of the new state (callbacks/due.py) starts now."""
    callback.status, callback.clock_started_at = status, now or now_utc()


def update_callback(
    callback_id: int, changes: CallbackChanges, *, expected_version: int, actor: User
) -> tuple[Callback, list[str]]:
    """PATCH: reschedule (due_at, window_minutes), reassign (assignee_id; None = pool), priority, reason, and status
    in_progress (start) or cancelled (cancel, with cancel_reason). Returns the callback and any warnings."""
    callback = queries.lock_callback(callback_id)
    require_allowed(callback, actor)
    _check_version(callback, expected_version)
    if changes.status == CallbackStatus.CANCELLED:
        return cancel_callback(callback_id, actor=actor, reason=changes.cancel_reason), []
    if changes.status not in (None, CallbackStatus.IN_PROGRESS):
        message = "Only in_progress (start) or cancelled can be set here; record an attempt to complete it."
        raise ValidationError(message, fields={"status": [message]})
    if changes.cancel_reason is not None:
        message = "A cancel reason goes with status cancelled."
        raise ValidationError(message, fields={"cancel_reason": [message]})
    require_open(callback)
    warnings: list[str] = []
    if changes.due_at is not None or not isinstance(changes.window_minutes, _Unset):
        window = callback.window_minutes if isinstance(changes.window_minutes, _Unset) else changes.window_minutes
        warnings += reschedule_callback(
            callback_id,
            changes.due_at or callback.due_at,
            window_minutes=window,
            override_preferred_times=changes.override_preferred_times,
            actor=actor,
        )
    if not isinstance(changes.assignee_id, _Unset):
        reassign_callback(callback_id, changes.assignee_id, actor=actor)
    _edit(callback, changes, actor)
    if changes.status == CallbackStatus.IN_PROGRESS:
        start_callback(callback_id, actor=actor)
    return callback, warnings


def _edit(callback: Callback, changes: CallbackChanges, actor: User) -> None:
    edits: dict[str, object] = {}
    if changes.priority is not None and changes.priority != callback.priority:
        edits["priority"] = [callback.priority.value, changes.priority.value]
        callback.priority = changes.priority
    if not isinstance(changes.reason, _Unset):
        new_reason = (changes.reason or "").strip() or None
        if new_reason != callback.reason:
            callback.reason = new_reason
            edits["reason"] = "changed"
    if edits:
        db.session.flush()
        history.record("updated", callback.id, actor.id, **edits)


def reschedule_callback(
    callback_id: int,
    due_at: datetime,
    *,
    actor: User,
    window_minutes: int | None = None,
    override_preferred_times: bool = False,
) -> list[str]:
    """A new due time (and window): back to scheduled, and unsent messages for the old time are withdrawn."""
    callback = queries.lock_callback(callback_id)
    require_allowed(callback, actor)
    require_open(callback)
    check_window(window_minutes)
    outside = check_time(callback.case.caller, due_at, window_minutes, override_preferred_times)
    old_due = callback.due_at
    if due_at == old_due and window_minutes == callback.window_minutes and callback.status == CallbackStatus.SCHEDULED:
        return []
    withdrawn = outbox.withdraw(callback.id)
    callback.due_at, callback.window_minutes = due_at, window_minutes
    callback.outside_preferred_times = outside
    previous_status = callback.status
    _enter(callback, CallbackStatus.SCHEDULED)
    callback.started_at = None
    db.session.flush()
    history.record(
        "rescheduled",
        callback.id,
        actor.id,
        **{
            "from": old_due.isoformat(),
            "to": due_at.isoformat(),
            "window_minutes": window_minutes,
            "from_status": previous_status.value,
            "outside_preferred_times": outside,
            "withdrawn_messages": withdrawn,
        },
    )
    offers.settle(callback, actor_id=actor.id, worked=True, reason="rescheduled")
    return suggestion_for(callback.case).warning_for(due_at)


def reassign_callback(callback_id: int, assignee_id: int | None, *, actor: User) -> Callback:
    """Give it to someone else (None = the pool). If its reminder time has come, the new holder is reminded now."""
    callback = queries.lock_callback(callback_id)
    require_allowed(callback, actor)
    require_open(callback)
    if assignee_id == callback.assignee_id:
        return callback
    assignee = check_assignee(assignee_id)
    previous = callback.assignee_id
    withdrawn = give_to(callback, assignee)
    history.record(
        "reassigned",
        callback.id,
        actor.id,
        from_assignee_id=previous,
        to_assignee_id=assignee_id,
        withdrawn_messages=withdrawn,
    )
    offers.settle(callback, actor_id=actor.id, worked=False, reason="reassigned")
    return callback


def give_to(callback: Callback, assignee: User | None) -> int:
    """Give a locked, open callback to `assignee` (None = the pool): the old holder's unsent reminders, nudges and
    prompts are withdrawn, and if its reminder time has come the new holder is reminded now. Returns how many
    messages were withdrawn."""
    withdrawn = outbox.withdraw(callback.id, kinds=due.TO_THE_HOLDER)
    callback.assignee_id, callback.assignee = (assignee.id, assignee) if assignee else (None, None)
    db.session.flush()
    _remind_now_if_due(callback)
    return withdrawn


def _remind_now_if_due(callback: Callback) -> None:
    lead = timedelta(seconds=int(current_app.config["REMINDER_LEAD_SECONDS"]))
    if callback.status == CallbackStatus.SCHEDULED and callback.due_at - lead <= database_now():
        outbox.enqueue(due.reminder_messages(callback))


def cancel_callback(callback_id: int, *, actor: User, reason: str | None = None) -> Callback:
    callback = queries.lock_callback(callback_id)
    require_allowed(callback, actor)
    require_open(callback)
    previous = callback.status
    now = now_utc()
    _enter(callback, CallbackStatus.CANCELLED, now)
    callback.closed_at, callback.cancel_reason = now, (reason or "").strip()[:200] or None
    withdrawn = outbox.withdraw(callback.id)
    db.session.flush()
    history.record("cancelled", callback.id, actor.id, from_status=previous.value, withdrawn_messages=withdrawn)
    offers.settle(callback, actor_id=actor.id, worked=False, reason="cancelled")
    return callback


def withdraw_untouched(callback_id: int, *, reason: str) -> bool:
    """The system cancels a callback nobody has started or tried yet (a missed call answered after all, as the
    phone system reported late); True when it did. One in progress or tried stays: someone is working it."""
    callback = queries.lock_callback(callback_id)
    if callback.status is not CallbackStatus.SCHEDULED or callback.attempt_count:
        return False
    now = now_utc()
    _enter(callback, CallbackStatus.CANCELLED, now)
    callback.closed_at, callback.cancel_reason = now, reason
    withdrawn = outbox.withdraw(callback.id)
    db.session.flush()
    history.record("cancelled", callback.id, None, from_status="scheduled", withdrawn_messages=withdrawn, by="system")
    offers.close(callback, HandoverStatus.WITHDRAWN, actor_id=None, reason="cancelled")
    return True


def claim_callback(callback_id: int, *, actor: User) -> Callback:
    """Take a callback from the pool. Two advisors at once: the row lock makes the second one wait and then fail."""
    callback = queries.lock_callback(callback_id)
    require_open(callback)
    if callback.assignee_id is not None:
        if callback.assignee_id == actor.id:
            return callback
        raise Conflict("Someone else has already taken this callback.", assignee_id=callback.assignee_id)
    callback.assignee_id, callback.assignee = actor.id, actor
    if callback.status == CallbackStatus.NO_ANSWER:
        callback.clock_started_at = now_utc()  # its new holder gets the time to reschedule
    withdrawn = outbox.withdraw(callback.id, kinds=(OutboxKind.REMINDER,))  # the pool's in-app nudges
    db.session.flush()
    history.record("claimed", callback.id, actor.id, withdrawn_messages=withdrawn)
    offers.settle(callback, actor_id=actor.id, worked=True, reason="claimed")
    return callback


def start_callback(callback_id: int, *, actor: User) -> Callback:
    """The advisor is ringing now: in progress (and theirs, if it was pooled or someone else's)."""
    callback = queries.lock_callback(callback_id)
    require_allowed(callback, actor)
    require_open(callback)
    if callback.status == CallbackStatus.IN_PROGRESS:
        return callback
    previous_assignee = callback.assignee_id
    now = now_utc()
    _enter(callback, CallbackStatus.IN_PROGRESS, now)
    callback.started_at = now
    if callback.assignee_id != actor.id:
        callback.assignee_id, callback.assignee = actor.id, actor
    withdrawn = outbox.withdraw(callback.id)
    db.session.flush()
    history.record("started", callback.id, actor.id, from_assignee_id=previous_assignee, withdrawn_messages=withdrawn)
    offers.settle(callback, actor_id=actor.id, worked=True, reason="started")
    return callback


@dataclass
class AttemptResult:
    attempt: CallbackAttempt
    callback: Callback
    #: no answer (or "call back later") and no new time given: the advisor should pick one
    needs_reschedule: bool
    warnings: list[str] = field(default_factory=list)


def record_attempt(
    callback_id: int,
    *,
    outcome: AttemptOutcome,
    actor: User,
    call_id: int | None = None,
    notes: str | None = None,
    next_due_at: datetime | None = None,
    next_window_minutes: int | None = None,
    override_preferred_times: bool = False,
) -> AttemptResult:
    """One try at the callback. Answered → completed. No answer / voicemail → no_answer (reschedule now with
    `next_due_at`, or later); CALLBACK_MAX_FAILED_ATTEMPTS of them, or a wrong number → unreachable and the case
    is flagged. Voicemail only if the caller allowed it."""
    callback = queries.lock_callback(callback_id)
    require_allowed(callback, actor)
    require_open(callback)
    _check_attempt(callback, outcome, call_id, next_due_at)
    now = now_utc()
    attempt = CallbackAttempt(
        callback_id=callback.id,
        outcome=outcome,
        call_id=call_id,
        advisor_id=actor.id,
        attempted_at=now,
        notes=(notes or "").strip()[:1000] or None,
    )
    db.session.add(attempt)
    previous = callback.status
    callback.attempt_count += 1
    if callback.assignee_id is None:
        callback.assignee_id, callback.assignee = actor.id, actor
    if callback.started_at is None:
        callback.started_at = now
    if outcome in FAILED_OUTCOMES:
        callback.failed_attempt_count += 1
    _enter(callback, _status_after(callback, outcome), now)
    if callback.status in (CallbackStatus.COMPLETED, CallbackStatus.UNREACHABLE):
        callback.closed_at = now
    withdrawn = outbox.withdraw(callback.id)
    db.session.flush()
    if outcome == AttemptOutcome.ANSWERED:
        stale.record_contact(callback.case_id, now)
    elif call_id is not None:  # the call logged for an attempt not answered is no contact after all
        stale.recount_contact(callback.case_id)
    history.record(
        "attempt_recorded",
        callback.id,
        actor.id,
        attempt_id=attempt.id,
        outcome=outcome.value,
        call_id=call_id,
        from_status=previous.value,
        to_status=callback.status.value,
        failed_attempts=callback.failed_attempt_count,
        withdrawn_messages=withdrawn,
    )
    offers.settle(callback, actor_id=actor.id, worked=True, reason="attempt_recorded")
    if callback.status == CallbackStatus.UNREACHABLE:
        flag_case(callback.case, FLAG_UNREACHABLE, callback_id=callback.id, actor_id=actor.id)
    warnings: list[str] = []
    if callback.status == CallbackStatus.NO_ANSWER and next_due_at is not None:
        warnings = reschedule_callback(
            callback.id,
            next_due_at,
            actor=actor,
            window_minutes=next_window_minutes,
            override_preferred_times=override_preferred_times,
        )
    return AttemptResult(attempt, callback, callback.status == CallbackStatus.NO_ANSWER, warnings)


def _check_attempt(callback: Callback, outcome: AttemptOutcome, call_id: int | None, next_due_at: object) -> None:
    if outcome == AttemptOutcome.VOICEMAIL_LEFT and not callback.case.caller.consent_voicemail:
        raise ValidationError(NO_VOICEMAIL, fields={"outcome": [NO_VOICEMAIL]})
    if call_id is not None and call_queries.get_call(call_id).case_id != callback.case_id:
        message = "That call belongs to another case."
        raise ValidationError(message, fields={"call_id": [message]})
    if next_due_at is not None and outcome == AttemptOutcome.ANSWERED:
        message = "An answered callback is complete; book a new callback for a later call."
        raise ValidationError(message, fields={"next_due_at": [message]})


def _status_after(callback: Callback, outcome: AttemptOutcome) -> CallbackStatus:
    if outcome == AttemptOutcome.ANSWERED:
        return CallbackStatus.COMPLETED
    max_failed = int(current_app.config["CALLBACK_MAX_FAILED_ATTEMPTS"])
    if outcome == AttemptOutcome.WRONG_NUMBER or callback.failed_attempt_count >= max_failed:
        return CallbackStatus.UNREACHABLE
    return CallbackStatus.NO_ANSWER
