"""Recording assessments: immutable revisions, and the case's risk and status (immediate danger also alerts)."""

from __future__ import annotations

from typing import Any

from caseapp.assessments import pathways, queries
from caseapp.assessments.models import Assessment
from caseapp.assessments.schemas import COLUMN_FIELDS, FORM_VERSION
from caseapp.audit.services import record_event
from caseapp.auth.models import User
from caseapp.calls import queries as call_queries
from caseapp.cases import services as case_services
from caseapp.cases.models import Case
from caseapp.emergencies import services as emergencies
from caseapp.errors import Conflict, ValidationError
from caseapp.extensions import db
from caseapp.reference import RiskLevel
from caseapp.timeutil import now_utc


def record_assessment(case: Case, answers: dict[str, Any], *, actor: User) -> Assessment:
    """Store a new assessment (or a correction of `supersedes_id`), validated by AssessmentInputSchema."""
    values = dict(answers)
    call_id = values.pop("call_id", None)
    supersedes_id = values.pop("supersedes_id", None)
    revision = 1
    if call_id is not None:
        call = call_queries.find_call(call_id)
        if call is None or call.case_id != case.id:
            raise ValidationError(
                "That call is not one of this case's.", fields={"call_id": ["Not a call of this case."]}
            )
    if supersedes_id is not None:
        previous = queries.lock_assessment(supersedes_id)
        if previous is None or previous.case_id != case.id:
            message = "That assessment is not one of this case's."
            raise ValidationError(message, fields={"supersedes_id": ["Not an assessment of this case."]})
        if queries.is_superseded(previous.id):
            raise Conflict("That assessment has already been corrected; correct the latest revision instead.")
        revision = previous.revision + 1
    columns = {name: values.pop(name) for name in COLUMN_FIELDS}
    reason = values.pop("pathway_override_reason", None)
    values.update(pathways.check_choice(pathways.suggestions_for(case.id), columns["recommended_pathway"], reason))
    now = now_utc()
    assessment = Assessment(
        case_id=case.id,
        call_id=call_id,
        advisor_id=actor.id,
        form_version=FORM_VERSION,
        supersedes_id=supersedes_id,
        revision=revision,
        consent_recorded_at=now,
        answers=_jsonable(values),
        **columns,
    )
    db.session.add(assessment)
    db.session.flush()
    case_services.raise_risk(case, assessment.risk_level)
    case_services.mark_assessed(case)
    record_event(
        "assessment.recorded",
        actor_id=actor.id,
        entity_type="assessment",
        entity_id=assessment.id,
        detail={"case_id": case.id, "revision": revision, "risk_level": assessment.risk_level.value}
        | ({"pathway_followed": values["pathway_followed"]} if "pathway_followed" in values else {}),
    )
    if assessment.risk_level == RiskLevel.IMMEDIATE_DANGER:
        # usually alerted already, the moment immediate danger was chosen; if not (an API client), now
        emergencies.raise_alert(case, actor=actor, assessment_id=assessment.id)
    return assessment


def record_view(assessment: Assessment, *, actor: User) -> None:
    record_event("assessment.viewed", actor_id=actor.id, entity_type="assessment", entity_id=assessment.id)


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, list):
            out[key] = [v if isinstance(v, dict) else str(v) for v in value]
        elif hasattr(value, "isoformat"):
            out[key] = value.isoformat()
        elif value is not None and not isinstance(value, bool | int | str):
            out[key] = str(value)
        else:
            out[key] = value
    return out
