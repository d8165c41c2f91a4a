"""Authentication rules: sign-in with throttling, revocable sessions, API tokens that expire, password changes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from caseapp.audit.services import record_event
from caseapp.auth import mfa, queries, throttle
from caseapp.auth.models import ApiToken, User, UserSession
from caseapp.auth.passwords import hash_password, needs_rehash, password_problems, verify_password
from caseapp.errors import AppError, NotFound, ValidationError
from caseapp.extensions import db
from caseapp.timeutil import now_utc

#: the one answer for an unknown email, a wrong password, a deactivated account and a throttled attempt, so the page
#: never tells a stranger which addresses are staff accounts
LOGIN_FAILED_MESSAGE = (
    "Email or password is incorrect. After several failed attempts, wait a few minutes before trying again."
)
#: last_seen_at is written at most this often, so pages don't each cost a write
TOUCH_INTERVAL = timedelta(seconds=60)
TOKEN_PREFIX = "cat_"  # noqa: S105 - a label, not a secret


class LoginFailed(AppError):
    status = 401
    code = "login_failed"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def authenticate(email: str, password: str, address: str) -> User:
    """The user whose password this is, or LoginFailed with one message whatever went wrong.

    Every attempt costs one argon2 verification (against a dummy hash for an unknown email) so timing tells nothing
    either; while (account, address) is waiting out its delay the password is not even considered."""
    now = now_utc()
    key = throttle.account_key(email)
    user = queries.find_user_by_email(email)
    password_ok = verify_password(user.password_hash if user else None, password)
    user_id = user.id if user else None
    if throttle.is_blocked(key, address, now):
        record_event("auth.login_throttled", actor_id=user_id, entity_type="user" if user else None, entity_id=user_id)
        raise LoginFailed(LOGIN_FAILED_MESSAGE)
    if user is None or not password_ok or not user.is_active:
        reason = "unknown_user" if user is None else ("wrong_password" if not password_ok else "inactive")
        register_failure(key, address, user_id=user_id, reason=reason, now=now)
        raise LoginFailed(LOGIN_FAILED_MESSAGE)
    if not user.has_mfa:  # with a second factor, the count is cleared only once the code is right too
        throttle.clear(key, address)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def register_failure(key: str, address: str, *, user_id: int | None, reason: str, now: datetime) -> None:
    """Audit a failed password step and count it for (account, address)."""
    entity_type = "user" if user_id else None
    record_event(
        "auth.login_failed", actor_id=user_id, entity_type=entity_type, entity_id=user_id, detail={"reason": reason}
    )
    _count_failure(key, address, user_id, now)


def _count_failure(key: str, address: str, user_id: int | None, now: datetime) -> None:
    """Count a failure for (account, address); the moment the delays start is audited."""
    row = throttle.register_failure(key, address, now)
    if row.blocked_until is not None and row.failures == current_app.config["LOGIN_BACKOFF_AFTER_FAILURES"]:
        entity_type = "user" if user_id else None
        record_event("auth.login_backoff_started", actor_id=user_id, entity_type=entity_type, entity_id=user_id)


def verify_second_factor(user: User, code: str, address: str) -> str:
    """How the second factor was given ("totp", "recovery_code"), or LoginFailed. Wrong codes count against
    (account, address) like wrong passwords, so the code step cannot be guessed at any faster."""
    now = now_utc()
    key = throttle.account_key(user.email)
    if throttle.is_blocked(key, address, now):
        record_event("auth.login_throttled", actor_id=user.id, entity_type="user", entity_id=user.id)
        raise LoginFailed(mfa.WRONG_CODE)
    method = mfa.verify(user, code)
    if method is None:
        record_event("auth.mfa_failed", actor_id=user.id, entity_type="user", entity_id=user.id)
        _count_failure(key, address, user.id, now)
        raise LoginFailed(mfa.WRONG_CODE)
    throttle.clear(key, address)
    return method


def complete_login(user: User, *, second_factor: str | None) -> None:
    """The password (and the second factor, where there is one) were right: the user is signed in."""
    user.last_login_at = now_utc()
    detail = {"second_factor": second_factor} if second_factor else None
    record_event("auth.login_succeeded", actor_id=user.id, entity_type="user", entity_id=user.id, detail=detail)


def start_session(user: User, user_agent: str | None = None) -> str:
    """A new server-side session; returns the secret for the cookie (only its hash is stored)."""
    now = now_utc()
    secret = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=_digest(secret),
            last_seen_at=now,
            expires_at=now + timedelta(seconds=current_app.config["ABSOLUTE_TIMEOUT_SECONDS"]),
            user_agent=(user_agent or "")[:255] or None,
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
    if mfa.is_required(user_session.user) and not user_session.user.has_mfa:
        _revoke(user_session, now, "mfa_required")  # signed in before the rule (or its reset): enrol first
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


def end_session_by_id(session_id: int, *, owner_id: int, actor_id: int) -> UserSession:
    """End one of `owner_id`'s sessions (their own account page, or an admin's page about them)."""
    user_session = queries.find_session(session_id)
    if user_session is None or user_session.user_id != owner_id:
        raise NotFound("No such session.")
    if user_session.revoked_at is None:
        _revoke(user_session, now_utc(), "ended" if actor_id == owner_id else "ended_by_admin")
        action = "auth.session_ended" if actor_id == owner_id else "user.session_ended"
        record_event(action, actor_id=actor_id, entity_type="user", entity_id=owner_id, detail={"session": session_id})
    return user_session


def end_other_sessions(user_id: int, *, keep_id: int | None, actor_id: int) -> int:
    """End every live session of the user except `keep_id` (the one asking, on their own page)."""
    query = sa.update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep_id is not None:
        query = query.where(UserSession.id != keep_id)
    reason = "ended" if actor_id == user_id else "ended_by_admin"
    result = db.session.execute(
        query.values(revoked_at=now_utc(), revoked_reason=reason).execution_options(synchronize_session=False)
    )
    ended = int(getattr(result, "rowcount", 0) or 0)
    action = "auth.sessions_ended" if actor_id == user_id else "user.sessions_ended"
    record_event(action, actor_id=actor_id, entity_type="user", entity_id=user_id, detail={"count": ended})
    return ended


def live_sessions(user_id: int) -> list[UserSession]:
    now = now_utc()
    return queries.list_live_sessions(user_id, now, now - timedelta(seconds=current_app.config["IDLE_TIMEOUT_SECONDS"]))


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


def set_password(user: User, new_password: str, reason: str = "password_changed") -> None:
    """A new password ends every session and revokes every API token (whoever knew the old one loses access)."""
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now_utc()
    revoke_all_sessions(user.id, reason)
    revoke_all_tokens(user.id, reason)
    db.session.flush()


def token_days(days: int | None) -> int:
    """The lifetime asked for, checked against TOKEN_MAX_DAYS (None = TOKEN_DEFAULT_DAYS)."""
    config = current_app.config
    if days is None:
        return int(config["TOKEN_DEFAULT_DAYS"])
    if not 1 <= days <= int(config["TOKEN_MAX_DAYS"]):
        message = f"Choose from 1 to {config['TOKEN_MAX_DAYS']} days."
        raise ValidationError(message, fields={"days": [message]})
    return days


def create_token(
    user: User, name: str, *, actor_id: int | None, days: int | None = None, not_after: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new API token that expires after `days` (default TOKEN_DEFAULT_DAYS), and not after `not_after` (a token
    made with another token never outlives it); the plain token is returned once and never stored."""
    if not user.is_active:
        raise ValidationError("A deactivated user cannot have API tokens.")
    lifetime = token_days(days)
    expires_at = now_utc() + timedelta(days=lifetime)
    if not_after is not None and not_after < expires_at:
        expires_at = not_after
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name.strip()[:80] or "token",
        prefix=secret[:12],
        token_hash=_digest(secret),
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    record_event(
        "auth.token_created",
        actor_id=actor_id,
        entity_type="api_token",
        entity_id=token.id,
        detail={"user": user.id, "days": lifetime},
    )
    return token, secret


def resolve_api_token(secret: str) -> ApiToken | None:
    """The live token, or None when it is unknown, revoked, expired or its user deactivated."""
    token = queries.find_token_by_hash(_digest(secret))
    now = now_utc()
    if token is None or token.revoked_at is not None or not token.user.is_active or now >= token.expires_at:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
        token.last_used_at = now
    return token


def resolve_token(secret: str) -> User | None:
    token = resolve_api_token(secret)
    return token.user if token is not None else None


def revoke_token(token_id: int, *, actor_id: int | None, owner_id: int | None = None) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or (owner_id is not None and token.user_id != owner_id):
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = now_utc()
        token.revoked_reason = "revoked"
        record_event("auth.token_revoked", actor_id=actor_id, entity_type="api_token", entity_id=token.id)
    return token


def revoke_all_tokens(user_id: int, reason: str) -> int:
    result = db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now_utc(), revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def live_tokens(user_id: int) -> list[ApiToken]:
    return queries.list_tokens(user_id)


def purge_expired_sessions(older_than: timedelta = timedelta(days=30)) -> int:
    """Delete session rows that ended long ago (they hold no personal data, just clutter)."""
    cutoff = now_utc() - older_than
    result = db.session.execute(
        sa.delete(UserSession).where(sa.or_(UserSession.expires_at < cutoff, UserSession.revoked_at < cutoff))
    )
    return int(getattr(result, "rowcount", 0) or 0)
