from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.api import PageQuery
from caseapp.callers.schemas import CallerSchema
from caseapp.reference import CaseStatus, CloseReason, RiskLevel
from caseapp.schemas import AwareDateTime, LabelledEnum, WholeNumber


class CaseSchema(ma.Schema):
    id = fields.Integer()
    reference = fields.String()
    status = LabelledEnum(CaseStatus)
    close_reason = LabelledEnum(CloseReason, allow_none=True)
    closed_at = AwareDateTime(allow_none=True)
    risk_level = LabelledEnum(RiskLevel, allow_none=True)
    assigned_advisor_id = fields.Integer(allow_none=True)
    caller_id = fields.Integer()
    caller = fields.Nested(CallerSchema)
    version = fields.Integer()
    created_at = AwareDateTime()
    updated_at = AwareDateTime()


class CasePatchSchema(ma.Schema):
    version = WholeNumber(required=True, metadata={"description": "The version you read; 409 if it changed."})
    status = LabelledEnum(CaseStatus)
    close_reason = LabelledEnum(CloseReason, allow_none=True)
    assigned_advisor_id = WholeNumber(allow_none=True)
    risk_level = LabelledEnum(RiskLevel)


class CaseListQuery(PageQuery):
    status = fields.List(LabelledEnum(CaseStatus), load_default=list)
    advisor = fields.String(load_default=None, validate=validate.Regexp(r"^(me|\d+)$"))
    risk = fields.List(LabelledEnum(RiskLevel), load_default=list)
    open = fields.Boolean(load_default=False)


class NoteCreateSchema(ma.Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=20000))


class TimelineEntrySchema(ma.Schema):
    kind = fields.String(metadata={"description": "call, assessment or note"})
    id = fields.Integer()
    at = AwareDateTime()
    actor_id = fields.Integer(allow_none=True)
    summary = fields.String()
