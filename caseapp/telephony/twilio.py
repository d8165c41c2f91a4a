"""Twilio Voice status callbacks: their CallStatus values on our event kinds, and the form read into an event."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import marshmallow as ma

from caseapp.api import load
from caseapp.callers.phones import is_withheld, normalise_phone
from caseapp.errors import ValidationError
from caseapp.schemas import check_input_window
from caseapp.telephony.events import EventInput
from caseapp.telephony.models import EventKind
from caseapp.timeutil import now_utc

PROVIDER = "twilio"

#: Twilio's CallStatus → our kind (queued and ringing are both "offered")
STATUS_KINDS: dict[str, EventKind] = {
    "queued": EventKind.RINGING,
    "ringing": EventKind.RINGING,
    "in-progress": EventKind.ANSWERED,
    "completed": EventKind.ENDED,
    "busy": EventKind.MISSED,
    "failed": EventKind.MISSED,
    "no-answer": EventKind.MISSED,
    "canceled": EventKind.MISSED,
}


class TwilioStatusSchema(ma.Schema):
    """The parameters of a status callback caseapp reads; Twilio sends many more, which are ignored."""

    class Meta:
        unknown = ma.EXCLUDE

    CallSid = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^CA[0-9a-fA-F]{32}$"))
    CallStatus = ma.fields.String(required=True, validate=ma.validate.OneOf(sorted(STATUS_KINDS)))
    From = ma.fields.String(load_default=None, validate=ma.validate.Length(max=64))
    To = ma.fields.String(load_default=None, validate=ma.validate.Length(max=64))
    #: RFC 2822, e.g. "Wed, 02 Dec 2026 18:00:00 +0000"
    Timestamp = ma.fields.String(load_default=None, validate=ma.validate.Length(max=64))
    CallDuration = ma.fields.Integer(load_default=None, validate=ma.validate.Range(0, 7 * 24 * 3600))


def _occurred_at(raw: str | None) -> datetime:
    if not raw:
        return now_utc()
    message = "Timestamp must be an RFC 2822 date, as Twilio sends it."
    try:
        moment = parsedate_to_datetime(raw)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
        check_input_window(moment)
    except (TypeError, ValueError, IndexError, OverflowError, ma.ValidationError) as exc:
        raise ValidationError(message, fields={"Timestamp": [message]}) from exc
    return moment


def event_from_form(form: dict[str, Any], extension: str | None) -> EventInput:
    """A status callback's form as an event; `extension` is the ?extension= of the callback URL (the advisor's)."""
    body = load(TwilioStatusSchema, form)
    status = body["CallStatus"]
    raw_from = body["From"]
    # Twilio says "anonymous" (or an empty From) for a withheld number; a client: or sip: caller is no number
    from_e164 = None if is_withheld(raw_from) or ":" in raw_from else normalise_phone(raw_from, field="From")
    return EventInput(
        provider=PROVIDER,
        provider_call_id=body["CallSid"],
        event=status,
        kind=STATUS_KINDS[status],
        occurred_at=_occurred_at(body["Timestamp"]),
        from_e164=from_e164,
        line=(body["To"] or None) and body["To"][:32],
        advisor_extension=extension,
        duration_seconds=body["CallDuration"],
    )
