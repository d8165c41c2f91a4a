"""Every contact with the helpline, and the drafts advisors type while on the call."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.auth.models import User
from caseapp.callers.models import Caller
from caseapp.cases.models import Case
from caseapp.db import Base, CreatedAtMixin, UTCDateTime, str_enum
from caseapp.encryption.types import EncryptedJSON, EncryptedText
from caseapp.reference import CallType, Channel, Direction, ReferralSource


class Call(CreatedAtMixin, Base):
    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_type: Mapped[CallType] = mapped_column(str_enum(CallType, "call_type"), default=CallType.DATA)
    #: null for non-data calls (silent, hang-up, ...), which are counted but belong to no case
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"))
    caller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("callers.id", ondelete="RESTRICT"), index=True)
    advisor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    direction: Mapped[Direction] = mapped_column(str_enum(Direction, "call_direction"), default=Direction.INBOUND)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "call_channel"), default=Channel.PHONE)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Europe/London calendar date and hour of started_at, fixed at write time (report bucketing, also on SQLite)
    local_date: Mapped[date] = mapped_column(sa.Date())
    local_hour: Mapped[int] = mapped_column(sa.SmallInteger())
    reason: Mapped[str | None] = mapped_column(EncryptedText())
    referral_source: Mapped[ReferralSource | None] = mapped_column(str_enum(ReferralSource, "call_referral_source"))
    outcome_summary: Mapped[str | None] = mapped_column(EncryptedText())
    notes: Mapped[str | None] = mapped_column(EncryptedText())
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    advisor: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    caller: Mapped[Caller | None] = relationship(lazy="joined")
    case: Mapped[Case | None] = relationship(lazy="joined")

    __table_args__ = (
        sa.CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
        sa.CheckConstraint("call_type <> 'data' OR case_id IS NOT NULL", name="data_call_has_case"),
        sa.CheckConstraint("local_hour BETWEEN 0 AND 23", name="local_hour_range"),
        sa.Index("ix_calls_case_started", "case_id", "started_at"),
        sa.Index("ix_calls_started_at_id", "started_at", "id"),
        sa.Index("ix_calls_local_date_hour", "local_date", "local_hour"),
    )

    def __repr__(self) -> str:
        return f"<Call {self.id}>"

    @property
    def duration_seconds(self) -> int | None:
        if self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds())


class CallDraft(CreatedAtMixin, Base):
    """What an advisor has typed into the log-a-call form so far, saved every few seconds."""

    __tablename__ = "call_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    advisor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: the form's fields exactly as typed (validated only when the call is logged)
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON(), default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now(), onupdate=sa.func.now())

    def __repr__(self) -> str:
        return f"<CallDraft {self.id}>"
