"""A caller's other numbers: add (a number belongs to one caller: refused if it is anyone's), remove, and make one
the main number. Every change is audited with ids and the kind only."""

from __future__ import annotations

import phonenumbers

from caseapp.audit.services import record_event
from caseapp.auth.models import User
from caseapp.callers import queries
from caseapp.callers.models import Caller, CallerNumber, NumberKind
from caseapp.callers.phones import normalise_phone
from caseapp.errors import Conflict, ValidationError
from caseapp.extensions import db
from caseapp.timeutil import now_utc

LABEL_MAX = 100
CONSENT_MESSAGE = "Confirm that the caller uses this family member's phone with their consent."
ON_THIS_CALLER = "This number is already on this caller's record."
ON_ANOTHER_CALLER = (
    "This number is already recorded for another caller. A number can belong to one caller only; if they are the "
    "same person, a manager can merge the two records."
)


def refuse_if_closed(caller: Caller) -> None:
    if caller.is_anonymised:
        raise Conflict("This caller's details were erased: their record takes no new numbers.")
    if caller.is_merged:
        raise Conflict("This caller record was merged into another: change the numbers on that record.")


def claim_number(e164: str, caller: Caller) -> None:
    """Refuse (409) a number that is any caller's, under a lock held until the transaction ends (PostgreSQL)."""
    queries.lock_number(e164)
    main_owner = queries.find_main_number_owner(e164)
    other_owner = queries.find_other_number_owner(e164)
    owners = {owner for owner in (main_owner, other_owner) if owner is not None}
    if caller.id in owners:
        raise Conflict(ON_THIS_CALLER, fields={"phone": [ON_THIS_CALLER]})
    if owners:
        raise Conflict(ON_ANOTHER_CALLER, fields={"phone": [ON_ANOTHER_CALLER]})


def kind_of(e164: str) -> NumberKind:
    """Mobile or landline as the numbering plan says (a merged duplicate's main number gets this kind)."""
    kind = phonenumbers.number_type(phonenumbers.parse(e164))
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return NumberKind.MOBILE
    if kind == phonenumbers.PhoneNumberType.FIXED_LINE:
        return NumberKind.LANDLINE
    return NumberKind.OTHER


def add_number(
    caller: Caller,
    *,
    phone: str | None,
    kind: NumberKind,
    label: str | None = None,
    consent_confirmed: bool = False,
    actor: User,
) -> CallerNumber:
    refuse_if_closed(caller)
    e164 = normalise_phone(phone)
    if e164 is None:
        message = "Type the number to add."
        raise ValidationError(message, fields={"phone": [message]})
    if kind is NumberKind.FAMILY and not consent_confirmed:
        raise ValidationError(CONSENT_MESSAGE, fields={"consent_confirmed": [CONSENT_MESSAGE]})
    label = (label or "").strip() or None
    if label is not None and len(label) > LABEL_MAX:
        message = f"Keep the label to {LABEL_MAX} characters."
        raise ValidationError(message, fields={"label": [message]})
    claim_number(e164, caller)
    number = CallerNumber(
        caller_id=caller.id,
        phone_e164=e164,
        kind=kind,
        label=label,
        consent_confirmed_at=now_utc() if kind is NumberKind.FAMILY else None,
        added_by_id=actor.id,
    )
    db.session.add(number)
    db.session.flush()
    record_event(
        "caller.number_added",
        actor_id=actor.id,
        entity_type="caller",
        entity_id=caller.id,
        detail={"number_id": number.id, "kind": kind.value},
    )
    return number


def remove_number(caller: Caller, number_id: int, *, actor: User) -> None:
    number = queries.get_number(caller.id, number_id)
    db.session.delete(number)
    db.session.flush()
    record_event(
        "caller.number_removed",
        actor_id=actor.id,
        entity_type="caller",
        entity_id=caller.id,
        detail={"number_id": number_id, "kind": number.kind.value},
    )


def make_main(caller: Caller, number_id: int, *, actor: User) -> None:
    """Swap: the other number becomes the main one, and the main one (if any) takes its place among the others."""
    refuse_if_closed(caller)
    number = queries.get_number(caller.id, number_id)
    queries.lock_number(number.phone_e164)
    new_main, old_main = number.phone_e164, caller.phone_e164
    if old_main is None:  # withheld until now: the number simply becomes the main one
        db.session.delete(number)
    else:  # each number stays unique in its own table, so one flush swaps them
        number.phone_e164 = old_main
        number.kind = kind_of(old_main)
        number.label = None  # the label described the other number
        number.consent_confirmed_at = None
    caller.phone_e164 = new_main
    db.session.flush()
    record_event(
        "caller.main_number_changed",
        actor_id=actor.id,
        entity_type="caller",
        entity_id=caller.id,
        detail={"number_id": number_id},
    )
