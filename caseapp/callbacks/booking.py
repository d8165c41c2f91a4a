"""Booking a callback: consent, the caller's preferred times, the deadline the case's risk sets, and who holds it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app

from caseapp.auth.models import Role, User
from caseapp.callbacks import history
from caseapp.callbacks.models import Callback
from caseapp.callbacks.wallclock import fmt_local, within_preferred_times
from caseapp.callers.models import Caller
from caseapp.cases.models import Case
from caseapp.errors import ValidationError
from caseapp.extensions import db
from caseapp.reference import CallbackPriority, CallbackStatus, RiskLevel
from caseapp.timeutil import now_utc

NO_CONSENT = (
    "The caller has not agreed to be called back, so no callback can be booked. "
    "Ask for (and record) their consent on the caller first."
)


class ConsentRequired(ValidationError):
    code = "no_callback_consent"


class OutsidePreferredTimes(ValidationError):
    code = "outside_preferred_times"


@dataclass(frozen=True)
class Suggestion:
    """What the booking form proposes for a case: call back by `due_by` (None = no deadline) at `priority`."""

    due_by: datetime | None
    priority: CallbackPriority
    message: str | None

    def warning_for(self, due_at: datetime) -> list[str]:
        """A warning when `due_at` is later than the risk's deadline."""
        if self.due_by is not None and due_at > self.due_by:
            return [f"{self.message} This callback is later, at {fmt_local(due_at)}."]
        return []


def suggestion_for(case: Case, now: datetime | None = None) -> Suggestion:
    """Risk sets the deadline: high → within CALLBACK_DEADLINE_HIGH_MINUTES, immediate danger → within
    CALLBACK_DEADLINE_IMMEDIATE_DANGER_MINUTES."""
    config = current_app.config
    now = now or now_utc()
    if case.risk_level == RiskLevel.IMMEDIATE_DANGER:
        minutes = int(config["CALLBACK_DEADLINE_IMMEDIATE_DANGER_MINUTES"])
        due_by = now + timedelta(minutes=minutes)
        message = f"Immediate danger: call back within {minutes} minutes (by {fmt_local(due_by)})."
        return Suggestion(due_by, CallbackPriority.URGENT, message)
    if case.risk_level == RiskLevel.HIGH:
        minutes = int(config["CALLBACK_DEADLINE_HIGH_MINUTES"])
        due_by = now + timedelta(minutes=minutes)
        message = f"High risk: call back within {_span(minutes)} (by {fmt_local(due_by)})."
        return Suggestion(due_by, CallbackPriority.HIGH, message)
    return Suggestion(None, CallbackPriority.NORMAL, None)


def _span(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"


def check_time(
    caller: Caller, due_at: datetime, window_minutes: int | None, override: bool, *, field_name: str = "due_at"
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


def check_window(window_minutes: int | None) -> None:
    if window_minutes is not None and not 0 <= window_minutes <= 720:
        message = "The window must be between 0 and 720 minutes."
        raise ValidationError(message, fields={"window_minutes": [message]})


def check_assignee(assignee_id: int | None, *, field_name: str = "assignee_id") -> User | None:
    """The active member of staff `assignee_id` names (None = the pool)."""
    if assignee_id is None:
        return None
    user = db.session.get(User, assignee_id)
    if user is None or not user.is_active or not user.has_role(Role.ADVISOR):
        message = "Choose an active member of staff, or leave it empty for the pool."
        raise ValidationError(message, fields={field_name: [message]})
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
    check_window(window_minutes)
    outside = check_time(case.caller, due_at, window_minutes, override_preferred_times)
    assignee = check_assignee(assignee_id)
    suggestion = suggestion_for(case)
    warnings = suggestion.warning_for(due_at)
    callback = Callback(
        case_id=case.id,
        due_at=due_at,
        window_minutes=window_minutes,
        assignee_id=assignee.id if assignee else None,
        priority=priority or suggestion.priority,
        reason=(reason or "").strip() or None,
        status=CallbackStatus.SCHEDULED,
        clock_started_at=now_utc(),
        outside_preferred_times=outside,
        created_by_id=actor.id,
    )
    db.session.add(callback)
    db.session.flush()
    history.record(
        "booked",
        callback.id,
        actor.id,
        case_id=case.id,
        due_at=due_at.isoformat(),
        window_minutes=window_minutes,
        assignee_id=callback.assignee_id,
        priority=callback.priority.value,
        outside_preferred_times=outside,
        later_than_suggested=bool(warnings),
    )
    return Booking(callback, warnings, suggestion)


def book_missed_call_callback(case: Case, *, priority: CallbackPriority, reason: str) -> Callback:
    """A pooled callback due now for a missed call (telephony/missed.py), booked by the system (no actor). The caller
    rang us, so no consent or preferred-time check stops it: a "do not ring back" flag is how a ring-back is
    refused (checked before this is called), and the advisor reads the safe-to-call notes before ringing."""
    now = now_utc()
    callback = Callback(
        case_id=case.id,
        due_at=now,
        assignee_id=None,
        priority=priority,
        reason=reason,
        status=CallbackStatus.SCHEDULED,
        clock_started_at=now,
        created_by_id=None,
    )
    db.session.add(callback)
    db.session.flush()
    history.record(
        "booked",
        callback.id,
        None,
        case_id=case.id,
        due_at=now.isoformat(),
        assignee_id=None,
        priority=priority.value,
        source="missed_call",
    )
    return callback
