"""Emergency alerts: the managers on shift were told that a caller is in immediate danger, when and by whom."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.auth.models import User
from caseapp.db import Base, UTCDateTime


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
