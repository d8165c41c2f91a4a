"""Which harm-reduction prompts an assessment raises (rules.py), and recording the advisor's response to each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from caseapp.assessments.models import Assessment
from caseapp.assessments.schemas import COLUMN_FIELDS
from caseapp.audit.services import record_event
from caseapp.auth.models import User
from caseapp.errors import ValidationError
from caseapp.extensions import db
from caseapp.harm_reduction import queries, rules
from caseapp.harm_reduction.models import HarmReductionPrompt, PromptResponse
from caseapp.timeutil import now_utc


@dataclass(frozen=True)
class Prompt:
    """A rule shown for an assessment, with the response recorded so far (None: not yet)."""

    rule: rules.Rule
    recorded: HarmReductionPrompt | None

    @property
    def response(self) -> PromptResponse | None:
        return self.recorded.response if self.recorded else None


def answers_of(assessment: Assessment) -> dict[str, Any]:
    """The assessment's answers with its column fields, as codes (what the rules read)."""
    answers = dict(assessment.answers or {})
    for name in COLUMN_FIELDS:
        value = getattr(assessment, name)
        answers[name] = value.value if hasattr(value, "value") else value
    return answers


def prompts_for(assessment: Assessment) -> list[Prompt]:
    recorded = queries.responses_for_assessment(assessment.id)
    return [Prompt(rule, recorded.get(rule.code)) for rule in rules.applicable(answers_of(assessment))]


def record_response(
    assessment: Assessment, rule_code: str, response: PromptResponse, *, actor: User
) -> HarmReductionPrompt:
    """Record (or change) the response to one of the assessment's prompts; audited as harm_reduction.prompt_recorded."""
    rule = rules.BY_CODE.get(rule_code)
    if rule is None or not rule.condition(answers_of(assessment)):
        message = "That prompt was not shown for this assessment."
        raise ValidationError(message, fields={"rule_code": [message]})
    prompt = queries.find_response(assessment.id, rule_code)
    if prompt is None:
        prompt = HarmReductionPrompt(assessment_id=assessment.id, case_id=assessment.case_id, rule_code=rule_code)
        db.session.add(prompt)
    prompt.rule_version = rule.version
    prompt.response = response
    prompt.recorded_by_id = actor.id
    prompt.recorded_at = now_utc()
    db.session.flush()
    record_event(
        "harm_reduction.prompt_recorded",
        actor_id=actor.id,
        entity_type="assessment",
        entity_id=assessment.id,
        detail={
            "case_id": assessment.case_id,
            "rule_code": rule_code,
            "rule_version": rule.version,
            "response": response.value,
        },
    )
    return prompt
