from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.retention.services import REASON_MAX_LENGTH
from caseapp.schemas import AwareDateTime


class ReasonSchema(ma.Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=REASON_MAX_LENGTH),
        metadata={"description": "Why (kept in the audit trail; do not repeat the caller's details)."},
    )


class ErasureSchema(ma.Schema):
    caller_id = fields.Integer()
    anonymised_at = AwareDateTime(allow_none=True)
    case_ids = fields.List(fields.Integer())
    rows = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "Rows changed per table"}
    )


class LegalHoldSchema(ma.Schema):
    case_id = fields.Integer(attribute="id")
    reference = fields.String()
    on_hold = fields.Boolean(attribute="is_on_legal_hold")
    legal_hold_at = AwareDateTime(allow_none=True)
    legal_hold_by_id = fields.Integer(allow_none=True)
    legal_hold_reason = fields.String(allow_none=True)
