"""The append-only audit trail: who did or saw what, when, from where.

Rows are inserted with the chain columns empty; the sealer (caseapp/audit/chain.py) later gives each its place in
one hash chain. On PostgreSQL a trigger refuses any other UPDATE, every DELETE and TRUNCATE (see the migration
20261202_1233_9d3b7e51c2a8)."""

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
    #: RESTRICT: a user the trail names is deactivated, never deleted (SET NULL would rewrite the row)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    #: dotted verb, e.g. auth.login_succeeded, case.viewed
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    entity_type: Mapped[str | None] = mapped_column(sa.String(32))
    entity_id: Mapped[str | None] = mapped_column(sa.String(64))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    #: small JSON of ids and codes; never names, numbers or notes
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: the row's place in the hash chain (1, 2, ...), given by the sealer; null until then
    chain_seq: Mapped[int | None] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"))
    #: sha256 (hex) of the previous row's hash and this row's canonical form (chain.canonical); null until sealed
    row_hash: Mapped[str | None] = mapped_column(sa.String(64))

    #: who, for the trail page; never loaded by accident (`lazy="raise"`): queries eager-load it
    actor: Mapped[User | None] = relationship(lazy="raise", viewonly=True)

    __table_args__ = (
        sa.Index("ix_audit_events_entity", "entity_type", "entity_id"),
        #: only sealed rows are in it, so an INSERT does not touch it
        sa.Index(
            "uq_audit_events_chain_seq",
            "chain_seq",
            unique=True,
            postgresql_where=sa.text("chain_seq IS NOT NULL"),
            sqlite_where=sa.text("chain_seq IS NOT NULL"),
        ),
        #: the rows waiting for the sealer (a handful at any time)
        sa.Index(
            "ix_audit_events_unsealed",
            "id",
            postgresql_where=sa.text("chain_seq IS NULL"),
            sqlite_where=sa.text("chain_seq IS NULL"),
        ),
        sa.CheckConstraint("(chain_seq IS NULL) = (row_hash IS NULL)", name="sealed_whole"),
    )

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action}>"
