from __future__ import annotations

import sqlalchemy as sa

from caseapp.auth.models import ApiToken, Role, User, UserSession
from caseapp.errors import NotFound
from caseapp.extensions import db


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


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
