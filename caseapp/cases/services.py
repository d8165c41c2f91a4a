"""Case rules: opening, the status workflow, assignment and risk, with optimistic concurrency."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from caseapp.audit.services import record_event
from caseapp.auth.models import Role, User
from caseapp.callers.models import Caller
from caseapp.cases.models import NOTE_MAX_LENGTH, Case, CaseNote
from caseapp.core_writes import insert_as_loaded
from caseapp.errors import Conflict, ValidationError
from caseapp.extensions import db
from caseapp.reference import CaseStatus, CloseReason, RiskLevel
from caseapp.timeutil import now_utc, to_local

#: the case workflow: status -> the statuses it may move to
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.NEW: frozenset({CaseStatus.ASSESSING, CaseStatus.ASSESSED, CaseStatus.CLOSED}),
    CaseStatus.ASSESSING: frozenset({CaseStatus.ASSESSED, CaseStatus.CLOSED}),
    CaseStatus.ASSESSED: frozenset({CaseStatus.ASSESSING, CaseStatus.REFERRED, CaseStatus.CLOSED}),
    CaseStatus.REFERRED: frozenset({CaseStatus.ADMITTED, CaseStatus.ASSESSED, CaseStatus.CLOSED}),
    CaseStatus.ADMITTED: frozenset({CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.ASSESSING}),  # reopen
}
REASON_ONLY_WHEN_CLOSING = "A close reason goes with status closed."


def open_case(caller: Caller, *, actor: User | None, first_contact_at: datetime | None = None) -> Case:
    """A new case for `caller`, owned by the advisor who takes the first call until someone reassigns it;
    `first_contact_at`: the call that opens it reached the caller then (cases/stale.py). `actor` None: opened by the
    system (a missed call), owned by nobody until an advisor takes it."""
    case = Case(
        caller=caller,
        caller_id=caller.id,
        status=CaseStatus.NEW,
        reference_year=to_local(now_utc()).year,
        assigned_advisor_id=actor.id if actor else None,
        last_contact_at=first_contact_at,
    )
    insert_as_loaded(case)
    record_event("case.opened", actor_id=actor.id if actor else None, entity_type="case", entity_id=case.id)
    return case


def record_view(case: Case, *, actor: User) -> None:
    record_event("case.viewed", actor_id=actor.id, entity_type="case", entity_id=case.id)


def update_case(case: Case, changes: dict[str, Any], *, expected_version: int, actor: User) -> Case:
    """Apply any of status, close_reason, assigned_advisor_id, risk_level; 409 when `expected_version` is stale."""
    if expected_version != case.version:
        raise Conflict(
            "This case was changed by someone else. Reload it and apply your change again.",
            current_version=case.version,
        )
    changed: dict[str, Any] = {}
    with db.session.no_autoflush:  # looking up an assignee must not flush half the change (a second version bump)
        if "status" in changes and changes["status"] is not None:
            _change_status(case, CaseStatus(changes["status"]), changes.get("close_reason"), changed)
        elif changes.get("close_reason") is not None:
            raise ValidationError(REASON_ONLY_WHEN_CLOSING, fields={"close_reason": ["Only when closing."]})
        if "assigned_advisor_id" in changes:
            _assign(case, changes["assigned_advisor_id"], changed)
        if changes.get("risk_level") is not None and changes["risk_level"] != case.risk_level:
            changed["risk_level"] = [case.risk_level, RiskLevel(changes["risk_level"])]
            case.risk_level = RiskLevel(changes["risk_level"])
    if changed:
        db.session.flush()  # bumps version; a concurrent writer's flush fails with StaleDataError -> 409
        record_event(
            "case.updated",
            actor_id=actor.id,
            entity_type="case",
            entity_id=case.id,
            detail={name: [str(v) if v is not None else None for v in pair] for name, pair in changed.items()},
        )
    return case


def _change_status(case: Case, new: CaseStatus, reason: Any, changed: dict[str, Any]) -> None:
    if reason and new != CaseStatus.CLOSED:
        raise ValidationError(REASON_ONLY_WHEN_CLOSING, fields={"close_reason": ["Only when closing."]})
    if new == case.status:
        if reason and CloseReason(reason) != case.close_reason:  # a closed case's reason corrected
            changed["close_reason"] = [case.close_reason, CloseReason(reason)]
            case.close_reason = CloseReason(reason)
        return
    if new not in TRANSITIONS[case.status]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[case.status]))
        message = f"A {case.status.value} case cannot become {new.value}; it can become: {allowed}."
        raise ValidationError(message, fields={"status": [message]})
    if new == CaseStatus.CLOSED:
        if not reason:
            message = "Choose why the case is being closed."
            raise ValidationError(message, fields={"close_reason": [message]})
        case.close_reason = CloseReason(reason)
        case.closed_at = now_utc()
    elif case.status == CaseStatus.CLOSED:
        case.close_reason = None
        case.closed_at = None
    changed["status"] = [case.status, new]
    case.status = new


def _assign(case: Case, advisor_id: int | None, changed: dict[str, Any]) -> None:
    if advisor_id == case.assigned_advisor_id:
        return
    if advisor_id is not None:
        advisor = db.session.get(User, advisor_id)
        if advisor is None or not advisor.is_active or not advisor.has_role(Role.ADVISOR):
            message = "Choose an active member of staff."
            raise ValidationError(message, fields={"assigned_advisor_id": [message]})
    changed["assigned_advisor_id"] = [case.assigned_advisor_id, advisor_id]
    case.assigned_advisor_id = advisor_id
    case.assigned_advisor = db.session.get(User, advisor_id) if advisor_id is not None else None


def raise_risk(case: Case, level: RiskLevel) -> None:
    """An assessment sets the case's current risk (the latest assessment wins)."""
    case.risk_level = level


def mark_assessed(case: Case) -> None:
    """A recorded assessment moves a new or assessing case on; later stages are left alone."""
    if case.status in (CaseStatus.NEW, CaseStatus.ASSESSING):
        case.status = CaseStatus.ASSESSED


def add_note(case: Case, body: str, *, actor: User) -> CaseNote:
    text = body.strip()
    if not text:
        raise ValidationError("Write something in the note.", fields={"body": ["Write something in the note."]})
    if len(text) > NOTE_MAX_LENGTH:
        message = f"A note can be up to {NOTE_MAX_LENGTH:,} characters; this one has {len(text):,}."
        raise ValidationError(message, fields={"body": [message]})
    note = CaseNote(case_id=case.id, author_id=actor.id, body=text)
    db.session.add(note)
    db.session.flush()
    record_event(
        "case.note_added", actor_id=actor.id, entity_type="case", entity_id=case.id, detail={"note_id": note.id}
    )
    return note


def follow_referral(case: Case, new: CaseStatus, *, actor: User, referral_id: int) -> bool:
    """A referral's change moves the case to `new` when the case workflow allows it from where the case is (a closed
    case, or one at a later stage, is left alone); audited as case.updated naming the referral. True if it moved."""
    if new == case.status or new not in TRANSITIONS[case.status] or case.status == CaseStatus.CLOSED:
        return False
    previous = case.status
    case.status = new
    db.session.flush()
    record_event(
        "case.updated",
        actor_id=actor.id,
        entity_type="case",
        entity_id=case.id,
        detail={"status": [previous.value, new.value], "referral_id": referral_id},
    )
    return True
