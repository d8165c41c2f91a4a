"""JSON API for callers: look up by any of their numbers in any format, read, update contact details and consents,
add and remove numbers, and merge two records (managers; undone under /caller-merges)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.api import Extended, api_blueprint, operation
from caseapp.auth.models import Role
from caseapp.caller_flags import present as flag_present
from caseapp.caller_flags import queries as flag_queries
from caseapp.caller_flags import services as flag_services
from caseapp.callers import merges, numbers, queries, services
from caseapp.callers.models import Caller
from caseapp.callers.phones import normalise_phone
from caseapp.callers.schemas import (
    CallerDetailsSchema,
    CallerLookupQuery,
    CallerLookupSchema,
    CallerMatchSchema,
    CallerMergeRequestSchema,
    CallerMergeSchema,
    CallerNumberCreateSchema,
    CallerNumberSchema,
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


def listed_numbers(caller: Caller) -> list[Any]:
    """The caller's other numbers as a list shows them (masked for the roles CASEAPP_MASK_PHONES_FOR names)."""
    numbers = queries.numbers_of(caller.id)
    if not access.masks_phones(current_user):
        return list(numbers)
    return [Extended(n, phone_e164=access.mask_phone(n.phone_e164), phone_masked=True) for n in numbers]


@operation(
    api_bp, "/<int:caller_id>/numbers", summary="A caller's other numbers", response=CallerNumberSchema, many=True
)
def list_numbers(caller_id: int) -> list[Any]:
    caller = queries.get_caller(caller_id)
    access.require_caller(caller, current_user, Action.VIEW)
    shown = listed_numbers(caller)
    services.record_view(caller, actor=current_user)
    db.session.commit()
    return shown


@operation(
    api_bp,
    "/<int:caller_id>/numbers",
    "POST",
    summary="Add a number to a caller (409 if it is any caller's number)",
    body=CallerNumberCreateSchema,
    response=CallerNumberSchema,
    status=201,
)
def add_number(caller_id: int, body: dict[str, Any]) -> Any:
    caller = queries.get_caller(caller_id)
    access.require_caller(caller, current_user, Action.CHANGE)
    number = numbers.add_number(
        caller,
        phone=body["phone"],
        kind=body["kind"],
        label=body.get("label"),
        consent_confirmed=body["consent_confirmed"],
        actor=current_user,
    )
    commit_keeping_loaded()
    return number


@operation(
    api_bp, "/<int:caller_id>/numbers/<int:number_id>", "DELETE", summary="Remove one of a caller's numbers", status=204
)
def remove_number(caller_id: int, number_id: int) -> Any:
    caller = queries.get_caller(caller_id)
    access.require_caller(caller, current_user, Action.CHANGE)
    numbers.remove_number(caller, number_id, actor=current_user)
    db.session.commit()
    return "", 204


@operation(
    api_bp,
    "/<int:caller_id>/numbers/<int:number_id>/main",
    "POST",
    summary="Make one of a caller's other numbers the main one (the main one takes its place)",
    response=CallerSchema,
)
def make_main(caller_id: int, number_id: int) -> Caller:
    caller = queries.get_caller(caller_id)
    access.require_caller(caller, current_user, Action.CHANGE)
    numbers.make_main(caller, number_id, actor=current_user)
    commit_keeping_loaded()
    return caller


#: merging: managers and admins only, by the blueprint's guard (the service checks the role too)
merge_api_bp = api_blueprint("caller_merge", "/callers", role=Role.MANAGER)
merges_api_bp = api_blueprint("caller_merges", "/caller-merges", role=Role.MANAGER)


@operation(
    merge_api_bp,
    "/<int:caller_id>/merge",
    "POST",
    summary="Merge a duplicate caller record into this one (managers and admins)",
    body=CallerMergeRequestSchema,
    response=CallerMergeSchema,
    status=201,
)
def merge(caller_id: int, body: dict[str, Any]) -> Any:
    done = merges.merge_callers(caller_id, body["duplicate_id"], actor=current_user)
    commit_keeping_loaded()
    return done


@operation(
    merges_api_bp,
    "/<int:merge_id>/undo",
    "POST",
    summary="Undo a merge of caller records (within CASEAPP_CALLER_MERGE_UNDO_DAYS)",
    response=CallerMergeSchema,
)
def undo(merge_id: int) -> Any:
    done = merges.undo_merge(merge_id, actor=current_user)
    commit_keeping_loaded()
    return done
