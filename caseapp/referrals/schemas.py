"""What the referrals API (and the referral page's forms, through form_to_payload) takes and returns."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.api import PageQuery
from caseapp.ids import Id, Version
from caseapp.referrals.models import DeclineReason, Referral, ReferralStatus
from caseapp.referrals.workflow import NOTE_MAX, allowed_from
from caseapp.schemas import AwareDateTime, JsonBoolean, LabelledEnum


class ReferralEventSchema(ma.Schema):
    id = fields.Integer()
    from_status = LabelledEnum(ReferralStatus, allow_none=True, metadata={"description": "null: the first step"})
    to_status = LabelledEnum(ReferralStatus)
    at = AwareDateTime()
    actor_id = fields.Integer(allow_none=True)
    decline_reason = LabelledEnum(DeclineReason, allow_none=True)
    note = fields.String(allow_none=True, metadata={"description": "Staff text, e.g. what the service said."})


class ReferralSchema(ma.Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    service_id = fields.Integer()
    service_name = fields.String(attribute="service.name")
    status = LabelledEnum(ReferralStatus)
    status_label = fields.String(attribute="status.label")
    status_changed_at = AwareDateTime()
    decline_reason = LabelledEnum(DeclineReason, allow_none=True)
    sent_at = AwareDateTime(allow_none=True, metadata={"description": "The first time it was sent."})
    admitted_at = AwareDateTime(allow_none=True)
    allowed = fields.Method(
        "_allowed",
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": "The statuses it may change to now (empty: final).",
        },
    )
    offer_item_id = fields.Integer(allow_none=True)
    created_by_id = fields.Integer()
    created_at = AwareDateTime()
    version = fields.Integer()

    def _allowed(self, referral: Referral) -> list[str]:
        return [status.value for status in allowed_from(referral.status)]


class ReferralDetailSchema(ReferralSchema):
    events = fields.List(fields.Nested(ReferralEventSchema), metadata={"description": "Its history, oldest first."})


class ProposedCallbackSchema(ma.Schema):
    due_at = AwareDateTime()
    reason = fields.String()


class StatusChangeSchema(ma.Schema):
    """POST /api/v1/referrals/{id}/status."""

    to = LabelledEnum(
        ReferralStatus,
        required=True,
        metadata={"description": "The status it becomes (see `allowed` on the referral).", "example": "sent"},
    )
    version = Version(required=True)
    at = AwareDateTime(
        load_default=None,
        allow_none=True,
        metadata={"description": "When it happened (default now): never in the future, nor before the last step."},
    )
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=NOTE_MAX))
    decline_reason = LabelledEnum(
        DeclineReason, load_default=None, allow_none=True, metadata={"description": "Required with to=declined."}
    )
    disclosed = JsonBoolean(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "suggested → offered: the service's commercial relationship was disclosed to the caller "
            "(required when it has one)."
        },
    )
    book_follow_up = JsonBoolean(
        load_default=False,
        metadata={
            "description": "Book the proposed follow-up callback now (after sent or admitted), in the same "
            "transaction: if it cannot be booked nothing is changed."
        },
    )


class StatusChangeResultSchema(ReferralDetailSchema):
    proposed_callback = fields.Nested(
        ProposedCallbackSchema,
        allow_none=True,
        metadata={"description": "The follow-up callback this change proposes (null: none)."},
    )
    booked_callback_id = fields.Integer(allow_none=True, metadata={"description": "Set when book_follow_up booked it."})


class ReferralListQuery(PageQuery):
    status = fields.List(LabelledEnum(ReferralStatus), load_default=list, validate=validate.Length(max=20))
    service = Id(load_default=None)
    case = Id(load_default=None)


class StatusForm(ma.Schema):
    """The referral page's change forms (the time a datetime-local in UK time, with the October choice)."""

    to = LabelledEnum(ReferralStatus, required=True)
    version = Version(required=True)
    at = AwareDateTime(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=NOTE_MAX))
    decline_reason = LabelledEnum(DeclineReason, load_default=None, allow_none=True)
    disclosed = fields.Boolean(load_default=None, allow_none=True)
