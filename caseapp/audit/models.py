"""The append-only audit trail: who did or saw what, when, from where."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.db import Base, UTCDateTime

if TYPE_CHECKING:
    from caseapp.auth.models import User


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now(), index=True)
    #: null for the system (workers) or an unknown user (failed login)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: dotted verb, e.g. auth.login_succeeded, case.viewed
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    entity_type: Mapped[str | None] = mapped_column(sa.String(32))
    entity_id: Mapped[str | None] = mapped_column(sa.String(64))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    #: small JSON of ids and codes; never names, numbers or notes
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    #: who, for the trail page; never loaded by accident (`lazy="raise"`): queries eager-load it
    actor: Mapped[User | None] = relationship(lazy="raise", viewonly=True)

    __table_args__ = (sa.Index("ix_audit_events_entity", "entity_type", "entity_id"),)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action}>"
