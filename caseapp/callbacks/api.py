"""JSON API for callbacks: book, list with filters, read, change (reschedule, reassign, cancel), claim, attempts; and
the handovers made at the end of a shift (list, accept)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.access import services as access
from caseapp.access.policy import Action, CallbackAction
from caseapp.api import Extended, api_blueprint, operation, page_of
from caseapp.callbacks import booking, handover, history, queries, workflow
from caseapp.callbacks.models import Callback, Handover
from caseapp.callbacks.schemas import (
    AttemptCreateSchema,
    AttemptResultSchema,
    BookingSchema,
    CallbackCreateSchema,
    CallbackDetailSchema,
    CallbackListQuery,
    CallbackPatchSchema,
    CallbackSchema,
    HandoverListQuery,
    HandoverSchema,
)
from caseapp.extensions import db
from caseapp.ids import as_id
from caseapp.pagination import keyset_page
from caseapp.reminders import queries as reminder_queries
from caseapp.transactions import commit_keeping_loaded

api_bp = api_blueprint("callbacks", "/callbacks")
handovers_api_bp = api_blueprint("handovers", "/handovers")


@operation(
    api_bp,
    "",
    "POST",
    summary="Book a callback (422 without callback consent, or outside preferred times without override)",
    body=CallbackCreateSchema,
    response=BookingSchema,
    status=201,
)
def create(body: dict[str, Any]) -> Extended:
    case = access.get_case_for(body.pop("case_id"), current_user, Action.CHANGE)
    booked = booking.book_callback(case, actor=current_user, **body)
    db.session.commit()
    suggested = booked.suggestion.due_by if booked.suggestion else None
    return Extended(booked.callback, warnings=booked.warnings, suggested_due_by=suggested)


@operation(
    api_bp,
    "",
    summary="List callbacks, soonest due first (filters: status, assignee=me|pool|id, due_before, due_after)",
    query=CallbackListQuery,
    response=page_of(CallbackSchema),
)
def list_callbacks(query: dict[str, Any]) -> dict[str, Any]:
    assignee = query["assignee"]
    select = access.narrow_by_case(
        queries.select_callbacks(
            statuses=query["status"],
            assignee_id=current_user.id if assignee == "me" else as_id(assignee),
            pool_only=assignee == "pool",
            due_before=query["due_before"],
            due_after=query["due_after"],
            case_id=query["case"],
        ),
        Callback.case_id,
        current_user,
    )
    items, next_cursor = keyset_page(
        select,
        [Callback.due_at, Callback.id],
        lambda c: (c.due_at, c.id),
        cursor=query["cursor"],
        limit=query["limit"],
        descending=False,
    )
    history.record("listed", None, current_user.id, ids=[c.id for c in items])
    commit_keeping_loaded()
    return {"items": items, "next": next_cursor}


@operation(
    api_bp,
    "/<int:callback_id>",
    summary="One callback, with its attempts and deliveries",
    response=CallbackDetailSchema,
)
def get(callback_id: int) -> Extended:
    callback = queries.get_callback(callback_id)
    access.require_callback(callback, current_user, CallbackAction.VIEW)
    history.record("viewed", callback.id, current_user.id)
    db.session.commit()
    return Extended(
        callback,
        attempts=queries.attempts_for_callback(callback.id),
        deliveries=reminder_queries.messages_for_callback(callback.id),
    )


@operation(
    api_bp,
    "/<int:callback_id>",
    "PATCH",
    summary="Reschedule (due_at), reassign (assignee_id, null = pool), start or cancel (status); 409 when stale",
    body=CallbackPatchSchema,
    response=BookingSchema,
)
def update(callback_id: int, body: dict[str, Any]) -> Extended:
    version = body.pop("version")
    callback, warnings = workflow.update_callback(
        callback_id, workflow.CallbackChanges(**body), expected_version=version, actor=current_user
    )
    db.session.commit()
    return Extended(callback, warnings=warnings)


@operation(api_bp, "/<int:callback_id>/claim", "POST", summary="Take a callback from the pool", response=CallbackSchema)
def claim(callback_id: int) -> Callback:
    callback = workflow.claim_callback(callback_id, actor=current_user)
    db.session.commit()
    return callback


@operation(
    api_bp,
    "/<int:callback_id>/attempts",
    "POST",
    summary="Record an attempt (answered completes it; no answer may reschedule with next_due_at)",
    body=AttemptCreateSchema,
    response=AttemptResultSchema,
    status=201,
)
def record_attempt(callback_id: int, body: dict[str, Any]) -> Extended:
    result = workflow.record_attempt(callback_id, actor=current_user, **body)
    db.session.commit()
    return Extended(
        result.attempt, callback=result.callback, needs_reschedule=result.needs_reschedule, warnings=result.warnings
    )


# --- handovers -------------------------------------------------------------------------------------------------


@operation(
    handovers_api_bp,
    "",
    summary="Handovers, oldest first: offered to you (which=to_me, the default), made by you (from_me), or to the pool",
    query=HandoverListQuery,
    response=page_of(HandoverSchema),
)
def list_handovers(query: dict[str, Any]) -> dict[str, Any]:
    which = query["which"]
    select = queries.select_handovers(
        to_user_id=current_user.id if which == "to_me" else None,
        to_pool=which == "pool",
        from_user_id=current_user.id if which == "from_me" else None,
        statuses=query["status"],
    )
    items, next_cursor = keyset_page(
        select,
        [Handover.created_at, Handover.id],
        lambda h: (h.created_at, h.id),
        cursor=query["cursor"],
        limit=query["limit"],
        descending=False,
    )
    if items:  # notes and case references: which callbacks were shown is audited
        history.record("listed", None, current_user.id, ids=sorted({h.callback_id for h in items}))
        db.session.commit()
    return {"items": items, "next": next_cursor}


@operation(
    handovers_api_bp,
    "/<int:handover_id>/accept",
    "POST",
    summary="Accept a handover offered to you, or one to the pool (claims the callback); 409 when no longer offered",
    response=HandoverSchema,
)
def accept(handover_id: int) -> Handover:
    accepted = handover.accept_handover(handover_id, actor=current_user)
    db.session.commit()
    return accepted
