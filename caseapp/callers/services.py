"""Callers: find-or-create by number (safe when two first calls race), and consent/contact details."""

from __future__ import annotations

from datetime import time
from functools import cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from caseapp.audit.services import record_event
from caseapp.auth.models import User
from caseapp.callers import queries
from caseapp.callers.models import Caller
from caseapp.core_writes import as_loaded
from caseapp.errors import Conflict, ValidationError
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


#: a new caller's row before any details are recorded
_NEW_CALLER = {
    "relationship": Relationship.SELF.value,
    "consent_callback": False,
    "consent_voicemail": False,
    "consent_sms": False,
}


def _upsert_locking(e164: str) -> tuple[Caller, bool]:
    """PostgreSQL, one round trip: INSERT ... ON CONFLICT (phone_e164) DO UPDATE ... RETURNING the row, which is then
    locked for the transaction whether it was inserted or already there; `xmax = 0` only on a row this statement
    inserted. The no-op update changes no column a trigger watches (report_callers_relationship: relationship). A Core
    statement (core_writes.py): the ORM's INSERT ... RETURNING an entity cost more CPU than the rest of log_call."""
    row = db.session.connection().execute(_caller_upsert(), {"phone": e164}).one()
    return as_loaded(Caller, row._mapping), bool(row.created)


@cache
def _caller_upsert() -> sa.Insert:
    """Built once: the statement is the same for every number (its cache key and compiled form are reused)."""
    table = cast(sa.Table, Caller.__table__)
    insert = postgresql.insert(table).values(phone_e164=sa.bindparam("phone"), **_NEW_CALLER)
    return insert.on_conflict_do_update(
        index_elements=[table.c.phone_e164], set_={"phone_e164": insert.excluded.phone_e164}
    ).returning(*table.columns, sa.literal_column("xmax = 0").label("created"))


def _insert_then_lock(e164: str) -> tuple[Caller, bool]:
    """SQLite's way: INSERT ... ON CONFLICT DO NOTHING, then SELECT ... FOR UPDATE (which SQLite leaves out: it locks
    the whole database file for a write). Two round trips where PostgreSQL takes one (_upsert_locking)."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(Caller).values(phone_e164=e164, **_NEW_CALLER).on_conflict_do_nothing().returning(Caller.id)
    created = db.session.execute(stmt).first() is not None
    return queries.lock_caller_by_phone(e164), created


def find_or_create_caller(e164: str | None, *, actor: User | None) -> tuple[Caller, bool]:
    """The caller with this number as their main or an other number (locked for this transaction), created if new; a
    withheld number is always new. The main number is the upsert's key; an other number costs one indexed lookup.
    `actor` None: the system (a missed call from the phone system)."""
    if e164 is None:
        caller = Caller(phone_e164=None, relationship=Relationship.SELF)
        db.session.add(caller)
        db.session.flush()
        created = True
    elif (owner_id := queries.find_other_number_owner(e164)) is not None:
        # one of a caller's other numbers (caseapp/callers/numbers.py): that caller, locked as the upsert would
        caller, created = queries.lock_caller(owner_id), False
    elif db.session.get_bind().dialect.name == "postgresql":
        caller, created = _upsert_locking(e164)
    else:
        caller, created = _insert_then_lock(e164)
    if created:
        record_event("caller.created", actor_id=actor.id if actor else None, entity_type="caller", entity_id=caller.id)
    return caller, created


CONSENT_FIELDS = ("consent_callback", "consent_voicemail", "consent_sms")
#: details that may be cleared (set to nothing); the others always have a value
CLEARABLE_FIELDS = ("name", "preferred_from", "preferred_to", "preferred_times_note", "safe_to_call_notes")


def apply_details(caller: Caller, details: dict[str, Any], *, actor: User, clear: tuple[str, ...] = ()) -> list[str]:
    """Set the given details; None leaves a field unchanged unless the field is named in `clear` (and clearable).
    Returns the names of the fields that changed (audited, values not). An anonymised caller takes none: their details
    were erased, and a record of a new contact is a new caller."""
    if caller.is_anonymised and any(value is not None for value in details.values()):
        raise Conflict("This caller's details were erased and cannot be given new ones; log a call as a new caller.")
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
