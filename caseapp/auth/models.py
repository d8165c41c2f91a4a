"""Staff accounts, their server-side login sessions and API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.db import Base, CreatedAtMixin, UTCDateTime, str_enum
from caseapp.encryption.types import EncryptedText


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
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: base32 TOTP secret; set at enrolment, in force once totp_enabled_at is set (see README, Data protection)
    #: the second factor's shared secret, encrypted with the data key like the free text about callers
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText())
    #: when the second factor was confirmed with a first code; None = not enrolled
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the last TOTP time step accepted: a code of that step or earlier is refused (no replay)
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger())
    #: the phone system's extension for this advisor (telephony events name the answering advisor by it)
    phone_extension: Mapped[str | None] = mapped_column(sa.String(16), unique=True)

    sessions: Mapped[list[UserSession]] = relationship(back_populates="user", lazy="raise_on_sql")

    __table_args__ = (sa.CheckConstraint("email = lower(email)", name="email_lower"),)

    def __repr__(self) -> str:
        return f"<User {self.id}>"

    def has_role(self, role: Role) -> bool:
        return self.role.includes(role)

    @property
    def first_name(self) -> str:
        return first_name_of(self.full_name)

    @property
    def has_mfa(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret is not None


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
    #: why it ended: logout, password_changed, deactivated, idle, expired, ended, role_changed, mfa_reset, ...
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(32))
    #: the browser's User-Agent header at sign-in (cut to 255), so its owner can recognise the session
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))

    user: Mapped[User] = relationship(back_populates="sessions", lazy="joined")

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id}>"

    @property
    def browser(self) -> str:
        """A short description of the browser, e.g. "Firefox on Windows", from its User-Agent."""
        return describe_user_agent(self.user_agent)


#: (pattern in the User-Agent, name), first match wins: Edge and Opera also say "Chrome", Chrome also says "Safari"
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_user_agent(user_agent: str | None) -> str:
    if not user_agent:
        return "Unknown browser"
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Other client"


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
    #: refused from this time on (at most TOKEN_MAX_DAYS after creation)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: why it was revoked: revoked, password_changed, password_reset, deactivated, role_changed
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(32))

    user: Mapped[User] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} user={self.user_id}>"


class RecoveryCode(CreatedAtMixin, Base):
    """A single-use code that stands in for a TOTP code (a lost phone); only its hash is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the normalised code (the codes are random, 50 bits each)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.UniqueConstraint("user_id", "code_hash"),)

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} user={self.user_id}>"


class PasswordResetLink(CreatedAtMixin, Base):
    """A one-time link an admin issues so a user can set a new password; only the token's hash is stored."""

    __tablename__ = "password_reset_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: the admin who issued it
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: set when a newer link for the same user replaced this one
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")

    def __repr__(self) -> str:
        return f"<PasswordResetLink {self.id} user={self.user_id}>"


class LoginThrottle(Base):
    """Failed sign-ins for one (account, client address): the next attempt waits until blocked_until.

    Keyed by address as well as account, so failures from a stranger's address never delay the account's owner
    signing in from theirs."""

    __tablename__ = "login_throttles"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the normalised email typed (known or not: unknown accounts are throttled alike)
    account_key: Mapped[str] = mapped_column(sa.String(64))
    #: the client address as the app sees it (after TRUSTED_PROXIES)
    address: Mapped[str] = mapped_column(sa.String(64))
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.UniqueConstraint("account_key", "address"),)

    def __repr__(self) -> str:
        return f"<LoginThrottle {self.id}>"
