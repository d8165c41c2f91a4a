"""Callbacks: a promise to ring a caller back at a time, their attempts, their handovers at the end of a shift, and
the flags they raise on a case."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.auth.models import User
from caseapp.cases.models import Case
from caseapp.db import Base, CreatedAtMixin, UTCDateTime, str_enum
from caseapp.encryption.types import EncryptedText
from caseapp.reference import AttemptOutcome, CallbackPriority, CallbackStatus, HandoverStatus
from caseapp.timeutil import now_utc

#: statuses in which a callback still has to be made
OPEN_STATUSES = (CallbackStatus.SCHEDULED, CallbackStatus.IN_PROGRESS, CallbackStatus.NO_ANSWER)
#: statuses a callback never leaves
CLOSED_STATUSES = (
    CallbackStatus.COMPLETED,
    CallbackStatus.CANCELLED,
    CallbackStatus.MISSED,
    CallbackStatus.UNREACHABLE,
)
#: outcomes that count towards closing a callback as unreachable
FAILED_OUTCOMES = (AttemptOutcome.NO_ANSWER, AttemptOutcome.VOICEMAIL_LEFT, AttemptOutcome.WRONG_NUMBER)


class Callback(CreatedAtMixin, Base):
    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    #: the promised time (UTC); entered and shown in Europe/London
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: optional window after due_at in which the call may be made (19:00 + 30 = 19:00-19:30)
    window_minutes: Mapped[int | None] = mapped_column(sa.SmallInteger())
    #: null = the shared pool; any advisor on shift may claim it
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    priority: Mapped[CallbackPriority] = mapped_column(
        str_enum(CallbackPriority, "callback_priority"), default=CallbackPriority.NORMAL
    )
    #: why we are ringing back (staff only; never in a reminder message)
    reason: Mapped[str | None] = mapped_column(EncryptedText())
    status: Mapped[CallbackStatus] = mapped_column(
        str_enum(CallbackStatus, "callback_status"), default=CallbackStatus.SCHEDULED
    )
    attempt_count: Mapped[int] = mapped_column(default=0, server_default="0")
    #: attempts with a failed outcome (no answer, voicemail, wrong number); N of them close it as unreachable
    failed_attempt_count: Mapped[int] = mapped_column(default=0, server_default="0")
    #: the booking was made outside the caller's preferred times on purpose
    outside_preferred_times: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: when the clock of its current state started (callbacks/due.py): booked or rescheduled, started, an attempt,
    #: a claim from the pool
    clock_started_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: why it was cancelled (staff only)
    cancel_reason: Mapped[str | None] = mapped_column(EncryptedText())
    #: optimistic concurrency: every update bumps it; a PATCH with an older version gets 409
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now(), onupdate=sa.func.now())

    case: Mapped[Case] = relationship(lazy="joined", innerjoin=True)
    assignee: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[assignee_id])

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        sa.CheckConstraint("window_minutes IS NULL OR window_minutes BETWEEN 0 AND 720", name="window_range"),
        sa.CheckConstraint("attempt_count >= failed_attempt_count AND failed_attempt_count >= 0", name="attempts"),
        # the scans: open callbacks by due time
        sa.Index(
            "ix_callbacks_open_due",
            "due_at",
            postgresql_where=sa.text("status IN ('scheduled', 'in_progress', 'no_answer')"),
            sqlite_where=sa.text("status IN ('scheduled', 'in_progress', 'no_answer')"),
        ),
        # the clocks of started and unanswered callbacks
        sa.Index(
            "ix_callbacks_open_clock",
            "clock_started_at",
            postgresql_where=sa.text("status IN ('in_progress', 'no_answer')"),
            sqlite_where=sa.text("status IN ('in_progress', 'no_answer')"),
        ),
        sa.Index("ix_callbacks_assignee_status_due", "assignee_id", "status", "due_at"),
        sa.Index("ix_callbacks_due_at_id", "due_at", "id"),
    )

    def __repr__(self) -> str:
        return f"<Callback {self.id} case={self.case_id}>"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_pooled(self) -> bool:
        return self.assignee_id is None

    @property
    def window_ends_at(self) -> datetime:
        return self.due_at + timedelta(minutes=self.window_minutes or 0)

    @property
    def is_overdue(self) -> bool:
        """Still to be made and the window (or due time) has passed."""
        return self.is_open and self.window_ends_at < now_utc()

    @property
    def seconds_until_due(self) -> int:
        """For the countdown on "My callbacks": negative once due."""
        return int((self.due_at - now_utc()).total_seconds())


class CallbackAttempt(CreatedAtMixin, Base):
    """One try at making a callback, and the call log it produced."""

    __tablename__ = "callback_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    callback_id: Mapped[int] = mapped_column(sa.ForeignKey("callbacks.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[AttemptOutcome] = mapped_column(str_enum(AttemptOutcome, "callback_attempt_outcome"))
    #: the outbound call logged for this attempt, when there is one
    call_id: Mapped[int | None] = mapped_column(sa.ForeignKey("calls.id", ondelete="SET NULL"))
    advisor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: staff-only note about the attempt (never in messages or logs)
    notes: Mapped[str | None] = mapped_column(EncryptedText())

    def __repr__(self) -> str:
        return f"<CallbackAttempt {self.id} callback={self.callback_id}>"


class CaseFlag(CreatedAtMixin, Base):
    """Something on a case that needs a person to look at it (e.g. the caller could not be reached)."""

    __tablename__ = "case_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    #: e.g. unreachable
    kind: Mapped[str] = mapped_column(sa.String(32))
    #: the callback that raised it, when one did
    callback_id: Mapped[int | None] = mapped_column(sa.ForeignKey("callbacks.id", ondelete="SET NULL"))
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cleared_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (
        # at most one open flag of each kind per case
        sa.Index(
            "uq_case_flags_open_kind",
            "case_id",
            "kind",
            unique=True,
            postgresql_where=sa.text("cleared_at IS NULL"),
            sqlite_where=sa.text("cleared_at IS NULL"),
        ),
    )

    def __repr__(self) -> str:
        return f"<CaseFlag {self.id} case={self.case_id}>"


#: the longest handover note (what the receiver needs to know)
HANDOVER_NOTE_MAX = 1000
_OFFERED = "status = 'offered'"


class Handover(CreatedAtMixin, Base):
    """A callback handed on by an advisor clocking off: to a colleague on shift, or to the pool. While it is offered
    the callback is the receiver's (callbacks/handover.py); it is accepted, returned to the pool by the clock
    (callbacks/due.py), or withdrawn when the callback changes hands or closes first (callbacks/offers.py)."""

    __tablename__ = "callback_handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    callback_id: Mapped[int] = mapped_column(sa.ForeignKey("callbacks.id", ondelete="CASCADE"), index=True)
    #: who handed it over (the advisor clocking off)
    from_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    #: who it is offered to; null = the pool (anyone on shift may claim it)
    to_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    #: what the receiver needs to know (staff only: never in emails, SMS or logs)
    note: Mapped[str | None] = mapped_column(EncryptedText())
    status: Mapped[HandoverStatus] = mapped_column(
        str_enum(HandoverStatus, "handover_status"), default=HandoverStatus.OFFERED
    )
    #: when it stopped being offered (accepted, returned or withdrawn); null while offered
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: who accepted it: the receiver, or whoever claimed it from the pool
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    callback: Mapped[Callback] = relationship(lazy="joined", innerjoin=True)
    from_user: Mapped[User] = relationship(lazy="joined", innerjoin=True, foreign_keys=[from_user_id])
    to_user: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[to_user_id])
    accepted_by: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[accepted_by_id])

    __table_args__ = (
        sa.CheckConstraint(f"({_OFFERED}) = (responded_at IS NULL)", name="responded_unless_offered"),
        sa.CheckConstraint("to_user_id IS NULL OR to_user_id <> from_user_id", name="not_to_oneself"),
        sa.CheckConstraint("accepted_by_id IS NULL OR status = 'accepted'", name="accepted_by_when_accepted"),
        # one offer open per callback, enforced by the database
        sa.Index(
            "uq_callback_handovers_one_offered",
            "callback_id",
            unique=True,
            postgresql_where=sa.text(_OFFERED),
            sqlite_where=sa.text(_OFFERED),
        ),
        # "Handed to you", and the clock that returns unaccepted offers to the pool
        sa.Index(
            "ix_callback_handovers_offered_to",
            "to_user_id",
            "created_at",
            postgresql_where=sa.text(_OFFERED),
            sqlite_where=sa.text(_OFFERED),
        ),
    )

    def __repr__(self) -> str:
        return f"<Handover {self.id} callback={self.callback_id}>"

    @property
    def is_offered(self) -> bool:
        return self.status == HandoverStatus.OFFERED

    @property
    def to_pool(self) -> bool:
        return self.to_user_id is None

    def accept_by(self, accept_seconds: int) -> datetime | None:
        """When an offer to a colleague goes back to the pool unaccepted (None: to the pool, or no longer offered)."""
        if not self.is_offered or self.to_pool:
            return None
        return self.created_at + timedelta(seconds=accept_seconds)
