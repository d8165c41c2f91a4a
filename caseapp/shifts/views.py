"""Pages: clock on, and clock off handing over every open callback held; who is on shift (managers can end a
forgotten shift)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from caseapp.api import load
from caseapp.auth.access import guard_blueprint, safe_next
from caseapp.auth.models import Role
from caseapp.callbacks import handover, history
from caseapp.callbacks import queries as callback_queries
from caseapp.callbacks.models import Callback
from caseapp.callbacks.schemas import ClockOffForm
from caseapp.errors import AppError, ValidationError
from caseapp.extensions import db
from caseapp.forms import form_to_payload
from caseapp.ids import as_id, parse_id
from caseapp.shifts import queries, services
from caseapp.timeutil import to_local
from caseapp.transactions import commit_keeping_loaded

bp = Blueprint("shifts", __name__, url_prefix="/shifts")
guard_blueprint(bp, Role.ADVISOR)
_ITEM_ERROR = re.compile(r"handovers\.(\d+)\.(\w+)")


@bp.get("/")
def index() -> ResponseReturnValue:
    return _render()


def _render(
    *,
    values: MultiDict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    new_ids: frozenset[int] = frozenset(),
) -> str:
    """The shift page. On shift and holding open callbacks: the clock-off form lists them all, each going to the pool
    unless told otherwise (`values`: what was typed, by callback; `errors` by the form's field names)."""
    show_team = current_user.has_role(Role.MANAGER)
    mine = queries.find_open_shift(current_user.id)
    held = callback_queries.open_callbacks_held_by(current_user.id) if mine else []
    if held:
        _audit_listing(held)
    colleagues = [user for user in queries.on_shift_users() if user.id != current_user.id]
    return render_template(
        "shifts/index.html",
        mine=mine,
        held=held,
        labels=_labels(held),
        accept_minutes=int(current_app.config["HANDOVER_ACCEPT_SECONDS"]) // 60,
        offers=callback_queries.offers_for_callbacks([c.id for c in held]),
        values=values if values is not None else _defaults(held),
        errors=errors or {},
        message=message,
        new_ids=new_ids,
        colleague_choices=[(str(user.id), f"{user.full_name} ({user.role.label.lower()})") for user in colleagues],
        team=queries.open_shifts() if show_team else [],
        show_team=show_team,
    )


def _labels(held: list[Callback]) -> dict[str, str]:
    """Each field of the clock-off form's label, naming its callback (the error summary links to them by it)."""
    labels = {"all_to_user_id": "Or hand all of them to"}
    for index, callback in enumerate(held):
        which = f"{callback.case.reference}, due {to_local(callback.due_at):%a %H:%M}"
        labels[f"handovers-{index}-to_user_id"] = f"Hand {which}, to"
        labels[f"handovers-{index}-note"] = f"Note on {which}, for whoever takes it"
    return labels


def _audit_listing(callbacks: list[Callback]) -> None:
    """The clock-off form lists callers' names: which callbacks were shown is audited."""
    history.record("listed", None, current_user.id, ids=[c.id for c in callbacks])
    commit_keeping_loaded()


def _defaults(held: list[Callback]) -> MultiDict[str, Any]:
    """Every callback held, going to the pool with no note."""
    values: MultiDict[str, Any] = MultiDict()
    for index, callback in enumerate(held):
        values[f"handovers-{index}-callback_id"] = str(callback.id)
        values[f"handovers-{index}-to_user_id"] = ""
    return values


@bp.post("/start")
def start() -> ResponseReturnValue:
    try:
        services.start_shift(actor=current_user)
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("You are on shift.", "info")
    return redirect(safe_next(request.form.get("next"), "shifts.index"))


@bp.post("/end")
def end() -> ResponseReturnValue:
    user_id = request.form.get("user_id", type=parse_id)
    if user_id is not None and user_id != current_user.id:
        return _end_someone_elses(user_id)
    try:
        done = handover.clock_off(actor=current_user, **_read_clock_off())
    except AppError as exc:
        db.session.rollback()
        if exc.status == 409 and not isinstance(exc, handover.HandoverRequired):  # not on shift
            flash(exc.message, "error")
            return redirect(safe_next(request.form.get("next"), "shifts.index"))
        return _render_again(exc), exc.status
    db.session.commit()
    count = len(done.handovers)
    flash(f"Shift ended. {count} callback{'s' if count != 1 else ''} handed over." if count else "Shift ended.", "info")
    return redirect(safe_next(request.form.get("next"), "shifts.index"))


def _end_someone_elses(user_id: int) -> ResponseReturnValue:
    """A manager ends a forgotten shift (their callbacks go to the pool when they fall due, as before)."""
    try:
        services.end_shift(actor=current_user, user_id=user_id)
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("Shift ended.", "info")
    return redirect(safe_next(request.form.get("next"), "shifts.index"))


def _read_clock_off() -> dict[str, Any]:
    """The clock-off form, read as every form is (form_to_payload, then the schema): each callback's destination and
    note, or with "Hand all to …" the one destination for all (the pool: also any not on the page)."""
    payload, errors = form_to_payload(request.form, ClockOffForm)
    if errors:
        raise ValidationError("Some handovers cannot be made as they are.", fields=errors)
    body = load(ClockOffForm, payload)
    items = body["handovers"]
    if body["hand_all"]:
        items = [{**item, "to_user_id": body["all_to_user_id"]} for item in items]
    return {
        "handovers": [handover.HandoverRequest(**item) for item in items],
        "rest_to_pool": body["hand_all"] and body["all_to_user_id"] is None,
    }


def _render_again(error: AppError) -> str:
    """The form again after a refusal, with what was typed kept for each callback still held (by its id, as the list
    may have changed meanwhile) and each message beside the field it is about."""
    submitted = _submitted_rows()
    typed_for = {callback_id: typed for callback_id, typed in submitted if callback_id is not None}
    held = callback_queries.open_callbacks_held_by(current_user.id)
    position = {callback.id: index for index, callback in enumerate(held)}
    values: MultiDict[str, Any] = MultiDict()
    for index, callback in enumerate(held):
        typed = typed_for.get(callback.id, {})
        values[f"handovers-{index}-callback_id"] = str(callback.id)
        values[f"handovers-{index}-to_user_id"] = typed.get("to_user_id", "")
        values[f"handovers-{index}-note"] = typed.get("note", "")
    values["all_to_user_id"] = request.form.get("all_to_user_id", "")
    errors: dict[str, list[str]] = {}
    for key, texts in error.fields.items():
        match = _ITEM_ERROR.fullmatch(key)
        row = int(match.group(1)) if match else len(submitted)
        callback_id = submitted[row][0] if row < len(submitted) else None
        if match and callback_id in position:
            errors.setdefault(f"handovers-{position[callback_id]}-{match.group(2)}", []).extend(texts)
        else:
            errors.setdefault("handovers", []).extend(texts)
    new_ids = frozenset(c.id for c in held if c.id not in typed_for) if submitted else frozenset()
    return _render(values=values, errors=errors, message=error.message, new_ids=new_ids)


def _submitted_rows() -> list[tuple[int | None, dict[str, str]]]:
    """What the form sent for each row, in the order of the rows: (its callback id, its fields as typed)."""
    rows: list[tuple[int | None, dict[str, str]]] = []
    while f"handovers-{len(rows)}-callback_id" in request.form:
        prefix = f"handovers-{len(rows)}-"
        typed = {name: request.form.get(prefix + name, "") for name in ("to_user_id", "note")}
        rows.append((as_id(request.form[prefix + "callback_id"]), typed))
    return rows
