from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.api import PageQuery
from caseapp.callers.schemas import CallerDetailsSchema
from caseapp.ids import Id, id_or
from caseapp.reference import CallType, Channel, Direction, ReferralSource
from caseapp.schemas import AwareDateTime, LabelledEnum, check_input_day, check_input_window
from caseapp.timeutil import local_day_bounds


class CallCreateSchema(CallerDetailsSchema):
    """POST /api/v1/calls: a call, and what to record about its caller."""

    call_type = LabelledEnum(CallType, load_default=CallType.DATA)
    phone = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=40),
        metadata={"description": "Any format; empty or 'withheld' for a withheld number."},
    )
    caller_name = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=120))
    case_id = Id(allow_none=True, load_default=None)
    direction = LabelledEnum(Direction, load_default=Direction.INBOUND)
    channel = LabelledEnum(Channel, load_default=Channel.PHONE)
    started_at = AwareDateTime(allow_none=True, load_default=None)
    ended_at = AwareDateTime(allow_none=True, load_default=None)
    reason = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))
    referral_source = LabelledEnum(ReferralSource, allow_none=True, load_default=None)
    outcome_summary = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=1000))
    notes = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=20000))
    tags = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)), load_default=list, validate=validate.Length(max=20)
    )
    draft_id = Id(allow_none=True, load_default=None)

    class Meta:
        # the caller's name is `caller_name` here (`name` would be ambiguous on a call): refused as unknown
        exclude = ("name",)

    @ma.validates_schema
    def _ends_after_start(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("started_at"), data.get("ended_at")
        if start and end and end < start:
            raise ma.ValidationError("The call cannot end before it started.", "ended_at")


class CallSchema(ma.Schema):
    id = fields.Integer()
    call_type = LabelledEnum(CallType)
    case_id = fields.Integer(allow_none=True)
    case_reference = fields.Function(
        lambda c: c.case.reference if c.case else None, allow_none=True, metadata={"type": "string"}
    )
    caller_id = fields.Integer(allow_none=True)
    advisor_id = fields.Integer()
    direction = LabelledEnum(Direction)
    channel = LabelledEnum(Channel)
    started_at = AwareDateTime()
    ended_at = AwareDateTime(allow_none=True)
    duration_seconds = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    referral_source = LabelledEnum(ReferralSource, allow_none=True)
    outcome_summary = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    created_at = AwareDateTime()


class LoggedCallSchema(CallSchema):
    created_caller = fields.Boolean()
    created_case = fields.Boolean()


class LocalDateOrInstant(fields.Field):
    """A local date (2026-10-25, meaning its Europe/London midnight) or an RFC 3339 instant."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        text = str(value)
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                check_input_day(day)
                return local_day_bounds(day)[0]
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ma.ValidationError("Use a date (YYYY-MM-DD) or an RFC 3339 time with offset.") from exc
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise ma.ValidationError("Give the time with its offset or Z.")
        check_input_window(parsed)
        return parsed.astimezone(UTC)


class CallListQuery(PageQuery):
    from_ = LocalDateOrInstant(
        data_key="from",
        load_default=None,
        metadata={
            "type": "string",
            "description": "Calls started at or after: a local date (YYYY-MM-DD, from its Europe/London midnight) "
            "or an RFC 3339 time with offset.",
        },
    )
    to = LocalDateOrInstant(
        load_default=None,
        metadata={
            "type": "string",
            "description": "Calls started before (exclusive): a local date or an RFC 3339 time.",
        },
    )
    advisor = fields.String(load_default=None, validate=id_or("me"), metadata={"description": "`me` or a user id"})
    case = Id(load_default=None)


class DraftSchema(ma.Schema):
    id = fields.Integer()
    data = fields.Dict()
    updated_at = AwareDateTime()


class DraftInputSchema(ma.Schema):
    data = fields.Dict(keys=fields.String(validate=validate.Length(max=64)), required=True)
