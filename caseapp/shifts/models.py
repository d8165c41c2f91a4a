"""Shifts: who is clocked on. A callback due while its assignee is off shift goes to the pool."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.auth.models import User
from caseapp.db import Base, CreatedAtMixin, UTCDateTime


class Shift(CreatedAtMixin, Base):
    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: null while the shift is open
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: who ended it when it was not the user (a manager closing a forgotten shift)
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True, foreign_keys=[user_id])

    __table_args__ = (
        sa.CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
        # one open shift per user, enforced by the database
        sa.Index(
            "uq_shifts_one_open_per_user",
            "user_id",
            unique=True,
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        ),
    )

    def __repr__(self) -> str:
        return f"<Shift {self.id} user={self.user_id}>"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None
