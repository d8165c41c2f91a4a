"""JSON API for assessments: record one (or a correction) on a case, list a case's revisions."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.api import api_blueprint, operation, page_of
from caseapp.assessments import queries, services
from caseapp.assessments.models import Assessment
from caseapp.assessments.schemas import AssessmentInputSchema, AssessmentSchema
from caseapp.audit.services import record_listing
from caseapp.cases import queries as case_queries
from caseapp.extensions import db

api_bp = api_blueprint("assessments", "/cases")


@operation(
    api_bp,
    "/<int:case_id>/assessments",
    "POST",
    summary="Record an assessment (or a correction)",
    body=AssessmentInputSchema,
    response=AssessmentSchema,
    status=201,
)
def create(case_id: int, body: dict[str, Any]) -> Assessment:
    case = case_queries.lock_case(case_id)  # it changes the case's risk and status: wait for any other writer
    access.require(case, current_user, Action.CHANGE)
    assessment = services.record_assessment(case, body, actor=current_user)
    db.session.commit()
    return assessment


@operation(
    api_bp,
    "/<int:case_id>/assessments",
    summary="A case's assessments, newest revision first",
    response=page_of(AssessmentSchema),
)
def list_for_case(case_id: int) -> dict[str, Any]:
    case = access.get_case_for(case_id, current_user)
    items = queries.assessments_for_case(case.id)
    record_listing(
        "assessment.listed", actor_id=current_user.id, entity_type="case", entity_id=case.id, ids=[a.id for a in items]
    )
    db.session.commit()
    return {"items": items, "next": None}
