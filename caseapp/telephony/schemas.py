"""The generic telephony event (POST /api/v1/telephony/events) and what the endpoint answers."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from caseapp.callers.phones import is_withheld, normalise_phone
from caseapp.errors import ValidationError
from caseapp.ids import Id
from caseapp.schemas import AwareDateTime, LabelledEnum, WholeNumber
from caseapp.telephony.events import EventInput
from caseapp.telephony.models import EventKind

#: names a generic sender may not take: the adapters' own
RESERVED_PROVIDERS = frozenset({"twilio"})


class AdvisorSchema(ma.Schema):
    user_id = Id(load_default=None)
    extension = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 16))


class TelephonyEventSchema(ma.Schema):
    provider = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,31}$", error="Lower-case letters, digits, - and _."),
        metadata={"description": "The sending system's name, e.g. 3cx."},
    )
    call_id = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(r"^[A-Za-z0-9._:@-]{1,64}$", error="Up to 64 letters, digits and . _ : @ -."),
        metadata={"description": "The provider's id for the call; the same for every event of the call."},
    )
    event = LabelledEnum(EventKind, required=True)
    occurred_at = AwareDateTime(required=True)
    from_number = ma.fields.String(
        data_key="from",
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=32),
        metadata={"description": 'The calling number; null, "" or "withheld" when not presented.'},
    )
    to = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=32))
    advisor = ma.fields.Nested(AdvisorSchema, load_default=None, allow_none=True)
    duration_seconds = WholeNumber(load_default=None, allow_none=True, validate=ma.validate.Range(0, 7 * 24 * 3600))

    @ma.validates("provider")
    def _not_reserved(self, value: str, **_: Any) -> None:
        if value in RESERVED_PROVIDERS:
            raise ma.ValidationError("This name belongs to a built-in adapter; use its own endpoint.")


class TelephonyResultSchema(ma.Schema):
    telephony_call_id = ma.fields.Integer(required=True)
    duplicate = ma.fields.Boolean(required=True, metadata={"description": "This event had already been applied."})


def event_from_body(body: dict[str, Any]) -> EventInput:
    raw_from = body["from_number"]
    from_e164 = None if is_withheld(raw_from) else normalise_phone(raw_from, field="from")
    advisor = body["advisor"] or {}
    kind: EventKind = body["event"]
    if body["duration_seconds"] is not None and kind is not EventKind.ENDED:
        message = "Only an ended event carries a duration."
        raise ValidationError(message, fields={"duration_seconds": [message]})
    return EventInput(
        provider=body["provider"],
        provider_call_id=body["call_id"],
        event=kind.value,
        kind=kind,
        occurred_at=body["occurred_at"],
        from_e164=from_e164,
        line=body["to"] or None,
        advisor_id=advisor.get("user_id"),
        advisor_extension=advisor.get("extension"),
        duration_seconds=body["duration_seconds"],
    )
