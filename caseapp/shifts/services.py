"""Clocking on and off. One open shift per user (a partial unique index makes a double clock-on impossible)."""

from __future__ import annotations

import sqlalchemy as sa

from caseapp.audit.services import record_event
from caseapp.auth.models import Role, User
from caseapp.errors import Conflict, Forbidden, NotFound
from caseapp.extensions import db
from caseapp.shifts import queries
from caseapp.shifts.models import Shift
from caseapp.timeutil import now_utc

ALREADY_ON = "You are already on shift."
NOT_ON = "You are not on shift."


def start_shift(*, actor: User) -> Shift:
    if queries.find_open_shift(actor.id) is not None:
        raise Conflict(ALREADY_ON)
    shift = Shift(user_id=actor.id, started_at=now_utc())
    try:
        with db.session.begin_nested():  # two clicks at once: the index refuses the second
            db.session.add(shift)
            db.session.flush()
    except sa.exc.IntegrityError as exc:
        raise Conflict(ALREADY_ON) from exc
    record_event("shift.started", actor_id=actor.id, entity_type="shift", entity_id=shift.id)
    return shift


def end_shift(*, actor: User, user_id: int | None = None) -> Shift:
    """End the actor's open shift, or (a manager) someone else's forgotten one."""
    target = actor.id if user_id is None else user_id
    if target != actor.id and not actor.has_role(Role.MANAGER):
        raise Forbidden("Only a manager can end someone else's shift.")
    shift = queries.find_open_shift(target)
    if shift is None:
        if target == actor.id:
            raise Conflict(NOT_ON)
        raise NotFound("That person is not on shift.")
    shift.ended_at = max(now_utc(), shift.started_at)
    if target != actor.id:
        shift.ended_by_id = actor.id
    db.session.flush()
    record_event(
        "shift.ended",
        actor_id=actor.id,
        entity_type="shift",
        entity_id=shift.id,
        detail={"user_id": target} if target != actor.id else None,
    )
    return shift
