"""Pages: my callbacks and the pool, one callback and its actions, booking, and the managers' list."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from caseapp import reference
from caseapp.audit.services import record_event, record_listing
from caseapp.auth import queries as auth_queries
from caseapp.auth.access import guard_blueprint, require_role
from caseapp.auth.models import Role
from caseapp.callbacks import queries, services
from caseapp.callbacks.models import Callback
from caseapp.cases import queries as case_queries
from caseapp.cases import services as case_services
from caseapp.errors import AppError, ValidationError
from caseapp.extensions import db
from caseapp.ids import parse_id
from caseapp.reference import AttemptOutcome, CallbackPriority, CallbackStatus
from caseapp.reminders import queries as reminder_queries
from caseapp.shifts import queries as shift_queries
from caseapp.timeutil import local_day_bounds, now_utc, to_local

bp = Blueprint("callbacks", __name__)
guard_blueprint(bp, Role.ADVISOR)
PER_PAGE = 50


def due_from_form(form: MultiDict[str, str], prefix: str = "due") -> tuple[datetime | None, dict[str, Any]]:
    """A date + time typed in UK time (and the October fold choice) → UTC; ({}, None) errors are field-keyed."""
    day_text, time_text = form.get(f"{prefix}_date", "").strip(), form.get(f"{prefix}_time", "").strip()
    if not day_text or not time_text:
        return None, {"fields": {f"{prefix}_date": ["Enter the date and the time."]}, "choices": []}
    try:
        day, at = date.fromisoformat(day_text), time.fromisoformat(time_text)
    except ValueError:
        return None, {"fields": {f"{prefix}_date": ["Enter a real date and time."]}, "choices": []}
    fold = form.get("fold")
    try:
        return services.local_due_at(day, at, int(fold) if fold in ("0", "1") else None), {}
    except ValidationError as exc:
        fields = {(f"{prefix}_time" if k == "due_time" else k): v for k, v in exc.fields.items()}
        return None, {"fields": fields, "choices": exc.extra.get("choices", [])}


#: a service's field names → the fields the callback pages ask for (a time is typed as a date and a time)
_PAGE_FIELDS = {"due_at": "due_date", "next_due_at": "due_date", "next_window_minutes": "window_minutes"}


def _page_errors(error: AppError) -> dict[str, Any]:
    """A service's errors keyed by the page's own fields, so each shows under the field it is about."""
    fields: dict[str, list[str]] = {}
    for name, messages in error.fields.items():
        fields.setdefault(_PAGE_FIELDS.get(name, name), []).extend(messages)
    return {"fields": fields, "choices": error.extra.get("choices", [])}


def _int_or_none(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if re.fullmatch(r"-?[0-9]{1,9}", text) else None


def _audit_listing(callbacks: list[Callback]) -> None:
    """Callback lists show callers' names: which callbacks were shown is audited."""
    if callbacks:
        record_listing(
            "callback.listed", actor_id=current_user.id, entity_type="callback", ids=[c.id for c in callbacks]
        )
        db.session.commit()


# --- my callbacks, the pool -----------------------------------------------------------------------------------


@bp.get("/callbacks/")
def mine() -> ResponseReturnValue:
    end_of_today = local_day_bounds(to_local(now_utc()).date())[1]
    mine, pool = queries.my_callbacks(current_user.id, end_of_today), queries.pool()
    _audit_listing([*mine, *pool])
    return render_template(
        "callbacks/mine.html",
        mine=mine,
        pool=pool,
        on_shift=shift_queries.find_open_shift(current_user.id) is not None,
        now=now_utc(),
    )


@bp.post("/callbacks/<int:callback_id>/claim")
def claim(callback_id: int) -> ResponseReturnValue:
    try:
        services.claim_callback(callback_id, actor=current_user)
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("callbacks.mine"))
    db.session.commit()
    flash("The callback is yours.", "info")
    return redirect(url_for("callbacks.show", callback_id=callback_id))


@bp.post("/callbacks/<int:callback_id>/start")
def start(callback_id: int) -> ResponseReturnValue:
    callback = queries.lock_callback(callback_id)
    try:
        services.start_callback(callback, actor=current_user)
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
    return render_template(
        "callbacks/show.html",
        callback=callback,
        case=callback.case,
        caller=caller,
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
    )


@bp.get("/callbacks/<int:callback_id>")
def show(callback_id: int) -> ResponseReturnValue:
    callback = queries.get_callback(callback_id)
    record_event(
        "callback.viewed",
        actor_id=current_user.id,
        entity_type="callback",
        entity_id=callback.id,
        detail={"case_id": callback.case_id, "caller_id": callback.case.caller_id},
    )
    db.session.commit()
    return _render_callback(callback)


def _apply(callback_id: int, form_name: str, action: Any) -> ResponseReturnValue:
    """Run one change on a locked callback; on a user error re-render the page with what was typed."""
    callback = queries.lock_callback(callback_id)
    try:
        done = action(callback)
    except AppError as exc:
        db.session.rollback()
        callback = queries.get_callback(callback_id)
        return _render_callback(callback, form=form_name, errors=_page_errors(exc), message=exc.message), exc.status
    db.session.commit()
    for warning in done or []:
        flash(warning, "warning")
    return redirect(url_for("callbacks.show", callback_id=callback_id))


@bp.post("/callbacks/<int:callback_id>/attempts")
def record_attempt(callback_id: int) -> ResponseReturnValue:
    form = request.form

    def act(callback: Callback) -> list[str]:
        try:
            outcome = AttemptOutcome(form.get("outcome", ""))
        except ValueError:
            raise ValidationError("Choose what happened.", fields={"outcome": ["Choose what happened."]}) from None
        next_due = None
        if form.get("due_date") or form.get("due_time"):
            next_due, problems = due_from_form(form)
            if problems:
                raise ValidationError("Check the new time.", fields=problems["fields"], choices=problems["choices"])
        result = services.record_attempt(
            callback,
            outcome=outcome,
            actor=current_user,
            notes=form.get("notes"),
            next_due_at=next_due,
            next_window_minutes=_int_or_none(form.get("window_minutes")),
            override_preferred_times=form.get("override_preferred_times") == "true",
        )
        notes = [f"Attempt recorded: {outcome.label.lower()}."]
        if result.needs_reschedule:
            notes.append("No answer: choose a new time below (or leave it for later).")
        if result.callback.status == CallbackStatus.UNREACHABLE:
            notes.append("The caller could not be reached; the callback is closed and the case is flagged.")
        return notes + result.warnings

    return _apply(callback_id, "attempt", act)


@bp.post("/callbacks/<int:callback_id>/reschedule")
def reschedule(callback_id: int) -> ResponseReturnValue:
    form = request.form

    def act(callback: Callback) -> list[str]:
        due_at, problems = due_from_form(form)
        if problems:
            raise ValidationError("Check the new time.", fields=problems["fields"], choices=problems["choices"])
        assert due_at is not None  # noqa: S101 - no problems means a time
        return services.reschedule_callback(
            callback,
            due_at,
            actor=current_user,
            window_minutes=_int_or_none(form.get("window_minutes")),
            override_preferred_times=form.get("override_preferred_times") == "true",
        )

    return _apply(callback_id, "reschedule", act)


@bp.post("/callbacks/<int:callback_id>/reassign")
def reassign(callback_id: int) -> ResponseReturnValue:
    assignee = _int_or_none(request.form.get("assignee_id"))
    return _apply(
        callback_id, "reassign", lambda callback: services.reassign_callback(callback, assignee, actor=current_user)
    )


@bp.post("/callbacks/<int:callback_id>/cancel")
def cancel(callback_id: int) -> ResponseReturnValue:
    reason = request.form.get("cancel_reason")
    return _apply(
        callback_id, "cancel", lambda callback: services.cancel_callback(callback, actor=current_user, reason=reason)
    )


# --- booking ---------------------------------------------------------------------------------------------------


@bp.route("/cases/<int:case_id>/callbacks/new", methods=["GET", "POST"])
def book(case_id: int) -> ResponseReturnValue:
    case = case_queries.get_case(case_id)
    if request.method == "GET":  # the form shows the caller's consents and safe-to-call notes
        case_services.record_view(case, actor=current_user)
        db.session.commit()
    suggestion = services.suggestion_for(case)
    errors: dict[str, Any] = {}
    message = None
    if request.method == "POST":
        form = request.form
        due_at, errors = due_from_form(form)
        if due_at is not None:
            try:
                booking = services.book_callback(
                    case,
                    due_at=due_at,
                    actor=current_user,
                    window_minutes=_int_or_none(form.get("window_minutes")),
                    assignee_id=_int_or_none(form.get("assignee_id")),
                    priority=CallbackPriority(form["priority"])
                    if form.get("priority") in set(CallbackPriority)
                    else None,
                    reason=form.get("reason"),
                    override_preferred_times=form.get("override_preferred_times") == "true",
                )
            except AppError as exc:
                db.session.rollback()
                errors, message = _page_errors(exc), exc.message
            else:
                db.session.commit()
                flash(f"Callback booked for {to_local(booking.callback.due_at):%a %d %b %H:%M %Z}.", "info")
                for warning in booking.warnings:
                    flash(warning, "warning")
                return redirect(url_for("cases.show", case_id=case.id))
        values: MultiDict[str, Any] = MultiDict(form)
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
        assignee_id=_int_or_none(assignee),
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
