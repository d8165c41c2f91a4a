"""What the safeguarding API (and the page forms, through form_to_payload) take and return."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.safeguarding.reference import Agency, AtRisk, ConcernCategory, SafeguardingStatus, SharingDecision
from caseapp.schemas import AwareDateTime, LabelledEnum, WholeNumber

DESCRIPTION_MAX = 5000
REASON_MAX = 2000
AGENCY_REFERENCE_MAX = 100


def _record_fields(*, required: bool) -> dict[str, fields.Field]:
    """The fields of a record; `required` False for a PATCH (only what is sent changes)."""
    need: dict[str, Any] = {"required": True} if required else {}
    optional: dict[str, Any] = {"load_default": None} if required else {}
    return {
        "at_risk": fields.List(
            LabelledEnum(AtRisk),
            validate=validate.Length(min=1, max=len(AtRisk)),
            **need,
            metadata={"description": "Who is at risk (one or more)."},
        ),
        "children_count": WholeNumber(
            allow_none=True,
            validate=validate.Range(0, 30),
            **optional,
            metadata={"description": "How many children, when known (only with `children` at risk)."},
        ),
        "categories": fields.List(
            LabelledEnum(ConcernCategory), validate=validate.Length(min=1, max=len(ConcernCategory)), **need
        ),
        "description": fields.String(validate=validate.Length(min=1, max=DESCRIPTION_MAX), **need),
        "decision": LabelledEnum(
            SharingDecision,
            **need,
            metadata={"description": "Shared with or without consent, not shared, or left to a manager."},
        ),
        "decision_reason": fields.String(
            allow_none=True,
            validate=validate.Length(max=REASON_MAX),
            **optional,
            metadata={"description": "Why: required when shared without consent or not shared."},
        ),
        "agency": LabelledEnum(Agency, allow_none=True, **optional),
        "agency_reference": fields.String(
            allow_none=True, validate=validate.Length(max=AGENCY_REFERENCE_MAX), **optional
        ),
        "agency_contacted_at": AwareDateTime(allow_none=True, **optional),
    }


SafeguardingInputSchema = ma.Schema.from_dict(_record_fields(required=True), name="SafeguardingInputSchema")
SafeguardingPatchSchema = ma.Schema.from_dict(_record_fields(required=False), name="SafeguardingPatchSchema")


class SafeguardingReviewSchema(ma.Schema):
    status = LabelledEnum(
        SafeguardingStatus, required=True, metadata={"description": "open → under_review → closed, one step at a time."}
    )
    outcome_note = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=REASON_MAX),
        metadata={"description": "The outcome of the review: required to close it."},
    )


class SafeguardingQuery(ma.Schema):
    status = LabelledEnum(SafeguardingStatus, load_default=SafeguardingStatus.OPEN)
    older_than_days = WholeNumber(
        load_default=None,
        allow_none=True,
        validate=validate.Range(0, 3650),
        metadata={"description": "Only concerns raised more than this many days ago."},
    )


class SafeguardingSchema(ma.Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    case_reference = fields.String(attribute="case.reference")
    created_by_id = fields.Integer(allow_none=True)
    created_at = AwareDateTime()
    updated_at = AwareDateTime()
    at_risk = fields.List(fields.String())
    children_count = fields.Integer(allow_none=True)
    categories = fields.List(fields.String())
    description = fields.String()
    decision = LabelledEnum(SharingDecision)
    decision_reason = fields.String(allow_none=True)
    agency = LabelledEnum(Agency, allow_none=True)
    agency_reference = fields.String(allow_none=True)
    agency_contacted_at = AwareDateTime(allow_none=True)
    status = LabelledEnum(SafeguardingStatus)
    reviewed_by_id = fields.Integer(allow_none=True)
    reviewed_at = AwareDateTime(allow_none=True)
    review_note = fields.String(allow_none=True)
    version = fields.Integer()
