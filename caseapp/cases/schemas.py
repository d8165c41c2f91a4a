from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.api import PageQuery
from caseapp.callers.schemas import CallerSchema
from caseapp.cases.models import NOTE_MAX_LENGTH
from caseapp.config import STALE_CASE_DAYS_MAX
from caseapp.ids import Id, Version, id_or
from caseapp.reference import CaseStatus, CloseReason, RiskLevel
from caseapp.schemas import AwareDateTime, LabelledEnum, WholeNumber


class CaseSchema(ma.Schema):
    id = fields.Integer()
    reference = fields.String()
    status = LabelledEnum(CaseStatus)
    close_reason = LabelledEnum(CloseReason, allow_none=True)
    closed_at = AwareDateTime(allow_none=True)
    risk_level = LabelledEnum(RiskLevel, allow_none=True)
    assigned_advisor_id = fields.Integer(allow_none=True)
    caller_id = fields.Integer()
    caller = fields.Nested(CallerSchema)
    version = fields.Integer()
    created_at = AwareDateTime()
    updated_at = AwareDateTime()


class CasePatchSchema(ma.Schema):
    version = Version(required=True)
    status = LabelledEnum(CaseStatus)
    close_reason = LabelledEnum(CloseReason, allow_none=True)
    assigned_advisor_id = Id(allow_none=True)
    risk_level = LabelledEnum(RiskLevel)


class CaseListQuery(PageQuery):
    status = fields.List(LabelledEnum(CaseStatus), load_default=list, validate=validate.Length(max=20))
    advisor = fields.String(load_default=None, validate=id_or("me"))
    risk = fields.List(LabelledEnum(RiskLevel), load_default=list, validate=validate.Length(max=20))
    open = fields.Boolean(load_default=False)


class NoteCreateSchema(ma.Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=NOTE_MAX_LENGTH))


class TimelineEntrySchema(ma.Schema):
    kind = fields.String(
        metadata={
            "description": "call, assessment, note, safeguarding, emergency_action, callback, callback_attempt or "
            "callback_step"
        }
    )
    id = fields.Integer()
    at = AwareDateTime()
    actor_id = fields.Integer(allow_none=True)
    summary = fields.String()
    note = fields.String(allow_none=True, metadata={"description": "A handover step: the note for its receiver."})


class StaleDaysQuery(ma.Schema):
    days = WholeNumber(
        load_default=None,
        validate=validate.Range(1, STALE_CASE_DAYS_MAX),
        metadata={
            "description": "List cases with no successful contact for at least this many UK calendar days "
            f"(1 to {STALE_CASE_DAYS_MAX}; default CASEAPP_STALE_CASE_DAYS, 14)."
        },
    )


class StaleCaseQuery(PageQuery, StaleDaysQuery):
    pass


class StaleCaseSchema(ma.Schema):
    """A case on the stale list: what a manager needs to pick it up, and only a first name of the caller."""

    id = fields.Integer()
    reference = fields.String()
    status = LabelledEnum(CaseStatus)
    risk_level = LabelledEnum(RiskLevel, allow_none=True)
    caller_first_name = fields.String(allow_none=True, metadata={"description": "Null for an anonymous caller."})
    assigned_advisor_id = fields.Integer(allow_none=True)
    assigned_advisor_name = fields.String(allow_none=True)
    last_contact_at = AwareDateTime(
        allow_none=True, metadata={"description": "The last successful contact; null when nobody was ever reached."}
    )
    days_since_contact = fields.Integer(
        attribute="days_since",
        metadata={"description": "UK calendar days since the last successful contact, else since the case opened."},
    )
    opened_at = AwareDateTime()
