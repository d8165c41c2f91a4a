"""JSON API: a case's safety plan (the latest version) and saving a new version."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.api import api_blueprint, operation
from caseapp.cases import queries as case_queries
from caseapp.extensions import db
from caseapp.safety_plans import queries, services
from caseapp.safety_plans.models import TEXT_FIELDS, SafetyPlan
from caseapp.safety_plans.schemas import SafetyPlanInput, SafetyPlanSchema

api_bp = api_blueprint("safety_plans", "/cases")


@operation(
    api_bp,
    "/<int:case_id>/safety-plan",
    summary="The case's safety plan (latest version; `version` null when none is saved yet)",
    response=SafetyPlanSchema,
)
def show(case_id: int) -> SafetyPlan | dict[str, Any]:
    case = access.get_case_for(case_id, current_user)
    plan = queries.find_latest_plan(case.id)
    if plan is None:
        return {"case_id": case.id, **dict.fromkeys(("id", "version", "created_by_id", "created_at", *TEXT_FIELDS))}
    services.record_view(plan, actor=current_user, via="api")
    db.session.commit()
    return plan


@operation(
    api_bp,
    "/<int:case_id>/safety-plan",
    "PUT",
    summary="Save the case's safety plan as a new version",
    body=SafetyPlanInput,
    response=SafetyPlanSchema,
)
def save(case_id: int, body: dict[str, Any]) -> SafetyPlan:
    case = case_queries.lock_case(case_id)  # versions are numbered in turn
    access.require(case, current_user, Action.CHANGE)
    plan = services.save_plan(case, body, actor=current_user)
    db.session.commit()
    return plan
