"""Pages: record or correct a safeguarding concern from a case, a record with its review, and the managers' list of
concerns (with the recent emergency log)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.api import load
from caseapp.auth.access import guard_blueprint, require_role
from caseapp.auth.models import Role
from caseapp.cases.models import Case
from caseapp.emergencies import queries as emergency_queries
from caseapp.emergencies import services as emergencies
from caseapp.errors import AppError, ValidationError
from caseapp.extensions import db
from caseapp.forms import form_to_payload, merge_errors
from caseapp.safeguarding import queries, reference, services
from caseapp.safeguarding.models import SafeguardingRecord
from caseapp.safeguarding.schemas import SafeguardingInputSchema, SafeguardingQuery, SafeguardingReviewSchema
from caseapp.timeutil import now_utc, to_local
from caseapp.transactions import commit_keeping_loaded

bp = Blueprint("safeguarding", __name__)
guard_blueprint(bp, Role.ADVISOR)
#: how far back the managers' page lists the emergency log
RECENT_EMERGENCIES = timedelta(days=7)
LOCAL_TIMES = ("agency_contacted_at",)


def _render_form(
    case: Case,
    values: MultiDict[str, Any],
    errors: dict[str, list[str]],
    message: str | None = None,
    record: SafeguardingRecord | None = None,
) -> str:
    return render_template(
        "safeguarding/form.html",
        case=case,
        record=record,
        values=values,
        errors=errors,
        message=message,
        ref=reference,
    )


def _values_from(record: SafeguardingRecord) -> MultiDict[str, Any]:
    values: MultiDict[str, Any] = MultiDict()
    values.setlist("at_risk", list(record.at_risk))
    values.setlist("categories", list(record.categories))
    for name in ("description", "decision_reason", "agency_reference"):
        values[name] = getattr(record, name) or ""
    values["children_count"] = "" if record.children_count is None else str(record.children_count)
    values["decision"] = record.decision.value
    values["agency"] = record.agency.value if record.agency else ""
    contacted = record.agency_contacted_at
    values["agency_contacted_at"] = to_local(contacted).strftime("%Y-%m-%dT%H:%M") if contacted else ""
    return values


def _submitted() -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """The form as SafeguardingInputSchema reads it, or None with the errors."""
    payload, errors = form_to_payload(request.form, SafeguardingInputSchema, local_datetimes=LOCAL_TIMES)
    if errors:
        return None, errors
    try:
        return load(SafeguardingInputSchema, payload), {}
    except AppError as exc:
        return None, exc.fields


@bp.route("/cases/<int:case_id>/safeguarding/new", methods=["GET", "POST"])
def new(case_id: int) -> ResponseReturnValue:
    case = access.get_case_for(case_id, current_user, Action.CHANGE)
    if request.method == "GET":
        return _render_form(case, MultiDict(), {})
    body, errors = _submitted()
    message = None
    if body is not None:
        try:
            services.record_concern(case, body, actor=current_user)
        except AppError as exc:
            db.session.rollback()
            errors, message = merge_errors(errors, exc.fields), exc.message
        else:
            db.session.commit()
            flash("Safeguarding concern recorded. A manager will review it.", "info")
            return redirect(url_for("cases.show", case_id=case.id) + "#safeguarding")
    return _render_form(case, request.form, errors, message or "The concern has not been saved yet."), 422


@bp.get("/safeguarding/<int:safeguarding_id>")
def show(safeguarding_id: int) -> ResponseReturnValue:
    record = queries.get_record(safeguarding_id)
    case = access.get_case_for(record.case_id, current_user)
    services.record_view(record, actor=current_user)
    db.session.commit()
    return _render_show(record, case, MultiDict(), {})


def _render_show(
    record: SafeguardingRecord,
    case: Case,
    values: MultiDict[str, Any],
    errors: dict[str, list[str]],
    message: str | None = None,
) -> str:
    return render_template(
        "safeguarding/show.html",
        record=record,
        case=case,
        ref=reference,
        next_statuses=reference.TRANSITIONS[record.status],
        can_change=access.can(case, current_user, Action.CHANGE),
        values=values,
        errors=errors,
        message=message,
    )


@bp.route("/safeguarding/<int:safeguarding_id>/edit", methods=["GET", "POST"])
def edit(safeguarding_id: int) -> ResponseReturnValue:
    record = queries.get_record(safeguarding_id)
    case = access.get_case_for(record.case_id, current_user, Action.CHANGE)
    if request.method == "GET":
        return _render_form(case, _values_from(record), {}, record=record)
    body, errors = _submitted()
    message, status = None, 422
    if body is not None:
        try:
            services.update_concern(queries.lock_record(safeguarding_id), body, actor=current_user)
        except AppError as exc:
            db.session.rollback()
            errors, message, status = merge_errors(errors, exc.fields), exc.message, exc.status
        else:
            db.session.commit()
            flash("Safeguarding record saved.", "info")
            return redirect(url_for("safeguarding.show", safeguarding_id=safeguarding_id))
    record = queries.get_record(safeguarding_id)
    return _render_form(case, request.form, errors, message or "The changes have not been saved yet.", record), status


@bp.post("/safeguarding/<int:safeguarding_id>/review")
@require_role(Role.MANAGER)
def review(safeguarding_id: int) -> ResponseReturnValue:
    record = queries.lock_record(safeguarding_id)
    case = access.get_case_for(record.case_id, current_user)
    payload, errors = form_to_payload(request.form, SafeguardingReviewSchema)
    try:
        if errors:
            raise ValidationError("Choose what the review decided.", fields=errors)
        body = load(SafeguardingReviewSchema, payload)
        services.review_concern(
            record, status=body["status"], outcome_note=body.get("outcome_note"), actor=current_user
        )
    except AppError as exc:
        db.session.rollback()
        record = queries.get_record(safeguarding_id)
        return _render_show(record, case, request.form, exc.fields, exc.message), exc.status
    db.session.commit()
    flash("Review saved.", "info")
    return redirect(url_for("safeguarding.show", safeguarding_id=safeguarding_id))


@bp.get("/safeguarding/")
@require_role(Role.MANAGER)
def concerns() -> ResponseReturnValue:
    args = {key: value for key, value in request.args.items() if value != ""}
    errors: dict[str, list[str]] = {}
    try:
        query = load(SafeguardingQuery, args)
    except AppError as exc:
        errors, query = exc.fields, load(SafeguardingQuery, {})
    days = query.get("older_than_days")
    before = now_utc() - timedelta(days=days) if days is not None else None
    records = queries.concerns([query["status"]], raised_before=before)
    actions = emergency_queries.recent_actions(now_utc() - RECENT_EMERGENCIES)
    services.record_concerns_listing(records, actor=current_user)
    emergencies.record_recent_listing(actions, actor=current_user)
    commit_keeping_loaded()
    return render_template(
        "safeguarding/list.html",
        records=records,
        actions=actions,
        status=query["status"],
        older_than_days=days,
        errors=errors,
        ref=reference,
        recent_days=RECENT_EMERGENCIES.days,
    )
