"""Page actions: alert the managers on shift from a case page (the assessment form has its own, which keeps input),
and log a 999 call or a transfer."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.api import load
from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role
from caseapp.cases import queries as case_queries
from caseapp.cases.models import Case
from caseapp.emergencies import services, texts
from caseapp.emergencies.models import EmergencyActionKind, EmergencyOutcome, EmergencyService
from caseapp.emergencies.schemas import EmergencyActionInputSchema
from caseapp.errors import AppError
from caseapp.extensions import db
from caseapp.forms import form_to_payload, merge_errors
from caseapp.reference import choices
from caseapp.timeutil import now_utc, to_local

bp = Blueprint("emergencies", __name__)
guard_blueprint(bp, Role.ADVISOR)


@bp.post("/cases/<int:case_id>/emergency-alert")
def create(case_id: int) -> ResponseReturnValue:
    case = case_queries.get_case(case_id)
    raised = services.raise_alert(case, actor=current_user)
    db.session.commit()
    flash(texts.describe(raised.alert, is_new=raised.is_new), "error" if raised.alert.recipients == 0 else "info")
    return redirect(url_for("cases.show", case_id=case.id))


def _render_log_form(case: Case, values: MultiDict[str, Any], errors: dict[str, list[str]], message: str | None) -> str:
    return render_template(
        "emergencies/log_form.html",
        case=case,
        values=values,
        errors=errors,
        message=message,
        kinds=choices(EmergencyActionKind),
        services=choices(EmergencyService),
        outcomes=choices(EmergencyOutcome),
    )


@bp.route("/cases/<int:case_id>/emergency-log/new", methods=["GET", "POST"])
def log_action(case_id: int) -> ResponseReturnValue:
    """Log a 999 call or a transfer made for the caller (the form comes back with what was typed when refused)."""
    case = access.get_case_for(case_id, current_user, Action.CHANGE)
    if request.method == "GET":
        return _render_log_form(case, MultiDict({"made_at": to_local(now_utc()).strftime("%Y-%m-%dT%H:%M")}), {}, None)
    payload, errors = form_to_payload(request.form, EmergencyActionInputSchema, local_datetimes=("made_at",))
    message = "The emergency action has not been saved yet."
    if not errors:
        try:
            services.log_action(case, load(EmergencyActionInputSchema, payload), actor=current_user)
        except AppError as exc:
            db.session.rollback()
            errors, message = merge_errors(errors, exc.fields), exc.message
        else:
            db.session.commit()
            flash("Emergency action logged.", "info")
            return redirect(url_for("cases.show", case_id=case.id) + "#emergency-log")
    return _render_log_form(case, request.form, errors, message), 422
