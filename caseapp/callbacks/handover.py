"""Handing callbacks over at the end of a shift, so none is left with someone who has gone home.

An advisor clocking off who still holds open callbacks (scheduled, in progress, no answer) gives each one a
destination: a colleague on shift, or the pool, with a note of what the receiver needs to know. Clocking off is
refused until every one has a destination (`rest_to_pool` sends those not listed to the pool). Each becomes a
Handover row, offered: the callback is the receiver's at once (reminders go to them, by reassign's rules) and they
are told in the app. The receiver accepts it (or, for the pool, whoever claims it does); anything else that happens
to the callback first settles the offer (callbacks/offers.py), and one not accepted in HANDOVER_ACCEPT_SECONDS goes
back to the pool on the clock (callbacks/due.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from caseapp.auth.models import User
from caseapp.callbacks import history, messages, offers, queries, workflow
from caseapp.callbacks.models import HANDOVER_NOTE_MAX, Callback, Handover
from caseapp.errors import Conflict, Forbidden, ValidationError
from caseapp.extensions import db
from caseapp.notifications import services as notifications
from caseapp.reference import HandoverStatus
from caseapp.shifts import queries as shift_queries
from caseapp.shifts import services as shift_services
from caseapp.shifts.models import Shift
from caseapp.timeutil import now_utc

CHOOSE_COLLEAGUE = "Choose a colleague who is on shift, or the pool."
#: the receiver's notification: the note, cut to what a notification holds (the whole note is on the callback page)
NOTE_IN_NOTIFICATION = 90


class HandoverRequired(Conflict):
    """Clocking off while still holding open callbacks that were given no destination."""

    code = "handover_required"


@dataclass(frozen=True)
class HandoverRequest:
    """One callback and where it goes: `to_user_id` a colleague on shift, None the pool."""

    callback_id: int
    to_user_id: int | None = None
    note: str | None = None


@dataclass
class ClockOff:
    shift: Shift
    handovers: list[Handover]


# --- clocking off ----------------------------------------------------------------------------------------------


def clock_off(*, actor: User, handovers: Sequence[HandoverRequest] = (), rest_to_pool: bool = False) -> ClockOff:
    """End the actor's shift, handing over every open callback they hold first: each as `handovers` says, any not
    listed to the pool if `rest_to_pool`. Refused as a whole (nothing handed over, still on shift) when they are not
    on shift (409), when an entry is wrong (422, each named as handovers.<index>.<field>), or when an open callback
    has no destination (409 handover_required, with the ids still to hand over)."""
    if shift_queries.find_open_shift(actor.id) is None:
        raise Conflict(shift_services.NOT_ON)
    held = queries.lock_open_callbacks_held_by(actor.id)
    plan = _plan(actor, held, handovers, rest_to_pool)
    shift = shift_services.end_shift(actor=actor)  # first, so the giver is no longer among those told
    on_shift = shift_queries.on_shift_users()
    made = [_offer(callback, receiver, note, actor=actor, on_shift=on_shift) for callback, receiver, note in plan]
    return ClockOff(shift, made)


def _plan(
    actor: User, held: list[Callback], requests: Sequence[HandoverRequest], rest_to_pool: bool
) -> list[tuple[Callback, User | None, str | None]]:
    """(callback, receiver, note) for every callback the actor holds, checked; every mistake at once."""
    by_id = {callback.id: callback for callback in held}
    on_shift = {user.id: user for user in shift_queries.on_shift_users()}
    errors: dict[str, list[str]] = {}
    plan: list[tuple[Callback, User | None, str | None]] = []
    seen: set[int] = set()
    for index, request in enumerate(requests):
        prefix = f"handovers.{index}."
        try:
            if request.callback_id in seen:
                message = "This callback is listed more than once."
                raise ValidationError(message, fields={"callback_id": [message]})
            seen.add(request.callback_id)
            callback = by_id.get(request.callback_id) or _not_held(request.callback_id, actor)
            receiver = _receiver(request.to_user_id, actor, on_shift)
            note = clean_note(request.note)
        except ValidationError as error:
            for name, texts in error.fields.items():
                errors.setdefault(prefix + name, []).extend(texts)
            continue
        plan.append((callback, receiver, note))
    if errors:
        raise ValidationError("Some handovers cannot be made as they are.", fields=errors)
    missing = [callback for callback in held if callback.id not in seen]
    if missing and not rest_to_pool:
        raise _handover_required(missing)
    return plan + [(callback, None, None) for callback in missing]


def _not_held(callback_id: int, actor: User) -> Callback:
    """Raise the reason a callback the actor listed is not theirs to hand over."""
    callback = db.session.get(Callback, callback_id)
    if callback is None:
        message = "There is no such callback."
    elif not callback.is_open:
        message = f"This callback is {callback.status.label.lower()}; there is nothing to hand over."
    elif callback.assignee is None:
        message = "This callback is in the pool, not yours to hand over."
    else:
        message = f"This callback is not yours to hand over: {callback.assignee.full_name} holds it."
    raise ValidationError(message, fields={"callback_id": [message]})


def _receiver(to_user_id: int | None, actor: User, on_shift: dict[int, User]) -> User | None:
    """The colleague `to_user_id` names, active and on shift (None: the pool)."""
    if to_user_id is None:
        return None
    if to_user_id == actor.id:
        message = f"You cannot hand a callback to yourself. {CHOOSE_COLLEAGUE}"
        raise ValidationError(message, fields={"to_user_id": [message]})
    receiver = on_shift.get(to_user_id)
    if receiver is not None:
        return receiver
    user = db.session.get(User, to_user_id)
    if user is None or not user.is_active:
        message = f"That is not an active member of staff. {CHOOSE_COLLEAGUE}"
    else:
        message = f"{user.full_name} is not on shift. {CHOOSE_COLLEAGUE}"
    raise ValidationError(message, fields={"to_user_id": [message]})


def _handover_required(missing: list[Callback]) -> HandoverRequired:
    count = len(missing)
    listed = "; ".join(f"{c.case.reference} (due {messages.when(c.due_at)})" for c in missing)
    message = (
        f"You still hold {count} open callback{'s' if count != 1 else ''}. Before you clock off, hand each one to a "
        "colleague on shift or to the pool."
    )
    return HandoverRequired(
        message,
        fields={"handovers": [f"Not handed over yet: {listed}."]},
        open_callback_ids=[c.id for c in missing],
    )


def clean_note(note: str | None) -> str | None:
    """A note as typed, without surrounding space (empty is none); refused when longer than a note may be."""
    cleaned = (note or "").strip() or None
    if cleaned is not None and len(cleaned) > HANDOVER_NOTE_MAX:
        message = f"Use {HANDOVER_NOTE_MAX} characters or fewer."
        raise ValidationError(message, fields={"note": [message]})
    return cleaned


# --- one handover ----------------------------------------------------------------------------------------------


def hand_over_callback(callback_id: int, *, to_user_id: int | None, actor: User, note: str | None = None) -> Handover:
    """Hand one callback the actor holds to a colleague on shift (None: the pool), as clocking off does for each."""
    callback = queries.lock_callback(callback_id)
    workflow.require_open(callback)
    if callback.assignee_id != actor.id:
        _not_held(callback.id, actor)
    on_shift = shift_queries.on_shift_users()
    receiver, cleaned = _receiver(to_user_id, actor, {user.id: user for user in on_shift}), clean_note(note)
    return _offer(callback, receiver, cleaned, actor=actor, on_shift=on_shift)


def _offer(
    callback: Callback, receiver: User | None, note: str | None, *, actor: User, on_shift: list[User]
) -> Handover:
    """Offer a locked callback to `receiver` (None: the pool, and so everyone else `on_shift`): it is theirs at once
    and they are told."""
    offers.close(callback, HandoverStatus.WITHDRAWN, actor_id=actor.id, reason="handed_on")  # it was offered to me
    handover = Handover(
        callback_id=callback.id,
        from_user_id=actor.id,
        to_user_id=receiver.id if receiver else None,
        note=note,
        status=HandoverStatus.OFFERED,
        created_at=now_utc(),  # the clock that returns it unaccepted runs from here, as a callback's clock does
    )
    db.session.add(handover)
    db.session.flush()
    withdrawn = workflow.give_to(callback, receiver)
    if receiver is not None:
        recipients = [receiver.id]
        due = messages.when(callback.due_at)
        title = f"{actor.full_name} handed you a callback: case {callback.case.reference}, due {due}"
    else:
        recipients = [user.id for user in on_shift if user.id != actor.id]
        title = (
            f"{actor.full_name} handed a callback to the pool: case {callback.case.reference}, due "
            f"{messages.when(callback.due_at)}"
        )
    notified = notifications.notify(
        recipients,
        kind="handover_offered",
        title=_with_note(title, note),
        link=messages.callback_link(callback.id),
        case_id=callback.case_id,
    )
    history.record(
        "handed_over",
        callback.id,
        actor.id,
        handover_id=handover.id,
        to_user_id=handover.to_user_id,
        from_status=callback.status.value,
        withdrawn_messages=withdrawn,
        notified=notified,
    )
    return handover


def _with_note(title: str, note: str | None) -> str:
    if not note:
        return title + "."
    first = " ".join(note.split())
    if len(first) > NOTE_IN_NOTIFICATION:
        first = first[: NOTE_IN_NOTIFICATION - 1].rstrip() + "…"
    return f"{title}: “{first}”"


# --- accepting -------------------------------------------------------------------------------------------------


def accept_handover(handover_id: int, *, actor: User) -> Handover:
    """The receiver takes it on. A handover to the pool is accepted by whoever claims it (this claims it). Two at
    once: the callback's row lock makes the second wait, then find it accepted (409)."""
    callback_id = queries.get_handover(handover_id).callback_id
    callback = queries.lock_callback(callback_id)
    handover = queries.lock_handover(handover_id)
    if not handover.is_offered:
        raise Conflict(_not_offered(handover, actor), handover_status=handover.status.value)
    if handover.to_user_id is None:
        workflow.claim_callback(callback.id, actor=actor)  # settles the offer: accepted by the claimer
        return handover
    if handover.to_user_id != actor.id:
        assert handover.to_user is not None  # noqa: S101 - to_user_id is set
        raise Forbidden(f"This handover was offered to {handover.to_user.full_name}; only they can accept it.")
    offers.close(callback, HandoverStatus.ACCEPTED, actor_id=actor.id, reason="accepted")
    return handover


def _not_offered(handover: Handover, actor: User) -> str:
    at = _at(handover.responded_at)
    if handover.status == HandoverStatus.ACCEPTED:
        if handover.accepted_by_id == actor.id:
            return f"You have already accepted this handover ({at})."
        who = handover.accepted_by.full_name if handover.accepted_by else "someone else"
        return f"This handover was already accepted by {who} ({at})."
    if handover.status == HandoverStatus.RETURNED:
        return (
            f"This handover was not accepted in time and went back to the pool ({at}). Claim the callback from the "
            "pool if you can take it."
        )
    return f"This handover no longer stands: the callback changed hands or was closed ({at})."


def _at(moment: datetime | None) -> str:
    return f"at {messages.when(moment)}" if moment is not None else "earlier"
