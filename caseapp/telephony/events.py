"""One telephony event as caseapp applies it, whichever provider sent it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from caseapp.telephony.models import EventKind


@dataclass(frozen=True)
class EventInput:
    #: who sent it ("twilio", or the generic sender's own name)
    provider: str
    provider_call_id: str
    #: the event as the provider named it (deduplication key with the call id)
    event: str
    kind: EventKind
    occurred_at: datetime
    #: the calling number in E.164; None when withheld
    from_e164: str | None
    line: str | None = None
    advisor_id: int | None = None
    advisor_extension: str | None = None
    duration_seconds: int | None = None
