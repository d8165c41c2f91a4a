"""User administration: create, change role, deactivate/reactivate, reset a second factor (password reset links
are caseapp/auth/reset_links.py)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from caseapp.audit.services import record_event, record_listing
from caseapp.auth import mfa
from caseapp.auth import queries as auth_queries
from caseapp.auth import services as auth_services
from caseapp.auth.models import Role, User
from caseapp.auth.passwords import hash_password
from caseapp.callbacks import queries as callback_queries
from caseapp.callbacks import workflow as callback_workflow
from caseapp.errors import Conflict, ValidationError
from caseapp.extensions import db
from caseapp.shifts import queries as shift_queries
from caseapp.shifts import services as shift_services


def _clean_email(email: str) -> str:
    cleaned = email.strip().lower()
    local, _, domain = cleaned.partition("@")
    if not local or "." not in domain or len(cleaned) > 254 or " " in cleaned:
        raise ValidationError("Enter a valid email address.", fields={"email": ["Enter a valid email address."]})
    return cleaned


def create_user(*, email: str, full_name: str, role: Role, password: str, actor_id: int | None) -> User:
    email = _clean_email(email)
    full_name = full_name.strip()
    if not full_name:
        raise ValidationError("Enter the person's name.", fields={"full_name": ["Enter the person's name."]})
    if auth_queries.find_user_by_email(email) is not None:
        raise Conflict("A user with this email already exists.", fields={"email": ["Already in use."]})
    auth_services.check_new_password(password, email)
    user = User(email=email, full_name=full_name[:120], role=Role(role), password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    record_event(
        "user.created", actor_id=actor_id, entity_type="user", entity_id=user.id, detail={"role": user.role.value}
    )
    return user


def change_role(user: User, role: Role, *, actor_id: int) -> None:
    if user.id == actor_id and role != user.role:
        raise ValidationError("You cannot change your own role.", fields={"role": ["You cannot change your own role."]})
    if user.role != role:
        _ensure_not_last_admin(user, losing="role")
        record_event(
            "user.role_changed",
            actor_id=actor_id,
            entity_type="user",
            entity_id=user.id,
            detail={"from": user.role.value, "to": role.value},
        )
        user.role = role
        # new rights take effect at next sign-in; tokens made for the old role go too
        auth_services.revoke_all_sessions(user.id, "role_changed")
        auth_services.revoke_all_tokens(user.id, "role_changed")


def rename(user: User, full_name: str, *, actor_id: int) -> None:
    full_name = full_name.strip()
    if not full_name:
        raise ValidationError("Enter the person's name.", fields={"full_name": ["Enter the person's name."]})
    if full_name != user.full_name:
        user.full_name = full_name[:120]
        record_event("user.renamed", actor_id=actor_id, entity_type="user", entity_id=user.id)


#: what a phone system's extension may be: digits, letters and . - _ (e.g. 201, sip-201)
_EXTENSION = re.compile(r"^[A-Za-z0-9._-]{1,16}$")


def set_phone_extension(user: User, extension: str | None, *, actor_id: int) -> None:
    """The extension the phone system names this person by (unique; empty: none)."""
    value = (extension or "").strip() or None
    if value == user.phone_extension:
        return
    if value is not None:
        if not _EXTENSION.match(value):
            message = "Use up to 16 letters, digits, dots, dashes or underscores."
            raise ValidationError(message, fields={"phone_extension": [message]})
        if auth_queries.find_user_by_extension(value) is not None:
            message = "Another member of staff has this extension."
            raise ValidationError(message, fields={"phone_extension": [message]})
    user.phone_extension = value
    record_event("user.extension_changed", actor_id=actor_id, entity_type="user", entity_id=user.id)


def deactivate_user(user: User, *, actor_id: int) -> None:
    """Deactivation ends every session and revokes every API token at once."""
    if user.id == actor_id:
        raise ValidationError("You cannot deactivate yourself.")
    if not user.is_active:
        return
    _ensure_not_last_admin(user, losing="access")
    user.is_active = False
    auth_services.revoke_all_sessions(user.id, "deactivated")
    auth_services.revoke_all_tokens(user.id, "deactivated")
    record_event("user.deactivated", actor_id=actor_id, entity_type="user", entity_id=user.id)
    _hand_back_work(user, actor_id)


def _hand_back_work(user: User, actor_id: int) -> None:
    """A deactivated person's promises must not go quiet: end their shift and put their open callbacks in the pool
    (where the people on shift are reminded)."""
    actor = db.session.get(User, actor_id)
    assert actor is not None  # noqa: S101 - the actor is the signed-in admin
    if shift_queries.find_open_shift(user.id) is not None:
        shift_services.end_shift(actor=actor, user_id=user.id)
    query = callback_queries.select_callbacks(statuses=callback_queries.OPEN_STATUSES, assignee_id=user.id)
    for callback in db.session.scalars(query):
        callback_workflow.reassign_callback(callback.id, None, actor=actor)


def reactivate_user(user: User, *, actor_id: int) -> None:
    if user.is_active:
        return
    user.is_active = True
    record_event("user.reactivated", actor_id=actor_id, entity_type="user", entity_id=user.id)


def reset_mfa(user: User, *, actor_id: int) -> None:
    """Remove the user's second factor (a lost phone): their sessions end, and they enrol again at next sign-in
    where their role requires it."""
    if user.totp_secret is None:
        return
    mfa.disable(user)
    auth_services.revoke_all_sessions(user.id, "mfa_reset")
    record_event("user.mfa_reset", actor_id=actor_id, entity_type="user", entity_id=user.id)


def record_user_listing(user_ids: list[int], *, actor_id: int) -> None:
    """The users page shows names, emails and roles: which accounts were shown is audited (ids only)."""
    record_listing("user.listed", actor_id=actor_id, entity_type="user", ids=user_ids)


def record_user_view(user: User, *, actor_id: int) -> None:
    record_event("user.viewed", actor_id=actor_id, entity_type="user", entity_id=user.id)


def _ensure_not_last_admin(user: User, losing: str) -> None:
    if user.role != Role.ADMIN:
        return
    admins = db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.role == Role.ADMIN, User.is_active.is_(True))
    )
    if (admins or 0) <= 1:
        raise ValidationError(f"This is the last active admin; it cannot lose its {losing}.")
