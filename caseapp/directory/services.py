"""Changes to the treatment services directory: add a service, change it (optimistically, by version), confirm its
beds, take it out of use and back. Each is audited; none commits.

`actor` is the member of staff, or None for the command line (the CSV import)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from caseapp.audit.services import record_event
from caseapp.auth.models import User
from caseapp.directory import queries
from caseapp.directory.models import CommercialRelationship, Regulator, TreatmentService
from caseapp.errors import Conflict, ValidationError
from caseapp.extensions import db
from caseapp.reference import Labelled
from caseapp.timeutil import now_utc

#: what a service is made of (what a PATCH may change); is_active too, audited as (de)activation
EDITABLE = (
    "name",
    "service_type",
    "region",
    "address",
    "postcode",
    "phone",
    "email",
    "website",
    "regulator",
    "regulator_id",
    "rating",
    "substances",
    "min_age",
    "max_age",
    "gender",
    "dual_diagnosis",
    "funding",
    "typical_wait_days",
    "beds_available",
    "beds_confirmed_at",
    "commercial_relationship",
    "commercial_detail",
    "notes",
)
_LISTS = ("substances", "funding")
#: what each regulator's ids look like once normalised (spaces out, capitals)
ID_PATTERNS: dict[Regulator, tuple[re.Pattern[str], str]] = {
    Regulator.CQC: (re.compile(r"1-\d{6,12}"), "A CQC id looks like 1-123456789."),
}
_ANY_ID = (re.compile(r"[A-Z0-9][A-Z0-9/-]{0,39}"), "Use the regulator's id: letters, digits and hyphens.")
STALE_MESSAGE = "Someone else changed this service since you opened it. Reload it to see their changes, then try again."


def _audit(action: str, service: TreatmentService, actor: User | None, **detail: Any) -> None:
    record_event(
        action,
        actor_id=actor.id if actor else None,
        entity_type="treatment_service",
        entity_id=service.id,
        detail=detail,
    )


def normalise_regulator_id(raw: str | None) -> str | None:
    """The id as the regulator writes it: no spaces, capitals ("cs 2003 001025" → "CS2003001025"); blank is none."""
    if raw is None:
        return None
    text = re.sub(r"\s+", "", raw).upper()
    return text or None


def _current(service: TreatmentService | None) -> dict[str, Any]:
    if service is None:
        return {
            "regulator": Regulator.NONE,
            "commercial_relationship": CommercialRelationship.NONE,
            "substances": [],
            "funding": [],
        }
    return {name: getattr(service, name) for name in EDITABLE}


def check_service(changes: dict[str, Any], service: TreatmentService | None = None) -> dict[str, Any]:
    """`changes` (as the schema loaded them) cleaned, after checking the rules across fields on the record as it
    would be; ValidationError naming every field at fault. Pure: the CSV import checks its rows with it too."""
    out = {k: v for k, v in changes.items() if k in (*EDITABLE, "is_active")}
    for name in _LISTS:
        if name in out:
            out[name] = list(dict.fromkeys(str(c.value if isinstance(c, Labelled) else c) for c in out[name] or []))
    if "beds_available" in out and out["beds_available"] is None and out.get("beds_confirmed_at") is None:
        out["beds_confirmed_at"] = None  # not known any more: no time either
    merged = {**_current(service), **out}
    errors: dict[str, list[str]] = {}
    _check_registration(out, merged, errors)
    low, high = merged.get("min_age"), merged.get("max_age")
    if low is not None and high is not None and low > high:
        errors["max_age"] = ["The oldest age taken must be at least the youngest."]
    _check_commercial(out, merged, errors)
    if merged.get("beds_confirmed_at") is not None and merged.get("beds_available") is None:
        errors["beds_confirmed_at"] = ["Give the number of beds that was confirmed, or leave the time empty."]
    if errors:
        raise ValidationError("Some fields are missing or not valid.", fields=errors)
    return out


def _check_registration(out: dict[str, Any], merged: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """A registration id is normalised, needs its regulator, and looks like that regulator's ids; a rating needs a
    regulator too."""
    regulator = merged.get("regulator") or Regulator.NONE
    if "regulator_id" in out or "regulator" in out:
        out["regulator_id"] = merged["regulator_id"] = normalise_regulator_id(merged.get("regulator_id"))
    regulator_id = merged.get("regulator_id")
    if regulator_id and regulator is Regulator.NONE:
        errors["regulator_id"] = ["Choose the regulator this registration id is from."]
    elif regulator_id:
        pattern, message = ID_PATTERNS.get(regulator, _ANY_ID)
        if pattern.fullmatch(regulator_id) is None:
            errors["regulator_id"] = [message]
    if merged.get("rating") is not None and regulator is Regulator.NONE:
        errors["rating"] = ["A rating comes from a regulator: choose the regulator too."]


def _check_commercial(out: dict[str, Any], merged: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """A commercial link is described (the caller is told of it); with none, no description is kept."""
    relationship = merged.get("commercial_relationship") or CommercialRelationship.NONE
    if relationship is CommercialRelationship.NONE:
        if "commercial_relationship" in out or "commercial_detail" in out:
            out["commercial_detail"] = None
    elif not merged.get("commercial_detail"):
        errors["commercial_detail"] = [
            f"Say what the link is ({relationship.in_sentence}): callers are told before they are referred."
        ]


def _check_unique(values: dict[str, Any], service: TreatmentService | None) -> None:
    regulator = values.get("regulator", service.regulator if service else Regulator.NONE)
    regulator_id = values.get("regulator_id", service.regulator_id if service else None)
    if not regulator_id:
        return
    other = queries.find_by_regulator_id(regulator, regulator_id, other_than=service.id if service else None)
    if other is not None:
        message = f"Service {other.id} ({other.name}) already has this {regulator.value.upper()} id."
        raise Conflict(message, fields={"regulator_id": [message]}, service_id=other.id)


def _beds_time(values: dict[str, Any], service: TreatmentService | None) -> None:
    """Beds that change without a time were confirmed now; a time of none means "not given"."""
    if values.get("beds_confirmed_at") is not None:
        return
    values.pop("beds_confirmed_at", None)
    if "beds_available" not in values:
        return
    beds = values["beds_available"]
    if beds is None:
        values["beds_confirmed_at"] = None
    elif service is None or beds != service.beds_available or service.beds_confirmed_at is None:
        values["beds_confirmed_at"] = now_utc()


def create_service(values: dict[str, Any], *, actor: User | None) -> TreatmentService:
    checked = check_service(values)
    _beds_time(checked, None)
    _check_unique(checked, None)
    service = TreatmentService(**checked, created_by_id=actor.id if actor else None)
    service.updated_by_id = service.created_by_id
    db.session.add(service)
    db.session.flush()
    _audit("service.created", service, actor)
    return service


def _differs(name: str, new: Any, old: Any) -> bool:
    """A list of codes is the same list in any order."""
    if name in _LISTS:
        return set(new or []) != set(old or [])
    return bool(new != old)


def update_service(
    service: TreatmentService, changes: dict[str, Any], *, version: int | None, actor: User | None
) -> list[str]:
    """Apply `changes` read at `version` (None: no check, the import's own transaction holds the row); returns the
    names of the fields that changed (is_active is audited as deactivation or reactivation)."""
    if version is not None and version != service.version:
        raise Conflict(STALE_MESSAGE, fields={"version": [STALE_MESSAGE]}, version=service.version)
    checked = check_service(changes, service)
    _beds_time(checked, service)
    _check_unique(checked, service)
    changed = [name for name in EDITABLE if name in checked and _differs(name, checked[name], getattr(service, name))]
    active = checked.get("is_active")
    if not changed and (active is None or active == service.is_active):
        return []
    for name in changed:
        setattr(service, name, checked[name])
    service.updated_by_id = actor.id if actor else None
    if changed:
        _audit("service.updated", service, actor, fields=changed)
    if active is not None and active != service.is_active:
        _set_active(service, active, actor)
    db.session.flush()
    return changed


def set_beds(
    service: TreatmentService, beds: int | None, *, actor: User | None, confirmed_at: datetime | None = None
) -> TreatmentService:
    """Confirm the beds free now (or at `confirmed_at`); None: not known any more."""
    service.beds_available = beds
    service.beds_confirmed_at = None if beds is None else (confirmed_at or now_utc())
    service.updated_by_id = actor.id if actor else None
    db.session.flush()
    _audit("service.beds_confirmed", service, actor, beds=beds)
    return service


def _set_active(service: TreatmentService, active: bool, actor: User | None) -> None:
    service.is_active = active
    _audit("service.reactivated" if active else "service.deactivated", service, actor)


def deactivate_service(service: TreatmentService, *, actor: User | None) -> TreatmentService:
    """Out of the lists and the suggestions, kept for the referrals made to it."""
    if service.is_active:
        _set_active(service, False, actor)
        service.updated_by_id = actor.id if actor else None
        db.session.flush()
    return service


def reactivate_service(service: TreatmentService, *, actor: User | None) -> TreatmentService:
    if not service.is_active:
        _set_active(service, True, actor)
        service.updated_by_id = actor.id if actor else None
        db.session.flush()
    return service


def record_import(*, actor: User | None, created: int, updated: int, rejected: int) -> None:
    record_event(
        "service.imported",
        actor_id=actor.id if actor else None,
        entity_type="treatment_service",
        detail={"created": created, "updated": updated, "rejected": rejected},
    )
