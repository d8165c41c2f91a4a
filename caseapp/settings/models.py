"""One row per service setting an admin has changed; a setting never changed reads its default (registry.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.db import Base, UTCDateTime


class ServiceSetting(Base):
    __tablename__ = "service_settings"

    #: the setting's name as registry.SETTINGS knows it (flag_max_days)
    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: the value as JSON, of the setting's type (registry.py checks it before it is written)
    value: Mapped[Any] = mapped_column(sa.JSON)
    #: the admin who last changed it
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())

    def __repr__(self) -> str:
        return f"<ServiceSetting {self.name}>"
