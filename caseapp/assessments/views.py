"""Pages: the structured assessment form (new or correction) and the printable summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from caseapp import reference
from caseapp.api import load
from caseapp.assessments import queries, services
from caseapp.assessments.models import Assessment
from caseapp.assessments.schemas import COLUMN_FIELDS, FORM_LAYOUTS, AssessmentInputSchema
from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role
from caseapp.cases import queries as case_queries
from caseapp.cases.models import Case
from caseapp.errors import AppError, NotFound
from caseapp.extensions import db
from caseapp.forms import form_to_payload, merge_errors
from caseapp.reference import Labelled, RiskLevel
from caseapp.timeutil import to_local

bp = Blueprint("assessments", __name__)
guard_blueprint(bp, Role.ADVISOR)


def _values_from(assessment: Assessment) -> MultiDict[str, Any]:
    """A previous revision as form values, so a correction starts from what was recorded."""
    values: MultiDict[str, Any] = MultiDict()
    answers = dict(assessment.answers)
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


def _render(case: Case, values: MultiDict[str, Any], errors: dict[str, list[str]], message: str | None = None) -> str:
    return render_template(
        "assessments/form.html",
        case=case,
        values=values,
        errors=errors,
        message=message,
        ref=reference,
        correcting=values.get("supersedes_id"),
    )


@bp.route("/cases/<int:case_id>/assessments/new", methods=["GET", "POST"])
def new(case_id: int) -> ResponseReturnValue:
    case = case_queries.get_case(case_id)
    if request.method == "GET":
        corrects = request.args.get("corrects", type=int)
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
    payload, errors = form_to_payload(request.form, AssessmentInputSchema, local_datetimes=("last_use_at",))
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
                flash(
                    "Immediate danger recorded: managers on shift have been alerted. Follow the guidance below.",
                    "error",
                )
            else:
                flash(f"Assessment recorded (revision {assessment.revision}).", "info")
            return redirect(url_for("cases.show", case_id=case.id))
    case = case_queries.get_case(case_id)
    return _render(case, request.form, errors, message), 422


@bp.get("/assessments/<int:assessment_id>")
def show(assessment_id: int) -> ResponseReturnValue:
    assessment = queries.get_assessment(assessment_id)
    case = case_queries.get_case(assessment.case_id)
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
    )


def _display(value: Any, enum: Any) -> str:
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(_display(v, enum) for v in value)
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
