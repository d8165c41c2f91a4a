"""Callers: find-or-create by number (safe when two first calls race), and consent/contact details."""

from __future__ import annotations

from datetime import time
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from caseapp.audit.services import record_event
from caseapp.auth.models import User
from caseapp.callers import queries
from caseapp.callers.models import Caller
from caseapp.errors import ValidationError
from caseapp.extensions import db
from caseapp.reference import Relationship

#: fields a caller record can take from a call or an edit
DETAIL_FIELDS = (
    "name",
    "relationship",
    "consent_callback",
    "consent_voicemail",
    "consent_sms",
    "preferred_from",
    "preferred_to",
    "preferred_times_note",
    "safe_to_call_notes",
)


def _insert_ignoring_duplicate(e164: str) -> bool:
    """INSERT ... ON CONFLICT (phone_e164) DO NOTHING; True when this transaction created the row."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {
        "phone_e164": e164,
        "relationship": Relationship.SELF.value,
        "consent_callback": False,
        "consent_voicemail": False,
        "consent_sms": False,
    }
    stmt = insert(Caller).values(**values).on_conflict_do_nothing(index_elements=["phone_e164"]).returning(Caller.id)
    return db.session.execute(stmt).first() is not None


def find_or_create_caller(e164: str | None, *, actor: User) -> tuple[Caller, bool]:
    """The caller with this number (locked for this transaction), created if new; a withheld number is always new."""
    if e164 is None:
        caller = Caller(phone_e164=None, relationship=Relationship.SELF)
        db.session.add(caller)
        db.session.flush()
        created = True
    else:
        created = _insert_ignoring_duplicate(e164)
        caller = queries.lock_caller_by_phone(e164)
    if created:
        record_event("caller.created", actor_id=actor.id, entity_type="caller", entity_id=caller.id)
    return caller, created


CONSENT_FIELDS = ("consent_callback", "consent_voicemail", "consent_sms")
#: details that may be cleared (set to nothing); the others always have a value
CLEARABLE_FIELDS = ("name", "preferred_from", "preferred_to", "preferred_times_note", "safe_to_call_notes")


def apply_details(caller: Caller, details: dict[str, Any], *, actor: User, clear: tuple[str, ...] = ()) -> list[str]:
    """Set the given details; None leaves a field unchanged unless the field is named in `clear` (and clearable).
    Returns the names of the fields that changed (audited, values not)."""
    changed = []
    consents: dict[str, dict[str, bool]] = {}
    for name in DETAIL_FIELDS:
        if name not in details or (details[name] is None and not (name in clear and name in CLEARABLE_FIELDS)):
            continue
        value = details[name]
        if isinstance(value, str):
            value = value.strip() or None
        before = getattr(caller, name)
        if before != value:
            setattr(caller, name, value)
            changed.append(name)
            if name in CONSENT_FIELDS:
                consents[name] = {"from": before, "to": value}
    _check_window(caller.preferred_from, caller.preferred_to)
    if changed:
        record_event(
            "caller.updated", actor_id=actor.id, entity_type="caller", entity_id=caller.id, detail={"fields": changed}
        )
    if consents:
        # a consent decides whether we may ring, leave a voicemail or text: each change is its own record
        record_event(
            "caller.consent_changed", actor_id=actor.id, entity_type="caller", entity_id=caller.id, detail=consents
        )
    return changed


def _check_window(start: time | None, end: time | None) -> None:
    if (start is None) != (end is None):
        message = "Give both ends of the preferred window, or neither."
        raise ValidationError(message, fields={"preferred_to" if end is None else "preferred_from": [message]})


def record_view(caller: Caller, *, actor: User) -> None:
    record_event("caller.viewed", actor_id=actor.id, entity_type="caller", entity_id=caller.id)


def lookup_phone_audit(found: Caller | None, *, actor: User) -> None:
    """A phone lookup is a read of personal data even when nothing matched."""
    record_event(
        "caller.looked_up",
        actor_id=actor.id,
        entity_type="caller",
        entity_id=found.id if found else None,
        detail={"matched": found is not None},
    )
