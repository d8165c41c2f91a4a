"""A warning on a caller record or on one number, with the reason and a required expiry."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.auth.models import User
from caseapp.db import Base, CreatedAtMixin, UTCDateTime, str_enum
from caseapp.encryption.types import EncryptedText
from caseapp.reference import Labelled


class FlagKind(Labelled):
    ABUSIVE = "abusive", "Abusive"
    HOAX = "hoax", "Hoax"
    SAFEGUARDING_CONCERN = "safeguarding_concern", "Safeguarding concern"
    DO_NOT_RING_BACK = "do_not_ring_back", "Do not ring back from this line"


class FlagEnd(Labelled):
    EXPIRED = "expired", "Expired"
    LIFTED = "lifted", "Lifted"


#: the longest reason (or end note) a flag takes
REASON_MAX = 2000

_ACTIVE = "ended_at IS NULL"


class CallerFlag(CreatedAtMixin, Base):
    """In force from created_at until expires_at, unless lifted earlier. The expiry task (caller_flags/expiry.py)
    closes expired ones; every read also checks expires_at, so a late worker never extends a flag."""

    __tablename__ = "caller_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the caller record it is on; null for a flag on a number alone
    caller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("callers.id", ondelete="CASCADE"), index=True)
    #: the number it is on (E.164); null for a flag on the caller whatever number they ring from
    phone_e164: Mapped[str | None] = mapped_column(sa.String(16))
    kind: Mapped[FlagKind] = mapped_column(str_enum(FlagKind, "caller_flag_kind"))
    #: why (staff only; never in notifications, messages or logs)
    reason: Mapped[str] = mapped_column(EncryptedText())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    raised_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[FlagEnd | None] = mapped_column(str_enum(FlagEnd, "caller_flag_end"))
    #: who lifted it; null when it expired
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: why it was lifted early (staff only); null when it expired
    end_note: Mapped[str | None] = mapped_column(EncryptedText())
    #: when retention removed its reason and end note (an ended flag, past the retention period, or its caller's)
    scrubbed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    raised_by: Mapped[User] = relationship(lazy="joined", innerjoin=True, foreign_keys=[raised_by_id])
    ended_by: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[ended_by_id])

    __table_args__ = (
        sa.CheckConstraint("caller_id IS NOT NULL OR phone_e164 IS NOT NULL", name="on_caller_or_number"),
        sa.CheckConstraint("expires_at > created_at", name="expires_after_raised"),
        sa.CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)", name="end_has_reason"),
        sa.Index(
            "ix_caller_flags_active_phone",
            "phone_e164",
            postgresql_where=sa.text(_ACTIVE),
            sqlite_where=sa.text(_ACTIVE),
        ),
        sa.Index(
            "ix_caller_flags_active_expiry",
            "expires_at",
            postgresql_where=sa.text(_ACTIVE),
            sqlite_where=sa.text(_ACTIVE),
        ),
    )

    def __repr__(self) -> str:
        return f"<CallerFlag {self.id} {self.kind}>"

    def is_active_at(self, at: datetime) -> bool:
        return self.ended_at is None and self.expires_at > at
