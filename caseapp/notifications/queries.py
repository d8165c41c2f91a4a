from __future__ import annotations

import sqlalchemy as sa

from caseapp.errors import NotFound
from caseapp.extensions import db
from caseapp.notifications.models import Notification


def count_unread(user_id: int) -> int:
    query = sa.select(sa.func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    return db.session.scalar(query) or 0


def select_for_user(user_id: int, *, unread_only: bool = False) -> sa.Select[Notification]:
    query = sa.select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query


def get_for_user(notification_id: int, user_id: int) -> Notification:
    """One of the user's own notifications (raises NotFound for anyone else's: they are not told it exists)."""
    notification = db.session.scalar(
        sa.select(Notification).where(Notification.id == notification_id, Notification.user_id == user_id)
    )
    if notification is None:
        raise NotFound("No such notification.")
    return notification
