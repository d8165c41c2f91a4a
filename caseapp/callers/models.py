"""The person on the phone (who may not be the person of concern)."""

from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.db import Base, CreatedAtMixin, UTCDateTime, str_enum
from caseapp.encryption.types import EncryptedText
from caseapp.reference import Relationship


class Caller(CreatedAtMixin, Base):
    __tablename__ = "callers"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: E.164; null when the number was withheld. Unique: one caller per number (NULLs are distinct)
    phone_e164: Mapped[str | None] = mapped_column(sa.String(16), unique=True)
    #: optional; anonymous callers are normal
    name: Mapped[str | None] = mapped_column(sa.String(120))
    relationship: Mapped[Relationship] = mapped_column(
        str_enum(Relationship, "caller_relationship"), default=Relationship.SELF
    )
    consent_callback: Mapped[bool] = mapped_column(default=False)
    consent_voicemail: Mapped[bool] = mapped_column(default=False)
    consent_sms: Mapped[bool] = mapped_column(default=False)
    #: local wall-clock window the caller prefers to be rung in (both set or both null)
    preferred_from: Mapped[time | None] = mapped_column(sa.Time())
    preferred_to: Mapped[time | None] = mapped_column(sa.Time())
    preferred_times_note: Mapped[str | None] = mapped_column(EncryptedText())
    #: e.g. "don't ring at work; partner doesn't know"
    safe_to_call_notes: Mapped[str | None] = mapped_column(EncryptedText())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now(), onupdate=sa.func.now())
    #: when their name, number and notes were removed (caseapp/retention); shown as "Anonymised caller" from then
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint("(preferred_from IS NULL) = (preferred_to IS NULL)", name="preferred_window_complete"),
        sa.Index("ix_callers_lower_name", sa.func.lower(sa.column("name"))),
    )

    def __repr__(self) -> str:
        return f"<Caller {self.id}>"

    @property
    def is_withheld(self) -> bool:
        return self.phone_e164 is None

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

    @property
    def display_name(self) -> str | None:
        """What pages and the API show as the caller's name."""
        return ANONYMISED_LABEL if self.is_anonymised else self.name


ANONYMISED_LABEL = "Anonymised caller"
