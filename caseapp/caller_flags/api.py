"""JSON API for flags: a caller's (in force, or the history), raising one on a caller or on a number, the flags on
a number, and lifting one early."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.api import Extended, api_blueprint, operation, page_of
from caseapp.caller_flags import present, queries, services
from caseapp.caller_flags.schemas import (
    FlagInputSchema,
    FlagLiftSchema,
    FlagListQuery,
    FlagPhoneQuery,
    FlagSchema,
    NumberFlagInputSchema,
)
from caseapp.callers import queries as caller_queries
from caseapp.callers.phones import normalise_phone
from caseapp.errors import ValidationError
from caseapp.extensions import db
from caseapp.transactions import commit_keeping_loaded

caller_api_bp = api_blueprint("caller_flags", "/callers")
api_bp = api_blueprint("flags", "/flags")

_EXPIRY = ("expires_at", "expires_in_hours", "expires_in_days")


def _one(flag: Any) -> Extended:
    return present.shown([flag], current_user)[0]


@operation(
    caller_api_bp,
    "/<int:caller_id>/flags",
    summary="A caller's flags in force (on the record or on their number); ?include=ended for the history",
    query=FlagListQuery,
    response=page_of(FlagSchema),
)
def list_for_caller(caller_id: int, query: dict[str, Any]) -> dict[str, Any]:
    caller = caller_queries.get_caller(caller_id)
    access.require_caller(caller, current_user, Action.VIEW)
    flags = queries.flags_for_caller(caller.id, caller.phone_e164, include_ended=query["include"] == "ended")
    services.record_flag_listing(flags, actor=current_user, caller_id=caller.id)
    items = present.shown(flags, current_user, found=caller)
    commit_keeping_loaded()
    return {"items": items, "next": None}


@operation(
    caller_api_bp,
    "/<int:caller_id>/flags",
    "POST",
    summary="Raise a flag on a caller (whatever number they ring from): kind, reason, and expires_at or a duration",
    body=FlagInputSchema,
    response=FlagSchema,
    status=201,
)
def raise_on_caller(caller_id: int, body: dict[str, Any]) -> Extended:
    caller = caller_queries.get_caller(caller_id)
    flag = services.raise_on_caller(
        caller, kind=body["kind"], reason=body["reason"], actor=current_user, **{k: body[k] for k in _EXPIRY}
    )
    db.session.commit()
    return _one(flag)


@operation(
    api_bp,
    "",
    "POST",
    summary="Raise a flag on one number (whoever it belongs to, or nobody on record yet)",
    body=NumberFlagInputSchema,
    response=FlagSchema,
    status=201,
)
def raise_on_number(body: dict[str, Any]) -> Extended:
    flag = services.raise_on_number(
        body["phone"], kind=body["kind"], reason=body["reason"], actor=current_user, **{k: body[k] for k in _EXPIRY}
    )
    db.session.commit()
    return _one(flag)


@operation(
    api_bp,
    "",
    summary="The flags in force on a number (any format) and on the caller it belongs to",
    query=FlagPhoneQuery,
    response=page_of(FlagSchema),
)
def list_for_phone(query: dict[str, Any]) -> dict[str, Any]:
    e164 = normalise_phone(query["phone"])
    if e164 is None:
        message = "Give a number: a withheld number has no flags."
        raise ValidationError(message, fields={"phone": [message]})
    caller = caller_queries.find_caller_by_phone(e164)
    flags = queries.active_flags(caller.id if caller else None, e164)
    services.record_flag_listing(flags, actor=current_user)
    items = present.shown(flags, current_user, found=caller)
    commit_keeping_loaded()
    return {"items": items, "next": None}


@operation(
    api_bp,
    "/<int:flag_id>/lift",
    "POST",
    summary="Lift a flag before its expiry, saying why (a manager, or whoever raised it)",
    body=FlagLiftSchema,
    response=FlagSchema,
)
def lift(flag_id: int, body: dict[str, Any]) -> Extended:
    flag = services.lift_flag(queries.lock_flag(flag_id), reason=body["reason"], actor=current_user)
    db.session.commit()
    return _one(flag)
