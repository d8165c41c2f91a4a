from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.emergencies.models import EmergencyActionKind, EmergencyOutcome, EmergencyService
from caseapp.ids import Id
from caseapp.schemas import AwareDateTime, LabelledEnum


class EmergencyAlertSchema(ma.Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    raised_at = AwareDateTime()
    raised_by_id = fields.Integer(allow_none=True)
    recipients = fields.Integer(metadata={"description": "Managers notified (on shift, or all when none is)."})
    assessment_id = fields.Integer(allow_none=True)


class RaisedAlertSchema(EmergencyAlertSchema):
    is_new = fields.Boolean(
        metadata={"description": "false: the case was alerted in the last 30 minutes; nobody was notified again."}
    )
    summary = fields.String(
        metadata={"description": "What to tell the advisor, e.g. 'Alert sent at 21:40 GMT: 2 managers told.'"}
    )


class EmergencyActionInputSchema(ma.Schema):
    kind = LabelledEnum(EmergencyActionKind, required=True, metadata={"description": "A 999 call, or a transfer."})
    service = LabelledEnum(EmergencyService, required=True)
    made_at = AwareDateTime(
        load_default=None, allow_none=True, metadata={"description": "When it was made; now when left out."}
    )
    reference = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "The service's incident or reference number."},
    )
    outcome = LabelledEnum(EmergencyOutcome, required=True)
    outcome_note = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "What happened: required when the outcome is `other`."},
    )
    alert_id = Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "The alert of the same emergency; the case's alert of the last 2 hours if left out."},
    )


class EmergencyActionSchema(ma.Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    case_reference = fields.String(attribute="case.reference")
    alert_id = fields.Integer(allow_none=True)
    made_by_id = fields.Integer(allow_none=True)
    made_at = AwareDateTime()
    created_at = AwareDateTime()
    kind = LabelledEnum(EmergencyActionKind)
    service = LabelledEnum(EmergencyService)
    reference = fields.String(allow_none=True)
    outcome = LabelledEnum(EmergencyOutcome)
    outcome_note = fields.String(allow_none=True)
