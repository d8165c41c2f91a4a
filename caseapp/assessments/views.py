"""Pages: the structured assessment form (new or correction) and the printable summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from caseapp import reference
from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.api import load
from caseapp.assessments import pathways, queries, services
from caseapp.assessments.models import Assessment
from caseapp.assessments.schemas import COLUMN_FIELDS, FORM_LAYOUTS, AssessmentInputSchema
from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role
from caseapp.cases import queries as case_queries
from caseapp.cases.models import Case
from caseapp.emergencies import queries as emergency_queries
from caseapp.emergencies import services as emergencies
from caseapp.emergencies import texts as emergency_texts
from caseapp.errors import AppError, NotFound
from caseapp.extensions import db
from caseapp.forms import form_to_payload, merge_errors
from caseapp.harm_reduction import services as harm_reduction
from caseapp.ids import parse_id
from caseapp.reference import Labelled, RiskLevel
from caseapp.timeutil import now_utc, to_local

bp = Blueprint("assessments", __name__)
guard_blueprint(bp, Role.ADVISOR)


#: answers the service works out (the suggestion and whether it was followed): not form values
_RECORDED_BY_THE_SERVICE = ("suggested_pathway", "pathway_suggestions", "pathway_followed")


def _values_from(assessment: Assessment) -> MultiDict[str, Any]:
    """A previous revision as form values, so a correction starts from what was recorded."""
    values: MultiDict[str, Any] = MultiDict()
    answers = {k: v for k, v in assessment.answers.items() if k not in _RECORDED_BY_THE_SERVICE}
    for name in COLUMN_FIELDS:
        value = getattr(assessment, name)
        answers[name] = "true" if value is True else value.value if isinstance(value, Labelled) else value
    for key, value in answers.items():
        if isinstance(value, list):
            values.setlist(key, value)
        elif isinstance(value, bool):
            values[key] = "true" if value else "false"
        elif key == "last_use_at" and value:
            values[key] = to_local(datetime.fromisoformat(value)).strftime("%Y-%m-%dT%H:%M")
        elif value is not None:
            values[key] = str(value)
    values["supersedes_id"] = str(assessment.id)
    return values


def _render(
    case: Case,
    values: MultiDict[str, Any],
    errors: dict[str, list[str]],
    message: str | None = None,
    alert_text: str | None = None,
) -> str:
    if alert_text is None:
        alert_text = emergency_texts.describe(emergency_queries.find_latest_alert(case.id, since=_alert_horizon()))
    return render_template(
        "assessments/form.html",
        case=case,
        values=values,
        errors=errors,
        message=message,
        ref=reference,
        correcting=values.get("supersedes_id"),
        alert_text=alert_text,
        suggestions=pathways.suggestions_for(case.id),
    )


def _alert_horizon() -> datetime:
    """Alerts older than this belong to an earlier emergency (the form shows only the current one)."""
    return now_utc() - emergencies.REPEAT_WINDOW


def _alert_if_in_danger(case: Case) -> emergencies.RaisedAlert | None:
    """A form sent with "immediate danger" chosen alerts the managers first, whatever else it holds: the alert does
    not wait for the rest of the form to be right (nor for JavaScript, which sends it on choosing)."""
    danger = request.form.get("immediate_danger") == "true"
    if not danger and request.form.get("risk_level") != RiskLevel.IMMEDIATE_DANGER.value:
        return None
    raised = emergencies.raise_alert(case, actor=current_user)
    db.session.commit()
    return raised


@bp.route("/cases/<int:case_id>/assessments/new", methods=["GET", "POST"])
def new(case_id: int) -> ResponseReturnValue:
    case = access.get_case_for(case_id, current_user, Action.CHANGE)
    if request.method == "GET":
        corrects = request.args.get("corrects", type=parse_id)
        if corrects:
            previous = queries.get_assessment(corrects)
            if previous.case_id != case.id:
                raise NotFound("No such assessment on this case.")
            services.record_view(previous, actor=current_user)
            db.session.commit()
            values = _values_from(previous)
        else:
            values = MultiDict({"funding_route": "unknown", "consent_data_processing": ""})
        return _render(case, values, {})
    raised = _alert_if_in_danger(case)
    form = request.form.copy()
    if form.get("immediate_danger") == "true" and not form.get("risk_level"):
        form["risk_level"] = RiskLevel.IMMEDIATE_DANGER.value  # yes to the first question is the risk level
    payload, errors = form_to_payload(form, AssessmentInputSchema, local_datetimes=("last_use_at",))
    message = None
    if not errors:
        try:
            assessment = services.record_assessment(case, load(AssessmentInputSchema, payload), actor=current_user)
        except AppError as exc:
            db.session.rollback()
            errors, message = merge_errors(errors, exc.fields), exc.message
        else:
            db.session.commit()
            if assessment.risk_level == RiskLevel.IMMEDIATE_DANGER:
                alert = emergency_queries.find_latest_alert(case.id)
                flash(
                    f"Immediate danger recorded. {emergency_texts.describe(alert)} Follow the guidance below.", "error"
                )
                return redirect(url_for("cases.show", case_id=case.id))
            if harm_reduction.prompts_for(assessment):
                flash(f"Assessment recorded (revision {assessment.revision}). Offer the advice below.", "info")
                return redirect(url_for("assessments.show", assessment_id=assessment.id) + "#harm-reduction")
            flash(f"Assessment recorded (revision {assessment.revision}).", "info")
            return redirect(url_for("cases.show", case_id=case.id))
    case = case_queries.get_case(case_id)
    alert_text = emergency_texts.describe(raised.alert, is_new=raised.is_new) if raised else None
    return _render(case, form, errors, message, alert_text), 422


@bp.post("/cases/<int:case_id>/assessments/alert")
def alert(case_id: int) -> ResponseReturnValue:
    """ "Alert the shift manager now" without JavaScript: the form comes back with everything typed, and says whom."""
    case = access.get_case_for(case_id, current_user, Action.CHANGE)
    raised = emergencies.raise_alert(case, actor=current_user)
    db.session.commit()
    return _render(case, request.form, {}, alert_text=emergency_texts.describe(raised.alert, is_new=raised.is_new))


@bp.get("/assessments/<int:assessment_id>")
def show(assessment_id: int) -> ResponseReturnValue:
    assessment = queries.get_assessment(assessment_id)
    case = access.get_case_for(assessment.case_id, current_user)
    services.record_view(assessment, actor=current_user)
    db.session.commit()
    answers = dict(assessment.answers)
    for name in COLUMN_FIELDS:
        answers[name] = getattr(assessment, name)
    rows = [(label, _display(answers.get(key), enum)) for key, label, enum in FORM_LAYOUTS[assessment.form_version]]
    return render_template(
        "assessments/show.html",
        assessment=assessment,
        case=case,
        rows=rows,
        superseded=queries.is_superseded(assessment.id),
        prompts=harm_reduction.prompts_for(assessment),
    )


def _display(value: Any, enum: Any) -> str:
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict) and "reason" in value:
        return str(value["reason"])  # a pathway suggestion
    if isinstance(value, list):
        return (
            "; ".join(_display(v, enum) for v in value)
            if value and isinstance(value[0], dict)
            else ", ".join(_display(v, enum) for v in value)
        )
    if enum is not None:
        try:
            return str(enum(value).label)
        except ValueError:
            return str(value)  # a value an older form allowed
    if isinstance(value, str) and len(value) >= 16 and value[4] == "-" and "T" in value:
        try:
            return to_local(datetime.fromisoformat(value)).strftime("%d %b %Y %H:%M %Z")
        except ValueError:
            return value
    return str(value)
