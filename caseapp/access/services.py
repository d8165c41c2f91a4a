"""Access to cases and callbacks as policy.py rules it, break-glass grants, their review, and revealing a masked
phone number. Every function takes an explicit actor; none commits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

import sqlalchemy as sa
from flask import current_app, url_for

from caseapp.access import policy, queries
from caseapp.access.models import NOTE_MAX, BreakGlassGrant, BreakGlassReason
from caseapp.access.policy import Action, CallbackAction, CallbackRelationship, Relationship
from caseapp.access.relationships import case_related_to, related_to, relationship_to_case
from caseapp.api import Extended
from caseapp.audit.services import record_event
from caseapp.auth.models import User
from caseapp.callbacks.models import Callback
from caseapp.callers import queries as caller_queries
from caseapp.callers.models import Caller
from caseapp.callers.phones import normalise_phone
from caseapp.calls.models import Call
from caseapp.cases import queries as case_queries
from caseapp.cases.models import Case
from caseapp.errors import Forbidden, ValidationError
from caseapp.extensions import db
from caseapp.notifications import services as notifications
from caseapp.reference import CallType
from caseapp.shifts import queries as shift_queries
from caseapp.timeutil import now_utc, parse_time_of_day, to_local

if TYPE_CHECKING:
    from caseapp.calls.services import CallInput

NOT_YOURS = "This case is not one of yours."
CALLBACK_NOT_YOURS = (
    "This callback belongs to a colleague: ask them to hand it over to you (or to the pool), or ask a manager."
)
#: a query's row type, kept by the functions that narrow it
Row = TypeVar("Row")
MASK = "\u2022\u2022\u2022 \u2022\u2022\u2022 \u2022\u2022"


class BreakGlassRequired(Forbidden):
    """An advisor asked for a case they have no relationship with: they may open it after giving a reason."""

    code = "break_glass_required"


# --- cases -----------------------------------------------------------------------------------------------------


def relationship(case: Case, actor: User, now: datetime | None = None) -> Relationship:
    """The actor's relationship with the case (a lookup is not one: only the number typed makes it)."""
    return relationship_to_case(case, actor.id, now or now_utc())


def can(case: Case, actor: User, action: Action, *, found_by_lookup: bool = False) -> bool:
    """Whether the policy lets the actor do `action` to the case; no statement for a role that needs no
    relationship, nor when the case row itself says (assigned to them, or in the pool)."""
    if policy.allows(actor.role, Relationship.NONE, action):
        return True
    if found_by_lookup and policy.allows(actor.role, Relationship.LOOKUP, action):
        return True
    return policy.allows(actor.role, relationship(case, actor), action)


def require(case: Case, actor: User, action: Action = Action.VIEW, *, found_by_lookup: bool = False) -> None:
    """Refuse (403) unless the policy allows `action`; an advisor without a relationship is told how to break the
    glass (break_glass_required, with where to send the reason)."""
    if can(case, actor, action, found_by_lookup=found_by_lookup):
        return
    raise BreakGlassRequired(
        f"{NOT_YOURS} To open it, give a reason: POST {access_api_path(case.id)} with "
        '{"reason": ..., "note": ...}, or use the page that asks for one.',
        case_id=case.id,
        access_url=access_api_path(case.id),
        reasons=[reason.value for reason in BreakGlassReason],
    )


def access_api_path(case_id: int) -> str:
    return f"/api/v1/cases/{case_id}/access"


def narrow_cases(query: sa.Select[Case], actor: User) -> sa.Select[Case]:
    """A list of cases as the actor may see it: everything for managers, related cases only for advisors."""
    clause = findable_clause(actor)
    return query if clause is None else query.where(clause)


def findable_clause(actor: User) -> sa.ColumnElement[bool] | None:
    """The WHERE that narrows a query of cases to those the actor may find (None: every case)."""
    if policy.sees_everything(actor.role):
        return None
    return related_to(actor.id, now_utc())


def narrow_by_case(
    query: sa.Select[Row],
    case_id: sa.orm.InstrumentedAttribute[int] | sa.orm.InstrumentedAttribute[int | None],
    actor: User,
    *,
    own: sa.ColumnElement[bool] | None = None,
) -> sa.Select[Row]:
    """A list of another table's rows (calls, callbacks) as the actor may see them: those on related cases, plus
    `own` (e.g. calls they took themselves)."""
    if policy.sees_everything(actor.role):
        return query
    rule = case_related_to(case_id, actor.id, now_utc())
    return query.where(sa.or_(rule, own) if own is not None else rule)


# --- callbacks -------------------------------------------------------------------------------------------------


def callback_relationship(callback: Callback, actor: User) -> CallbackRelationship:
    if callback.assignee_id == actor.id:
        return CallbackRelationship.HOLDER
    if callback.assignee_id is None:
        return CallbackRelationship.POOL
    return CallbackRelationship.COLLEAGUE


def require_callback(callback: Callback, actor: User, action: CallbackAction = CallbackAction.ACT) -> None:
    """403 unless the actor may do `action` to the callback; viewing one also needs the case's view."""
    if not policy.allows_callback(actor.role, callback_relationship(callback, actor), action):
        raise Forbidden(CALLBACK_NOT_YOURS, callback_id=callback.id)
    if action == CallbackAction.VIEW and callback_relationship(callback, actor) == CallbackRelationship.COLLEAGUE:
        require(callback.case, actor, Action.VIEW)


# --- break glass -----------------------------------------------------------------------------------------------


def grant_hours() -> int:
    return int(current_app.config["ACCESS_GRANT_HOURS"])


def break_glass(case: Case, *, actor: User, reason: BreakGlassReason | str, note: str) -> BreakGlassGrant:
    """Give the actor ACCESS_GRANT_HOURS of access to a case they have no relationship with, for the reason given
    (audited as case.break_glass and listed for the admins' review; an unusual one also tells the admins)."""
    text = (note or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        chosen = BreakGlassReason(reason)
    except ValueError:
        errors["reason"] = ["Choose why you need to open this case."]
    if not text:
        errors["note"] = ["Say in a few words why you need this case."]
    elif len(text) > NOTE_MAX:
        errors["note"] = [f"Keep it to {NOTE_MAX} characters; this has {len(text)}."]
    if errors:
        raise ValidationError("Give a reason to open this case.", fields=errors)
    now = now_utc()
    flags = _flags(actor, case.id, now)
    grant = BreakGlassGrant(
        user_id=actor.id,
        user=actor,
        case_id=case.id,
        reason=chosen,
        note=text,
        created_at=now,
        expires_at=now + timedelta(hours=grant_hours()),
        flags=flags,
        is_flagged=bool(flags),
    )
    db.session.add(grant)
    db.session.flush()
    record_event(
        "case.break_glass",
        actor_id=actor.id,
        entity_type="case",
        entity_id=case.id,
        detail={"grant_id": grant.id, "reason": chosen.value, "flags": flags, "hours": grant_hours()},
    )
    if flags:
        _tell_admins(grant, case, actor)
    return grant


def _flags(actor: User, case_id: int, now: datetime) -> list[str]:
    config = current_app.config
    flags = []
    window = timedelta(minutes=int(config["BREAK_GLASS_ALERT_MINUTES"]))
    earlier = queries.count_cases_opened_since(actor.id, now - window)
    already = queries.find_live_grant(case_id, actor.id, now) is not None
    if earlier + (0 if already else 1) > int(config["BREAK_GLASS_ALERT_COUNT"]):
        flags.append(policy.FLAG_MANY_CASES)
    if shift_queries.find_open_shift(actor.id) is None:
        flags.append(policy.FLAG_OFF_SHIFT)
    if in_unusual_hours(now, str(config.get("ACCESS_UNUSUAL_HOURS") or "")):
        flags.append(policy.FLAG_UNUSUAL_HOURS)
    return flags


def in_unusual_hours(at: datetime, window: str) -> bool:
    """Whether `at`, in Europe/London, falls in `window` ("HH:MM-HH:MM", may wrap midnight; empty: never)."""
    if not window.strip():
        return False
    start_text, _, end_text = window.partition("-")
    start, end = parse_time_of_day(start_text), parse_time_of_day(end_text)
    local = to_local(at).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def _tell_admins(grant: BreakGlassGrant, case: Case, actor: User) -> None:
    labels = ", ".join(policy.FLAG_LABELS[flag] for flag in grant.flags).lower()
    notifications.notify(
        queries.active_admin_ids(),
        kind="break_glass",
        title=f"Unusual access: {actor.full_name} broke the glass on case {case.reference} ({labels})",
        link=url_for("access_review.review_list", flagged="1"),
    )


def review_grant(grant_id: int, *, actor: User) -> BreakGlassGrant:
    """An admin has looked at a break-glass use (audited; reviewing again changes nothing)."""
    grant = queries.get_grant(grant_id)
    if grant.reviewed_at is None:
        grant.reviewed_at, grant.reviewed_by_id, grant.reviewed_by = now_utc(), actor.id, actor
        db.session.flush()
        record_event(
            "case.break_glass_reviewed",
            actor_id=actor.id,
            entity_type="case",
            entity_id=grant.case_id,
            detail={"grant_id": grant.id},
        )
    return grant


# --- phone numbers ---------------------------------------------------------------------------------------------


def masks_phones(actor: User) -> bool:
    """Whether lists and banners show this actor callers' numbers masked (MASK_PHONES_FOR, roles by name)."""
    roles = str(current_app.config.get("MASK_PHONES_FOR") or "")
    return actor.role.value in {role.strip().lower() for role in roles.split(",") if role.strip()}


def mask_phone(e164: str | None) -> str | None:
    """Only the last three digits: "••• ••• ••123" (None stays None: a withheld number)."""
    if not e164:
        return e164
    return f"{MASK}{e164[-3:]}"


def as_listed(cases: list[Case], actor: User) -> list[Case] | list[Extended | Case]:
    """Cases as a list shows them to the actor: their callers' numbers masked for the roles MASK_PHONES_FOR names."""
    if not masks_phones(actor):
        return cases
    return [
        Extended(case, caller=Extended(case.caller, phone_e164=mask_phone(case.caller.phone_e164), phone_masked=True))
        if case.caller.phone_e164
        else case  # a withheld number: nothing to mask
        for case in cases
    ]


def reveal_phone(case: Case, *, actor: User) -> str | None:
    """The number of the case's caller in full, for someone who may find the case (audited as
    caller.phone_revealed)."""
    require(case, actor, Action.FIND)
    caller = case.caller
    record_event(
        "caller.phone_revealed",
        actor_id=actor.id,
        entity_type="caller",
        entity_id=caller.id,
        detail={"case_id": case.id},
    )
    return caller.phone_e164


# --- the helpers views and APIs use ----------------------------------------------------------------------------


def get_case_for(case_id: int, actor: User, action: Action = Action.VIEW) -> Case:
    """The case (404 when there is none), if the actor may do `action` to it (403 otherwise)."""
    case = case_queries.get_case(case_id)
    require(case, actor, action)
    return case


def require_call(call: Call, actor: User) -> None:
    """A call is read as its case is; a call on no case (a non-data call) by whoever took it, or a manager."""
    if call.case is not None:
        require(call.case, actor, Action.VIEW)
    elif call.advisor_id != actor.id and not policy.sees_everything(actor.role):
        raise Forbidden("This call was taken by a colleague.")


def require_caller(caller: Caller, actor: User, action: Action = Action.VIEW) -> None:
    """A caller is read (or changed) as their cases are: allowed if any of them allows it, or they have none yet."""
    if policy.sees_everything(actor.role):
        return
    cases = case_queries.cases_for_caller(caller.id)
    if cases and not any(can(case, actor, action) for case in cases):
        require(cases[0], actor, action)


def require_call_on(call: CallInput, actor: User) -> None:
    """A call logged on a case chosen by id: one the actor works on, or one the caller's own number finds (the
    repeat caller). Nothing to check when no case is chosen (the number finds or opens it, as a lookup does), or
    for a call that is not case work (it is put on no case)."""
    if call.case_id is None or call.call_type != CallType.DATA:
        return
    case = case_queries.find_case(call.case_id)
    if case is None:
        return  # log_call says there is no such case
    e164 = normalise_phone(call.phone) if call.phone else None
    found = caller_queries.find_caller_by_phone(e164) if e164 is not None else None  # main or other number
    require(case, actor, Action.LOG_CALL, found_by_lookup=found is not None and found.id == case.caller_id)
