"""What the directory API (and its pages, through form_to_payload, and the CSV import) takes and returns.

Each field's own rules are here; the rules across fields (an age range, a regulator id needing its regulator, the
detail of a commercial link) are checked by services.check_service on the record as it will be, so a PATCH of one
field is checked against the others."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.api import PageQuery
from caseapp.callers.phones import normalise_phone
from caseapp.directory.models import (
    CommercialRelationship,
    Funding,
    Gender,
    Rating,
    Region,
    Regulator,
    ServiceType,
)
from caseapp.errors import ValidationError as AppValidationError
from caseapp.reference import Labelled, Substance
from caseapp.schemas import AwareDateTime, JsonBoolean, LabelledEnum, WholeNumber
from caseapp.timeutil import now_utc

NAME_MAX = 200
ADDRESS_MAX = 500
DETAIL_MAX = 1000
NOTES_MAX = 5000
AGE_MAX = 120
WAIT_MAX_DAYS = 730
BEDS_MAX = 1000
PHONE_MESSAGE = "Enter a phone number, e.g. 020 7946 0432."
POSTCODE_MESSAGE = "Enter a UK postcode, e.g. SW1A 1AA."
#: a UK postcode: outward code (area, district) and inward code (sector, unit)
_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})")
#: a little slack for a clock that runs ahead of ours
_FUTURE_SLACK = timedelta(minutes=5)


class ServicePhone(fields.String):
    """A phone number any way it is written → E.164 (shown in UK format on the pages)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        try:
            e164 = normalise_phone(text)
        except AppValidationError as exc:
            raise ma.ValidationError(PHONE_MESSAGE) from exc
        if e164 is None:  # "withheld" and the like: not a number a service can be rung on
            raise ma.ValidationError(PHONE_MESSAGE)
        return e164


class Postcode(fields.String):
    """A UK postcode in capitals with its one space ("sw1a1aa" → "SW1A 1AA")."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = re.sub(r"\s+", "", super()._deserialize(value, attr, data, **kwargs)).upper()
        match = _POSTCODE.fullmatch(text)
        if match is None:
            raise ma.ValidationError(POSTCODE_MESSAGE)
        return f"{match.group(1)} {match.group(2)}"


class Trimmed(fields.String):
    """Text with its outer spaces removed."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text: str = super()._deserialize(value, attr, data, **kwargs)
        return text.strip()


def _not_future(moment: datetime) -> None:
    if moment > now_utc() + _FUTURE_SLACK:
        raise ma.ValidationError("Give a time that has already happened: when the beds were confirmed.")


def _codes(enum: type[Labelled], description: str) -> fields.List:
    return fields.List(
        LabelledEnum(enum),
        validate=validate.Length(max=len(enum)),
        metadata={"description": description},
    )


class ServiceFieldsSchema(ma.Schema):
    """Every field a service is made of, none required (the base of the create and patch bodies)."""

    name = Trimmed(validate=validate.Length(min=1, max=NAME_MAX))
    service_type = LabelledEnum(ServiceType)
    region = LabelledEnum(Region)
    is_active = JsonBoolean(metadata={"description": "Inactive services are hidden from lists and suggestions."})
    address = Trimmed(allow_none=True, validate=validate.Length(max=ADDRESS_MAX))
    postcode = Postcode(allow_none=True, validate=validate.Length(max=10))
    phone = ServicePhone(allow_none=True, validate=validate.Length(max=40), metadata={"description": "Any format."})
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    website = fields.URL(
        allow_none=True, schemes={"http", "https"}, require_tld=True, validate=validate.Length(max=300)
    )
    regulator = LabelledEnum(Regulator)
    regulator_id = Trimmed(
        allow_none=True,
        validate=validate.Length(max=40),
        metadata={"description": "The regulator's id (CQC: 1-123456789); unique within the regulator."},
    )
    rating = LabelledEnum(Rating, allow_none=True)
    substances = _codes(Substance, "Substance codes it treats; empty: any.")
    min_age = WholeNumber(allow_none=True, validate=validate.Range(0, AGE_MAX))
    max_age = WholeNumber(allow_none=True, validate=validate.Range(0, AGE_MAX))
    gender = LabelledEnum(Gender)
    dual_diagnosis = JsonBoolean(metadata={"description": "Treats a mental-health condition alongside."})
    funding = _codes(Funding, "Funding routes it accepts.")
    typical_wait_days = WholeNumber(allow_none=True, validate=validate.Range(0, WAIT_MAX_DAYS))
    beds_available = WholeNumber(
        allow_none=True,
        validate=validate.Range(0, BEDS_MAX),
        metadata={"description": "Beds free as last confirmed; null: not known."},
    )
    beds_confirmed_at = AwareDateTime(
        allow_none=True,
        validate=_not_future,
        metadata={"description": "When the beds were confirmed; now when the beds change and this is not given."},
    )
    commercial_relationship = LabelledEnum(CommercialRelationship)
    commercial_detail = Trimmed(
        allow_none=True,
        validate=validate.Length(max=DETAIL_MAX),
        metadata={"description": "What the link is; required unless commercial_relationship is none."},
    )
    notes = Trimmed(allow_none=True, validate=validate.Length(max=NOTES_MAX))


class ServiceInputSchema(ServiceFieldsSchema):
    """POST /services: a name, a type and a region at least."""

    name = Trimmed(required=True, validate=validate.Length(min=1, max=NAME_MAX))
    service_type = LabelledEnum(ServiceType, required=True)
    region = LabelledEnum(Region, required=True)


class ServicePatchSchema(ServiceFieldsSchema):
    """PATCH /services/{id}: the fields to change, and the version they were read at."""

    version = WholeNumber(
        required=True,
        validate=validate.Range(1, 2**31 - 1),
        metadata={"description": "The version you read; an older one is refused with 409."},
    )


class BedsInputSchema(ma.Schema):
    beds_available = WholeNumber(
        required=True, allow_none=True, validate=validate.Range(0, BEDS_MAX), metadata={"example": 2}
    )
    confirmed_at = AwareDateTime(
        load_default=None, allow_none=True, validate=_not_future, metadata={"description": "Default: now."}
    )


class ServiceListQuery(PageQuery):
    type = fields.List(LabelledEnum(ServiceType), load_default=list, validate=validate.Length(max=len(ServiceType)))
    region = fields.List(LabelledEnum(Region), load_default=list, validate=validate.Length(max=len(Region)))
    substance = LabelledEnum(
        Substance, load_default=None, metadata={"description": "Treats this (services that treat any included)."}
    )
    funding = LabelledEnum(Funding, load_default=None, metadata={"description": "Accepts this funding route."})
    active = fields.String(
        load_default="true",
        validate=validate.OneOf(["true", "false", "any"]),
        metadata={"description": "true (the default): active only; false: inactive only; any: both."},
    )
    q = fields.String(
        load_default=None, validate=validate.Length(max=NAME_MAX), metadata={"description": "Part of the name."}
    )


class ServiceSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    service_type = LabelledEnum(ServiceType)
    service_type_label = fields.String(attribute="service_type.label")
    is_active = fields.Boolean()
    address = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "E.164."})
    email = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    region = LabelledEnum(Region)
    region_label = fields.String(attribute="region.label")
    regulator = LabelledEnum(Regulator)
    regulator_id = fields.String(allow_none=True)
    rating = LabelledEnum(Rating, allow_none=True)
    substances = fields.List(fields.String())
    min_age = fields.Integer(allow_none=True)
    max_age = fields.Integer(allow_none=True)
    gender = LabelledEnum(Gender)
    dual_diagnosis = fields.Boolean()
    funding = fields.List(fields.String())
    typical_wait_days = fields.Integer(allow_none=True)
    beds_available = fields.Integer(allow_none=True)
    beds_confirmed_at = AwareDateTime(allow_none=True)
    commercial_relationship = LabelledEnum(CommercialRelationship)
    commercial_relationship_label = fields.String(attribute="commercial_relationship.label")
    commercial_detail = fields.String(allow_none=True)
    has_commercial_link = fields.Boolean()
    notes = fields.String(allow_none=True)
    version = fields.Integer()
    created_at = AwareDateTime()
    updated_at = AwareDateTime()


class ServicePageQuery(ma.Schema):
    """The directory page's filter bar (GET, so every field is optional and an unknown value is reported)."""

    type = fields.List(LabelledEnum(ServiceType), load_default=list, validate=validate.Length(max=len(ServiceType)))
    region = fields.List(LabelledEnum(Region), load_default=list, validate=validate.Length(max=len(Region)))
    substance = LabelledEnum(Substance, load_default=None)
    funding = LabelledEnum(Funding, load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=NAME_MAX))
    inactive = fields.Boolean(load_default=False)
    page = WholeNumber(load_default=1, validate=validate.Range(1, 10_000))
