"""JSON API for calls: log one (finding or creating caller and case), list them, keep drafts."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.access import services as access
from caseapp.api import Extended, api_blueprint, operation, page_of
from caseapp.audit.services import record_event, record_listing
from caseapp.calls import queries, services
from caseapp.calls.models import Call
from caseapp.calls.schemas import (
    CallCreateSchema,
    CallListQuery,
    CallSchema,
    DraftInputSchema,
    DraftSchema,
    LoggedCallSchema,
)
from caseapp.extensions import db
from caseapp.pagination import keyset_page
from caseapp.telephony import screen_pop as telephony
from caseapp.transactions import commit_keeping_loaded

api_bp = api_blueprint("calls", "/calls")


@operation(
    api_bp,
    "",
    "POST",
    summary="Log a call; finds or creates the caller and open case from `phone`",
    body=CallCreateSchema,
    response=LoggedCallSchema,
    status=201,
)
def create(body: dict[str, Any]) -> Any:
    draft_id = body.get("draft_id")
    call_input = services.call_input_from(body)
    access.require_call_on(call_input, current_user)
    answered = telephony.answered_call_for_draft(draft_id, call_input, actor=current_user)
    logged = services.log_call(call_input, actor=current_user, draft_id=draft_id)
    telephony.link_logged_call(answered, logged.call)
    commit_keeping_loaded()
    return Extended(logged.call, created_caller=logged.created_caller, created_case=logged.created_case)


@operation(api_bp, "", summary="List calls, newest first", query=CallListQuery, response=page_of(CallSchema))
def list_calls(query: dict[str, Any]) -> dict[str, Any]:
    advisor = query["advisor"]
    select = access.narrow_by_case(
        queries.select_calls(
            start=query["from_"],
            end=query["to"],
            case_id=query["case"],
            advisor_id=current_user.id if advisor == "me" else (int(advisor) if advisor else None),
        ),
        Call.case_id,
        current_user,
        own=Call.advisor_id == current_user.id,
    )
    items, next_cursor = keyset_page(
        select, [Call.started_at, Call.id], lambda c: (c.started_at, c.id), cursor=query["cursor"], limit=query["limit"]
    )
    record_listing("call.listed", actor_id=current_user.id, entity_type="call", ids=[c.id for c in items])
    db.session.commit()
    return {"items": items, "next": next_cursor}


@operation(api_bp, "/<int:call_id>", summary="One call", response=CallSchema)
def get(call_id: int) -> Call:
    call = queries.get_call(call_id)
    access.require_call(call, current_user)
    record_event("call.viewed", actor_id=current_user.id, entity_type="call", entity_id=call.id)
    db.session.commit()
    return call


@operation(
    api_bp,
    "/drafts",
    "POST",
    summary="Save a new draft of the log-a-call form (autosave)",
    body=DraftInputSchema,
    response=DraftSchema,
    status=201,
)
def create_draft(body: dict[str, Any]) -> Any:
    draft = services.save_draft(body["data"], actor=current_user)
    db.session.commit()
    return draft


@operation(
    api_bp,
    "/drafts/<int:draft_id>",
    "PUT",
    summary="Replace a draft (autosave)",
    body=DraftInputSchema,
    response=DraftSchema,
)
def update_draft(draft_id: int, body: dict[str, Any]) -> Any:
    draft = services.save_draft(body["data"], actor=current_user, draft_id=draft_id)
    db.session.commit()
    return draft


@operation(api_bp, "/drafts/<int:draft_id>", "DELETE", summary="Discard a draft", status=204)
def delete_draft(draft_id: int) -> Any:
    services.discard_draft(draft_id, actor=current_user)
    db.session.commit()
    return "", 204
