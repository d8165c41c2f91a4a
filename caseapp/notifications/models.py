"""In-app notifications (the bell): short, with ids and references only, never personal details. The one exception
is a handover's: it carries the start of the note one advisor left another (callbacks/handover.py), which is for its
receiver and stays inside caseapp, like the note itself (never in an email, an SMS or a log)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.db import Base, CreatedAtMixin, UTCDateTime


class Notification(CreatedAtMixin, Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    #: e.g. immediate_danger, callback_reminder
    kind: Mapped[str] = mapped_column(sa.String(32))
    title: Mapped[str] = mapped_column(sa.String(200))
    #: where to go: a relative URL inside caseapp
    link: Mapped[str | None] = mapped_column(sa.String(200))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at", "created_at"),)

    def __repr__(self) -> str:
        return f"<Notification {self.id} user={self.user_id}>"
