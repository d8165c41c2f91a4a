"""One-time password reset links: an admin issues one, the user follows it once to choose a new password.

Only a hash of the token is stored; the link works for PASSWORD_RESET_LINK_HOURS, once, and a newer link for the
same user kills the older one. Issuing a link also ends the user's sessions and API tokens (an admin resets a
password when it is forgotten or may be known to someone else)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from caseapp.audit.services import record_event
from caseapp.auth import queries, services
from caseapp.auth.models import PasswordResetLink, User
from caseapp.errors import NotFound, ValidationError
from caseapp.extensions import db
from caseapp.timeutil import now_utc

LINK_DEAD = "This link has expired or has been used. Ask an admin for a new one."


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(user: User, *, actor_id: int) -> tuple[PasswordResetLink, str]:
    """A new link for `user`; returns the row and the token (shown to the admin once, never stored)."""
    if not user.is_active:
        raise ValidationError("Reactivate the account before resetting its password.")
    now = now_utc()
    db.session.execute(
        sa.update(PasswordResetLink)
        .where(
            PasswordResetLink.user_id == user.id,
            PasswordResetLink.used_at.is_(None),
            PasswordResetLink.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    link = PasswordResetLink(
        user_id=user.id,
        created_by_id=actor_id,
        token_hash=_digest(token),
        expires_at=now + timedelta(hours=current_app.config["PASSWORD_RESET_LINK_HOURS"]),
    )
    db.session.add(link)
    services.revoke_all_sessions(user.id, "password_reset")
    services.revoke_all_tokens(user.id, "password_reset")
    db.session.flush()
    record_event(
        "user.password_reset_link_issued",
        actor_id=actor_id,
        entity_type="user",
        entity_id=user.id,
        detail={"link": link.id},
    )
    return link, token


def find_live_link(token: str) -> PasswordResetLink:
    """The link this token opens, or NotFound when unknown, used, replaced or expired (one message for all)."""
    link = queries.find_reset_link_by_hash(_digest(token))
    if link is None or link.used_at or link.revoked_at or now_utc() >= link.expires_at or not link.user.is_active:
        raise NotFound(LINK_DEAD)
    return link


def use_link(token: str, new_password: str) -> User:
    """Set the new password (the usual rules apply) and make the link dead."""
    link = find_live_link(token)
    user = link.user
    services.check_new_password(new_password, user.email)
    services.set_password(user, new_password, reason="password_reset")
    link.used_at = now_utc()
    db.session.flush()
    record_event(
        "auth.password_reset_completed",
        actor_id=user.id,
        entity_type="user",
        entity_id=user.id,
        detail={"link": link.id},
    )
    return user
