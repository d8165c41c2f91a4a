"""What the flags API (and the caller page's form, through form_to_payload) takes and returns."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.caller_flags.models import REASON_MAX, FlagEnd, FlagKind
from caseapp.schemas import AwareDateTime, InputDate, LabelledEnum, WholeNumber

#: a generous ceiling for the schema (the admins' maximum, at most 365 days, is checked by the service)
_MAX_HOURS = 366 * 24


class FlagInputSchema(ma.Schema):
    kind = LabelledEnum(FlagKind, required=True)
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=REASON_MAX),
        metadata={"description": "Why (staff only; shown to those who may read the caller)."},
    )
    expires_at = AwareDateTime(
        load_default=None,
        allow_none=True,
        metadata={"description": "When it ends (RFC 3339): 24 hours from now at least, flag_max_days at most."},
    )
    expires_in_hours = WholeNumber(
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, _MAX_HOURS),
        metadata={"description": "Or: hours."},
    )
    expires_in_days = WholeNumber(
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, 366),
        metadata={"description": "Or: days.", "example": 2},
    )


class NumberFlagInputSchema(FlagInputSchema):
    phone = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "The number, any format.", "example": "020 7946 0432"},
    )


class FlagPageSchema(ma.Schema):
    """The caller page's form: the expiry as a UK date and time (with the October choice) or a duration."""

    target = fields.String(load_default="caller", validate=validate.OneOf(["caller", "number"]))
    kind = LabelledEnum(FlagKind, required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=REASON_MAX))
    expires_date = InputDate(load_default=None, allow_none=True)
    expires_time = fields.Time(load_default=None, allow_none=True)
    fold = fields.Integer(load_default=None, allow_none=True, validate=validate.OneOf([0, 1]))
    duration = WholeNumber(load_default=None, allow_none=True, validate=validate.Range(1, _MAX_HOURS))
    unit = fields.String(load_default="days", validate=validate.OneOf(["hours", "days"]))

    @ma.validates_schema
    def _date_and_time(self, data: dict[str, object], **_: object) -> None:
        if (data.get("expires_date") is None) != (data.get("expires_time") is None):
            raise ma.ValidationError("Give both the date and the time the flag ends.", "expires_date")
        if data.get("expires_date") is not None and data.get("duration") is not None:
            raise ma.ValidationError("Give either a date and time or a number of hours or days, not both.", "duration")


class FlagLiftSchema(ma.Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=REASON_MAX),
        metadata={"description": "Why it is lifted before its expiry."},
    )


class FlagListQuery(ma.Schema):
    include = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["ended"]),
        metadata={"description": "`ended`: the flags that have ended too (the history), newest first."},
    )


class FlagPhoneQuery(ma.Schema):
    phone = fields.String(required=True, validate=validate.Length(min=1, max=40))


class FlagSchema(ma.Schema):
    id = fields.Integer()
    caller_id = fields.Integer(allow_none=True, metadata={"description": "Set on a flag on the caller record."})
    phone = fields.String(
        attribute="phone_e164", allow_none=True, metadata={"description": "Set on a flag on one number (E.164)."}
    )
    kind = LabelledEnum(FlagKind)
    kind_label = fields.String(attribute="kind.label")
    reason = fields.String(
        allow_none=True, metadata={"description": "Null for someone who may not read the caller (reason_hidden)."}
    )
    reason_hidden = fields.Boolean()
    created_at = AwareDateTime()
    expires_at = AwareDateTime()
    raised_by_id = fields.Integer()
    in_force = fields.Boolean()
    ended_at = AwareDateTime(allow_none=True)
    end_reason = LabelledEnum(FlagEnd, allow_none=True)
    ended_by_id = fields.Integer(allow_none=True)
    end_note = fields.String(allow_none=True)
