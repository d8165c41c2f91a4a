"""Staff accounts, their server-side login sessions and API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.db import Base, CreatedAtMixin, UTCDateTime, str_enum


class Role(StrEnum):
    """Ranked: each role can do everything the roles below it can."""

    ADVISOR = "advisor"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def includes(self, other: Role) -> bool:
        return self.rank >= other.rank

    @property
    def label(self) -> str:
        return self.value.capitalize()


class User(UserMixin, CreatedAtMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stored lower-case; the login name
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role", 16))
    #: argon2id PHC string
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    #: False = deactivated: cannot log in, sessions and tokens revoked
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    failed_login_count: Mapped[int] = mapped_column(default=0, server_default="0")
    #: set after too many failed logins; login refused until then
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    sessions: Mapped[list[UserSession]] = relationship(back_populates="user", lazy="raise_on_sql")

    __table_args__ = (sa.CheckConstraint("email = lower(email)", name="email_lower"),)

    def __repr__(self) -> str:
        return f"<User {self.id}>"

    def has_role(self, role: Role) -> bool:
        return self.role.includes(role)

    @property
    def first_name(self) -> str:
        return first_name_of(self.full_name)


def first_name_of(full_name: str) -> str:
    """What messages call someone: the first word of their name."""
    return full_name.split(" ", 1)[0]


class UserSession(CreatedAtMixin, Base):
    """A login on one browser; the cookie carries the secret, the row decides whether it is still valid."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the random secret kept in the signed session cookie
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: why it ended: logout, password_changed, deactivated, idle, expired
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(32))

    user: Mapped[User] = relationship(back_populates="sessions", lazy="joined")

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id}>"


class ApiToken(CreatedAtMixin, Base):
    """A bearer token for the JSON API; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    #: first characters of the token, shown in listings so a token can be recognised
    prefix: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} user={self.user_id}>"
