"""Safeguarding records: advisors record and correct a concern on a case they may change; managers review it
(open → under review → closed). Every write is audited; none commits."""

from __future__ import annotations

from typing import Any

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.audit.services import record_event, record_listing
from caseapp.auth.models import Role, User
from caseapp.cases.models import Case
from caseapp.errors import Conflict, Forbidden, ValidationError
from caseapp.extensions import db
from caseapp.safeguarding.models import SafeguardingRecord
from caseapp.safeguarding.reference import (
    DECISIONS_NEEDING_REASONS,
    TRANSITIONS,
    AtRisk,
    SafeguardingStatus,
    SharingDecision,
)
from caseapp.timeutil import now_utc

#: the fields a record is made of (what a PATCH may change)
EDITABLE = (
    "at_risk",
    "children_count",
    "categories",
    "description",
    "decision",
    "decision_reason",
    "agency",
    "agency_reference",
    "agency_contacted_at",
)
_TEXT_FIELDS = ("description", "decision_reason", "agency_reference")
REASON_NEEDED = {
    SharingDecision.SHARED_WITHOUT_CONSENT: "Say why it was shared without consent: the risk of serious harm.",
    SharingDecision.NOT_SHARED: "Say why it was not shared.",
}


def _audit(action: str, record: SafeguardingRecord, actor: User, **detail: Any) -> None:
    record_event(
        action,
        actor_id=actor.id,
        entity_type="safeguarding",
        entity_id=record.id,
        detail={"case_id": record.case_id, **detail},
    )


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Text trimmed (blank is none), lists of codes stored as their values without repeats."""
    out = dict(values)
    for name in _TEXT_FIELDS:
        if name in out and isinstance(out[name], str):
            out[name] = out[name].strip() or None
    for name in ("at_risk", "categories"):
        if name in out and out[name] is not None:
            out[name] = list(dict.fromkeys(str(code.value if hasattr(code, "value") else code) for code in out[name]))
    return out


def _check(values: dict[str, Any]) -> None:
    """The rules across fields (each field's own are in the schema); 422 naming every field at fault."""
    errors: dict[str, list[str]] = {}
    if not values.get("description"):
        errors["description"] = ["Describe the concern."]
    if not values.get("at_risk"):
        errors["at_risk"] = ["Choose who is at risk."]
    if not values.get("categories"):
        errors["categories"] = ["Choose what the concern is."]
    decision = values.get("decision")
    if decision in DECISIONS_NEEDING_REASONS and not values.get("decision_reason"):
        errors["decision_reason"] = [REASON_NEEDED[decision]]
    if values.get("children_count") is not None and AtRisk.CHILDREN.value not in (values.get("at_risk") or []):
        errors["children_count"] = ["Give the number of children only when children are at risk."]
    if values.get("agency") is None and values.get("agency_contacted_at"):
        errors["agency"] = ["Choose the agency contacted."]
    contacted = values.get("agency_contacted_at")
    if contacted is not None and contacted > now_utc():
        errors["agency_contacted_at"] = ["That time has not come yet: give when the agency was contacted."]
    if errors:
        raise ValidationError("Some details of the safeguarding concern need attention.", fields=errors)


def record_concern(case: Case, values: dict[str, Any], *, actor: User) -> SafeguardingRecord:
    """A new safeguarding record on `case` (validated by SafeguardingInputSchema), by someone who may change it."""
    access.require(case, actor, Action.CHANGE)
    cleaned = _clean({name: values.get(name) for name in EDITABLE})
    _check(cleaned)
    record = SafeguardingRecord(case_id=case.id, created_by_id=actor.id, status=SafeguardingStatus.OPEN, **cleaned)
    db.session.add(record)
    db.session.flush()
    _audit("safeguarding.recorded", record, actor, decision=record.decision.value, categories=record.categories)
    return record


def update_concern(record: SafeguardingRecord, changes: dict[str, Any], *, actor: User) -> SafeguardingRecord:
    """Correct or complete a record (the agency's reference once it is known); a closed one stays as it was."""
    access.require(record.case, actor, Action.CHANGE)
    if record.is_closed:
        raise Conflict("This concern has been closed by a manager; record a new one if something has changed.")
    cleaned = _clean({name: value for name, value in changes.items() if name in EDITABLE})
    merged = {name: getattr(record, name) for name in EDITABLE} | cleaned
    _check(merged)
    changed = sorted(name for name, value in cleaned.items() if getattr(record, name) != value)
    for name in changed:
        setattr(record, name, cleaned[name])
    if changed:
        db.session.flush()
        _audit("safeguarding.updated", record, actor, fields=changed)
    return record


def review_concern(
    record: SafeguardingRecord, *, status: SafeguardingStatus, outcome_note: str | None, actor: User
) -> SafeguardingRecord:
    """A manager moves the concern one step on (open → under review → closed), or notes a review and leaves it
    where it is; closing needs the outcome, and a closed concern stays closed."""
    if not actor.has_role(Role.MANAGER):
        raise Forbidden("Only a manager can review a safeguarding concern.")
    note = (outcome_note or "").strip() or None
    if status not in TRANSITIONS[record.status]:
        allowed = " or ".join(s.in_sentence for s in TRANSITIONS[record.status]) or "nothing (it is closed)"
        raise Conflict(
            f"A concern that is {record.status.in_sentence} can be moved to {allowed}, not {status.in_sentence}.",
            current_status=record.status.value,
        )
    if status == SafeguardingStatus.CLOSED and note is None:
        raise ValidationError(
            "Say what the outcome was before closing the concern.",
            fields={"outcome_note": ["Say what the outcome of the review was."]},
        )
    previous = record.status
    record.status = status
    record.reviewed_by_id, record.reviewed_by, record.reviewed_at = actor.id, actor, now_utc()
    if note is not None:
        record.review_note = note
    db.session.flush()
    _audit("safeguarding.reviewed", record, actor, **{"from": previous.value, "to": status.value})
    return record


def record_view(record: SafeguardingRecord, *, actor: User) -> None:
    _audit("safeguarding.viewed", record, actor)


def record_case_listing(case: Case, records: list[SafeguardingRecord], *, actor: User) -> None:
    record_listing(
        "safeguarding.listed", actor_id=actor.id, entity_type="case", entity_id=case.id, ids=[row.id for row in records]
    )


def record_concerns_listing(records: list[SafeguardingRecord], *, actor: User) -> None:
    record_listing("safeguarding.listed", actor_id=actor.id, entity_type="safeguarding", ids=[r.id for r in records])
