from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa

from caseapp.auth.models import User
from caseapp.db import UTCDateTime
from caseapp.errors import NotFound
from caseapp.extensions import db
from caseapp.reminders.models import DeliveryChannel, OutboxKind, OutboxMessage, OutboxStatus


def database_now() -> datetime:
    """The database's clock (aware UTC): every worker and beat agree on it, whatever their own clocks say.

    PostgreSQL's now() is the transaction start; SQLite's CURRENT_TIMESTAMP is UTC to the second.
    """
    value = db.session.scalar(sa.select(sa.func.now(type_=UTCDateTime())))
    if value is None:  # pragma: no cover - a database always answers
        raise RuntimeError("the database returned no time")
    return value


def get_message(outbox_id: int) -> OutboxMessage:
    row = db.session.get(OutboxMessage, outbox_id)
    if row is None:
        raise NotFound("No such message.")
    return row


def lock_message(outbox_id: int) -> OutboxMessage | None:
    """The row, locked for this transaction (FOR UPDATE; nothing on SQLite) and freshly read."""
    query = (
        sa.select(OutboxMessage)
        .where(OutboxMessage.id == outbox_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return db.session.scalar(query)


def lock_message_for_delivery(outbox_id: int) -> tuple[OutboxMessage, User, datetime] | None:
    """One round trip for a delivery's claim: the row (locked, freshly read), its recipient, and the database time."""
    query = (
        sa.select(OutboxMessage, User, sa.func.now(type_=UTCDateTime()))
        .join(User, User.id == OutboxMessage.recipient_id)
        .where(OutboxMessage.id == outbox_id)
        .with_for_update(of=OutboxMessage)
        .execution_options(populate_existing=True)
    )
    found = db.session.execute(query).first()
    return None if found is None else (found[0], found[1], found[2])


def select_active_user_ids() -> sa.Select[Any]:
    """The ids of users who may still be sent messages (a subquery for a delivery's claim; on the table, so the
    claim stays a plain UPDATE rather than one the ORM's bulk machinery runs)."""
    users = cast(sa.Table, User.__table__)
    return sa.select(users.c.id).where(users.c.is_active.is_(True))


def user_emails(user_ids: set[int]) -> dict[int, str]:
    """{user id: email address} for a batch's recipients."""
    if not user_ids:
        return {}
    query = sa.select(User.id, User.email).where(User.id.in_(user_ids))
    return {int(user_id): str(email) for user_id, email in db.session.execute(query)}


def lock_rows_needing_delivery(
    *, ready_before: datetime, lost_before: datetime, claimed_before: datetime, limit: int
) -> list[OutboxMessage]:
    """The unsent rows no delivery will come for (see caseapp/reminders/sweeper.py), oldest first, skipping rows a
    delivery has locked right now."""
    never_handed_over = sa.and_(
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.dispatched_at.is_(None),
        OutboxMessage.next_attempt_at <= ready_before,
    )
    lost = sa.and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.dispatched_at < lost_before)
    abandoned = sa.and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < claimed_before)
    query = (
        sa.select(OutboxMessage)
        .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
        .where(sa.or_(never_handed_over, lost, abandoned))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(db.session.scalars(query))


def select_messages(
    *,
    statuses: Sequence[OutboxStatus] = (),
    kinds: Sequence[OutboxKind] = (),
    channels: Sequence[DeliveryChannel] = (),
    callback_id: int | None = None,
    recipient_id: int | None = None,
) -> sa.Select[OutboxMessage]:
    """Outbox rows, filtered; the caller orders (keyset on created_at, id)."""
    query = sa.select(OutboxMessage)
    if statuses:
        query = query.where(OutboxMessage.status.in_(statuses))
    if kinds:
        query = query.where(OutboxMessage.kind.in_(kinds))
    if channels:
        query = query.where(OutboxMessage.channel.in_(channels))
    if callback_id is not None:
        query = query.where(OutboxMessage.callback_id == callback_id)
    if recipient_id is not None:
        query = query.where(OutboxMessage.recipient_id == recipient_id)
    return query


def messages_for_callback(callback_id: int) -> list[OutboxMessage]:
    query = (
        sa.select(OutboxMessage)
        .where(OutboxMessage.callback_id == callback_id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return list(db.session.scalars(query))


def failed_messages(limit: int = 200) -> list[OutboxMessage]:
    """For the managers' page: deliveries that gave up, newest first, with the reason in last_error."""
    query = (
        select_messages(statuses=[OutboxStatus.FAILED])
        .order_by(OutboxMessage.failed_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def count_by_status() -> dict[str, int]:
    """{status: rows} over the whole outbox (the managers' page and /readyz-style checks)."""
    query = sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    return {str(status): int(count) for status, count in db.session.execute(query)}
