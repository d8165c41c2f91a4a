from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.caller_flags.schemas import FlagSchema
from caseapp.callers.models import NumberKind
from caseapp.callers.phones import display
from caseapp.ids import Id
from caseapp.reference import CallType, CaseStatus, Channel, Relationship, RiskLevel
from caseapp.schemas import AwareDateTime, JsonBoolean, LabelledEnum


class CallerDetailsSchema(ma.Schema):
    """What can be recorded about a caller. Left out: unchanged. In PATCH /callers/{id}, null clears the field."""

    name = fields.String(allow_none=True, validate=validate.Length(max=120))
    relationship = LabelledEnum(Relationship, allow_none=True)
    consent_callback = JsonBoolean(allow_none=True)
    consent_voicemail = JsonBoolean(allow_none=True)
    consent_sms = JsonBoolean(allow_none=True)
    preferred_from = fields.Time(allow_none=True, metadata={"description": "Local (Europe/London) wall-clock time."})
    preferred_to = fields.Time(allow_none=True)
    preferred_times_note = fields.String(allow_none=True, validate=validate.Length(max=200))
    safe_to_call_notes = fields.String(allow_none=True, validate=validate.Length(max=2000))


class CaseSummarySchema(ma.Schema):
    id = fields.Integer()
    reference = fields.String()
    status = LabelledEnum(CaseStatus)
    risk_level = LabelledEnum(RiskLevel, allow_none=True)
    assigned_advisor_id = fields.Integer(allow_none=True)


class CallSummarySchema(ma.Schema):
    id = fields.Integer()
    started_at = AwareDateTime()
    call_type = LabelledEnum(CallType)
    channel = LabelledEnum(Channel)
    advisor_id = fields.Integer()
    outcome_summary = fields.String(allow_none=True)


class CallerSchema(ma.Schema):
    id = fields.Integer()
    phone = fields.String(
        attribute="phone_e164",
        allow_none=True,
        metadata={"description": "E.164; null = withheld; only the last three digits when `phone_masked`"},
    )
    phone_display = fields.Function(
        lambda c: c.phone_e164 if getattr(c, "phone_masked", False) else display(c.phone_e164),
        metadata={"type": "string", "description": "As advisors see it"},
    )
    phone_masked = fields.Boolean(
        dump_default=False,
        metadata={
            "description": "The number is masked (lists, for the roles CASEAPP_MASK_PHONES_FOR names): "
            "POST /api/v1/cases/{id}/phone reveals it (audited)"
        },
    )
    name = fields.String(
        attribute="display_name", allow_none=True, metadata={"description": '"Anonymised caller" once anonymised'}
    )
    relationship = LabelledEnum(Relationship)
    consent_callback = fields.Boolean()
    consent_voicemail = fields.Boolean()
    consent_sms = fields.Boolean()
    preferred_from = fields.Time(allow_none=True)
    preferred_to = fields.Time(allow_none=True)
    preferred_times_note = fields.String(allow_none=True)
    safe_to_call_notes = fields.String(allow_none=True)
    created_at = AwareDateTime()
    anonymised_at = AwareDateTime(
        allow_none=True, metadata={"description": "When retention or an erasure removed their details; null: never"}
    )
    merged_into_id = fields.Integer(
        allow_none=True, metadata={"description": "The record this one was merged into (a manager's merge); null: none"}
    )
    merged_at = AwareDateTime(allow_none=True)


class CallerMatchSchema(CallerSchema):
    """A phone lookup hit, with what an advisor needs before speaking."""

    open_case = fields.Nested(CaseSummarySchema, allow_none=True)
    recent_calls = fields.List(fields.Nested(CallSummarySchema))


class CallerLookupSchema(ma.Schema):
    """A phone lookup: the caller with this number (none or one), and the flags in force on the number or them."""

    items = fields.List(fields.Nested(CallerMatchSchema), required=True)
    next = fields.String(allow_none=True, required=True)
    flags = fields.List(
        fields.Nested(FlagSchema),
        metadata={
            "description": "Flags in force on the number or its caller; `reason` only for those who may read it."
        },
    )


class CallerLookupQuery(ma.Schema):
    phone = fields.String(required=True, validate=validate.Length(min=1, max=40))


class CallerNumberCreateSchema(ma.Schema):
    phone = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "Any format", "example": "020 7946 0431"},
    )
    kind = LabelledEnum(NumberKind, required=True)
    label = fields.String(allow_none=True, validate=validate.Length(max=100), metadata={"description": "e.g. sister's"})
    consent_confirmed = JsonBoolean(
        load_default=False,
        metadata={"description": "Required (true) for a family member's phone: it is used with their consent"},
    )


class CallerNumberSchema(ma.Schema):
    id = fields.Integer()
    caller_id = fields.Integer()
    phone = fields.String(
        attribute="phone_e164", metadata={"description": "E.164; only the last three digits when `phone_masked`"}
    )
    phone_display = fields.Function(
        lambda n: n.phone_e164 if getattr(n, "phone_masked", False) else display(n.phone_e164),
        metadata={"type": "string"},
    )
    phone_masked = fields.Boolean(dump_default=False, metadata={"description": "For the roles CASEAPP_MASK_PHONES_FOR"})
    kind = LabelledEnum(NumberKind)
    label = fields.String(allow_none=True)
    consent_confirmed_at = AwareDateTime(allow_none=True)
    added_by_id = fields.Integer(allow_none=True)
    created_at = AwareDateTime()


class CallerMergeRequestSchema(ma.Schema):
    duplicate_id = Id(required=True, metadata={"description": "The record that goes"})


class CallerMergeSchema(ma.Schema):
    id = fields.Integer()
    kept_id = fields.Integer()
    duplicate_id = fields.Integer()
    moved = fields.Dict(
        keys=fields.String(),
        metadata={
            "description": "Ids of the rows moved, by table; number_id: the row the duplicate's main number became "
            "(number_was_theirs: it was already one of the kept caller's numbers)"
        },
    )
    merged_by_id = fields.Integer(allow_none=True)
    created_at = AwareDateTime()
    undone_at = AwareDateTime(allow_none=True)
    undone_by_id = fields.Integer(allow_none=True)
