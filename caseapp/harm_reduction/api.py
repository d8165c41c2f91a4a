"""JSON API: the harm-reduction prompts of an assessment, and recording the response to one."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.api import api_blueprint, operation
from caseapp.assessments import queries as assessment_queries
from caseapp.assessments import services as assessment_services
from caseapp.extensions import db
from caseapp.harm_reduction import services
from caseapp.harm_reduction.models import HarmReductionPrompt, PromptResponse
from caseapp.harm_reduction.schemas import PromptListSchema, PromptResponseInput, RecordedPromptSchema

api_bp = api_blueprint("harm_reduction", "/assessments")


@operation(
    api_bp,
    "/<int:assessment_id>/harm-reduction",
    summary="The harm-reduction prompts an assessment raises, with any responses recorded",
    response=PromptListSchema,
)
def list_prompts(assessment_id: int) -> dict[str, Any]:
    assessment = assessment_queries.get_assessment(assessment_id)
    access.get_case_for(assessment.case_id, current_user)
    prompts = services.prompts_for(assessment)
    assessment_services.record_view(assessment, actor=current_user)  # the prompts say what the answers were
    db.session.commit()
    return {"assessment_id": assessment.id, "items": prompts}


@operation(
    api_bp,
    "/<int:assessment_id>/harm-reduction",
    "POST",
    summary="Record the response to a prompt: given, declined or not relevant (again to change it)",
    body=PromptResponseInput,
    response=RecordedPromptSchema,
    status=201,
)
def record(assessment_id: int, body: dict[str, Any]) -> HarmReductionPrompt:
    assessment = assessment_queries.get_assessment(assessment_id)
    access.get_case_for(assessment.case_id, current_user, Action.CHANGE)
    prompt = services.record_response(
        assessment, body["rule_code"], PromptResponse(body["response"]), actor=current_user
    )
    db.session.commit()
    return prompt
