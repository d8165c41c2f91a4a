"""A case's safety plan, built with the caller: each save is a new version; the latest is the plan."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.auth.models import User
from caseapp.db import Base, UTCDateTime
from caseapp.encryption.types import EncryptedText

#: the plan's free-text parts, in the order the page and the printout show them
TEXT_FIELDS = ("warning_signs", "coping_strategies", "contacts", "services", "safe_place")


class SafetyPlan(Base):
    __tablename__ = "safety_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"))
    #: 1, 2, ... per case; the highest is the current plan
    version: Mapped[int] = mapped_column(sa.SmallInteger())
    #: thoughts, feelings or situations that mean a crisis may be coming
    warning_signs: Mapped[str | None] = mapped_column(EncryptedText())
    #: what helps: things the caller can do on their own
    coping_strategies: Mapped[str | None] = mapped_column(EncryptedText())
    #: people to contact, names and numbers as the caller gave them
    contacts: Mapped[str | None] = mapped_column(EncryptedText())
    #: services and crisis numbers (suggestions pre-filled, edited with the caller)
    services: Mapped[str | None] = mapped_column(EncryptedText())
    #: somewhere the caller can go to be safe
    safe_place: Mapped[str | None] = mapped_column(EncryptedText())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    created_by: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("case_id", "version"),)

    def __repr__(self) -> str:
        return f"<SafetyPlan {self.id} case={self.case_id} v{self.version}>"
