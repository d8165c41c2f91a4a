"""Logging calls: one step from a ringing phone to a call on the right caller and case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from caseapp.audit.services import record_event
from caseapp.auth.models import User
from caseapp.callers import queries as caller_queries
from caseapp.callers import services as caller_services
from caseapp.callers.models import Caller
from caseapp.callers.phones import normalise_phone
from caseapp.callers.services import DETAIL_FIELDS
from caseapp.calls import queries
from caseapp.calls.models import Call, CallDraft
from caseapp.cases import queries as case_queries
from caseapp.cases import services as case_services
from caseapp.cases import stale
from caseapp.cases.models import Case
from caseapp.core_writes import insert_as_loaded
from caseapp.errors import NotFound, ValidationError
from caseapp.extensions import db
from caseapp.reference import CallType, Channel, Direction, ReferralSource
from caseapp.timeutil import now_utc, to_local

MAX_DRAFT_BYTES = 64 * 1024
#: a client clock may run a little fast
_CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class CallInput:
    """A call as the log-a-call form or POST /api/v1/calls gives it (already schema-validated)."""

    call_type: CallType = CallType.DATA
    phone: str | None = None
    case_id: int | None = None
    direction: Direction = Direction.INBOUND
    channel: Channel = Channel.PHONE
    started_at: datetime | None = None
    ended_at: datetime | None = None
    reason: str | None = None
    referral_source: ReferralSource | None = None
    outcome_summary: str | None = None
    notes: str | None = None
    tags: list[str] = field(default_factory=list)
    #: caller details (name, relationship, consents, ...) to record on the caller
    caller_details: dict[str, Any] = field(default_factory=dict)


def call_input_from(payload: dict[str, Any]) -> CallInput:
    """A payload validated by CallCreateSchema as the service's input (caller details split out)."""
    body = dict(payload)
    details = {name: body.pop(name) for name in DETAIL_FIELDS if name in body}
    details["name"] = body.pop("caller_name", None)
    body.pop("draft_id", None)
    return CallInput(**body, caller_details=details)


@dataclass
class LoggedCall:
    call: Call
    case: Case | None
    caller: Caller | None
    created_caller: bool
    created_case: bool


def local_date_and_hour(started_at: datetime) -> tuple[date, int]:
    """The Europe/London calendar date and hour a call is reported under, stored on the call when it is written
    (log_call, and the bulk inserts of `caseapp seed`)."""
    local_start = to_local(started_at)
    return local_start.date(), local_start.hour


def log_call(data: CallInput, *, actor: User, draft_id: int | None = None) -> LoggedCall:
    started_at = data.started_at or now_utc()
    if data.ended_at is not None and data.ended_at < started_at:
        message = "The call cannot end before it started."
        raise ValidationError(message, fields={"ended_at": [message]})
    if started_at > now_utc() + _CLOCK_SKEW:
        message = "The call cannot start in the future."
        raise ValidationError(message, fields={"started_at": [message]})
    e164 = normalise_phone(data.phone)
    created_caller = created_case = False
    caller: Caller | None
    case: Case | None
    if data.call_type != CallType.DATA:
        # counted, not case work: link an existing caller when the number is known, create nothing
        caller = caller_queries.find_caller_by_phone(e164) if e164 else None
        case = None
    elif data.case_id is not None:
        found = case_queries.find_case(data.case_id)
        if found is None:
            message = "There is no case with this id."
            raise ValidationError(message, fields={"case_id": [message]})
        case = found
        caller = case.caller
        if (
            e164 is not None
            and caller.phone_e164 not in (None, e164)
            and caller_queries.find_other_number_owner(e164) != caller.id  # not one of their other numbers either
        ):
            message = "This number belongs to a different caller than the chosen case."
            raise ValidationError(message, fields={"phone": [message]})
    else:
        caller, created_caller = caller_services.find_or_create_caller(e164, actor=actor)
        case = None if created_caller else case_queries.find_open_case_for_caller(caller.id)
        if case is None:
            case = case_services.open_case(caller, actor=actor, first_contact_at=started_at)
            created_case = True
    if caller is not None and data.call_type == CallType.DATA:
        caller_services.apply_details(caller, data.caller_details, actor=actor)
    local_date, local_hour = local_date_and_hour(started_at)
    call = Call(
        call_type=data.call_type,
        case_id=case.id if case else None,
        case=case,
        caller_id=caller.id if caller else None,
        caller=caller,
        advisor_id=actor.id,
        direction=data.direction,
        channel=data.channel,
        started_at=started_at,
        ended_at=data.ended_at,
        local_date=local_date,
        local_hour=local_hour,
        reason=data.reason,
        referral_source=data.referral_source,
        outcome_summary=data.outcome_summary,
        notes=data.notes,
        tags=sorted({t.strip().lower() for t in data.tags if t.strip()}),
    )
    insert_as_loaded(call)  # the row written on every call: one Core INSERT, no unit of work (core_writes.py)
    if case is not None and call.call_type == CallType.DATA and not created_case:
        stale.record_contact(case.id, call.started_at)  # the caller was reached (cases/stale.py)
    record_event(
        "call.logged",
        actor_id=actor.id,
        entity_type="call",
        entity_id=call.id,
        detail={"call_type": call.call_type.value, "case_id": call.case_id, "caller_id": call.caller_id},
    )
    if draft_id is not None:
        discard_draft(draft_id, actor=actor)
    return LoggedCall(call, case, caller, created_caller, created_case)


def save_draft(data: dict[str, Any], *, actor: User, draft_id: int | None = None) -> CallDraft:
    """Keep what is typed so far (autosave); validated only when the call is logged."""
    clean = {str(k)[:64]: v for k, v in data.items() if k != "csrf_token" and isinstance(v, str | bool | int | list)}
    if len(repr(clean)) > MAX_DRAFT_BYTES:
        raise ValidationError("This draft is too large to save.")
    draft = queries.find_draft(draft_id, actor.id) if draft_id is not None else None
    if draft_id is not None and draft is None:
        raise NotFound("No such draft.")
    if draft is None:
        draft = CallDraft(advisor_id=actor.id, data=clean)
        db.session.add(draft)
    else:
        draft.data = clean
        draft.updated_at = now_utc()
    db.session.flush()
    return draft


def purge_stale_drafts(older_than: timedelta = timedelta(days=7)) -> int:
    """Drafts nobody finished (they hold numbers and notes) are deleted after a week."""
    return queries.delete_drafts_updated_before(now_utc() - older_than)


def discard_draft(draft_id: int, *, actor: User) -> None:
    draft = queries.find_draft(draft_id, actor.id)
    if draft is not None:
        db.session.delete(draft)
