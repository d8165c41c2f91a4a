"""Emergency alerts (the managers on shift were told that a caller is in immediate danger, when and by whom) and
the emergency log (the 999 calls and transfers made for the caller)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.auth.models import User
from caseapp.cases.models import Case
from caseapp.db import Base, CreatedAtMixin, UTCDateTime, str_enum
from caseapp.encryption.types import EncryptedText
from caseapp.reference import Labelled


class EmergencyAlert(Base):
    __tablename__ = "emergency_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    #: the advisor who chose "immediate danger" (null once their account is deleted)
    raised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())
    #: how many managers were notified (0 would mean nobody could be: shown to the advisor)
    recipients: Mapped[int] = mapped_column(sa.SmallInteger())
    #: the assessment that recorded the danger, when the alert came with one
    assessment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessments.id", ondelete="SET NULL"))

    raised_by: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (sa.Index("ix_emergency_alerts_case_raised", "case_id", "raised_at"),)

    def __repr__(self) -> str:
        return f"<EmergencyAlert {self.id} case={self.case_id}>"


class EmergencyService(Labelled):
    AMBULANCE = "ambulance", "Ambulance"
    POLICE = "police", "Police"
    FIRE = "fire", "Fire and rescue"
    CRISIS_TEAM = "crisis_team", "Mental health crisis team"
    NHS_111_MENTAL_HEALTH = "nhs_111_mental_health", "NHS 111, option 2 (mental health)"
    SAMARITANS = "samaritans", "Samaritans"
    OTHER = "other", "Other service"


class EmergencyActionKind(Labelled):
    #: a 999 call (or a call to the service) made for the caller
    EMERGENCY_CALL = "emergency_call", "Call made for the caller"
    TRANSFER = "transfer", "Caller transferred"


class EmergencyOutcome(Labelled):
    HELP_SENT = "help_sent", "Help sent to the caller"
    TRANSFER_COMPLETED = "transfer_completed", "Transfer completed"
    ADVICE_GIVEN = "advice_given", "Service gave advice; no one sent"
    CALLER_DECLINED = "caller_declined", "Caller declined"
    CALL_LOST = "call_lost", "Call lost before it was done"
    OTHER = "other", "Other"


class EmergencyAction(CreatedAtMixin, Base):
    """The emergency log: a 999 call or a transfer made because a caller was in immediate danger."""

    __tablename__ = "emergency_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    #: the alert of the same emergency, when there was one
    alert_id: Mapped[int | None] = mapped_column(sa.ForeignKey("emergency_alerts.id", ondelete="SET NULL"))
    #: who made the call or the transfer (null once their account is deleted)
    made_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[EmergencyActionKind] = mapped_column(str_enum(EmergencyActionKind, "emergency_action_kind"))
    service: Mapped[EmergencyService] = mapped_column(str_enum(EmergencyService, "emergency_service"))
    #: the service's reference (an incident or CAD number)
    reference: Mapped[str | None] = mapped_column(EncryptedText())
    outcome: Mapped[EmergencyOutcome] = mapped_column(str_enum(EmergencyOutcome, "emergency_outcome"))
    outcome_note: Mapped[str | None] = mapped_column(EncryptedText())

    case: Mapped[Case] = relationship(lazy="joined", innerjoin=True)
    made_by: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (sa.Index("ix_emergency_actions_case_made", "case_id", "made_at"),)

    def __repr__(self) -> str:
        return f"<EmergencyAction {self.id} case={self.case_id}>"
