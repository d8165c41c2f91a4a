"""What the suggestions and offers API (and the "Suggest services" page, through form_to_payload) take and return."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.directory.models import CommercialRelationship, Gender, Region
from caseapp.directory.schemas import ServiceSchema
from caseapp.ids import Id
from caseapp.reference import FundingRoute, Pathway, Substance
from caseapp.referrals.offers import REASON_MAX, ItemAction
from caseapp.schemas import AwareDateTime, JsonBoolean, LabelledEnum, WholeNumber

#: the page's choice for a service left out of the offer
LEAVE = "leave"
#: the most services one offer can name
MAX_ITEMS = 50


def _criteria_fields(boolean: type[fields.Boolean]) -> dict[str, fields.Field]:
    """The matcher's inputs; each left out is the case's latest assessment's (pathway, substance, funding route,
    dual diagnosis) or no filter (region, age, gender)."""

    def optional(enum: Any, text: str) -> LabelledEnum:
        return LabelledEnum(enum, load_default=None, allow_none=True, metadata={"description": text})

    return {
        "pathway": optional(Pathway, "Instead of the assessment's recommended pathway."),
        "substance": optional(Substance, "Instead of the assessment's primary substance."),
        "funding_route": optional(FundingRoute, "Instead of the assessment's funding route."),
        "dual_diagnosis": boolean(
            load_default=None,
            allow_none=True,
            metadata={"description": "Needs dual-diagnosis care (default: the assessment's mental-health answers)."},
        ),
        "region": optional(Region, "Services in this region, or UK-wide."),
        "age": WholeNumber(
            load_default=None,
            allow_none=True,
            validate=validate.Range(0, 120),
            metadata={"description": "The caller's age, against the services' age criteria."},
        ),
        "gender": optional(Gender, "Whom the caller is, against single-sex services (`any`: not asked)."),
        "available_only": boolean(
            load_default=False, metadata={"description": "Only services with beds free, confirmed in the last 7 days."}
        ),
    }


CriteriaQuery = ma.Schema.from_dict(_criteria_fields(fields.Boolean), name="ServiceCriteriaQuery")
CriteriaInputSchema = ma.Schema.from_dict(_criteria_fields(JsonBoolean), name="ServiceCriteriaInput")


class ReferralOfferItemInputSchema(ma.Schema):
    service_id = Id(required=True)
    action = LabelledEnum(
        ItemAction,
        required=True,
        metadata={
            "description": "`offer`: offered to the caller now; `shortlist`: a suggested service to offer later."
        },
    )
    disclosed = JsonBoolean(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "You told the caller about the service's commercial relationship (needed to offer one).",
            "example": True,
        },
    )
    rank = fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={"description": "Ignored: the server ranks the services again for the criteria and stores its ranks."},
    )


class ReferralOfferInputSchema(ma.Schema):
    criteria = fields.Nested(CriteriaInputSchema, load_default=dict)
    items = fields.List(
        fields.Nested(ReferralOfferItemInputSchema),
        required=True,
        validate=validate.Length(max=MAX_ITEMS),
        metadata={"description": "The services offered now or shortlisted, each once."},
    )
    reason = fields.String(
        required=True,
        allow_none=True,
        validate=validate.Length(max=REASON_MAX),
        metadata={"description": "What the caller wanted and why these services (staff text, encrypted)."},
    )


class ReferralOfferPageItemSchema(ma.Schema):
    """One row of the page's list: a service shown, what to do with it (blank: nothing), the disclosure tick."""

    service_id = Id(load_default=None, allow_none=True)
    #: `leave`: not chosen
    action = fields.String(load_default=None, allow_none=True, validate=validate.OneOf([LEAVE, *ItemAction]))
    disclosed = JsonBoolean(load_default=None, allow_none=True)


class ReferralOfferPageSchema(ma.Schema):
    """The page's form: a row per service shown (`items-<i>-…`), and the reason."""

    items = fields.List(fields.Nested(ReferralOfferPageItemSchema), load_default=list)
    reason = fields.String(load_default=None, allow_none=True)


class MatchedServiceSchema(ServiceSchema):
    """A directory service as the suggestions and offers show it: as the directory does, with what to tell the
    caller about its commercial link."""

    disclosure = fields.String(
        allow_none=True, metadata={"description": "What to tell the caller before offering it (null: no link)."}
    )


class ServiceSuggestionSchema(ma.Schema):
    rank = fields.Integer(metadata={"description": "1 = the best fit."})
    score = fields.Integer()
    reasons = fields.List(fields.String(), metadata={"description": "Why it matched."})
    checks = fields.List(fields.String(), metadata={"description": "What to confirm with the caller or the service."})
    service = fields.Nested(MatchedServiceSchema)


class ServiceNearMissSchema(ma.Schema):
    service = fields.Nested(MatchedServiceSchema)
    missed = fields.String(metadata={"description": "The one criterion it does not meet."})


class SuggestionCriteriaSchema(ma.Schema):
    """The criteria the suggestions were made for (the assessment's, changed by any given)."""

    pathway = LabelledEnum(Pathway, allow_none=True)
    substance = LabelledEnum(Substance, allow_none=True)
    other_substances = fields.List(fields.String())
    funding_route = LabelledEnum(FundingRoute)
    dual_diagnosis = fields.Boolean()
    region = LabelledEnum(Region, allow_none=True)
    age = fields.Integer(allow_none=True)
    gender = LabelledEnum(Gender, allow_none=True)
    available_only = fields.Boolean()


class ServiceSuggestionsSchema(ma.Schema):
    case_id = fields.Integer()
    assessment_id = fields.Integer(allow_none=True)
    criteria = fields.Nested(SuggestionCriteriaSchema)
    message = fields.String(allow_none=True, metadata={"description": "Why nothing is suggested, when it is so."})
    items = fields.List(fields.Nested(ServiceSuggestionSchema))
    near_misses = fields.List(fields.Nested(ServiceNearMissSchema))


class ReferralOfferItemSchema(ma.Schema):
    id = fields.Integer()
    service_id = fields.Integer()
    service = fields.Nested(MatchedServiceSchema)
    rank = fields.Integer(
        allow_none=True, metadata={"description": "The matcher's rank; null: offered, not suggested."}
    )
    offered = fields.Boolean()
    shortlisted = fields.Boolean()
    commercial_relationship = LabelledEnum(CommercialRelationship)
    disclosed = fields.Boolean(allow_none=True)
    referral_id = fields.Integer(allow_none=True)


class ReferralOfferSchema(ma.Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    advisor_id = fields.Integer()
    advisor_name = fields.String()
    created_at = AwareDateTime()
    pathway = LabelledEnum(Pathway)
    funding_route = LabelledEnum(FundingRoute)
    criteria = fields.Dict(keys=fields.String())
    reason = fields.String()
    items = fields.List(fields.Nested(ReferralOfferItemSchema))
    referral_ids = fields.List(fields.Integer())
