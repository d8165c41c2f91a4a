from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.harm_reduction.models import PromptResponse
from caseapp.harm_reduction.rules import RULES
from caseapp.schemas import AwareDateTime

_RESPONSES = [member.value for member in PromptResponse]


class PromptResponseInput(ma.Schema):
    rule_code = fields.String(required=True, validate=validate.OneOf([rule.code for rule in RULES]))
    response = fields.String(required=True, validate=validate.OneOf(_RESPONSES), metadata={"enum": _RESPONSES})


class PromptSchema(ma.Schema):
    """A prompt shown for an assessment, with the response recorded (null: none yet)."""

    rule_code = fields.String(attribute="rule.code")
    rule_version = fields.Integer(attribute="rule.version")
    title = fields.String(attribute="rule.title")
    advice = fields.String(attribute="rule.advice")
    where_to_get_help = fields.String(attribute="rule.where_to_get_help")
    source = fields.String(attribute="rule.source")
    response = fields.String(allow_none=True, metadata={"enum": _RESPONSES})
    recorded_at = AwareDateTime(attribute="recorded.recorded_at", allow_none=True)
    recorded_by_id = fields.Integer(attribute="recorded.recorded_by_id", allow_none=True)


class PromptListSchema(ma.Schema):
    assessment_id = fields.Integer()
    items = fields.List(fields.Nested(PromptSchema))


class RecordedPromptSchema(ma.Schema):
    id = fields.Integer()
    assessment_id = fields.Integer()
    case_id = fields.Integer()
    rule_code = fields.String()
    rule_version = fields.Integer()
    response = fields.String()
    recorded_by_id = fields.Integer(allow_none=True)
    recorded_at = AwareDateTime()
