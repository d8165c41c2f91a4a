from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from marshmallow import fields, validate

from caseapp.api import PageQuery
from caseapp.callbacks.models import HANDOVER_NOTE_MAX, Handover
from caseapp.ids import Id, Version, id_or
from caseapp.reference import AttemptOutcome, CallbackPriority, CallbackStatus, HandoverStatus
from caseapp.reminders.schemas import DeliverySchema
from caseapp.schemas import AwareDateTime, InputDate, JsonBoolean, LabelledEnum, WholeNumber
from caseapp.shifts.schemas import ShiftSchema
from caseapp.timeutil import to_local

_WINDOW = validate.Range(0, 720)


class CallbackCreateSchema(ma.Schema):
    """POST /api/v1/callbacks."""

    case_id = Id(required=True)
    due_at = AwareDateTime(required=True, metadata={"description": "RFC 3339 with offset, e.g. 2026-11-25T19:00Z."})
    window_minutes = WholeNumber(load_default=None, allow_none=True, validate=_WINDOW)
    assignee_id = Id(load_default=None, allow_none=True, metadata={"description": "null = the pool"})
    priority = LabelledEnum(
        CallbackPriority, load_default=None, allow_none=True, metadata={"description": "Default: from the risk."}
    )
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    override_preferred_times = JsonBoolean(
        load_default=False, metadata={"description": "Book outside the caller's preferred times (they agreed)."}
    )


class CallbackSchema(ma.Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    case_reference = fields.Function(lambda c: c.case.reference)
    status = fields.String()
    due_at = AwareDateTime()
    window_minutes = fields.Integer(allow_none=True)
    window_ends_at = AwareDateTime()
    assignee_id = fields.Integer(allow_none=True, metadata={"description": "null = in the pool"})
    priority = fields.String()
    reason = fields.String(allow_none=True)
    attempt_count = fields.Integer()
    failed_attempt_count = fields.Integer()
    outside_preferred_times = fields.Boolean()
    is_overdue = fields.Boolean()
    seconds_until_due = fields.Integer()
    cancel_reason = fields.String(allow_none=True)
    started_at = AwareDateTime(allow_none=True)
    closed_at = AwareDateTime(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)
    created_at = AwareDateTime()
    updated_at = AwareDateTime()
    version = fields.Integer()


class BookingSchema(CallbackSchema):
    warnings = fields.List(fields.String(), dump_default=list)
    suggested_due_by = AwareDateTime(allow_none=True, dump_default=None)


class AttemptSchema(ma.Schema):
    id = fields.Integer()
    callback_id = fields.Integer()
    outcome = fields.String()
    call_id = fields.Integer(allow_none=True)
    advisor_id = fields.Integer()
    attempted_at = AwareDateTime()
    notes = fields.String(allow_none=True)


class CallbackDetailSchema(CallbackSchema):
    attempts = fields.List(fields.Nested(AttemptSchema))
    deliveries = fields.List(fields.Nested(DeliverySchema))


class CallbackPatchSchema(ma.Schema):
    version = Version(required=True)
    due_at = AwareDateTime(metadata={"description": "Reschedule."})
    window_minutes = WholeNumber(allow_none=True, validate=_WINDOW)
    override_preferred_times = JsonBoolean()
    assignee_id = Id(allow_none=True, metadata={"description": "Reassign; null = the pool."})
    priority = LabelledEnum(CallbackPriority)
    reason = fields.String(allow_none=True, validate=validate.Length(max=500))
    status = LabelledEnum(CallbackStatus, metadata={"description": "in_progress (start it) or cancelled (cancel it)."})
    cancel_reason = fields.String(allow_none=True, validate=validate.Length(max=200))


class CallbackListQuery(PageQuery):
    status = fields.List(LabelledEnum(CallbackStatus), load_default=list, validate=validate.Length(max=20))
    assignee = fields.String(
        load_default=None,
        validate=id_or("me", "pool"),
        metadata={"description": "`me`, `pool` or a user id"},
    )
    due_before = AwareDateTime(load_default=None, metadata={"description": "Exclusive."})
    due_after = AwareDateTime(load_default=None, metadata={"description": "Inclusive."})
    case = Id(load_default=None)


class AttemptCreateSchema(ma.Schema):
    outcome = LabelledEnum(AttemptOutcome, required=True)
    call_id = Id(load_default=None, allow_none=True, metadata={"description": "The call log it produced."})
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    next_due_at = AwareDateTime(
        load_default=None, allow_none=True, metadata={"description": "No answer: reschedule to this time now."}
    )
    next_window_minutes = WholeNumber(load_default=None, allow_none=True, validate=_WINDOW)
    override_preferred_times = JsonBoolean(load_default=False)


class AttemptResultSchema(AttemptSchema):
    callback = fields.Nested(CallbackSchema)
    needs_reschedule = fields.Boolean()
    warnings = fields.List(fields.String())


# --- handovers at the end of a shift ------------------------------------------------------------------------------

#: the most callbacks one clock-off may list
MAX_HANDOVERS = 500
_NOTE = validate.Length(max=HANDOVER_NOTE_MAX)


class HandoverItemSchema(ma.Schema):
    callback_id = Id(required=True, metadata={"description": "An open callback you hold."})
    to_user_id = Id(
        load_default=None, allow_none=True, metadata={"description": "A colleague on shift; null = the pool."}
    )
    note = fields.String(
        load_default=None,
        allow_none=True,
        validate=_NOTE,
        metadata={"description": "What the receiver needs to know (staff only; never in emails)."},
    )


class ClockOffSchema(ma.Schema):
    """POST /api/v1/shifts/current/end."""

    handovers = fields.List(
        fields.Nested(HandoverItemSchema),
        load_default=list,
        validate=validate.Length(max=MAX_HANDOVERS),
        metadata={"description": "Where each open callback you hold goes. Every one needs a destination."},
    )
    rest_to_pool = JsonBoolean(
        load_default=False, metadata={"description": "Hand every open callback not listed to the pool."}
    )


class HandoverSchema(ma.Schema):
    id = fields.Integer()
    callback_id = fields.Integer()
    case_id = fields.Function(lambda h: h.callback.case_id)
    case_reference = fields.Function(lambda h: h.callback.case.reference)
    due_at = AwareDateTime(attribute="callback.due_at")
    from_user_id = fields.Integer()
    from_name = fields.Function(lambda h: h.from_user.full_name)
    to_user_id = fields.Integer(allow_none=True, metadata={"description": "null = to the pool"})
    to_name = fields.Function(lambda h: h.to_user.full_name if h.to_user else None, allow_none=True)
    note = fields.String(allow_none=True)
    status = LabelledEnum(HandoverStatus)
    created_at = AwareDateTime()
    accept_by = fields.Method(
        "_accept_by",
        allow_none=True,
        metadata={
            "type": "string",
            "format": "date-time",
            "description": "An offer to a colleague not accepted by then goes back to the pool (null: to the pool, "
            "or no longer offered).",
        },
    )
    responded_at = AwareDateTime(allow_none=True)
    accepted_by_id = fields.Integer(allow_none=True)

    def _accept_by(self, handover: Handover) -> str | None:
        deadline = handover.accept_by(int(current_app.config["HANDOVER_ACCEPT_SECONDS"]))
        return None if deadline is None else to_local(deadline).isoformat()


class ClockOffResultSchema(ma.Schema):
    shift = fields.Nested(ShiftSchema)
    handovers = fields.List(fields.Nested(HandoverSchema))


class HandoverListQuery(PageQuery):
    which = fields.String(
        load_default="to_me",
        validate=validate.OneOf(["to_me", "from_me", "pool"]),
        metadata={"description": "`to_me` (offered to you), `from_me` (you handed over) or `pool`."},
    )
    status = fields.List(
        LabelledEnum(HandoverStatus),
        load_default=lambda: [HandoverStatus.OFFERED],
        validate=validate.Length(max=10),
        metadata={"description": "Default: offered."},
    )


# --- the pages' forms (read with caseapp.forms.form_to_payload, like every form) -------------------------------------


class DueFieldsForm(ma.Schema):
    """A time as the pages ask for it: a date and a time in UK time (the October choice when it happens twice), the
    window, and the preferred-times override. callbacks/wallclock.py turns it into an instant."""

    due_date = InputDate(required=True)
    due_time = fields.Time(required=True)
    fold = fields.Integer(load_default=None, allow_none=True, validate=validate.OneOf([0, 1]))
    window_minutes = WholeNumber(load_default=None, allow_none=True, validate=_WINDOW)
    override_preferred_times = fields.Boolean(load_default=False)


class BookingForm(DueFieldsForm):
    assignee_id = Id(load_default=None, allow_none=True)
    priority = LabelledEnum(CallbackPriority, load_default=None, allow_none=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class AttemptForm(DueFieldsForm):
    """An attempt; the new time is optional (no answer: try again then)."""

    outcome = LabelledEnum(AttemptOutcome, required=True)
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    due_date = InputDate(load_default=None, allow_none=True)
    due_time = fields.Time(load_default=None, allow_none=True)

    @ma.validates_schema
    def _both_or_neither(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("due_date") is None) != (data.get("due_time") is None):
            raise ma.ValidationError("Give both the date and the time of the next try, or neither.", "due_date")


class ReassignForm(ma.Schema):
    assignee_id = Id(load_default=None, allow_none=True)


class CancelForm(ma.Schema):
    cancel_reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class ClockOffForm(ma.Schema):
    """The shift page's clock-off form: a destination and a note for each open callback (handovers-<i>-<field>), or
    "hand all to" one destination."""

    handovers = fields.List(
        fields.Nested(HandoverItemSchema), load_default=list, validate=validate.Length(max=MAX_HANDOVERS)
    )
    #: the "Hand all to …" button was used: every callback goes to all_to_user_id (empty: the pool)
    hand_all = fields.Boolean(load_default=False)
    all_to_user_id = Id(load_default=None, allow_none=True)
