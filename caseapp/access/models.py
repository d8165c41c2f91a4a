"""Break-glass grants: an advisor's reasoned, time-limited access to a case they have no relationship with."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.auth.models import User
from caseapp.db import Base, CreatedAtMixin, UTCDateTime, str_enum
from caseapp.encryption.types import EncryptedText
from caseapp.reference import Labelled

#: the longest free-text note a break-glass reason takes
NOTE_MAX = 500


class BreakGlassReason(Labelled):
    CALLER_ASKED_FOR_ME = ("caller_asked_for_me", "The caller asked for me by name")
    COVERING = ("covering", "Covering for a colleague")
    SAFEGUARDING = ("safeguarding", "Safeguarding follow-up")
    MANAGER_ASKED = ("manager_asked", "A manager asked me to")
    OTHER = ("other", "Other")


class BreakGlassGrant(CreatedAtMixin, Base):
    """One use of break-glass: who opened which case, why, until when, what was unusual, and whether an admin has
    reviewed it. Never deleted by the application (the review trail)."""

    __tablename__ = "break_glass_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reason: Mapped[BreakGlassReason] = mapped_column(str_enum(BreakGlassReason, "break_glass_reason"))
    #: what the advisor wrote (shown to admins reviewing; never logged)
    #: encrypted like the free text about callers (it may name one); NOTE_MAX is checked by the form and schema
    note: Mapped[str] = mapped_column(EncryptedText())
    #: the access lasts until then (ACCESS_GRANT_HOURS after it was given)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: what made it unusual, as codes (policy.FLAG_LABELS); empty: nothing beyond the use itself
    flags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: any flag set (what the review page filters on)
    is_flagged: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True, foreign_keys=[user_id])
    reviewed_by: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[reviewed_by_id])

    __table_args__ = (
        # "does this user hold a live grant on this case" and "how many grants did they take lately"
        sa.Index("ix_break_glass_grants_user_case", "user_id", "case_id", "expires_at"),
        sa.Index("ix_break_glass_grants_created", "created_at"),
    )

    def __repr__(self) -> str:
        return f"<BreakGlassGrant {self.id} user={self.user_id} case={self.case_id}>"

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None
