from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.access.models import NOTE_MAX, BreakGlassReason
from caseapp.schemas import AwareDateTime, LabelledEnum


class BreakGlassInputSchema(ma.Schema):
    reason = LabelledEnum(BreakGlassReason, required=True)
    note = fields.String(
        required=True,
        validate=validate.Length(min=1, max=NOTE_MAX),
        metadata={"description": "Why you need the case, in a few words (read by the admins who review it)."},
    )


class BreakGlassGrantSchema(ma.Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    user_id = fields.Integer()
    reason = LabelledEnum(BreakGlassReason)
    created_at = AwareDateTime()
    expires_at = AwareDateTime()
    flags = fields.List(fields.String())


class RevealedPhoneSchema(ma.Schema):
    case_id = fields.Integer()
    caller_id = fields.Integer()
    phone = fields.String(allow_none=True, metadata={"description": "E.164; null when the caller withheld it."})
    display = fields.String(metadata={"description": "As the pages show it (national format for UK numbers)."})
