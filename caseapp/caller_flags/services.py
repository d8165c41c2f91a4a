"""Raising a flag on a caller or on one number, lifting it early, and who may read its reason. Every raise and lift
is audited (ids and the kind only); nothing here commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.audit.services import record_event, record_listing
from caseapp.auth.models import Role, User
from caseapp.caller_flags import bounds
from caseapp.caller_flags.models import REASON_MAX, CallerFlag, FlagEnd, FlagKind
from caseapp.callers import queries as caller_queries
from caseapp.callers.models import Caller
from caseapp.callers.phones import normalise_phone
from caseapp.errors import AppError, Conflict, Forbidden, ValidationError
from caseapp.extensions import db
from caseapp.settings.services import flag_max_days
from caseapp.shifts import queries as shift_queries
from caseapp.timeutil import now_utc

NOT_ON_SHIFT = "Only an advisor on shift, or a manager, can flag a number."
LIFT_REFUSED = "Only a manager, or the person who raised it, can lift this flag."


def audit(action: str, flag: CallerFlag, actor_id: int | None) -> None:
    detail: dict[str, Any] = {"kind": flag.kind.value}
    if flag.caller_id is not None:
        detail["caller_id"] = flag.caller_id
    record_event(action, actor_id=actor_id, entity_type="caller_flag", entity_id=flag.id, detail=detail)


def _reason(text: str | None, field: str = "reason") -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        message = "Say why: colleagues see the reason when this caller rings."
        raise ValidationError(message, fields={field: [message]})
    if len(cleaned) > REASON_MAX:
        message = f"The reason can be at most {REASON_MAX} characters."
        raise ValidationError(message, fields={field: [message]})
    return cleaned


def _raise(
    *,
    caller_id: int | None,
    phone_e164: str | None,
    kind: FlagKind,
    reason: str | None,
    expiry: dict[str, Any],
    actor: User,
) -> CallerFlag:
    now = now_utc()
    errors: dict[str, list[str]] = {}
    extra: dict[str, Any] = {}
    try:
        text = _reason(reason)
    except AppError as exc:
        errors.update(exc.fields)
        text = ""
    try:
        expires_at = bounds.resolve_expiry(now, flag_max_days(), **expiry)
    except AppError as exc:
        errors.update(exc.fields)
        extra.update(exc.extra)
    if errors:
        raise ValidationError("Some details of the flag need attention.", fields=errors, **extra)
    flag = CallerFlag(
        caller_id=caller_id,
        phone_e164=phone_e164,
        kind=kind,
        reason=text,
        expires_at=expires_at,
        raised_by_id=actor.id,
        created_at=now,
    )
    db.session.add(flag)
    db.session.flush()
    audit("caller_flag.raised", flag, actor.id)
    return flag


def expiry_args(
    expires_at: datetime | None = None, expires_in_hours: int | None = None, expires_in_days: int | None = None
) -> dict[str, Any]:
    return {"expires_at": expires_at, "hours": expires_in_hours, "days": expires_in_days}


def raise_on_caller(caller: Caller, *, kind: FlagKind, reason: str | None, actor: User, **expiry: Any) -> CallerFlag:
    """A flag on the caller record, whatever number they ring from; by someone who may change the caller.
    `expiry` is expires_at=, expires_in_hours= or expires_in_days= (exactly one)."""
    access.require_caller(caller, actor, Action.CHANGE)
    if caller.is_anonymised:
        raise Conflict("This caller's details have been removed: there is nobody to flag.")
    return _raise(
        caller_id=caller.id, phone_e164=None, kind=kind, reason=reason, expiry=expiry_args(**expiry), actor=actor
    )


def may_flag_number(e164: str, actor: User) -> bool:
    """A manager; an advisor on shift; or an advisor who may change the caller this number belongs to."""
    if actor.has_role(Role.MANAGER) or shift_queries.find_open_shift(actor.id) is not None:
        return True
    owner = caller_queries.find_caller_by_phone(e164)
    return owner is not None and can_change_caller(owner, actor)


def raise_on_number(phone: str | None, *, kind: FlagKind, reason: str | None, actor: User, **expiry: Any) -> CallerFlag:
    """A flag on one number (any format; E.164 stored), whoever it belongs to, or nobody on record yet."""
    e164 = normalise_phone(phone)
    if e164 is None:
        message = "Give the number to flag: a withheld number cannot be flagged."
        raise ValidationError(message, fields={"phone": [message]})
    if not may_flag_number(e164, actor):
        raise Forbidden(NOT_ON_SHIFT)
    return _raise(caller_id=None, phone_e164=e164, kind=kind, reason=reason, expiry=expiry_args(**expiry), actor=actor)


def may_lift(flag: CallerFlag, actor: User) -> bool:
    return actor.has_role(Role.MANAGER) or flag.raised_by_id == actor.id


def lift_flag(flag: CallerFlag, *, reason: str | None, actor: User) -> CallerFlag:
    """End a flag in force before its expiry (a manager, or whoever raised it), saying why."""
    if not may_lift(flag, actor):
        raise Forbidden(LIFT_REFUSED)
    now = now_utc()
    if not flag.is_active_at(now):
        raise Conflict("This flag is no longer in force.", ended_at=(flag.ended_at or flag.expires_at).isoformat())
    note = _reason(reason)
    flag.ended_at, flag.end_reason, flag.ended_by_id, flag.end_note = now, FlagEnd.LIFTED, actor.id, note
    db.session.flush()
    audit("caller_flag.lifted", flag, actor.id)
    return flag


# --- reading ---------------------------------------------------------------------------------------------------


def can_change_caller(caller: Caller, actor: User) -> bool:
    try:
        access.require_caller(caller, actor, Action.CHANGE)
    except Forbidden:
        return False
    return True


def can_read_caller(caller: Caller, actor: User) -> bool:
    try:
        access.require_caller(caller, actor, Action.VIEW)
    except Forbidden:
        return False
    return True


def reason_readable(flag: CallerFlag, actor: User, found: Caller | None = None) -> bool:
    """The reason is shown to whoever may read the caller it is on (a number's flag: the caller the number belongs
    to, `found`, when there is one; anyone on a number nobody on record has)."""
    if flag.caller_id is not None:
        caller = (
            found if found is not None and found.id == flag.caller_id else caller_queries.get_caller(flag.caller_id)
        )
        return can_read_caller(caller, actor)
    return found is None or can_read_caller(found, actor)


def record_flag_listing(flags: list[CallerFlag], *, actor: User, caller_id: int | None = None) -> None:
    """Flags shown (with or without their reasons) are a read of the caller: which ones is audited."""
    record_listing(
        "caller_flag.listed",
        actor_id=actor.id,
        entity_type="caller" if caller_id is not None else "caller_flag",
        entity_id=caller_id,
        ids=[flag.id for flag in flags],
    )
