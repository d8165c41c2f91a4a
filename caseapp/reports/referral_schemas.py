"""Requests and responses of the referrals and neutrality reports (also the OpenAPI document)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.reports import neutrality, referrals
from caseapp.reports.params import Period
from caseapp.reports.schemas import CsvOptions, HarmReductionQuery, _PeriodSchema

_SHARE = {"description": "A share from 0 to 1 (4 decimals); null when there is nothing to divide by."}


def _share(description: str) -> fields.Float:
    return fields.Float(
        required=True, allow_none=True, metadata={"description": f"{description} {_SHARE['description']}"}
    )


class _TableQuery(HarmReductionQuery, CsvOptions):
    @ma.post_load
    def _build(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {
            "period": Period.around(data.pop("from_"), data.pop("to")),
            "by": data["by"],
            "suppress": data["suppress"],
        }


class ReferralsCsvQuery(_TableQuery):
    by = fields.String(
        load_default="service",
        validate=validate.OneOf(referrals.TABLES),
        metadata={
            "enum": list(referrals.TABLES),
            "description": "Which table: per service, conversion overall and per pathway, or time to admission.",
        },
    )


class NeutralityCsvQuery(_TableQuery):
    by = fields.String(
        load_default="rank",
        validate=validate.OneOf(neutrality.TABLES),
        metadata={
            "enum": list(neutrality.TABLES),
            "description": "Which table: per rank position, per service, or the commercial shares and disclosure.",
        },
    )


# --- the referrals report --------------------------------------------------------------------------------------------

_STEP_HELP = {
    "referrals": "Referrals offered in the period (by the offer's time).",
    "offered": "Of those, reached offered (or any later step).",
    "sent": "Reached sent (or accepted, declined, waitlisted, admitted, did not attend).",
    "accepted": "Reached accepted (or admitted, did not attend).",
}
_COUNT_FIELDS: dict[str, fields.Field] = {
    name: fields.Integer(required=True, metadata={"description": _STEP_HELP.get(name, "")}) for name in referrals.COUNTS
}
_RATE_FIELDS: dict[str, fields.Field] = {
    name: _share(f"{part} / {whole}.") for name, (part, whole) in referrals.RATES.items()
}
ReferralCountsSchema = ma.Schema.from_dict({**_COUNT_FIELDS, **_RATE_FIELDS}, name="ReferralCountsSchema")


class ReferralServiceRowSchema(ReferralCountsSchema):  # type: ignore[misc, valid-type]
    service_id = fields.Integer(required=True)
    service = fields.String(required=True)
    commercial_relationship = fields.String(required=True, metadata={"description": "In the directory today."})


class ReferralPathwayRowSchema(ReferralCountsSchema):  # type: ignore[misc, valid-type]
    pathway = fields.String(required=True, metadata={"description": "The offer's pathway; `none` without an offer."})
    label = fields.String(required=True)


class AdmissionTimeSchema(ma.Schema):
    key = fields.String()
    label = fields.String()
    admissions = fields.Integer(required=True)
    median_days = fields.Float(required=True, allow_none=True, metadata={"description": "Nearest-rank median."})
    p90_days = fields.Float(required=True, allow_none=True, metadata={"description": "Nearest-rank 90th percentile."})


class AdmissionTimesSchema(ma.Schema):
    overall = fields.Nested(AdmissionTimeSchema, required=True)
    by_pathway = fields.List(fields.Nested(AdmissionTimeSchema), required=True)
    by_funding_route = fields.List(fields.Nested(AdmissionTimeSchema), required=True)
    without_first_call = fields.Integer(
        required=True, metadata={"description": "Admissions in the period on a case with no call logged (left out)."}
    )


class ReferralsReportSchema(_PeriodSchema):
    totals = fields.Nested(ReferralCountsSchema, required=True)
    services = fields.List(fields.Nested(ReferralServiceRowSchema), required=True)
    pathways = fields.List(fields.Nested(ReferralPathwayRowSchema), required=True)
    admission_times = fields.Nested(AdmissionTimesSchema, required=True)


# --- the neutrality report -------------------------------------------------------------------------------------------


class NeutralityRankRowSchema(ma.Schema):
    rank = fields.String(required=True, metadata={"enum": list(neutrality.RANK_LABELS)})
    label = fields.String(required=True)
    suggested = fields.Integer(required=True, metadata={"description": "Services suggested at this rank."})
    offered = fields.Integer(required=True)
    admitted = fields.Integer(required=True)
    suggested_commercial = fields.Integer(required=True)
    offered_commercial = fields.Integer(required=True)
    admitted_commercial = fields.Integer(required=True)
    offered_of_suggested = _share("offered / suggested (null for not suggested).")
    admitted_of_offered = _share("admitted / offered.")


class NeutralityServiceRowSchema(ma.Schema):
    service_id = fields.Integer(required=True)
    service = fields.String(required=True)
    commercial_relationship = fields.String(required=True, metadata={"description": "In the directory today."})
    suggested = fields.Integer(required=True)
    mean_rank = fields.Float(required=True, allow_none=True)
    median_rank = fields.Integer(required=True, allow_none=True, metadata={"description": "Nearest rank."})
    offered = fields.Integer(required=True)
    offered_not_suggested = fields.Integer(required=True)
    admitted = fields.Integer(required=True)
    offered_commercial = fields.Integer(required=True, metadata={"description": "Offered with a link at the time."})


class CommercialShareSchema(ma.Schema):
    measure = fields.String(
        required=True,
        metadata={"enum": [line[0] for line in neutrality.SHARE_LINES] + ["expected_rank_1"]},
    )
    label = fields.String(required=True)
    total = fields.Integer(required=True)
    commercial = fields.Integer(required=True)
    share = _share("commercial / total.")


class DisclosureExceptionSchema(ma.Schema):
    offer_id = fields.Integer(required=True)
    case_id = fields.Integer(required=True)
    service_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    offered_at = fields.String(required=True, metadata={"format": "date-time"})


class DisclosureSchema(ma.Schema):
    commercial_offers = fields.Integer(required=True)
    disclosed = fields.Integer(required=True)
    undisclosed = fields.Integer(required=True)
    rate = _share("disclosed / commercial_offers; must be 1.")
    exceptions = fields.List(fields.Nested(DisclosureExceptionSchema), required=True)


class NotSuggestedSchema(ma.Schema):
    offered = fields.Integer(required=True)
    commercial = fields.Integer(required=True)
    commercial_share = _share("commercial / offered.")


class NeutralityReportSchema(_PeriodSchema):
    items = fields.Integer(required=True, metadata={"description": "Services suggested or offered, over all offers."})
    ranks = fields.List(fields.Nested(NeutralityRankRowSchema), required=True)
    services = fields.List(fields.Nested(NeutralityServiceRowSchema), required=True)
    commercial = fields.List(fields.Nested(CommercialShareSchema), required=True)
    disclosure = fields.Nested(DisclosureSchema, required=True)
    not_suggested = fields.Nested(NotSuggestedSchema, required=True)
