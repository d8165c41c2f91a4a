"""The person on the phone (who may not be the person of concern)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.db import Base, CreatedAtMixin, UTCDateTime, str_enum
from caseapp.encryption.types import EncryptedText
from caseapp.reference import Labelled, Relationship


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
    #: the caller record this one was merged into (caseapp/callers/merges.py); lookups and searches skip it from then
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("callers.id", ondelete="SET NULL"))
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint("(preferred_from IS NULL) = (preferred_to IS NULL)", name="preferred_window_complete"),
        sa.Index("ix_callers_lower_name", sa.func.lower(sa.column("name"))),
        sa.CheckConstraint("(merged_into_id IS NULL) = (merged_at IS NULL)", name="merge_complete"),
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
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def display_name(self) -> str | None:
        """What pages and the API show as the caller's name."""
        return ANONYMISED_LABEL if self.is_anonymised else self.name


ANONYMISED_LABEL = "Anonymised caller"


class NumberKind(Labelled):
    MOBILE = "mobile", "Mobile"
    LANDLINE = "landline", "Landline"
    FAMILY = "family", "A family member's phone"
    OTHER = "other", "Other"


class CallerNumber(CreatedAtMixin, Base):
    """A caller's number other than their main one (callers.phone_e164): the repeat-caller lookup finds them by it.
    A number belongs to one caller: unique here, and never also a caller's main number (checked under a lock by
    caseapp/callers/numbers.py)."""

    __tablename__ = "caller_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    caller_id: Mapped[int] = mapped_column(sa.ForeignKey("callers.id", ondelete="CASCADE"), index=True)
    phone_e164: Mapped[str] = mapped_column(sa.String(16), unique=True)
    kind: Mapped[NumberKind] = mapped_column(str_enum(NumberKind, "caller_number_kind"))
    #: e.g. "sister's phone"
    label: Mapped[str | None] = mapped_column(EncryptedText())
    #: a family member's phone: when the advisor recorded that it is used with consent (required for that kind)
    consent_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (
        sa.CheckConstraint("kind <> 'family' OR consent_confirmed_at IS NOT NULL", name="family_phone_has_consent"),
    )

    def __repr__(self) -> str:
        return f"<CallerNumber {self.id} caller={self.caller_id}>"


class CallerMerge(CreatedAtMixin, Base):
    """One merge of a duplicate caller record into a kept one, with the ids of every row it moved, so that it can be
    undone exactly (caseapp/callers/merges.py). `moved` holds ids only: {"calls": [...], "cases": [...], ...}."""

    __tablename__ = "caller_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    kept_id: Mapped[int] = mapped_column(sa.ForeignKey("callers.id", ondelete="CASCADE"), index=True)
    duplicate_id: Mapped[int] = mapped_column(sa.ForeignKey("callers.id", ondelete="CASCADE"), index=True)
    #: ids of the rows moved, by table; "number_id": the row the duplicate's main number became (or null)
    moved: Mapped[dict[str, Any]] = mapped_column(sa.JSON())
    merged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (sa.CheckConstraint("kept_id <> duplicate_id", name="two_callers"),)

    def __repr__(self) -> str:
        return f"<CallerMerge {self.id} {self.duplicate_id}->{self.kept_id}>"
