"""A case: one person of concern, their status, risk and assigned advisor."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.auth.models import User
from caseapp.callers.models import Caller
from caseapp.db import Base, CreatedAtMixin, UTCDateTime, str_enum
from caseapp.encryption.types import EncryptedText
from caseapp.ids import as_id
from caseapp.reference import CaseStatus, CloseReason, RiskLevel

REFERENCE_PREFIX = "CA"
OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.ASSESSING, CaseStatus.ASSESSED, CaseStatus.REFERRED, CaseStatus.ADMITTED)
_OPEN_SQL = ", ".join(f"'{status.value}'" for status in OPEN_STATUSES)


class Case(CreatedAtMixin, Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: local (Europe/London) year the case was opened; part of the human reference CA-<year>-<id>
    reference_year: Mapped[int] = mapped_column(sa.SmallInteger())
    caller_id: Mapped[int] = mapped_column(sa.ForeignKey("callers.id", ondelete="RESTRICT"), index=True)
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus, "case_status"), default=CaseStatus.NEW)
    close_reason: Mapped[CloseReason | None] = mapped_column(str_enum(CloseReason, "case_close_reason"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assigned_advisor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    risk_level: Mapped[RiskLevel | None] = mapped_column(str_enum(RiskLevel, "case_risk_level"))
    #: the latest successful contact with the caller: a call logged on the case, or a callback attempt answered
    #: (caseapp/cases/stale.py keeps it as they are written); null: nobody reached since the case was opened
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: optimistic concurrency: every update bumps it; a PATCH with an older version gets 409
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now(), onupdate=sa.func.now())
    #: when its free text was removed (caseapp/retention); codes, times and counts stay
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: a legal hold: while set, neither retention nor erasure touches this case's caller or any of their cases
    legal_hold_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    legal_hold_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: why the hold was placed (staff text, shown to managers)
    legal_hold_reason: Mapped[str | None] = mapped_column(EncryptedText())

    caller: Mapped[Caller] = relationship(lazy="joined", innerjoin=True)
    assigned_advisor: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[assigned_advisor_id])

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        sa.CheckConstraint("(status = 'closed') = (close_reason IS NOT NULL)", name="close_reason_iff_closed"),
        sa.CheckConstraint("(legal_hold_at IS NULL) = (legal_hold_reason IS NULL)", name="legal_hold_has_reason"),
        sa.Index("ix_cases_status_risk", "status", "risk_level"),
        # the stale-cases list: open cases by how long nobody has been reached (last contact, else opening)
        sa.Index(
            "ix_cases_open_contact_clock",
            sa.func.coalesce(sa.column("last_contact_at"), sa.column("created_at")),
            "id",
            postgresql_where=sa.text(f"status IN ({_OPEN_SQL})"),
            sqlite_where=sa.text(f"status IN ({_OPEN_SQL})"),
        ),
        # the retention run's scan: closed cases not yet anonymised, by when they closed
        sa.Index(
            "ix_cases_retention_due",
            "closed_at",
            postgresql_where=sa.text("status = 'closed' AND anonymised_at IS NULL"),
            sqlite_where=sa.text("status = 'closed' AND anonymised_at IS NULL"),
        ),
    )

    def __repr__(self) -> str:
        return f"<Case {self.id}>"

    @property
    def reference(self) -> str:
        return format_reference(self.reference_year, self.id)

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED

    @property
    def is_on_legal_hold(self) -> bool:
        return self.legal_hold_at is not None

    @property
    def contact_clock_at(self) -> datetime:
        """What "days without contact" count from: the last successful contact, else when the case was opened."""
        return self.last_contact_at or self.created_at


def format_reference(year: int, case_id: int) -> str:
    return f"{REFERENCE_PREFIX}-{year}-{case_id:06d}"


#: a reference year beyond this names no case (the column is a smallint)
MAX_REFERENCE_YEAR = 9999


def parse_reference(text: str) -> tuple[int, int] | None:
    """(year, id) from 'CA-2026-000123' (any case, spaces tolerated), or None."""
    parts = text.strip().upper().replace(" ", "").split("-")
    if len(parts) != 3 or parts[0] != REFERENCE_PREFIX:
        return None
    year, case_id = (as_id(part) for part in parts[1:])  # "²" is a digit to str.isdigit(), and ids have a ceiling
    if year is None or case_id is None or year > MAX_REFERENCE_YEAR:
        return None
    return year, case_id


#: the longest note a page or the API accepts (the note form's maxlength too)
NOTE_MAX_LENGTH = 20_000


class CaseNote(CreatedAtMixin, Base):
    """A free-text note on a case's timeline (never logged, never in reports)."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    body: Mapped[str] = mapped_column(EncryptedText())

    author: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    def __repr__(self) -> str:
        return f"<CaseNote {self.id} case={self.case_id}>"


class StaleCaseDigest(CreatedAtMixin, Base):
    """The day's notice to the managers of the cases nobody has reached (caseapp/cases/stale.py): one row per local
    day, written before anyone is told, so a second run that day (a redelivered task, a rerun) tells nobody again."""

    __tablename__ = "stale_case_digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the local (Europe/London) day of the STALE_CASES_AT run this row stands for
    local_date: Mapped[date] = mapped_column(sa.Date(), unique=True)
    #: "no successful contact for this many days" (STALE_CASE_DAYS at the time)
    days: Mapped[int] = mapped_column(sa.SmallInteger())
    #: how many cases were on the list (0: nobody was told)
    case_count: Mapped[int] = mapped_column()
    #: how many managers and admins were notified
    recipients: Mapped[int] = mapped_column()

    def __repr__(self) -> str:
        return f"<StaleCaseDigest {self.id}>"
