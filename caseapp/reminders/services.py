"""The reminder pipeline: the scan writes outbox rows, delivery sends each one once, the sweeper re-queues strays.

    beat ──> reminders.scan_due ──> INSERT reminder_outbox ... ON CONFLICT ──commit──> reminders.deliver(id) ×N
                                      (one row per callback, kind,            claim: pending→sending, attempts+1
                                       due time, channel, recipient)          COMMIT, send (Message-ID fixed),
    beat ──> reminders.sweep ──> rows pending/sending too long ──────────>   sent + audit, COMMIT

The database is the source of truth; Redis only carries "please deliver row N", so losing Redis loses nothing.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from caseapp.audit.services import record_event
from caseapp.auth.models import User
from caseapp.callbacks import queries as callback_queries
from caseapp.callbacks.models import Callback
from caseapp.errors import Conflict
from caseapp.extensions import db
from caseapp.notifications import services as notifications
from caseapp.reminders import messages, queries
from caseapp.reminders.channels import (
    DeliveryError,
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
    channel_for,
)
from caseapp.reminders.models import DONE_STATUSES, DeliveryChannel, OutboxKind, OutboxMessage, OutboxStatus
from caseapp.shifts import queries as shift_queries
from caseapp.tasks import TaskName, dispatch_after_commit

logger = logging.getLogger(__name__)


class DeliveryResult(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"
    #: another delivery claimed it moments ago and may be sending it now
    IN_FLIGHT = "in_flight"
    #: already sent, failed or withdrawn: nothing to do
    ALREADY_DONE = "already_done"
    MISSING = "missing"


@dataclass(frozen=True)
class NewMessage:
    callback_id: int
    case_id: int
    kind: OutboxKind
    due_at: datetime
    channel: DeliveryChannel
    recipient_id: int
    rendered: messages.Rendered


def configured_channels(setting: str) -> list[DeliveryChannel]:
    """REMINDER_CHANNELS / ESCALATION_CHANNELS: "email,in_app" (or a JSON list) → channels."""
    raw = current_app.config[setting]
    names = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    return [DeliveryChannel(name.strip()) for name in names if name.strip()]


def make_message_id() -> str:
    config = current_app.config
    domain = config.get("MESSAGE_ID_DOMAIN") or str(config["MAIL_FROM"]).rpartition("@")[2] or "caseapp.invalid"
    return f"<reminder.{uuid.uuid4().hex}@{domain}>"


# --- writing rows -----------------------------------------------------------------------------------------------


def enqueue(new_messages: list[NewMessage]) -> list[int]:
    """Insert outbox rows, skipping any that exist; returns the ids of the rows now waiting to be delivered.

    INSERT ... ON CONFLICT (callback, kind, due time, channel, recipient): a duplicate does nothing, except that a
    row *withdrawn* unsent is wanted again (e.g. rescheduled back to the same time), so it goes back to pending.
    Each returned id is sent to a delivery task once the transaction commits.
    """
    if not new_messages:
        return []
    now = queries.database_now()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = [
        {
            "callback_id": m.callback_id,
            "case_id": m.case_id,
            "kind": m.kind.value,
            "due_at": m.due_at,
            "channel": m.channel.value,
            "recipient_id": m.recipient_id,
            "status": OutboxStatus.PENDING.value,
            "attempts": 0,
            "message_id": make_message_id(),
            "subject": m.rendered.subject,
            "body": m.rendered.body,
            "link": m.rendered.link,
            "dispatched_at": now,
        }
        for m in new_messages
    ]
    stmt = (
        insert(OutboxMessage)
        .on_conflict_do_update(
            index_elements=["callback_id", "kind", "due_at", "channel", "recipient_id"],
            set_={"status": OutboxStatus.PENDING.value, "withdrawn_at": None, "dispatched_at": now},
            where=OutboxMessage.status == OutboxStatus.WITHDRAWN,
        )
        .returning(OutboxMessage.id)
    )
    ids = [row.id for row in db.session.execute(stmt, rows)]
    for outbox_id in ids:
        dispatch_after_commit(db.session(), TaskName.DELIVER_REMINDER, outbox_id)
    return ids


def withdraw(
    callback_id: int,
    *,
    kinds: tuple[OutboxKind, ...] = (),
    recipient_ids: tuple[int, ...] = (),
    due_at: datetime | None = None,
) -> int:
    """Withdraw a callback's unsent (pending) messages; returns how many. A row being sent right now is left be."""
    stmt = sa.update(OutboxMessage).where(
        OutboxMessage.callback_id == callback_id, OutboxMessage.status == OutboxStatus.PENDING
    )
    if kinds:
        stmt = stmt.where(OutboxMessage.kind.in_(kinds))
    if recipient_ids:
        stmt = stmt.where(OutboxMessage.recipient_id.in_(recipient_ids))
    if due_at is not None:
        stmt = stmt.where(OutboxMessage.due_at == due_at)
    stmt = stmt.values(status=OutboxStatus.WITHDRAWN, withdrawn_at=queries.database_now())
    result = db.session.execute(stmt.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


# --- the scan ---------------------------------------------------------------------------------------------------


def reminder_messages(callback: Callback, on_shift: list[User] | None = None) -> list[NewMessage]:
    """What to send for a callback whose reminder time has come: its assignee on every reminder channel, or, for
    a pooled callback, an in-app note to everyone on shift."""
    pooled = callback.assignee_id is None
    if pooled:
        recipients = on_shift if on_shift is not None else shift_queries.on_shift_users()
        channels = [DeliveryChannel.IN_APP]
    else:
        assert callback.assignee is not None  # noqa: S101 - assignee_id is set
        recipients = [callback.assignee]
        channels = configured_channels("REMINDER_CHANNELS")
    new: list[NewMessage] = []
    for user in recipients:
        rendered = messages.reminder(
            callback_id=callback.id,
            case_reference=callback.case.reference,
            due_at=callback.due_at,
            priority=callback.priority.value,
            first_name=user.first_name,
            pooled=pooled,
        )
        new += [
            NewMessage(callback.id, callback.case_id, OutboxKind.REMINDER, callback.due_at, ch, user.id, rendered)
            for ch in channels
        ]
    return new


def scan_due(now: datetime | None = None) -> list[int]:
    """Write reminder rows for scheduled callbacks whose reminder time (due - REMINDER_LEAD_SECONDS) has come.

    Uses the database clock; claims callbacks with FOR UPDATE SKIP LOCKED (two scans at once split the work rather
    than wait), and the outbox's unique key makes a repeated scan harmless. Returns the new outbox ids.
    """
    config = current_app.config
    now = now or queries.database_now()
    horizon = now + timedelta(seconds=int(config["REMINDER_LEAD_SECONDS"]))
    callbacks = callback_queries.lock_callbacks_needing_reminder(horizon, limit=int(config["SCAN_BATCH_SIZE"]))
    if not callbacks:
        return []
    on_shift = shift_queries.on_shift_users() if any(c.assignee_id is None for c in callbacks) else []
    new: list[NewMessage] = []
    for callback in callbacks:
        new += reminder_messages(callback, on_shift)
    ids = enqueue(new)
    logger.info("reminder scan: %s callbacks due, %s messages queued", len(callbacks), len(ids))
    return ids


# --- delivery ---------------------------------------------------------------------------------------------------


def _retry_bound(attempts: int) -> timedelta:
    """The latest a Celery retry can come after failed attempt number `attempts` (backoff doubles, with jitter)."""
    config = current_app.config
    seconds = min(
        int(config["DELIVERY_RETRY_BACKOFF_MAX_SECONDS"]),
        int(config["DELIVERY_RETRY_BACKOFF_SECONDS"]) * 2 ** max(0, attempts - 1),
    )
    return timedelta(seconds=seconds)


def _outgoing(row: OutboxMessage, recipient: User) -> OutgoingMessage:
    return OutgoingMessage(
        outbox_id=row.id,
        message_id=row.message_id,
        kind=row.kind.value,
        recipient_id=recipient.id,
        recipient_email=recipient.email,
        subject=row.subject,
        body=row.body,
        link=row.link,
        case_id=row.case_id,
        created_at=row.created_at,
    )


def deliver(outbox_id: int, *, final_attempt: bool = False) -> DeliveryResult:
    """Send one outbox row through its channel, at most once per claim. Commits (it is its own unit of work).

    1. Lock the row and guard on its state: done rows and rows another delivery claimed recently are left alone.
    2. Mark it `sending`, attempts + 1, and COMMIT: the attempt is on record before anything leaves.
    3. Send (the email's Message-ID is fixed, so a resend after a crash is the same message, deduplicated by it).
    4. Mark it `sent`, audit, COMMIT. A failure goes back to `pending` for a retry, or to `failed` when it is
       permanent, when attempts reach OUTBOX_MAX_ATTEMPTS, or when the task says this is its last try.
    """
    config = current_app.config
    claim = queries.lock_message_for_delivery(outbox_id)
    if claim is None:
        db.session.commit()
        return DeliveryResult.MISSING
    row, recipient, now = claim
    if row.status in DONE_STATUSES:
        db.session.commit()
        return DeliveryResult.ALREADY_DONE
    stale_before = now - timedelta(seconds=int(config["OUTBOX_STALE_SECONDS"]))
    if row.status == OutboxStatus.SENDING and row.claimed_at is not None and row.claimed_at > stale_before:
        db.session.commit()
        return DeliveryResult.IN_FLIGHT
    if row.attempts >= int(config["OUTBOX_MAX_ATTEMPTS"]):
        _mark_failed(row, now, row.last_error or "gave up after the maximum number of attempts")
        db.session.commit()
        return DeliveryResult.FAILED
    if not recipient.is_active:
        row.status, row.withdrawn_at, row.last_error = OutboxStatus.WITHDRAWN, now, "recipient is deactivated"
        db.session.commit()
        return DeliveryResult.WITHDRAWN
    row.status, row.attempts, row.claimed_at = OutboxStatus.SENDING, row.attempts + 1, now
    message = _outgoing(row, recipient)
    channel = row.channel
    db.session.commit()  # the attempt is recorded before anything leaves

    try:
        channel_for(channel).send(message)  # in-app: adds its Notification to this session, committed below
    except DeliveryError as exc:
        db.session.rollback()
        return _record_failure(outbox_id, exc, final_attempt=final_attempt)
    _mark_sent(outbox_id)
    db.session.commit()
    logger.info("reminder sent", extra={"outbox_id": outbox_id, "channel": channel.value})
    return DeliveryResult.SENT


def _mark_sent(outbox_id: int) -> None:
    """`sent` (database clock) and the audit event, in one UPDATE ... RETURNING and one INSERT."""
    stmt = (
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.status != OutboxStatus.SENT)
        .values(status=OutboxStatus.SENT, sent_at=sa.func.now(), last_error=None)
        .returning(
            OutboxMessage.callback_id,
            OutboxMessage.kind,
            OutboxMessage.channel,
            OutboxMessage.recipient_id,
            OutboxMessage.due_at,
            OutboxMessage.attempts,
            OutboxMessage.message_id,
        )
        .execution_options(synchronize_session=False)
    )
    sent = db.session.execute(stmt).first()
    if sent is None:  # already marked sent, or deleted with its callback meanwhile
        return
    record_event(
        "reminder.sent",
        actor_id=None,
        entity_type="callback",
        entity_id=sent.callback_id,
        detail={
            "outbox_id": outbox_id,
            "kind": str(sent.kind),
            "channel": str(sent.channel),
            "recipient_id": sent.recipient_id,
            "due_at": sent.due_at.isoformat(),
            "attempts": sent.attempts,
            "message_id": sent.message_id,
        },
    )


def _record_failure(outbox_id: int, error: DeliveryError, *, final_attempt: bool) -> DeliveryResult:
    """Back to pending for a retry (re-raising the transient error for the task), or failed for good."""
    config = current_app.config
    now = queries.database_now()
    row = queries.lock_message(outbox_id)
    if row is None:
        db.session.commit()
        return DeliveryResult.MISSING
    reason = str(error)[:500] or type(error).__name__
    permanent = isinstance(error, PermanentDeliveryError)
    if permanent or final_attempt or row.attempts >= int(config["OUTBOX_MAX_ATTEMPTS"]):
        _mark_failed(row, now, reason)
        db.session.commit()
        logger.warning("reminder delivery failed for good", extra={"outbox_id": outbox_id, "attempts": row.attempts})
        return DeliveryResult.FAILED
    row.status, row.last_error = OutboxStatus.PENDING, reason
    row.dispatched_at = now + _retry_bound(row.attempts)  # the sweeper steps in only if the retry never comes
    db.session.commit()
    logger.warning("reminder delivery will be retried", extra={"outbox_id": outbox_id, "attempts": row.attempts})
    raise TransientDeliveryError(reason) from error


def _mark_failed(row: OutboxMessage, now: datetime, reason: str) -> None:
    """`failed` with the reason, in the audit trail and on the managers' bell (unless the bell itself failed)."""
    row.status, row.failed_at, row.last_error = OutboxStatus.FAILED, now, reason[:500]
    record_event(
        "reminder.failed",
        actor_id=None,
        entity_type="callback",
        entity_id=row.callback_id,
        detail={"outbox_id": row.id, "kind": row.kind.value, "channel": row.channel.value, "attempts": row.attempts},
    )
    if row.channel != DeliveryChannel.IN_APP:
        notifications.notify(
            notifications.managers_to_alert(),
            kind="delivery_failed",
            title=f"A callback {row.kind.value} ({row.channel.value}) could not be delivered",
            link=messages.callback_link(row.callback_id),
            case_id=row.case_id,
        )


# --- the sweeper and manual retries -----------------------------------------------------------------------------


def sweep(now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Re-queue rows left pending or sending for longer than OUTBOX_STALE_SECONDS (a lost task message, a wiped
    Redis, a worker killed mid-send). Delivery's own guards make a duplicate task harmless."""
    config = current_app.config
    now = now or queries.database_now()
    cutoff = now - timedelta(seconds=int(config["OUTBOX_STALE_SECONDS"]))
    rows = queries.lock_stale_messages(cutoff, limit)
    for row in rows:
        row.dispatched_at = now
        dispatch_after_commit(db.session(), TaskName.DELIVER_REMINDER, row.id)
    if rows:
        logger.warning("sweeper re-queued %s stale outbox rows", len(rows))
    return [row.id for row in rows]


def requeue_failed(outbox_id: int, *, actor: User) -> OutboxMessage:
    """A manager sends a failed message again (after fixing the mail server, say): same Message-ID, attempts reset."""
    queries.get_message(outbox_id)  # 404 when there is no such row
    row = queries.lock_message(outbox_id)
    if row is None or row.status != OutboxStatus.FAILED:
        raise Conflict("Only a failed message can be sent again.")
    row.status, row.attempts, row.failed_at = OutboxStatus.PENDING, 0, None
    row.dispatched_at = queries.database_now()
    record_event(
        "reminder.requeued",
        actor_id=actor.id,
        entity_type="callback",
        entity_id=row.callback_id,
        detail={"outbox_id": row.id},
    )
    dispatch_after_commit(db.session(), TaskName.DELIVER_REMINDER, row.id)
    db.session.flush()
    return row


def summary() -> dict[str, Any]:
    """Counts by status, for the managers' page."""
    return queries.count_by_status()
