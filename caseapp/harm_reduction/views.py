"""Pages: recording the response to a harm-reduction prompt from the assessment page's buttons."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.api import load
from caseapp.assessments import queries as assessment_queries
from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.forms import form_to_payload
from caseapp.harm_reduction import services
from caseapp.harm_reduction.models import PromptResponse
from caseapp.harm_reduction.schemas import PromptResponseInput

bp = Blueprint("harm_reduction", __name__)
guard_blueprint(bp, Role.ADVISOR)

RECORDED = {
    PromptResponse.GIVEN: "Recorded: advice given.",
    PromptResponse.DECLINED: "Recorded: the caller declined the advice.",
    PromptResponse.NOT_RELEVANT: "Recorded: not relevant.",
}


@bp.post("/assessments/<int:assessment_id>/harm-reduction")
def record(assessment_id: int) -> ResponseReturnValue:
    assessment = assessment_queries.get_assessment(assessment_id)
    access.get_case_for(assessment.case_id, current_user, Action.CHANGE)
    payload, _ = form_to_payload(request.form, PromptResponseInput)
    body = load(PromptResponseInput, payload)
    response = PromptResponse(body["response"])
    services.record_response(assessment, body["rule_code"], response, actor=current_user)
    db.session.commit()
    flash(RECORDED[response], "info")
    return redirect(url_for("assessments.show", assessment_id=assessment.id) + "#harm-reduction")
