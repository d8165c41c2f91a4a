"""Pages: building a case's safety plan with the caller, and the plain printable copy for them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.api import load
from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role
from caseapp.cases import queries as case_queries
from caseapp.cases.models import Case
from caseapp.errors import AppError
from caseapp.extensions import db
from caseapp.forms import form_to_payload
from caseapp.safety_plans import queries, services
from caseapp.safety_plans.models import TEXT_FIELDS
from caseapp.safety_plans.schemas import TEXT_MAX, SafetyPlanInput
from caseapp.safety_plans.texts import SUGGESTED_SERVICES

bp = Blueprint("safety_plans", __name__)
guard_blueprint(bp, Role.ADVISOR)

LABELS = {
    "warning_signs": "Warning signs",
    "coping_strategies": "What helps",
    "contacts": "People I can contact",
    "services": "Services and crisis numbers",
    "safe_place": "A safe place I can go",
}


def _render(case: Case, values: Any, errors: dict[str, list[str]], message: str | None = None) -> str:
    return render_template(
        "safety_plans/edit.html",
        case=case,
        values=values,
        errors=errors,
        message=message,
        labels=LABELS,
        fields=TEXT_FIELDS,
        versions=queries.plan_versions(case.id),
        max_length=TEXT_MAX,
    )


@bp.get("/cases/<int:case_id>/safety-plan")
def edit(case_id: int) -> ResponseReturnValue:
    case = access.get_case_for(case_id, current_user)
    plan = queries.find_latest_plan(case.id)
    if plan is None:
        values: dict[str, Any] = {"services": SUGGESTED_SERVICES}
    else:
        services.record_view(plan, actor=current_user, via="page")
        db.session.commit()
        values = {name: getattr(plan, name) for name in TEXT_FIELDS}
    return _render(case, values, {})


@bp.post("/cases/<int:case_id>/safety-plan")
def save(case_id: int) -> ResponseReturnValue:
    case = case_queries.lock_case(case_id)
    access.require(case, current_user, Action.CHANGE)
    payload, errors = form_to_payload(request.form, SafetyPlanInput)
    message = None
    if not errors:
        try:
            plan = services.save_plan(case, load(SafetyPlanInput, payload), actor=current_user)
        except AppError as exc:
            db.session.rollback()
            errors, message = dict(exc.fields or {}), exc.message
        else:
            db.session.commit()
            flash(f"Safety plan saved (version {plan.version}).", "info")
            return redirect(url_for("safety_plans.edit", case_id=case.id))
    return _render(case_queries.get_case(case_id), request.form, errors, message), 422


@bp.get("/cases/<int:case_id>/safety-plan/print")
def print_plan(case_id: int) -> ResponseReturnValue:
    case = access.get_case_for(case_id, current_user)
    plan = queries.find_latest_plan(case.id)
    if plan is None:
        return render_template("safety_plans/print.html", plan=None, sections=[])
    services.record_view(plan, actor=current_user, via="print")
    db.session.commit()
    sections = [(LABELS[name], getattr(plan, name)) for name in TEXT_FIELDS if getattr(plan, name)]
    return render_template("safety_plans/print.html", plan=plan, sections=sections)
