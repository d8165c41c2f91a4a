"""JSON API for callers: look up by phone in any format, read, and update contact details and consents."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.api import Extended, api_blueprint, operation
from caseapp.caller_flags import present as flag_present
from caseapp.caller_flags import queries as flag_queries
from caseapp.caller_flags import services as flag_services
from caseapp.callers import queries, services
from caseapp.callers.models import Caller
from caseapp.callers.phones import normalise_phone
from caseapp.callers.schemas import (
    CallerDetailsSchema,
    CallerLookupQuery,
    CallerLookupSchema,
    CallerMatchSchema,
    CallerSchema,
)
from caseapp.calls import queries as call_queries
from caseapp.cases import queries as case_queries
from caseapp.extensions import db
from caseapp.transactions import commit_keeping_loaded

api_bp = api_blueprint("callers", "/callers")


def with_context(caller: Caller) -> Extended:
    """The caller with what the repeat-caller banner shows: the open case and the last few calls."""
    return Extended(
        caller,
        open_case=case_queries.find_open_case_for_caller(caller.id),
        recent_calls=call_queries.recent_calls_for_caller(caller.id),
    )


@operation(
    api_bp,
    "",
    summary="Find the caller with this number (any format), and the flags in force on it or on them",
    query=CallerLookupQuery,
    response=CallerLookupSchema,
)
def lookup(query: dict[str, Any]) -> dict[str, Any]:
    e164 = normalise_phone(query["phone"])
    caller = queries.find_caller_by_phone(e164) if e164 else None
    services.lookup_phone_audit(caller, actor=current_user)
    flags = flag_queries.active_flags(caller.id if caller else None, e164)
    if flags:
        flag_services.record_flag_listing(flags, actor=current_user)
    shown = flag_present.shown(flags, current_user, found=caller)
    commit_keeping_loaded()
    return {"items": [with_context(caller)] if caller else [], "next": None, "flags": shown}


@operation(api_bp, "/<int:caller_id>", summary="One caller", response=CallerMatchSchema)
def get(caller_id: int) -> Extended:
    caller = queries.get_caller(caller_id)
    access.require_caller(caller, current_user, Action.VIEW)
    services.record_view(caller, actor=current_user)
    db.session.commit()
    return with_context(caller)


@operation(
    api_bp,
    "/<int:caller_id>",
    "PATCH",
    summary="Update a caller's details and consents",
    body=CallerDetailsSchema,
    response=CallerSchema,
)
def update(caller_id: int, body: dict[str, Any]) -> Caller:
    caller = queries.get_caller(caller_id)
    access.require_caller(caller, current_user, Action.CHANGE)
    # PATCH: a field sent as null is cleared; a field left out is unchanged
    cleared = tuple(name for name, value in body.items() if value is None)
    services.apply_details(caller, body, actor=current_user, clear=cleared)
    db.session.commit()
    return caller
