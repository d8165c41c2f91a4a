"""Requests and responses of the screenings API (the page's form is read into ScreeningInputSchema too)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.reference import Pathway, Substance
from caseapp.schemas import AwareDateTime, JsonBoolean, LabelledEnum
from caseapp.screenings.clinician import ClinicianScale
from caseapp.screenings.instruments import InstrumentCode
from caseapp.screenings.models import ScreeningStatus

_ANSWERS = {"description": "{item id: option value}; each item's options list the values allowed."}


class ScreeningInputSchema(ma.Schema):
    instrument = LabelledEnum(InstrumentCode, required=True)
    answers = fields.Dict(keys=fields.String(validate=validate.Length(max=8)), values=fields.Raw(), metadata=_ANSWERS)
    substance = LabelledEnum(
        Substance, load_default=None, allow_none=True, metadata={"description": "The substance an SDS is about."}
    )
    draft = JsonBoolean(
        load_default=False, metadata={"description": "Keep partial answers as a draft, completed later by PATCH."}
    )


class ScreeningPatchSchema(ma.Schema):
    answers = fields.Dict(
        keys=fields.String(validate=validate.Length(max=8)),
        values=fields.Raw(),
        metadata={"description": "Answers to add to (or change in) the draft's."},
    )
    substance = LabelledEnum(Substance, load_default=None, allow_none=True)
    draft = JsonBoolean(load_default=False, metadata={"description": "Still a draft; false (default) completes it."})


class OptionSchema(ma.Schema):
    value = fields.Integer(required=True)
    label = fields.String(required=True)
    score = fields.Integer(required=True)


class ItemSchema(ma.Schema):
    id = fields.String(required=True)
    text = fields.String(required=True)
    options = fields.List(fields.Nested(OptionSchema), required=True)


class BandSchema(ma.Schema):
    code = fields.String(required=True)
    label = fields.String(required=True)
    low = fields.Integer()
    high = fields.Integer()


class InstrumentSchema(ma.Schema):
    code = LabelledEnum(InstrumentCode, required=True)
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    preamble = fields.String()
    source = fields.String()
    needs_substance = fields.Boolean()
    items = fields.List(fields.Nested(ItemSchema), required=True)
    bands = fields.List(fields.Nested(BandSchema), required=True)
    sds_cutoffs = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        allow_none=True,
        metadata={"description": "SDS only: the cut-off per substance (the rest use the default)."},
    )


class InstrumentListSchema(ma.Schema):
    items = fields.List(fields.Nested(InstrumentSchema), required=True)


class SuggestionSchema(ma.Schema):
    code = LabelledEnum(Pathway, attribute="pathway", required=True)
    label = fields.Function(lambda s: s.pathway.label, required=True, metadata={"type": "string"})
    reason = fields.String(required=True)


class FollowUpSchema(ma.Schema):
    instrument = LabelledEnum(InstrumentCode, required=True)
    prefill = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class ScreeningSchema(ma.Schema):
    id = fields.Integer(required=True)
    case_id = fields.Integer(required=True)
    instrument = LabelledEnum(InstrumentCode, required=True)
    version = fields.Integer(required=True)
    status = LabelledEnum(ScreeningStatus, required=True)
    answers = fields.Dict(keys=fields.String(), values=fields.Integer())
    substance = LabelledEnum(Substance, allow_none=True)
    score = fields.Integer(allow_none=True)
    band = fields.Nested(BandSchema, attribute="band_info", allow_none=True)
    suggested_pathway = fields.Nested(SuggestionSchema, attribute="suggestion", allow_none=True)
    follow_up = fields.Nested(
        FollowUpSchema,
        allow_none=True,
        metadata={
            "description": "The instrument to ask next (a positive AUDIT-C: the full AUDIT), with answers to "
            "carry over."
        },
    )
    recorded_by_id = fields.Integer()
    recorded_at = AwareDateTime()
    completed_at = AwareDateTime(allow_none=True)


# --- clinician-reported withdrawal scales -----------------------------------------------------------------------------

_NOT_BLANK = validate.Regexp(r"\S", error="Enter this.")


class ClinicianScoreInputSchema(ma.Schema):
    instrument = LabelledEnum(ClinicianScale, required=True)
    score = fields.Integer(
        required=True, strict=True, metadata={"description": "The total: COWS 0 to 48, CIWA-Ar 0 to 67."}
    )
    assessed_at = AwareDateTime(required=True, metadata={"description": "When the clinician assessed."})
    clinician_name = fields.String(required=True, validate=[validate.Length(min=1, max=200), _NOT_BLANK])
    clinician_role = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=200), _NOT_BLANK],
        metadata={"description": "Their role and organisation, e.g. 'Nurse, Riverside detox unit'."},
    )


class ClinicianScoreSchema(ma.Schema):
    id = fields.Integer(required=True)
    case_id = fields.Integer(required=True)
    instrument = LabelledEnum(ClinicianScale, required=True)
    score = fields.Integer(required=True)
    band = fields.Nested(BandSchema, attribute="band_info", required=True)
    source = fields.String(required=True, metadata={"description": "The published cut-offs the band follows."})
    assessed_at = AwareDateTime(required=True)
    clinician_name = fields.String(required=True)
    clinician_role = fields.String(required=True)
    recorded_by_id = fields.Integer(required=True)
    recorded_at = AwareDateTime(required=True)
