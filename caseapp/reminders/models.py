"""The reminder outbox: one row per message to send, written in the same transaction as the decision to send it.

A row is unique per (callback, kind, due time, channel, recipient), so a scan that runs twice, two beats, or a task
delivered twice cannot make a second message. Its Message-ID is fixed when the row is made, so a retried email is
the same email (receivers deduplicate on it).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.db import Base, CreatedAtMixin, UTCDateTime, str_enum


class OutboxKind(StrEnum):
    #: to the assignee (or the on-shift advisors for a pooled callback), before it is due
    REMINDER = "reminder"
    #: to the managers on shift, when a callback has not been started some time after it was due
    ESCALATION = "escalation"
    #: to the advisor, when a callback they started has no outcome after a while
    STALLED_NUDGE = "stalled_nudge"
    #: to the managers on shift, when it still has none
    STALLED_ALERT = "stalled_alert"
    #: to the advisor, when a callback they could not get through on has no new time
    RETRY_PROMPT = "retry_prompt"


class DeliveryChannel(StrEnum):
    EMAIL = "email"
    IN_APP = "in_app"
    SMS = "sms"


class OutboxStatus(StrEnum):
    #: waiting for a delivery task (or for its retry)
    PENDING = "pending"
    #: a delivery task has claimed it and may be sending it now (recorded before anything leaves)
    SENDING = "sending"
    SENT = "sent"
    #: given up: a permanent refusal, or every attempt failed; shown to managers with the reason
    FAILED = "failed"
    #: not sent and no longer wanted (the callback was rescheduled, reassigned, started, completed or cancelled)
    WITHDRAWN = "withdrawn"


DONE_STATUSES = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.WITHDRAWN)


class OutboxMessage(CreatedAtMixin, Base):
    __tablename__ = "reminder_outbox"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    callback_id: Mapped[int] = mapped_column(sa.ForeignKey("callbacks.id", ondelete="CASCADE"))
    kind: Mapped[OutboxKind] = mapped_column(str_enum(OutboxKind, "reminder_outbox_kind", 16))
    #: the callback's due time this message is about; a reschedule makes a new due time, so new rows
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[DeliveryChannel] = mapped_column(str_enum(DeliveryChannel, "reminder_outbox_channel", 16))
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, "reminder_outbox_status", 16), default=OutboxStatus.PENDING
    )
    #: delivery attempts so far (counted before each send)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    #: why the last attempt failed (an SMTP reply, an exception class); no personal data
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    #: RFC 5322 Message-ID, fixed at creation: the idempotency key of the email
    message_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    #: the message, rendered when the row is made (first name and case reference only)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text())
    link: Mapped[str | None] = mapped_column(sa.String(200))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    #: when it may be tried (next): when it was written, or after a failed attempt its backoff
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())
    #: when the broker took its current delivery task; null = not handed over yet (the sweeper sees to it)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: when the current (or last) attempt claimed it
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.UniqueConstraint("callback_id", "kind", "due_at", "channel", "recipient_id", name="uq_reminder_outbox_key"),
        sa.CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
        # the sweeper's working set: only unsent rows are in it
        sa.Index(
            "ix_reminder_outbox_unsent",
            "next_attempt_at",
            postgresql_where=sa.text("status IN ('pending', 'sending')"),
            sqlite_where=sa.text("status IN ('pending', 'sending')"),
        ),
        sa.Index("ix_reminder_outbox_status_created", "status", "created_at"),
    )

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.channel} {self.status}>"
