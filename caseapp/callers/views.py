"""Pages: a caller's record (their numbers, their cases, merges into it), adding and removing numbers, and a
manager's merge of a duplicate record (find it, compare the two, confirm; undo within the configured days)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.api import load
from caseapp.audit.services import record_event
from caseapp.auth.access import guard_blueprint, require_role
from caseapp.auth.models import Role
from caseapp.callers import merges, numbers, queries, services
from caseapp.callers.api import listed_numbers
from caseapp.callers.models import Caller, NumberKind
from caseapp.callers.phones import try_normalise
from caseapp.callers.schemas import CallerNumberCreateSchema
from caseapp.cases import queries as case_queries
from caseapp.errors import AppError, ValidationError
from caseapp.extensions import db
from caseapp.forms import form_to_payload, merge_errors
from caseapp.ids import parse_id
from caseapp.reference import choices
from caseapp.transactions import commit_keeping_loaded

bp = Blueprint("callers", __name__, url_prefix="/callers")
guard_blueprint(bp, Role.ADVISOR)

LABELS = {
    "phone": "Number",
    "kind": "Kind of number",
    "label": "Label",
    "consent_confirmed": "Used with the family member's consent",
    "duplicate_id": "Duplicate record",
}


def _render(
    caller: Caller,
    *,
    values: MultiDict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
) -> str:
    """The caller's page; it shows their numbers, so every rendering is an audited view."""
    services.record_view(caller, actor=current_user)
    commit_keeping_loaded()
    manager = current_user.has_role(Role.MANAGER)
    merge_list = queries.merges_into(caller.id) if manager else []
    return render_template(
        "callers/show.html",
        caller=caller,
        numbers=listed_numbers(caller),
        cases=case_queries.cases_for_caller(caller.id),
        merged_into=queries.get_caller(caller.merged_into_id) if caller.merged_into_id else None,
        merge_list=[(merge, merges.undo_refusal(merge)) for merge in merge_list],
        kinds=choices(NumberKind),
        values=values or MultiDict({"kind": NumberKind.MOBILE.value}),
        errors=errors or {},
        message=message,
        labels=LABELS,
        undo_days=merges.undo_days(),
    )


@bp.get("/<int:caller_id>")
def show(caller_id: int) -> ResponseReturnValue:
    caller = queries.get_caller(caller_id)
    access.require_caller(caller, current_user, Action.VIEW)
    return _render(caller)


@bp.post("/<int:caller_id>/numbers")
def add_number(caller_id: int) -> ResponseReturnValue:
    caller = queries.get_caller(caller_id)
    access.require_caller(caller, current_user, Action.CHANGE)
    payload, errors = form_to_payload(request.form, CallerNumberCreateSchema)
    payload["consent_confirmed"] = bool(payload.get("consent_confirmed"))
    message = None
    if not errors:
        try:
            body = load(CallerNumberCreateSchema, payload)
            numbers.add_number(
                caller,
                phone=body["phone"],
                kind=body["kind"],
                label=body.get("label"),
                consent_confirmed=body["consent_confirmed"],
                actor=current_user,
            )
        except AppError as exc:
            db.session.rollback()
            errors, message = merge_errors(errors, exc.fields), exc.message
            status = exc.status
        else:
            db.session.commit()
            flash("Number added.", "info")
            return redirect(url_for("callers.show", caller_id=caller_id) + "#numbers")
    else:
        status = 422
    caller = queries.get_caller(caller_id)
    return _render(caller, values=request.form, errors=errors, message=message or "Check the number."), status


@bp.post("/<int:caller_id>/numbers/<int:number_id>/remove")
def remove_number(caller_id: int, number_id: int) -> ResponseReturnValue:
    caller = queries.get_caller(caller_id)
    access.require_caller(caller, current_user, Action.CHANGE)
    numbers.remove_number(caller, number_id, actor=current_user)
    db.session.commit()
    flash("Number removed.", "info")
    return redirect(url_for("callers.show", caller_id=caller_id) + "#numbers")


@bp.post("/<int:caller_id>/numbers/<int:number_id>/main")
def make_main(caller_id: int, number_id: int) -> ResponseReturnValue:
    caller = queries.get_caller(caller_id)
    access.require_caller(caller, current_user, Action.CHANGE)
    try:
        numbers.make_main(caller, number_id, actor=current_user)
    except AppError as exc:
        db.session.rollback()
        return _render(queries.get_caller(caller_id), message=exc.message), exc.status
    db.session.commit()
    flash("Main number changed.", "info")
    return redirect(url_for("callers.show", caller_id=caller_id) + "#numbers")


def _candidates(text: str, caller: Caller) -> list[Caller]:
    """The existing search's two ways: an exact number (main or other), else a name."""
    phone = try_normalise(text) if any(ch.isdigit() for ch in text) else None
    if phone is not None:
        found = queries.find_caller_by_phone(phone)
        candidates = [found] if found else []
    else:
        candidates = queries.search_callers_by_name(text, limit=20) if len(text) >= 2 else []
    return [c for c in candidates if c.id != caller.id and not c.is_anonymised]


@bp.get("/<int:caller_id>/merge")
@require_role(Role.MANAGER)
def merge(caller_id: int) -> ResponseReturnValue:
    """Find the duplicate (?q=), then compare the two records (?duplicate_id=) before confirming."""
    caller = queries.get_caller(caller_id)
    text = request.args.get("q", "").strip()[:100]
    duplicate_id = request.args.get("duplicate_id", type=parse_id)
    preview, refusal, found = None, None, None
    if duplicate_id is not None:
        duplicate = queries.get_caller(duplicate_id)
        try:
            preview = merges.preview(caller, duplicate)
        except AppError as exc:
            refusal = exc.message
        record_event(
            "caller.merge_viewed",
            actor_id=current_user.id,
            entity_type="caller",
            entity_id=caller.id,
            detail={"duplicate_id": duplicate.id},
        )
    elif text:
        found = _candidates(text, caller)
        record_event(
            "caller.looked_up",
            actor_id=current_user.id,
            entity_type="caller",
            entity_id=None,
            detail={"matched": bool(found), "ids": [c.id for c in found]},
        )
    commit_keeping_loaded()
    return render_template(
        "callers/merge.html",
        caller=caller,
        q=text,
        found=found,
        preview=preview,
        refusal=refusal,
        undo_days=merges.undo_days(),
    ), 409 if refusal else 200


@bp.post("/<int:caller_id>/merge")
@require_role(Role.MANAGER)
def confirm_merge(caller_id: int) -> ResponseReturnValue:
    duplicate_id = request.form.get("duplicate_id", type=parse_id)
    try:
        if duplicate_id is None:
            raise ValidationError("Choose the duplicate record to merge.")
        merges.merge_callers(caller_id, duplicate_id, actor=current_user)
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("callers.merge", caller_id=caller_id, duplicate_id=duplicate_id))
    db.session.commit()
    flash(f"Records merged. You can undo this for {merges.undo_days()} days from this page.", "info")
    return redirect(url_for("callers.show", caller_id=caller_id))


@bp.post("/merges/<int:merge_id>/undo")
@require_role(Role.MANAGER)
def undo_merge(merge_id: int) -> ResponseReturnValue:
    kept_id = queries.get_merge(merge_id).kept_id
    try:
        merges.undo_merge(merge_id, actor=current_user)
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("Merge undone: the duplicate record is back with what it had.", "info")
    return redirect(url_for("callers.show", caller_id=kept_id))
