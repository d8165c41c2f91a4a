from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.api import PageQuery
from caseapp.ids import Id
from caseapp.reminders.models import DeliveryChannel, OutboxKind, OutboxStatus
from caseapp.schemas import AwareDateTime


class DeliverySchema(ma.Schema):
    """One outbox row: a reminder or escalation on one channel to one person, and how its delivery went."""

    id = fields.Integer()
    callback_id = fields.Integer()
    case_id = fields.Integer(allow_none=True)
    kind = fields.String()
    channel = fields.String()
    recipient_id = fields.Integer()
    due_at = AwareDateTime()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True, metadata={"description": "Why the last attempt failed."})
    message_id = fields.String()
    created_at = AwareDateTime()
    claimed_at = AwareDateTime(allow_none=True)
    sent_at = AwareDateTime(allow_none=True)
    failed_at = AwareDateTime(allow_none=True)
    withdrawn_at = AwareDateTime(allow_none=True)


class DeliveryListQuery(PageQuery):
    status = fields.List(
        fields.String(validate=validate.OneOf([s.value for s in OutboxStatus])),
        load_default=list,
        validate=validate.Length(max=20),
    )
    kind = fields.List(
        fields.String(validate=validate.OneOf([k.value for k in OutboxKind])),
        load_default=list,
        validate=validate.Length(max=20),
    )
    channel = fields.List(
        fields.String(validate=validate.OneOf([c.value for c in DeliveryChannel])),
        load_default=list,
        validate=validate.Length(max=20),
    )
    callback = Id(load_default=None)


class DeliverySummarySchema(ma.Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "rows by status"})
