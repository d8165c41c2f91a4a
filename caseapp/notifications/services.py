"""In-app notifications: write them (in the caller's transaction) and mark them read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import cast

import sqlalchemy as sa

from caseapp.auth.models import Role, User
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.shifts import queries as shift_queries
from caseapp.timeutil import now_utc


def notify(user_ids: list[int], *, kind: str, title: str, link: str | None = None, case_id: int | None = None) -> int:
    for user_id in user_ids:
        db.session.add(Notification(user_id=user_id, kind=kind, title=title[:200], link=link, case_id=case_id))
    return len(user_ids)


@dataclass(frozen=True)
class NewNotification:
    user_id: int
    kind: str
    title: str
    link: str | None = None
    case_id: int | None = None


def notify_each(new: Sequence[NewNotification]) -> int:
    """Many notifications, each to its own user, in one INSERT (a batch of reminders' bells)."""
    if new:
        rows = [{**asdict(n), "title": n.title[:200]} for n in new]
        db.session.execute(sa.insert(cast(sa.Table, Notification.__table__)), rows)
    return len(new)


def managers_to_alert() -> list[int]:
    """Who hears about an emergency: the managers (and admins) on shift; if none is on shift, every active one,
    because somebody must hear."""
    on_shift = shift_queries.on_shift_users(roles=[Role.MANAGER, Role.ADMIN])
    if on_shift:
        return [user.id for user in on_shift]
    query = sa.select(User.id).where(User.is_active.is_(True), User.role.in_([Role.MANAGER, Role.ADMIN]))
    return list(db.session.scalars(query))


def mark_read(user_id: int, notification_ids: list[int] | None = None) -> int:
    """Mark some (or all) of a user's unread notifications read; returns how many changed."""
    stmt = sa.update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_ids is not None:
        stmt = stmt.where(Notification.id.in_(notification_ids))
    result = db.session.execute(stmt.values(read_at=now_utc()).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
