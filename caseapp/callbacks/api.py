"""JSON API for callbacks: book, list with filters, read, change (reschedule, reassign, cancel), claim, attempts."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.api import api_blueprint, operation, page_of
from caseapp.audit.services import record_event
from caseapp.callbacks import queries, services
from caseapp.callbacks.models import Callback
from caseapp.callbacks.schemas import (
    AttemptCreateSchema,
    AttemptResultSchema,
    BookingSchema,
    CallbackCreateSchema,
    CallbackDetailSchema,
    CallbackListQuery,
    CallbackPatchSchema,
    CallbackSchema,
)
from caseapp.cases import queries as case_queries
from caseapp.extensions import db
from caseapp.pagination import keyset_page
from caseapp.reminders import queries as reminder_queries

api_bp = api_blueprint("callbacks", "/callbacks")


@operation(
    api_bp,
    "",
    "POST",
    summary="Book a callback (422 without callback consent, or outside preferred times without override)",
    body=CallbackCreateSchema,
    response=BookingSchema,
    status=201,
)
def create(body: dict[str, Any]) -> Callback:
    case = case_queries.get_case(body.pop("case_id"))
    booking = services.book_callback(case, actor=current_user, **body)
    db.session.commit()
    callback = booking.callback
    callback.warnings = booking.warnings  # type: ignore[attr-defined]
    callback.suggested_due_by = booking.suggestion.due_by if booking.suggestion else None  # type: ignore[attr-defined]
    return callback


@operation(
    api_bp,
    "",
    summary="List callbacks, soonest due first (filters: status, assignee=me|pool|id, due_before, due_after)",
    query=CallbackListQuery,
    response=page_of(CallbackSchema),
)
def list_callbacks(query: dict[str, Any]) -> dict[str, Any]:
    assignee = query["assignee"]
    select = queries.select_callbacks(
        statuses=query["status"],
        assignee_id=current_user.id
        if assignee == "me"
        else (int(assignee) if assignee and assignee.isdigit() else None),
        pool_only=assignee == "pool",
        due_before=query["due_before"],
        due_after=query["due_after"],
        case_id=query["case"],
    )
    items, next_cursor = keyset_page(
        select,
        [Callback.due_at, Callback.id],
        lambda c: (c.due_at, c.id),
        cursor=query["cursor"],
        limit=query["limit"],
        descending=False,
    )
    record_event(
        "callback.listed", actor_id=current_user.id, entity_type="callback", detail={"ids": [c.id for c in items]}
    )
    db.session.commit()
    return {"items": items, "next": next_cursor}


@operation(
    api_bp,
    "/<int:callback_id>",
    summary="One callback, with its attempts and deliveries",
    response=CallbackDetailSchema,
)
def get(callback_id: int) -> Callback:
    callback = queries.get_callback(callback_id)
    record_event("callback.viewed", actor_id=current_user.id, entity_type="callback", entity_id=callback.id)
    db.session.commit()
    callback.attempts = queries.attempts_for_callback(callback.id)  # type: ignore[attr-defined]
    callback.deliveries = reminder_queries.messages_for_callback(callback.id)  # type: ignore[attr-defined]
    return callback


@operation(
    api_bp,
    "/<int:callback_id>",
    "PATCH",
    summary="Reschedule (due_at), reassign (assignee_id, null = pool), start or cancel (status); 409 when stale",
    body=CallbackPatchSchema,
    response=BookingSchema,
)
def update(callback_id: int, body: dict[str, Any]) -> Callback:
    callback = queries.lock_callback(callback_id)
    version = body.pop("version")
    warnings = services.update_callback(callback, body, expected_version=version, actor=current_user)
    db.session.commit()
    callback.warnings = warnings  # type: ignore[attr-defined]
    return callback


@operation(api_bp, "/<int:callback_id>/claim", "POST", summary="Take a callback from the pool", response=CallbackSchema)
def claim(callback_id: int) -> Callback:
    callback = services.claim_callback(callback_id, actor=current_user)
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
def record_attempt(callback_id: int, body: dict[str, Any]) -> dict[str, Any]:
    callback = queries.lock_callback(callback_id)
    result = services.record_attempt(callback, actor=current_user, **body)
    db.session.commit()
    attempt = result.attempt
    return {
        "id": attempt.id,
        "callback_id": attempt.callback_id,
        "outcome": attempt.outcome.value,
        "call_id": attempt.call_id,
        "advisor_id": attempt.advisor_id,
        "attempted_at": attempt.attempted_at,
        "notes": attempt.notes,
        "callback": result.callback,
        "needs_reschedule": result.needs_reschedule,
        "warnings": result.warnings,
    }
