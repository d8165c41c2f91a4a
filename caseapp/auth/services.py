"""Authentication rules: login with lockout, revocable sessions, API tokens, password changes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from caseapp.audit.services import record_event
from caseapp.auth import queries
from caseapp.auth.models import ApiToken, User, UserSession
from caseapp.auth.passwords import hash_password, needs_rehash, password_problems, verify_password
from caseapp.errors import AppError, NotFound, ValidationError
from caseapp.extensions import db
from caseapp.timeutil import now_utc

LOGIN_FAILED_MESSAGE = "Email or password is incorrect."
LOCKED_MESSAGE = "Too many failed attempts. This account is locked for a few minutes; try again later."
#: last_seen_at is written at most this often, so pages don't each cost a write
TOUCH_INTERVAL = timedelta(seconds=60)
TOKEN_PREFIX = "cat_"  # noqa: S105 - a label, not a secret


class LoginFailed(AppError):
    status = 401
    code = "login_failed"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def authenticate(email: str, password: str) -> User:
    """The user whose credentials these are, or LoginFailed (one message for unknown user and wrong password)."""
    now = now_utc()
    user = queries.find_user_by_email(email)
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None:
        record_event("auth.login_failed", actor_id=None, detail={"reason": "unknown_user"})
        raise LoginFailed(LOGIN_FAILED_MESSAGE)
    if user.locked_until is not None and user.locked_until > now:
        record_event("auth.login_refused_locked", actor_id=user.id, entity_type="user", entity_id=user.id)
        raise LoginFailed(LOCKED_MESSAGE)
    if not password_ok or not user.is_active:
        _register_failure(user, now, reason="wrong_password" if not password_ok else "inactive")
        raise LoginFailed(LOCKED_MESSAGE if user.locked_until and user.locked_until > now else LOGIN_FAILED_MESSAGE)
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record_event("auth.login_succeeded", actor_id=user.id, entity_type="user", entity_id=user.id)
    return user


def _register_failure(user: User, now: datetime, reason: str) -> None:
    config = current_app.config
    user.failed_login_count += 1
    record_event(
        "auth.login_failed", actor_id=user.id, entity_type="user", entity_id=user.id, detail={"reason": reason}
    )
    if user.failed_login_count >= config["LOGIN_MAX_FAILURES"]:
        user.locked_until = now + timedelta(seconds=config["LOGIN_LOCKOUT_SECONDS"])
        user.failed_login_count = 0
        record_event("auth.locked_out", actor_id=user.id, entity_type="user", entity_id=user.id)


def start_session(user: User) -> str:
    """A new server-side session; returns the secret for the cookie (only its hash is stored)."""
    now = now_utc()
    secret = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=_digest(secret),
            last_seen_at=now,
            expires_at=now + timedelta(seconds=current_app.config["ABSOLUTE_TIMEOUT_SECONDS"]),
        )
    )
    db.session.flush()
    return secret


def resolve_session(secret: str) -> UserSession | None:
    """The live session for this cookie secret, or None when revoked, idle too long, expired or deactivated."""
    user_session = queries.find_session_by_hash(_digest(secret))
    if user_session is None or user_session.revoked_at is not None:
        return None
    now = now_utc()
    idle_limit = timedelta(seconds=current_app.config["IDLE_TIMEOUT_SECONDS"])
    if not user_session.user.is_active:
        return None
    if now >= user_session.expires_at:
        _revoke(user_session, now, "expired")
        return None
    if now - user_session.last_seen_at >= idle_limit:
        _revoke(user_session, now, "idle")
        return None
    if now - user_session.last_seen_at >= TOUCH_INTERVAL:
        user_session.last_seen_at = now
    return user_session


def _revoke(user_session: UserSession, now: datetime, reason: str) -> None:
    user_session.revoked_at = now
    user_session.revoked_reason = reason


def end_session(user_session: UserSession) -> None:
    _revoke(user_session, now_utc(), "logout")
    record_event("auth.logout", actor_id=user_session.user_id, entity_type="user", entity_id=user_session.user_id)


def revoke_all_sessions(user_id: int, reason: str) -> int:
    result = db.session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now_utc(), revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def check_new_password(password: str, email: str, field: str = "password") -> None:
    problems = password_problems(password, min_length=current_app.config["PASSWORD_MIN_LENGTH"], email=email)
    if problems:
        raise ValidationError("Choose a stronger password.", fields={field: problems})


def change_password(user: User, current_password: str, new_password: str) -> None:
    """The user's own change: needs the current password; ends every session (the caller starts a new one)."""
    if not verify_password(user.password_hash, current_password):
        raise ValidationError("Your current password is not right.", fields={"current_password": ["Not right."]})
    check_new_password(new_password, user.email, field="new_password")
    set_password(user, new_password)
    record_event("auth.password_changed", actor_id=user.id, entity_type="user", entity_id=user.id)


def set_password(user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now_utc()
    user.failed_login_count = 0
    user.locked_until = None
    revoke_all_sessions(user.id, "password_changed")
    db.session.flush()


def create_token(user: User, name: str, *, actor_id: int | None) -> tuple[ApiToken, str]:
    """A new API token; the plain token is returned once and never stored."""
    if not user.is_active:
        raise ValidationError("A deactivated user cannot have API tokens.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name[:80] or "token", prefix=secret[:12], token_hash=_digest(secret))
    db.session.add(token)
    db.session.flush()
    record_event("auth.token_created", actor_id=actor_id, entity_type="api_token", entity_id=token.id)
    return token, secret


def resolve_token(secret: str) -> User | None:
    token = queries.find_token_by_hash(_digest(secret))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = now_utc()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
        token.last_used_at = now
    return token.user


def revoke_token(token_id: int, *, actor_id: int | None, owner_id: int | None = None) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or (owner_id is not None and token.user_id != owner_id):
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = now_utc()
        record_event("auth.token_revoked", actor_id=actor_id, entity_type="api_token", entity_id=token.id)
    return token


def revoke_all_tokens(user_id: int) -> None:
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now_utc())
        .execution_options(synchronize_session=False)
    )


def purge_expired_sessions(older_than: timedelta = timedelta(days=30)) -> int:
    """Delete session rows that ended long ago (they hold no personal data, just clutter)."""
    cutoff = now_utc() - older_than
    result = db.session.execute(
        sa.delete(UserSession).where(sa.or_(UserSession.expires_at < cutoff, UserSession.revoked_at < cutoff))
    )
    return int(getattr(result, "rowcount", 0) or 0)
