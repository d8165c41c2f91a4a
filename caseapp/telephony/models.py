"""What the phone system told us: each event as received (deduplicated), each call as those events add up, and the
requests refused before they were applied (for admins)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.db import Base, CreatedAtMixin, UTCDateTime, str_enum
from caseapp.reference import Labelled


class EventKind(Labelled):
    """The provider-agnostic event names; a provider's own statuses map onto these (Twilio: telephony/twilio.py)."""

    RINGING = "ringing", "Ringing"
    ANSWERED = "answered", "Answered"
    ENDED = "ended", "Ended"
    MISSED = "missed", "Missed"
    VOICEMAIL = "voicemail", "Voicemail"


class CallOutcome(Labelled):
    """Where a call stands, from the events received so far (in any order): answered beats missed and voicemail."""

    RINGING = "ringing", "Ringing"
    ANSWERED = "answered", "Answered"
    MISSED = "missed", "Missed"
    VOICEMAIL = "voicemail", "Voicemail"


class TelephonyCall(CreatedAtMixin, Base):
    """One call the phone system offered the helpline, as its events add up. Every field is filled by the event that
    carries it, whichever order they arrive in, so the same events give the same row in any order."""

    __tablename__ = "telephony_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: who sent it: "twilio", or the name a generic sender gives (e.g. "3cx")
    provider: Mapped[str] = mapped_column(sa.String(32))
    #: the provider's id for the call (Twilio's CallSid)
    provider_call_id: Mapped[str] = mapped_column(sa.String(64))
    #: the helpline number or line name that was rung
    line: Mapped[str | None] = mapped_column(sa.String(32))
    #: the calling number in E.164; null when withheld, and once telephony retention has removed it
    from_e164: Mapped[str | None] = mapped_column(sa.String(16))
    withheld: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: the caller record the number belongs to, when there is one
    caller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("callers.id", ondelete="SET NULL"), index=True)
    outcome: Mapped[CallOutcome] = mapped_column(
        str_enum(CallOutcome, "telephony_call_outcome"), default=CallOutcome.RINGING
    )
    #: when the phone system offered it (the earliest event's time)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: when it was given up on: a missed or voicemail event
    missed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: talk time as the phone system reported it
    duration_seconds: Mapped[int | None] = mapped_column(sa.Integer())
    #: the advisor who answered (found by user id or extension)
    advisor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: the log-a-call draft opened for the answering advisor (screen-pop)
    call_draft_id: Mapped[int | None] = mapped_column(sa.ForeignKey("call_drafts.id", ondelete="SET NULL"))
    #: the call log the advisor saved from it
    call_id: Mapped[int | None] = mapped_column(sa.ForeignKey("calls.id", ondelete="SET NULL"), index=True)
    #: the missed-call callback this call made, or joined as a later missed call from the same number
    callback_id: Mapped[int | None] = mapped_column(sa.ForeignKey("callbacks.id", ondelete="SET NULL"), index=True)
    #: Europe/London calendar date and hour of offered_at, fixed at write time (report bucketing)
    local_date: Mapped[date] = mapped_column(sa.Date())
    local_hour: Mapped[int] = mapped_column(sa.SmallInteger())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now(), onupdate=sa.func.now())

    __table_args__ = (
        sa.UniqueConstraint("provider", "provider_call_id", name="uq_telephony_calls_provider_call"),
        sa.CheckConstraint("local_hour BETWEEN 0 AND 23", name="local_hour_range"),
        sa.CheckConstraint("duration_seconds IS NULL OR duration_seconds >= 0", name="duration_not_negative"),
        sa.Index("ix_telephony_calls_local_date_hour", "local_date", "local_hour"),
        # recent missed calls from a number (one callback per number per hour)
        sa.Index("ix_telephony_calls_from_missed", "from_e164", "missed_at"),
    )

    def __repr__(self) -> str:
        return f"<TelephonyCall {self.id} {self.provider}>"


class TelephonyEvent(CreatedAtMixin, Base):
    """One event as received. Unique on (provider, call id, event): a repeat is recognised and changes nothing."""

    __tablename__ = "telephony_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    telephony_call_id: Mapped[int] = mapped_column(sa.ForeignKey("telephony_calls.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(sa.String(32))
    provider_call_id: Mapped[str] = mapped_column(sa.String(64))
    #: the event as the provider named it (generic: the kind; Twilio: its CallStatus, e.g. "no-answer")
    event: Mapped[str] = mapped_column(sa.String(24))
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, "telephony_event_kind"))
    #: when it happened, by the provider's clock
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.UniqueConstraint("provider", "provider_call_id", "event", name="uq_telephony_events_provider_call_event"),
        sa.Index("ix_telephony_events_created_at", "created_at"),
    )

    def __repr__(self) -> str:
        return f"<TelephonyEvent {self.id} {self.event}>"


class TelephonyRejection(CreatedAtMixin, Base):
    """A webhook request refused before anything was applied (unsigned, bad signature, stale, malformed): what admins
    need to put a misconfigured phone system right. Holds no part of the body."""

    __tablename__ = "telephony_rejections"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "events" (the generic webhook) or "twilio"
    endpoint: Mapped[str] = mapped_column(sa.String(16))
    #: the error code answered, e.g. signature_invalid
    code: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[int] = mapped_column(sa.SmallInteger())
    #: the sending system's address (the phone system's, not a caller's)
    remote_addr: Mapped[str | None] = mapped_column(sa.String(45))

    __table_args__ = (sa.Index("ix_telephony_rejections_created_at", "created_at"),)

    def __repr__(self) -> str:
        return f"<TelephonyRejection {self.id} {self.code}>"
