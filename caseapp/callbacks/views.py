"""Pages: my callbacks (with those handed to me) and the pool, one callback and its actions, accepting a handover,
booking, and the managers' list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import marshmallow as ma
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from caseapp import reference
from caseapp.access import services as access
from caseapp.access.policy import Action, CallbackAction
from caseapp.api import load
from caseapp.audit.services import record_listing
from caseapp.auth import queries as auth_queries
from caseapp.auth.access import guard_blueprint, require_role, safe_next
from caseapp.auth.models import Role
from caseapp.callbacks import booking, handover, history, queries, wallclock, workflow
from caseapp.callbacks.models import Callback
from caseapp.callbacks.schemas import AttemptForm, BookingForm, CancelForm, DueFieldsForm, ReassignForm
from caseapp.cases import queries as case_queries
from caseapp.cases import services as case_services
from caseapp.errors import AppError, ValidationError
from caseapp.extensions import db
from caseapp.forms import form_to_payload
from caseapp.ids import as_id, parse_id
from caseapp.reference import AttemptOutcome, CallbackStatus
from caseapp.reminders import queries as reminder_queries
from caseapp.shifts import queries as shift_queries
from caseapp.telephony import queries as telephony_queries
from caseapp.timeutil import local_day_bounds, now_utc, to_local
from caseapp.transactions import commit_keeping_loaded

bp = Blueprint("callbacks", __name__)
guard_blueprint(bp, Role.ADVISOR)
PER_PAGE = 50


#: a service's field names → the fields the callback pages ask for (a time is typed as a date and a time)
_PAGE_FIELDS = {"due_at": "due_date", "next_due_at": "due_date", "next_window_minutes": "window_minutes"}


def _page_errors(error: AppError) -> dict[str, Any]:
    """A service's errors keyed by the page's own fields, so each shows under the field it is about."""
    fields: dict[str, list[str]] = {}
    for name, messages in error.fields.items():
        fields.setdefault(_PAGE_FIELDS.get(name, name), []).extend(messages)
    return {"fields": fields, "choices": error.extra.get("choices", [])}


def _read(schema: type[ma.Schema]) -> dict[str, Any]:
    """The submitted form, read as every form is (form_to_payload, then the schema); ValidationError if wrong."""
    payload, errors = form_to_payload(request.form, schema)
    if errors:
        raise ValidationError("Some fields are missing or not valid.", fields=errors)
    return load(schema, payload)


def _due_at(body: dict[str, Any]) -> datetime:
    return wallclock.local_due_at(body["due_date"], body["due_time"], body["fold"])


def _audit_listing(callbacks: list[Callback]) -> None:
    """Callback lists show callers' names: which callbacks were shown is audited."""
    if callbacks:
        record_listing(
            "callback.listed", actor_id=current_user.id, entity_type="callback", ids=[c.id for c in callbacks]
        )
        commit_keeping_loaded()


# --- my callbacks, the pool -----------------------------------------------------------------------------------


@bp.get("/callbacks/")
def mine() -> ResponseReturnValue:
    end_of_today = local_day_bounds(to_local(now_utc()).date())[1]
    mine, pool = queries.my_callbacks(current_user.id, end_of_today), queries.pool()
    offers = queries.offers_to(current_user.id)
    _audit_listing(list({c.id: c for c in [*(o.callback for o in offers), *mine, *pool]}.values()))
    return render_template(
        "callbacks/mine.html",
        mine=mine,
        pool=pool,
        offers=offers,
        pool_offers=queries.offers_for_callbacks([c.id for c in pool]),
        accept_seconds=_accept_seconds(),
        on_shift=shift_queries.find_open_shift(current_user.id) is not None,
        now=now_utc(),
    )


def _accept_seconds() -> int:
    return int(current_app.config["HANDOVER_ACCEPT_SECONDS"])


@bp.post("/handovers/<int:handover_id>/accept")
def accept_handover(handover_id: int) -> ResponseReturnValue:
    try:
        accepted = handover.accept_handover(handover_id, actor=current_user)
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(safe_next(request.form.get("next"), "callbacks.mine"))
    db.session.commit()
    flash(f"Handover accepted: the callback on case {accepted.callback.case.reference} is yours.", "info")
    return redirect(url_for("callbacks.show", callback_id=accepted.callback_id))


@bp.post("/callbacks/<int:callback_id>/claim")
def claim(callback_id: int) -> ResponseReturnValue:
    try:
        workflow.claim_callback(callback_id, actor=current_user)
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("callbacks.mine"))
    db.session.commit()
    flash("The callback is yours.", "info")
    return redirect(url_for("callbacks.show", callback_id=callback_id))


@bp.post("/callbacks/<int:callback_id>/start")
def start(callback_id: int) -> ResponseReturnValue:
    try:
        workflow.start_callback(callback_id, actor=current_user)
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
    return redirect(url_for("callbacks.show", callback_id=callback_id))


# --- one callback ----------------------------------------------------------------------------------------------


def _render_callback(
    callback: Callback, *, form: str | None = None, errors: dict[str, Any] | None = None, message: str | None = None
) -> str:
    local_due = to_local(callback.due_at)
    defaults: MultiDict[str, Any] = MultiDict(
        {
            "due_date": local_due.date().isoformat(),
            "due_time": local_due.strftime("%H:%M"),
            "window_minutes": str(callback.window_minutes or ""),
            "assignee_id": str(callback.assignee_id or ""),
        }
    )
    values = {name: (request.form if form == name else defaults) for name in ("reschedule", "reassign", "cancel")}
    caller = callback.case.caller
    outcomes = [o for o in AttemptOutcome if o != AttemptOutcome.VOICEMAIL_LEFT or caller.consent_voicemail]
    errors = errors or {}
    handovers = queries.handovers_for_callback(callback.id)
    return render_template(
        "callbacks/show.html",
        callback=callback,
        case=callback.case,
        caller=caller,
        handovers=handovers,
        offer=next((h for h in handovers if h.is_offered), None),
        accept_seconds=_accept_seconds(),
        attempts=queries.attempts_for_callback(callback.id),
        messages=reminder_queries.messages_for_callback(callback.id),
        attempt_values=request.form if form == "attempt" else MultiDict(),
        reschedule_values=values["reschedule"],
        reassign_values=values["reassign"],
        cancel_values=values["cancel"],
        errors=errors.get("fields", {}),
        choices=errors.get("choices", []),
        error_form=form,
        message=message,
        outcome_choices=[(o.value, o.label) for o in outcomes],
        staff_choices=[(str(u.id), u.full_name) for u in auth_queries.list_active_staff()],
        missed_calls=telephony_queries.count_missed_calls(callback.id),
    )


@bp.get("/callbacks/<int:callback_id>")
def show(callback_id: int) -> ResponseReturnValue:
    callback = queries.get_callback(callback_id)
    access.require_callback(callback, current_user, CallbackAction.VIEW)
    history.record("viewed", callback.id, current_user.id, case_id=callback.case_id, caller_id=callback.case.caller_id)
    db.session.commit()
    return _render_callback(callback)


def _apply(callback_id: int, form_name: str, action: Callable[[], list[str] | None]) -> ResponseReturnValue:
    """Run one change (the service locks the callback); on a user error re-render the page with what was typed."""
    try:
        done = action()
    except AppError as exc:
        db.session.rollback()
        callback = queries.get_callback(callback_id)
        access.require_callback(callback, current_user, CallbackAction.VIEW)  # refused to act: may they see it?
        return _render_callback(callback, form=form_name, errors=_page_errors(exc), message=exc.message), exc.status
    db.session.commit()
    for warning in done or []:
        flash(warning, "warning")
    return redirect(url_for("callbacks.show", callback_id=callback_id))


@bp.post("/callbacks/<int:callback_id>/attempts")
def record_attempt(callback_id: int) -> ResponseReturnValue:
    def act() -> list[str]:
        body = _read(AttemptForm)
        result = workflow.record_attempt(
            callback_id,
            outcome=body["outcome"],
            actor=current_user,
            notes=body["notes"],
            next_due_at=_due_at(body) if body["due_date"] is not None else None,
            next_window_minutes=body["window_minutes"],
            override_preferred_times=body["override_preferred_times"],
        )
        notes = [f"Attempt recorded: {body['outcome'].label.lower()}."]
        if result.needs_reschedule:
            notes.append("No answer: choose a new time below (or leave it for later).")
        if result.callback.status == CallbackStatus.UNREACHABLE:
            notes.append("The caller could not be reached; the callback is closed and the case is flagged.")
        return notes + result.warnings

    return _apply(callback_id, "attempt", act)


@bp.post("/callbacks/<int:callback_id>/reschedule")
def reschedule(callback_id: int) -> ResponseReturnValue:
    def act() -> list[str]:
        body = _read(DueFieldsForm)
        return workflow.reschedule_callback(
            callback_id,
            _due_at(body),
            actor=current_user,
            window_minutes=body["window_minutes"],
            override_preferred_times=body["override_preferred_times"],
        )

    return _apply(callback_id, "reschedule", act)


@bp.post("/callbacks/<int:callback_id>/reassign")
def reassign(callback_id: int) -> ResponseReturnValue:
    def act() -> None:
        workflow.reassign_callback(callback_id, _read(ReassignForm)["assignee_id"], actor=current_user)

    return _apply(callback_id, "reassign", act)


@bp.post("/callbacks/<int:callback_id>/cancel")
def cancel(callback_id: int) -> ResponseReturnValue:
    def act() -> None:
        workflow.cancel_callback(callback_id, actor=current_user, reason=_read(CancelForm)["cancel_reason"])

    return _apply(callback_id, "cancel", act)


# --- booking ---------------------------------------------------------------------------------------------------


@bp.route("/cases/<int:case_id>/callbacks/new", methods=["GET", "POST"])
def book(case_id: int) -> ResponseReturnValue:
    case = access.get_case_for(case_id, current_user, Action.CHANGE)
    if request.method == "GET":  # the form shows the caller's consents and safe-to-call notes
        case_services.record_view(case, actor=current_user)
        db.session.commit()
    suggestion = booking.suggestion_for(case)
    errors: dict[str, Any] = {}
    message = None
    if request.method == "POST":
        try:
            body = _read(BookingForm)
            booked = booking.book_callback(
                case,
                due_at=_due_at(body),
                actor=current_user,
                window_minutes=body["window_minutes"],
                assignee_id=body["assignee_id"],
                priority=body["priority"],
                reason=body["reason"],
                override_preferred_times=body["override_preferred_times"],
            )
        except AppError as exc:
            db.session.rollback()
            errors, message = _page_errors(exc), exc.message
        else:
            db.session.commit()
            flash(f"Callback booked for {to_local(booked.callback.due_at):%a %d %b %H:%M %Z}.", "info")
            for warning in booked.warnings:
                flash(warning, "warning")
            return redirect(url_for("cases.show", case_id=case.id))
        values: MultiDict[str, Any] = MultiDict(request.form)
        case = case_queries.get_case(case_id)
    else:
        local = to_local(_proposed_time(suggestion.due_by))
        values = MultiDict(
            {
                "due_date": local.date().isoformat(),
                "due_time": local.strftime("%H:%M"),
                "window_minutes": "30",
                "assignee_id": str(current_user.id),
                "priority": suggestion.priority.value,
            }
        )
    return render_template(
        "callbacks/book.html",
        case=case,
        caller=case.caller,
        suggestion=suggestion,
        values=values,
        errors=errors.get("fields", {}),
        choices=errors.get("choices", []),
        message=message,
        ref=reference,
        staff_choices=[(str(u.id), u.full_name) for u in auth_queries.list_active_staff()],
    ), 422 if errors else 200


def _proposed_time(due_by: datetime | None) -> datetime:
    """What the booking form starts with: the risk deadline (rounded down to 5 minutes), else an hour from now
    (rounded up to the quarter hour)."""
    if due_by is not None:
        return due_by.replace(minute=due_by.minute - due_by.minute % 5, second=0, microsecond=0)
    soon = now_utc() + timedelta(hours=1)
    return soon.replace(second=0, microsecond=0) + timedelta(minutes=(15 - soon.minute % 15) % 15)


# --- managers --------------------------------------------------------------------------------------------------


@bp.get("/callbacks/all")
@require_role(Role.MANAGER)
def all_callbacks() -> ResponseReturnValue:
    args = request.args
    statuses = [s for s in CallbackStatus if s.value in args.getlist("status")]
    assignee = args.get("assignee", "")
    query = queries.select_callbacks(
        statuses=statuses,
        pool_only=assignee == "pool",
        assignee_id=as_id(assignee),
    ).order_by(Callback.due_at.desc(), Callback.id.desc())
    page = db.paginate(query, page=args.get("page", 1, type=parse_id), per_page=PER_PAGE, error_out=False)
    _audit_listing(page.items)
    return render_template(
        "callbacks/all.html",
        page=page,
        ref=reference,
        filters={"status": [s.value for s in statuses], "assignee": assignee},
        staff_choices=[(str(u.id), u.full_name) for u in auth_queries.list_active_staff()],
        failed=reminder_queries.failed_messages(limit=50),
        outbox=reminder_queries.count_by_status(),
        on_shift=shift_queries.on_shift_users(),
        now=now_utc(),
    )
