from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from caseapp.schemas import AwareDateTime


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
