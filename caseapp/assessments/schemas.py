"""The assessment form as a marshmallow schema: validates the API and the HTML form alike.

Version 2 asks about immediate danger first and records the pathway the case's screenings suggested, whether it
was followed and, if not, why. Version 1 answers stay readable by FORM_LAYOUTS[1]."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.ids import Id
from caseapp.reference import (
    ContributingFactor,
    FundingRoute,
    HealthConsequence,
    MentalHealthIndicator,
    Pathway,
    RecentRelease,
    RiskLevel,
    Route,
    Substance,
    WithdrawalSymptom,
)
from caseapp.schemas import AwareDateTime, JsonBoolean, LabelledEnum, WholeNumber

FORM_VERSION = 2
#: answers kept as columns (reports and rules use them); everything else goes into `answers`
COLUMN_FIELDS = ("primary_substance", "recommended_pathway", "risk_level", "funding_route", "consent_data_processing")


def _many(enum: Any) -> fields.List:
    return fields.List(LabelledEnum(enum), load_default=list, validate=validate.Length(max=len(enum)))


def _text(max_length: int) -> fields.String:
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(max=max_length))


class AssessmentInputSchema(ma.Schema):
    #: the first question: "yes" makes the risk level immediate danger (and alerts the managers)
    immediate_danger = JsonBoolean(load_default=None, allow_none=True)
    substances = _many(Substance)
    primary_substance = LabelledEnum(Substance, required=True)
    route = LabelledEnum(Route, load_default=None, allow_none=True)
    frequency = _text(200)
    amount = _text(200)
    years_of_use = WholeNumber(load_default=None, allow_none=True, validate=validate.Range(0, 90))
    tolerance_rising = JsonBoolean(load_default=None, allow_none=True)
    last_use_at = AwareDateTime(load_default=None, allow_none=True)
    withdrawal_symptoms = _many(WithdrawalSymptom)
    withdrawal_onset_hours = WholeNumber(load_default=None, allow_none=True, validate=validate.Range(0, 24 * 14))
    contributing_factors = _many(ContributingFactor)
    health_consequences = _many(HealthConsequence)
    overdose_history = JsonBoolean(load_default=None, allow_none=True)
    naloxone_held = JsonBoolean(load_default=None, allow_none=True)
    #: optional, added within version 1 (older answers lack it: not asked)
    recent_release = LabelledEnum(RecentRelease, load_default=None, allow_none=True)
    mental_health_indicators = _many(MentalHealthIndicator)
    dual_diagnosis = JsonBoolean(load_default=False)
    safeguarding_children = JsonBoolean(load_default=False)
    safeguarding_adults = JsonBoolean(load_default=False)
    safeguarding_notes = _text(2000)
    previous_treatment = _text(1000)
    funding_route = LabelledEnum(FundingRoute, required=True)
    recommended_pathway = LabelledEnum(Pathway, required=True)
    #: with immediate_danger "yes" it must be immediate danger (the page fills it in when left blank)
    risk_level = LabelledEnum(RiskLevel, required=True)
    #: why the pathway chosen is not one the case's screenings suggested (services check it)
    pathway_override_reason = _text(1000)
    outcome = _text(1000)
    consent_data_processing = JsonBoolean(required=True)
    notes = _text(5000)
    call_id = Id(load_default=None, allow_none=True)
    supersedes_id = Id(load_default=None, allow_none=True)

    @ma.validates_schema
    def _primary_is_a_substance(self, data: dict[str, Any], **_: Any) -> None:
        substances = data.get("substances") or []
        if substances and data.get("primary_substance") not in substances:
            raise ma.ValidationError("The primary substance must be one of the substances ticked.", "primary_substance")

    @ma.validates_schema
    def _risk_agrees_with_danger(self, data: dict[str, Any], **_: Any) -> None:
        danger, risk = data.get("immediate_danger"), data.get("risk_level")
        if danger is True:
            if risk not in (None, RiskLevel.IMMEDIATE_DANGER):
                message = "You answered yes to immediate danger: the risk level is immediate danger."
                raise ma.ValidationError(message, "risk_level")
        elif danger is False and risk == RiskLevel.IMMEDIATE_DANGER:
            message = "You answered no to immediate danger: choose a lower risk level, or answer yes."
            raise ma.ValidationError(message, "risk_level")

    @ma.post_load
    def _include_primary(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("immediate_danger") is True:
            data["risk_level"] = RiskLevel.IMMEDIATE_DANGER
        elif data.get("immediate_danger") is None and data.get("risk_level") == RiskLevel.IMMEDIATE_DANGER:
            data["immediate_danger"] = True
        if not data.get("substances") and data.get("primary_substance"):
            data["substances"] = [data["primary_substance"]]
        return data


class AssessmentSchema(ma.Schema):
    """An assessment as the API returns it."""

    id = fields.Integer()
    case_id = fields.Integer()
    call_id = fields.Integer(allow_none=True)
    advisor_id = fields.Integer()
    form_version = fields.Integer()
    revision = fields.Integer()
    supersedes_id = fields.Integer(allow_none=True)
    superseded = fields.Boolean(attribute="is_superseded", dump_default=False)
    created_at = AwareDateTime()
    primary_substance = LabelledEnum(Substance)
    recommended_pathway = LabelledEnum(Pathway)
    risk_level = LabelledEnum(RiskLevel)
    funding_route = LabelledEnum(FundingRoute)
    consent_data_processing = fields.Boolean()
    consent_recorded_at = AwareDateTime(allow_none=True)
    answers = fields.Dict(keys=fields.String())
    #: the pathway the case's screenings suggested when it was recorded (None: none did, or form version 1)
    suggested_pathway = fields.Function(lambda a: a.answers.get("suggested_pathway"), allow_none=True)
    #: whether the recommended pathway is one suggested (None when nothing was suggested)
    pathway_followed = fields.Function(lambda a: a.answers.get("pathway_followed"), allow_none=True)


_V1: list[tuple[str, str, Any]] = [
    ("substances", "Substances used", Substance),
    ("primary_substance", "Primary substance", Substance),
    ("route", "Route of administration", Route),
    ("frequency", "Frequency", None),
    ("amount", "Amount", None),
    ("years_of_use", "Years of use", None),
    ("tolerance_rising", "Tolerance rising", None),
    ("last_use_at", "Last use", None),
    ("withdrawal_symptoms", "Withdrawal symptoms", WithdrawalSymptom),
    ("withdrawal_onset_hours", "Withdrawal starts (hours after last dose)", None),
    ("contributing_factors", "Contributing factors", ContributingFactor),
    ("health_consequences", "Health consequences raised", HealthConsequence),
    ("overdose_history", "Overdose history", None),
    ("naloxone_held", "Holds naloxone", None),
    ("recent_release", "Left prison, detox or rehab in the last 4 weeks", RecentRelease),
    ("mental_health_indicators", "Mental health indicators", MentalHealthIndicator),
    ("dual_diagnosis", "Dual diagnosis suspected", None),
    ("safeguarding_children", "Children in the household at risk", None),
    ("safeguarding_adults", "Vulnerable adults in the household at risk", None),
    ("safeguarding_notes", "Safeguarding notes", None),
    ("previous_treatment", "Previous treatment", None),
    ("funding_route", "Funding route", FundingRoute),
    ("recommended_pathway", "Recommended pathway", Pathway),
    ("risk_level", "Risk level", RiskLevel),
    ("outcome", "Outcome", None),
    ("consent_data_processing", "Consent to data processing", None),
    ("notes", "Notes", None),
]

#: version 2 (risk-first) asks about immediate danger first and records the screenings' suggestion with the choice
_V2_CHOICE = [
    ("suggested_pathway", "Pathway the screenings suggested", Pathway),
    ("pathway_suggestions", "Why it was suggested", None),
    ("recommended_pathway", "Recommended pathway", Pathway),
    ("pathway_followed", "Suggestion followed", None),
    ("pathway_override_reason", "Reason for a different pathway", None),
]
_V2 = [("immediate_danger", "Anyone in immediate danger", None)] + [
    choice for row in _V1 for choice in (_V2_CHOICE if row[0] == "recommended_pathway" else [row])
]

#: how each form version's answers are shown: (field, label, reference list or None); old versions stay here
FORM_LAYOUTS: dict[int, list[tuple[str, str, Any]]] = {1: _V1, 2: _V2}
