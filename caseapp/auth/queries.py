from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from caseapp.auth.models import (
    ApiToken,
    LoginThrottle,
    PasswordResetLink,
    RecoveryCode,
    Role,
    User,
    UserSession,
)
from caseapp.errors import NotFound
from caseapp.extensions import db


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def find_user_by_extension(extension: str) -> User | None:
    """The member of staff with this phone extension (telephony events name the answering advisor by it)."""
    return db.session.scalar(sa.select(User).where(User.phone_extension == extension))


def find_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def find_session_by_hash(token_hash: str) -> UserSession | None:
    return db.session.scalar(sa.select(UserSession).where(UserSession.token_hash == token_hash))


def find_token_by_hash(token_hash: str) -> ApiToken | None:
    return db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_hash))


def select_users(*, role: Role | None = None, include_inactive: bool = True) -> sa.Select[User]:
    query = sa.select(User).order_by(User.is_active.desc(), User.full_name, User.id)
    if role is not None:
        query = query.where(User.role == role)
    if not include_inactive:
        query = query.where(User.is_active.is_(True))
    return query


def list_tokens(user_id: int) -> list[ApiToken]:
    query = sa.select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc())
    return list(db.session.scalars(query))


def count_users() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0


def list_active_staff(role: Role = Role.ADVISOR) -> list[User]:
    """Active users with at least `role` (for assignment pickers)."""
    roles = [r for r in Role if r.includes(role)]
    query = sa.select(User).where(User.is_active.is_(True), User.role.in_(roles)).order_by(User.full_name)
    return list(db.session.scalars(query))


def list_live_sessions(user_id: int, now: datetime, idle_since: datetime) -> list[UserSession]:
    """Sessions that still let someone in: not ended, not expired, seen after `idle_since`; newest first."""
    query = (
        sa.select(UserSession)
        .where(
            UserSession.user_id == user_id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
            UserSession.last_seen_at > idle_since,
        )
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    return list(db.session.scalars(query))


def find_session(session_id: int) -> UserSession | None:
    return db.session.get(UserSession, session_id)


def find_login_throttle(account_key: str, address: str, *, for_update: bool = False) -> LoginThrottle | None:
    query = sa.select(LoginThrottle).where(LoginThrottle.account_key == account_key, LoginThrottle.address == address)
    if for_update:
        query = query.with_for_update()
    return db.session.scalar(query)


def list_unused_recovery_codes(user_id: int) -> list[RecoveryCode]:
    query = sa.select(RecoveryCode).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    return list(db.session.scalars(query))


def find_recovery_code(user_id: int, code_hash: str) -> RecoveryCode | None:
    query = (
        sa.select(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.code_hash == code_hash)
        .with_for_update()
    )
    return db.session.scalar(query)


def find_reset_link_by_hash(token_hash: str) -> PasswordResetLink | None:
    return db.session.scalar(
        sa.select(PasswordResetLink)
        .where(PasswordResetLink.token_hash == token_hash)
        .with_for_update(of=PasswordResetLink)
    )


def find_open_reset_link(user_id: int, now: datetime) -> PasswordResetLink | None:
    """The user's reset link that still works, if any (at most one: issuing a link revokes the older ones)."""
    query = sa.select(PasswordResetLink).where(
        PasswordResetLink.user_id == user_id,
        PasswordResetLink.used_at.is_(None),
        PasswordResetLink.revoked_at.is_(None),
        PasswordResetLink.expires_at > now,
    )
    return db.session.scalar(query.order_by(PasswordResetLink.id.desc()).limit(1))
