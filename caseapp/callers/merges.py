"""Merge two caller records found to be the same person (managers and admins), and undo a merge within
CALLER_MERGE_UNDO_DAYS. The merge moves the duplicate's calls, cases (their callbacks go with them), flags, telephony
calls and numbers to the kept record, and its main number becomes one of the kept record's other numbers; the
caller_merges row keeps the ids of what moved, so undo moves exactly those rows back. Rows added to the kept record
after the merge stay with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from caseapp.audit.services import record_event
from caseapp.auth.models import Role, User
from caseapp.callbacks.models import Callback
from caseapp.caller_flags.models import CallerFlag
from caseapp.callers import queries
from caseapp.callers.models import Caller, CallerMerge, CallerNumber
from caseapp.callers.numbers import kind_of
from caseapp.callers.services import DETAIL_FIELDS
from caseapp.calls.models import Call
from caseapp.cases.models import Case
from caseapp.errors import Conflict, Forbidden, ValidationError
from caseapp.extensions import db
from caseapp.retention import queries as retention_queries
from caseapp.telephony.models import TelephonyCall
from caseapp.timeutil import format_local, now_utc

#: what moves, by the key a caller_merges row stores its ids under: (model, its caller column)
MOVED: dict[str, tuple[Any, Any]] = {
    "calls": (Call, Call.caller_id),
    "cases": (Case, Case.caller_id),
    "caller_flags": (CallerFlag, CallerFlag.caller_id),
    "telephony_calls": (TelephonyCall, TelephonyCall.caller_id),
    "caller_numbers": (CallerNumber, CallerNumber.caller_id),
}


@dataclass
class MergePreview:
    """What merging `duplicate` into `kept` would move, and which of their details differ (the kept one's stay)."""

    kept: Caller
    duplicate: Caller
    counts: dict[str, int] = field(default_factory=dict)
    differing: list[str] = field(default_factory=list)


def undo_days() -> int:
    return int(current_app.config["CALLER_MERGE_UNDO_DAYS"])


def require_manager(actor: User) -> None:
    if not actor.has_role(Role.MANAGER):
        raise Forbidden("Only a manager or an admin can merge caller records.")


def _refuse(kept: Caller, duplicate: Caller) -> None:
    if kept.id == duplicate.id:
        message = "A caller record cannot be merged with itself: choose the other record."
        raise ValidationError(message, fields={"duplicate_id": [message]})
    for caller, which in ((kept, "kept"), (duplicate, "duplicate")):
        if caller.is_merged:
            raise Conflict(f"The {which} record was already merged into another record.")
        if caller.is_anonymised:
            raise Conflict(f"The {which} record was anonymised: its details are gone and it cannot be merged.")
        held = retention_queries.held_case_of_caller(caller.id)
        if held is not None:
            raise Conflict(
                f"Case {held.reference} of the {which} record is under a legal hold: release the hold before merging."
            )


def preview(kept: Caller, duplicate: Caller) -> MergePreview:
    _refuse(kept, duplicate)
    counts = {key: queries.count_where(model, column, duplicate.id) for key, (model, column) in MOVED.items()}
    counts["callbacks"] = int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Callback)
            .join(Case, Case.id == Callback.case_id)
            .where(Case.caller_id == duplicate.id)
        )
        or 0
    )
    counts["caller_numbers"] += 1 if duplicate.phone_e164 else 0
    differing = [name for name in DETAIL_FIELDS if getattr(kept, name) != getattr(duplicate, name)]
    return MergePreview(kept, duplicate, counts, differing)


def _move(ids: dict[str, list[int]], to_caller_id: int, *, from_caller_id: int) -> None:
    for key, (model, column) in MOVED.items():
        if ids.get(key):
            db.session.execute(
                sa.update(model)
                .where(model.id.in_(ids[key]), column == from_caller_id)
                .values({column.key: to_caller_id})
                .execution_options(synchronize_session=False)
            )


def merge_callers(kept_id: int, duplicate_id: int, *, actor: User) -> CallerMerge:
    require_manager(actor)
    kept, duplicate = queries.get_caller(kept_id), queries.get_caller(duplicate_id)
    _refuse(kept, duplicate)
    queries.lock_callers([kept_id, duplicate_id])  # read again under the lock: a merge made meanwhile shows
    _refuse(kept, duplicate)
    ids = {key: queries.ids_where(model, column, duplicate_id) for key, (model, column) in MOVED.items()}
    _move(ids, kept_id, from_caller_id=duplicate_id)
    number_id, already_theirs = None, False
    former = duplicate.phone_e164
    if former is not None:
        queries.lock_number(former)
        existing = queries.find_number_by_phone(former)
        if existing is not None and existing.caller_id != kept_id:
            raise Conflict("The duplicate's main number is recorded as another caller's number: sort that out first.")
        duplicate.phone_e164 = None
        db.session.flush()
        if existing is not None:
            # already one of the kept caller's numbers (a first call from it raced its being added): keep that row
            number_id, already_theirs = existing.id, True
        else:
            number = CallerNumber(caller_id=kept_id, phone_e164=former, kind=kind_of(former), added_by_id=actor.id)
            db.session.add(number)
            db.session.flush()
            number_id = number.id
    duplicate.merged_into_id = kept_id
    duplicate.merged_at = now_utc()
    moved = {**ids, "number_id": number_id, "number_was_theirs": already_theirs}
    merge = CallerMerge(kept_id=kept_id, duplicate_id=duplicate_id, moved=moved, merged_by_id=actor.id)
    db.session.add(merge)
    db.session.flush()
    db.session.expire_all()  # loaded calls and cases read again: the UPDATEs bypassed them
    record_event(
        "caller.merged",
        actor_id=actor.id,
        entity_type="caller",
        entity_id=kept_id,
        detail={"merge_id": merge.id, "duplicate_id": duplicate_id, "moved": moved},
    )
    return merge


def undo_refusal(merge: CallerMerge) -> str | None:
    """Why this merge can no longer be undone, in plain English; None when it can."""
    if merge.undone_at is not None:
        return "This merge has already been undone."
    if now_utc() - merge.created_at > timedelta(days=undo_days()):
        return (
            f"This merge was made on {format_local(merge.created_at)}, more than {undo_days()} days ago: "
            "it can no longer be undone."
        )
    kept, duplicate = queries.get_caller(merge.kept_id), queries.get_caller(merge.duplicate_id)
    if kept.is_merged:
        return "The kept record has since been merged into another record: undo that merge first."
    if kept.is_anonymised or duplicate.is_anonymised:
        return "One of the two records has since been anonymised: the merge cannot be undone."
    if duplicate.merged_into_id != kept.id:
        return "The duplicate record is no longer merged into this one."
    number_id = merge.moved.get("number_id")
    if number_id is not None:
        number = queries.find_number(int(number_id))
        if number is None or number.caller_id != kept.id:
            return (
                "The duplicate's former main number is no longer on this record (it was removed or given to "
                "someone else): the merge cannot be undone exactly."
            )
    return None


def undo_merge(merge_id: int, *, actor: User) -> CallerMerge:
    require_manager(actor)
    merge = queries.lock_merge(merge_id)
    queries.lock_callers([merge.kept_id, merge.duplicate_id])
    reason = undo_refusal(merge)
    if reason is not None:
        raise Conflict(reason)
    kept, duplicate = queries.get_caller(merge.kept_id), queries.get_caller(merge.duplicate_id)
    moved: dict[str, Any] = merge.moved
    if (number_id := moved.get("number_id")) is not None:
        number = queries.get_number(kept.id, int(number_id))
        former = number.phone_e164
        queries.lock_number(former)
        if not moved.get("number_was_theirs"):
            db.session.delete(number)
            db.session.flush()
        duplicate.phone_e164 = former
    _move({key: list(moved.get(key) or []) for key in MOVED}, duplicate.id, from_caller_id=kept.id)
    duplicate.merged_into_id = None
    duplicate.merged_at = None
    merge.undone_at = now_utc()
    merge.undone_by_id = actor.id
    db.session.flush()
    db.session.expire_all()
    record_event(
        "caller.merge_undone",
        actor_id=actor.id,
        entity_type="caller",
        entity_id=merge.kept_id,
        detail={"merge_id": merge.id, "duplicate_id": merge.duplicate_id},
    )
    return merge
