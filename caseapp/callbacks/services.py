"""Callback rules: booking (consent, preferred times, risk deadlines, clock changes), the status workflow, attempts,
and what the workers do to callbacks that fall due (the pool, escalation, missed).

    scheduled ──start──> in_progress ──attempt: answered──> completed
        │  ^                  │
        │  └──reschedule──────┴──attempt: no answer / voicemail / call back later──> no_answer
        │                          (N failed attempts, or a wrong number) ──> unreachable (+ case flagged)
        ├──cancel──> cancelled              (from any open status)
        └──not started 60 min after due──> missed
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app

from caseapp.audit.services import record_event
from caseapp.auth.models import Role, User
from caseapp.callbacks import queries
from caseapp.callbacks.models import FAILED_OUTCOMES, Callback, CallbackAttempt, CaseFlag
from caseapp.callers.models import Caller
from caseapp.calls import queries as call_queries
from caseapp.cases.models import Case
from caseapp.errors import Conflict, ValidationError
from caseapp.extensions import db
from caseapp.notifications import services as notifications
from caseapp.reference import AttemptOutcome, CallbackPriority, CallbackStatus, RiskLevel
from caseapp.reminders import queries as reminder_queries
from caseapp.reminders import services as reminders
from caseapp.reminders.models import OutboxKind
from caseapp.shifts import queries as shift_queries
from caseapp.timeutil import AmbiguousLocalTime, NonexistentLocalTime, local_to_utc, now_utc, to_local

logger = logging.getLogger(__name__)

FLAG_UNREACHABLE = "unreachable"
NO_CONSENT = (
    "The caller has not agreed to be called back, so no callback can be booked. "
    "Ask for (and record) their consent on the caller first."
)
NO_VOICEMAIL = "The caller has not agreed to voicemail, so no message may be left. Record 'no answer' instead."


class ConsentRequired(ValidationError):
    code = "no_callback_consent"


class OutsidePreferredTimes(ValidationError):
    code = "outside_preferred_times"


# --- wall-clock input -------------------------------------------------------------------------------------------


def _fmt_local(value: datetime) -> str:
    local = to_local(value)
    return f"{local:%H:%M} {local.tzname()}"


def fold_choices(day: date, at: time) -> list[dict[str, object]]:
    """The two instants a wall-clock time names on the night the clocks go back (for the booking form)."""
    naive = datetime.combine(day, at)
    choices: list[dict[str, object]] = []
    for fold, which in ((0, "the first time (before the clocks go back)"), (1, "the second time (after)")):
        instant = local_to_utc(naive, fold=fold)
        choices.append({"fold": fold, "label": f"{_fmt_local(instant)}, {which}", "utc": instant.isoformat()})
    return choices


def local_due_at(day: date, at: time, fold: int | None = None) -> datetime:
    """A booking form's date + time (Europe/London) as a UTC instant, refusing what the clocks make unclear.

    A time skipped in March is refused (never silently moved); a time that happens twice in October needs
    `fold` (0 = first, BST; 1 = second, GMT) and the error lists both choices.
    """
    naive = datetime.combine(day, at)
    try:
        return local_to_utc(naive, fold=fold)
    except NonexistentLocalTime as exc:
        message = (
            f"{at:%H:%M} on {day:%A %d %B %Y} does not exist in the UK: the clocks go forward an hour that night. "
            "Choose a time before 01:00 or from 02:00."
        )
        raise ValidationError(message, fields={"due_time": [message]}) from exc
    except AmbiguousLocalTime as exc:
        message = (
            f"{at:%H:%M} on {day:%A %d %B %Y} happens twice in the UK: the clocks go back an hour that night. "
            "Choose which one you mean."
        )
        raise ValidationError(message, fields={"fold": [message]}, choices=fold_choices(day, at)) from exc


# --- booking ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """What the booking form proposes for a case: call back by `due_by` (None = no deadline) at `priority`."""

    due_by: datetime | None
    priority: CallbackPriority
    message: str | None


def suggestion_for(case: Case, now: datetime | None = None) -> Suggestion:
    """Risk sets the deadline: high → within CALLBACK_DEADLINE_HIGH_MINUTES, immediate danger → within
    CALLBACK_DEADLINE_IMMEDIATE_DANGER_MINUTES."""
    config = current_app.config
    now = now or now_utc()
    if case.risk_level == RiskLevel.IMMEDIATE_DANGER:
        minutes = int(config["CALLBACK_DEADLINE_IMMEDIATE_DANGER_MINUTES"])
        due_by = now + timedelta(minutes=minutes)
        return Suggestion(
            due_by,
            CallbackPriority.URGENT,
            f"Immediate danger: call back within {minutes} minutes (by {_fmt_local(due_by)}).",
        )
    if case.risk_level == RiskLevel.HIGH:
        minutes = int(config["CALLBACK_DEADLINE_HIGH_MINUTES"])
        due_by = now + timedelta(minutes=minutes)
        return Suggestion(
            due_by, CallbackPriority.HIGH, f"High risk: call back within {_span(minutes)} (by {_fmt_local(due_by)})."
        )
    return Suggestion(None, CallbackPriority.NORMAL, None)


def _span(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"


def within_preferred_times(caller: Caller, start: datetime, end: datetime) -> bool:
    """Whether [start, end] falls inside the caller's preferred local window (which may cross midnight)."""
    if caller.preferred_from is None or caller.preferred_to is None or caller.preferred_from == caller.preferred_to:
        return True
    lo, hi = caller.preferred_from, caller.preferred_to
    if end - start >= timedelta(days=1):
        return False

    def inside(t: time) -> bool:
        return lo <= t <= hi if lo < hi else (t >= lo or t <= hi)

    local_start, local_end = to_local(start), to_local(end)
    if not (inside(local_start.time()) and inside(local_end.time())):
        return False
    if lo < hi:  # a same-day window must hold the whole span, not just both ends on different days
        return local_start.date() == local_end.date()
    return True


def _check_time(
    caller: Caller,
    due_at: datetime,
    window_minutes: int | None,
    override: bool,
    *,
    field_name: str = "due_at",
) -> bool:
    """Refuse a naive or past time, missing consent, or (without override) a time outside the preferred window.
    Returns whether the booking is outside the preferred times (with override)."""
    if due_at.tzinfo is None or due_at.utcoffset() is None:
        message = "Give the time with its offset or Z."
        raise ValidationError(message, fields={field_name: [message]})
    if due_at <= now_utc():
        message = "That time has already passed. Choose a time in the future."
        raise ValidationError(message, fields={field_name: [message]})
    if not caller.consent_callback:
        raise ConsentRequired(NO_CONSENT, fields={"case_id": [NO_CONSENT]})
    end = due_at + timedelta(minutes=window_minutes or 0)
    if within_preferred_times(caller, due_at, end):
        return False
    if not override:
        assert caller.preferred_from is not None  # noqa: S101 - narrowed by within_preferred_times
        assert caller.preferred_to is not None  # noqa: S101
        window = f"{caller.preferred_from:%H:%M} and {caller.preferred_to:%H:%M}"
        message = (
            f"The caller prefers to be called between {window} (UK time). Choose a time in that window, "
            "or confirm that they agreed to this one (override_preferred_times)."
        )
        raise OutsidePreferredTimes(
            message,
            fields={field_name: [message], "override_preferred_times": ["Tick to book outside the preferred times."]},
            preferred_from=f"{caller.preferred_from:%H:%M}",
            preferred_to=f"{caller.preferred_to:%H:%M}",
        )
    return True


def _check_window(window_minutes: int | None) -> None:
    if window_minutes is not None and not 0 <= window_minutes <= 720:
        message = "The window must be between 0 and 720 minutes."
        raise ValidationError(message, fields={"window_minutes": [message]})


def _check_assignee(assignee_id: int | None) -> User | None:
    if assignee_id is None:
        return None
    user = db.session.get(User, assignee_id)
    if user is None or not user.is_active or not user.has_role(Role.ADVISOR):
        message = "Choose an active member of staff, or leave it empty for the pool."
        raise ValidationError(message, fields={"assignee_id": [message]})
    return user


@dataclass
class Booking:
    callback: Callback
    warnings: list[str] = field(default_factory=list)
    suggestion: Suggestion | None = None


def book_callback(
    case: Case,
    *,
    due_at: datetime,
    actor: User,
    window_minutes: int | None = None,
    assignee_id: int | None = None,
    priority: CallbackPriority | None = None,
    reason: str | None = None,
    override_preferred_times: bool = False,
) -> Booking:
    """Book a callback on an open case. Refuses past times, callers without callback consent, and (unless
    overridden) times outside their preferred window; warns when later than the risk-based deadline."""
    if not case.is_open:
        message = "This case is closed. Reopen it before booking a callback."
        raise ValidationError(message, fields={"case_id": [message]})
    _check_window(window_minutes)
    outside = _check_time(case.caller, due_at, window_minutes, override_preferred_times)
    assignee = _check_assignee(assignee_id)
    suggestion = suggestion_for(case)
    warnings: list[str] = []
    if suggestion.due_by is not None and due_at > suggestion.due_by:
        warnings.append(f"{suggestion.message} This callback is later, at {_fmt_local(due_at)}.")
    callback = Callback(
        case_id=case.id,
        due_at=due_at,
        window_minutes=window_minutes,
        assignee_id=assignee.id if assignee else None,
        priority=priority or suggestion.priority,
        reason=(reason or "").strip() or None,
        status=CallbackStatus.SCHEDULED,
        outside_preferred_times=outside,
        created_by_id=actor.id,
    )
    db.session.add(callback)
    db.session.flush()
    record_event(
        "callback.booked",
        actor_id=actor.id,
        entity_type="callback",
        entity_id=callback.id,
        detail={
            "case_id": case.id,
            "due_at": due_at.isoformat(),
            "window_minutes": window_minutes,
            "assignee_id": callback.assignee_id,
            "priority": callback.priority.value,
            "outside_preferred_times": outside,
            "later_than_suggested": bool(warnings),
        },
    )
    return Booking(callback, warnings, suggestion)


# --- changes ----------------------------------------------------------------------------------------------------


def _require_open(callback: Callback) -> None:
    if not callback.is_open:
        raise Conflict(f"This callback is {callback.status.label.lower()}; it can no longer be changed.")


def _check_version(callback: Callback, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != callback.version:
        raise Conflict(
            "This callback was changed by someone else. Reload it and apply your change again.",
            current_version=callback.version,
        )


def update_callback(callback: Callback, changes: dict[str, object], *, expected_version: int, actor: User) -> list[str]:
    """PATCH: any of reschedule (due_at, window_minutes), reassign (assignee_id; null = pool), priority, reason,
    and status in_progress (start) or cancelled (cancel, with cancel_reason). Returns warnings."""
    _check_version(callback, expected_version)
    warnings: list[str] = []
    status = changes.get("status")
    if status == CallbackStatus.CANCELLED:
        cancel_callback(callback, actor=actor, reason=changes.get("cancel_reason"))  # type: ignore[arg-type]
        return warnings
    if status not in (None, CallbackStatus.IN_PROGRESS):
        message = "Only in_progress (start) or cancelled can be set here; record an attempt to complete it."
        raise ValidationError(message, fields={"status": [message]})
    _require_open(callback)
    if "due_at" in changes or "window_minutes" in changes:
        warnings += reschedule_callback(
            callback,
            changes.get("due_at") or callback.due_at,  # type: ignore[arg-type]
            window_minutes=changes["window_minutes"] if "window_minutes" in changes else callback.window_minutes,  # type: ignore[arg-type]
            override_preferred_times=bool(changes.get("override_preferred_times")),
            actor=actor,
        )
    if "assignee_id" in changes:
        reassign_callback(callback, changes["assignee_id"], actor=actor)  # type: ignore[arg-type]
    edits: dict[str, object] = {}
    if changes.get("priority") is not None and changes["priority"] != callback.priority:
        edits["priority"] = [callback.priority.value, str(changes["priority"])]
        callback.priority = CallbackPriority(str(changes["priority"]))
    if "reason" in changes:
        new_reason = (str(changes["reason"] or "")).strip() or None
        if new_reason != callback.reason:
            callback.reason = new_reason
            edits["reason"] = "changed"
    if edits:
        db.session.flush()
        record_event("callback.updated", actor_id=actor.id, entity_type="callback", entity_id=callback.id, detail=edits)
    if status == CallbackStatus.IN_PROGRESS:
        start_callback(callback, actor=actor)
    return warnings


def reschedule_callback(
    callback: Callback,
    due_at: datetime,
    *,
    actor: User,
    window_minutes: int | None = None,
    override_preferred_times: bool = False,
) -> list[str]:
    """A new due time (and window): back to scheduled, and unsent messages for the old time are withdrawn."""
    _require_open(callback)
    _check_window(window_minutes)
    outside = _check_time(callback.case.caller, due_at, window_minutes, override_preferred_times)
    old_due = callback.due_at
    if due_at == old_due and window_minutes == callback.window_minutes and callback.status == CallbackStatus.SCHEDULED:
        return []
    withdrawn = reminders.withdraw(callback.id)
    callback.due_at, callback.window_minutes = due_at, window_minutes
    callback.outside_preferred_times = outside
    previous_status = callback.status
    callback.status, callback.started_at = CallbackStatus.SCHEDULED, None
    db.session.flush()
    record_event(
        "callback.rescheduled",
        actor_id=actor.id,
        entity_type="callback",
        entity_id=callback.id,
        detail={
            "from": old_due.isoformat(),
            "to": due_at.isoformat(),
            "window_minutes": window_minutes,
            "from_status": previous_status.value,
            "outside_preferred_times": outside,
            "withdrawn_messages": withdrawn,
        },
    )
    suggestion = suggestion_for(callback.case)
    if suggestion.due_by is not None and due_at > suggestion.due_by:
        return [f"{suggestion.message} This callback is later, at {_fmt_local(due_at)}."]
    return []


def reassign_callback(callback: Callback, assignee_id: int | None, *, actor: User) -> None:
    """Give it to someone else (None = the pool). If its reminder time has come, the new holder is reminded now."""
    _require_open(callback)
    if assignee_id == callback.assignee_id:
        return
    assignee = _check_assignee(assignee_id)
    previous = callback.assignee_id
    withdrawn = reminders.withdraw(callback.id, kinds=(OutboxKind.REMINDER,))
    callback.assignee_id, callback.assignee = (assignee.id, assignee) if assignee else (None, None)
    db.session.flush()
    record_event(
        "callback.reassigned",
        actor_id=actor.id,
        entity_type="callback",
        entity_id=callback.id,
        detail={"from_assignee_id": previous, "to_assignee_id": assignee_id, "withdrawn_messages": withdrawn},
    )
    _remind_now_if_due(callback)


def _remind_now_if_due(callback: Callback) -> None:
    lead = timedelta(seconds=int(current_app.config["REMINDER_LEAD_SECONDS"]))
    if callback.status == CallbackStatus.SCHEDULED and callback.due_at - lead <= reminder_queries.database_now():
        reminders.enqueue(reminders.reminder_messages(callback))


def cancel_callback(callback: Callback, *, actor: User, reason: str | None = None) -> None:
    _require_open(callback)
    previous = callback.status
    callback.status, callback.closed_at = CallbackStatus.CANCELLED, now_utc()
    callback.cancel_reason = (reason or "").strip()[:200] or None
    withdrawn = reminders.withdraw(callback.id)
    db.session.flush()
    record_event(
        "callback.cancelled",
        actor_id=actor.id,
        entity_type="callback",
        entity_id=callback.id,
        detail={"from_status": previous.value, "withdrawn_messages": withdrawn},
    )


def claim_callback(callback_id: int, *, actor: User) -> Callback:
    """Take a callback from the pool. Two advisors at once: the row lock makes the second one wait and then fail."""
    callback = queries.lock_callback(callback_id)
    _require_open(callback)
    if callback.assignee_id is not None:
        if callback.assignee_id == actor.id:
            return callback
        raise Conflict("Someone else has already taken this callback.", assignee_id=callback.assignee_id)
    callback.assignee_id, callback.assignee = actor.id, actor
    withdrawn = reminders.withdraw(callback.id, kinds=(OutboxKind.REMINDER,))  # the pool's in-app nudges
    db.session.flush()
    record_event(
        "callback.claimed",
        actor_id=actor.id,
        entity_type="callback",
        entity_id=callback.id,
        detail={"withdrawn_messages": withdrawn},
    )
    return callback


def start_callback(callback: Callback, *, actor: User) -> None:
    """The advisor is ringing now: in progress (and theirs, if it was pooled or someone else's)."""
    _require_open(callback)
    if callback.status == CallbackStatus.IN_PROGRESS:
        return
    previous_assignee = callback.assignee_id
    callback.status, callback.started_at = CallbackStatus.IN_PROGRESS, now_utc()
    if callback.assignee_id != actor.id:
        callback.assignee_id, callback.assignee = actor.id, actor
    withdrawn = reminders.withdraw(callback.id)
    db.session.flush()
    record_event(
        "callback.started",
        actor_id=actor.id,
        entity_type="callback",
        entity_id=callback.id,
        detail={"from_assignee_id": previous_assignee, "withdrawn_messages": withdrawn},
    )


@dataclass
class AttemptResult:
    attempt: CallbackAttempt
    callback: Callback
    #: no answer (or "call back later") and no new time given: the advisor should pick one
    needs_reschedule: bool
    warnings: list[str] = field(default_factory=list)


def record_attempt(
    callback: Callback,
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
    _require_open(callback)
    caller = callback.case.caller
    if outcome == AttemptOutcome.VOICEMAIL_LEFT and not caller.consent_voicemail:
        raise ValidationError(NO_VOICEMAIL, fields={"outcome": [NO_VOICEMAIL]})
    if call_id is not None and call_queries.get_call(call_id).case_id != callback.case_id:
        message = "That call belongs to another case."
        raise ValidationError(message, fields={"call_id": [message]})
    if next_due_at is not None and outcome == AttemptOutcome.ANSWERED:
        message = "An answered callback is complete; book a new callback for a later call."
        raise ValidationError(message, fields={"next_due_at": [message]})
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
    max_failed = int(current_app.config["CALLBACK_MAX_FAILED_ATTEMPTS"])
    if outcome in FAILED_OUTCOMES:
        callback.failed_attempt_count += 1
    if outcome == AttemptOutcome.ANSWERED:
        callback.status, callback.closed_at = CallbackStatus.COMPLETED, now
    elif outcome == AttemptOutcome.WRONG_NUMBER or callback.failed_attempt_count >= max_failed:
        callback.status, callback.closed_at = CallbackStatus.UNREACHABLE, now
    else:
        callback.status = CallbackStatus.NO_ANSWER
    withdrawn = reminders.withdraw(callback.id)
    db.session.flush()
    record_event(
        "callback.attempt_recorded",
        actor_id=actor.id,
        entity_type="callback",
        entity_id=callback.id,
        detail={
            "attempt_id": attempt.id,
            "outcome": outcome.value,
            "call_id": call_id,
            "from_status": previous.value,
            "to_status": callback.status.value,
            "failed_attempts": callback.failed_attempt_count,
            "withdrawn_messages": withdrawn,
        },
    )
    if callback.status == CallbackStatus.UNREACHABLE:
        flag_case(callback.case, FLAG_UNREACHABLE, callback_id=callback.id, actor_id=actor.id)
    warnings: list[str] = []
    if callback.status == CallbackStatus.NO_ANSWER and next_due_at is not None:
        warnings = reschedule_callback(
            callback,
            next_due_at,
            actor=actor,
            window_minutes=next_window_minutes,
            override_preferred_times=override_preferred_times,
        )
    needs_reschedule = callback.status == CallbackStatus.NO_ANSWER
    return AttemptResult(attempt, callback, needs_reschedule, warnings)


# --- case flags -------------------------------------------------------------------------------------------------


def flag_case(case: Case, kind: str, *, callback_id: int | None, actor_id: int | None) -> CaseFlag | None:
    """Raise a flag on a case (once per kind while open) and tell its advisor and the managers."""
    if queries.find_open_flag(case.id, kind) is not None:
        return None
    flag = CaseFlag(case_id=case.id, kind=kind, callback_id=callback_id)
    db.session.add(flag)
    db.session.flush()
    recipients = set(notifications.managers_to_alert())
    if case.assigned_advisor_id is not None:
        recipients.add(case.assigned_advisor_id)
    notifications.notify(
        sorted(recipients),
        kind=f"case_flagged_{kind}"[:32],
        title=f"Case {case.reference} flagged: caller {kind}",
        link=f"/cases/{case.id}",
        case_id=case.id,
    )
    record_event(
        "case.flagged",
        actor_id=actor_id,
        entity_type="case",
        entity_id=case.id,
        detail={"flag_id": flag.id, "kind": kind, "callback_id": callback_id},
    )
    return flag


def clear_flag(flag: CaseFlag, *, actor: User) -> None:
    if flag.cleared_at is not None:
        return
    flag.cleared_at, flag.cleared_by_id = now_utc(), actor.id
    db.session.flush()
    record_event(
        "case.flag_cleared",
        actor_id=actor.id,
        entity_type="case",
        entity_id=flag.case_id,
        detail={"flag_id": flag.id, "kind": flag.kind},
    )


# --- the workers' side: callbacks that fall due -----------------------------------------------------------------


@dataclass
class EscalationResult:
    pooled: list[int] = field(default_factory=list)
    #: outbox ids of the escalation messages written
    escalation_messages: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)


def _managers_to_escalate_to() -> list[User]:
    """The managers on shift; if none is, every active manager (someone must hear)."""
    users = [db.session.get(User, user_id) for user_id in notifications.managers_to_alert()]
    return [u for u in users if u is not None]


def move_to_pool(callback: Callback, *, reason: str, on_shift: list[User]) -> None:
    """Put a due callback whose assignee is off shift into the pool, and tell the people on shift."""
    previous = callback.assignee_id
    reminders.withdraw(callback.id, kinds=(OutboxKind.REMINDER,), recipient_ids=(previous,) if previous else ())
    callback.assignee_id, callback.assignee = None, None
    recipients = [u.id for u in on_shift if u.id != previous]
    notifications.notify(
        recipients,
        kind="callback_pooled",
        title=f"Callback on case {callback.case.reference}, due {_fmt_local(callback.due_at)}, is in the pool",
        link=f"/callbacks/{callback.id}",
        case_id=callback.case_id,
    )
    db.session.flush()
    record_event(
        "callback.pooled",
        actor_id=None,
        entity_type="callback",
        entity_id=callback.id,
        detail={"from_assignee_id": previous, "reason": reason, "notified": len(recipients)},
    )


def escalate_overdue(now: datetime | None = None) -> EscalationResult:
    """Run by the callbacks.escalate task (database clock):

    1. due, and the assignee is off shift → the pool, and the on-shift team is told (POOL_WHEN_OFF_SHIFT);
    2. not started ESCALATE_AFTER_SECONDS after due → escalation messages to the managers on shift;
    3. not started MISSED_AFTER_SECONDS after due → missed.
    """
    config = current_app.config
    now = now or reminder_queries.database_now()
    limit = int(config["SCAN_BATCH_SIZE"])
    result = EscalationResult()

    if config["POOL_WHEN_OFF_SHIFT"]:
        due = queries.lock_due_callbacks_off_shift(now, limit)
        on_shift = shift_queries.on_shift_users() if due else []
        for callback in due:
            move_to_pool(callback, reason="assignee_off_shift", on_shift=on_shift)
            result.pooled.append(callback.id)

    to_escalate = queries.lock_callbacks_to_escalate(
        now - timedelta(seconds=int(config["ESCALATE_AFTER_SECONDS"])), limit
    )
    if to_escalate:
        managers = _managers_to_escalate_to()
        channels = reminders.configured_channels("ESCALATION_CHANNELS")
        for callback in to_escalate:
            new = [
                reminders.NewMessage(
                    callback.id,
                    callback.case_id,
                    OutboxKind.ESCALATION,
                    callback.due_at,
                    channel,
                    manager.id,
                    reminders.messages.escalation(
                        callback_id=callback.id,
                        case_reference=callback.case.reference,
                        due_at=callback.due_at,
                        priority=callback.priority.value,
                        first_name=manager.first_name,
                    ),
                )
                for manager in managers
                for channel in channels
            ]
            ids = reminders.enqueue(new)
            if ids:
                result.escalation_messages += ids
                result.escalated.append(callback.id)
                record_event(
                    "callback.escalated",
                    actor_id=None,
                    entity_type="callback",
                    entity_id=callback.id,
                    detail={"due_at": callback.due_at.isoformat(), "recipients": [m.id for m in managers]},
                )

    for callback in queries.lock_callbacks_to_mark_missed(
        now - timedelta(seconds=int(config["MISSED_AFTER_SECONDS"])), limit
    ):
        callback.status, callback.closed_at = CallbackStatus.MISSED, now
        withdrawn = reminders.withdraw(callback.id, kinds=(OutboxKind.REMINDER,))
        db.session.flush()
        record_event(
            "callback.missed",
            actor_id=None,
            entity_type="callback",
            entity_id=callback.id,
            detail={"due_at": callback.due_at.isoformat(), "withdrawn_messages": withdrawn},
        )
        result.missed.append(callback.id)
    if result.pooled or result.escalated or result.missed:
        logger.info(
            "callback escalation: %s pooled, %s escalated, %s missed",
            len(result.pooled),
            len(result.escalated),
            len(result.missed),
        )
    return result
