"""Safeguarding records: a concern for someone's safety raised on a case, the decision to share it or not and why,
the agency told, and a manager's review."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.auth.models import User
from caseapp.cases.models import Case
from caseapp.db import Base, CreatedAtMixin, UTCDateTime, str_enum
from caseapp.encryption.types import EncryptedText
from caseapp.safeguarding.reference import Agency, SafeguardingStatus, SharingDecision


class SafeguardingRecord(CreatedAtMixin, Base):
    __tablename__ = "safeguarding_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: AtRisk codes (who is at risk)
    at_risk: Mapped[list[str]] = mapped_column(sa.JSON(), default=list)
    #: how many children, when known (only with "children" at risk)
    children_count: Mapped[int | None] = mapped_column(sa.SmallInteger())
    #: ConcernCategory codes
    categories: Mapped[list[str]] = mapped_column(sa.JSON(), default=list)
    #: what the concern is, in the advisor's words
    description: Mapped[str] = mapped_column(EncryptedText())
    decision: Mapped[SharingDecision] = mapped_column(str_enum(SharingDecision, "safeguarding_decision"))
    #: why it was shared without consent, or not shared (required for those decisions)
    decision_reason: Mapped[str | None] = mapped_column(EncryptedText())
    agency: Mapped[Agency | None] = mapped_column(str_enum(Agency, "safeguarding_agency"))
    #: the agency's own reference for the referral
    agency_reference: Mapped[str | None] = mapped_column(EncryptedText())
    agency_contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[SafeguardingStatus] = mapped_column(
        str_enum(SafeguardingStatus, "safeguarding_status"), default=SafeguardingStatus.OPEN
    )
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the manager's note on the outcome of the review
    review_note: Mapped[str | None] = mapped_column(EncryptedText())
    #: optimistic concurrency: two people saving the same record at once, the second is told (409)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now(), onupdate=sa.func.now())

    case: Mapped[Case] = relationship(lazy="joined", innerjoin=True)
    created_by: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[created_by_id])
    reviewed_by: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[reviewed_by_id])

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        sa.CheckConstraint("children_count IS NULL OR children_count BETWEEN 0 AND 30", name="children_count_range"),
        # the managers' list: concerns not closed yet, oldest first
        sa.Index(
            "ix_safeguarding_records_unclosed",
            "created_at",
            postgresql_where=sa.text("status IN ('open', 'under_review')"),
            sqlite_where=sa.text("status IN ('open', 'under_review')"),
        ),
    )

    def __repr__(self) -> str:
        return f"<SafeguardingRecord {self.id} case={self.case_id}>"

    @property
    def is_closed(self) -> bool:
        return self.status == SafeguardingStatus.CLOSED
