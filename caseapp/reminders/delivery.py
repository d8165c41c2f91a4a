"""Delivering one outbox row, in steps the task body commits between (workers/reminders.py):

    claim(id)          lock the row, guard on its state, mark it `sending` and count the attempt   COMMIT
    send(claimed)      through its channel (the email's Message-ID is fixed, so a resend is the same email)
    mark_sent(id)      `sent` and the audit event                                                  COMMIT
    record_failure()   back to `pending` with its next attempt time, or `failed` for good          COMMIT

The attempt is on record before anything leaves. A worker that dies after `claim` leaves the row `sending` with
its claim time: once the claim is older than DELIVERY_LEASE_SECONDS (longer than any send can take) the sweeper
hands it to another delivery. Retries are the database's too: a failed attempt sets `next_attempt_at` (backoff with
jitter) and the sweeper dispatches the row when it comes, so no task waits in a worker's memory.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from flask import current_app

from caseapp.audit.services import record_event
from caseapp.auth.models import User
from caseapp.extensions import db
from caseapp.notifications import services as notifications
from caseapp.reminders import queries
from caseapp.reminders.channels import DeliveryError, OutgoingMessage, PermanentDeliveryError, channel_for
from caseapp.reminders.models import DONE_STATUSES, DeliveryChannel, OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)


class DeliveryResult(StrEnum):
    SENT = "sent"
    #: a transient failure: the row waits for its next attempt
    RETRY = "retry"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"
    #: another delivery holds a live claim on it and may be sending it now
    IN_FLIGHT = "in_flight"
    #: already sent, failed or withdrawn: nothing to do
    ALREADY_DONE = "already_done"
    #: not due yet (a retry whose time has not come)
    NOT_YET = "not_yet"
    MISSING = "missing"


@dataclass(frozen=True)
class Claimed:
    """A row this delivery holds: what to send, and on which channel."""

    message: OutgoingMessage
    channel: DeliveryChannel


def lease() -> timedelta:
    """How long a claim holds: a `sending` row claimed longer ago than this was left by a delivery that died."""
    return timedelta(seconds=int(current_app.config["DELIVERY_LEASE_SECONDS"]))


def claim(outbox_id: int) -> Claimed | DeliveryResult:
    """Take the row for one attempt, or say why not. The caller commits either way."""
    found = queries.lock_message_for_delivery(outbox_id)
    if found is None:
        return DeliveryResult.MISSING
    row, recipient, now = found
    if row.status in DONE_STATUSES:
        return DeliveryResult.ALREADY_DONE
    if row.status == OutboxStatus.SENDING and row.claimed_at is not None and row.claimed_at > now - lease():
        return DeliveryResult.IN_FLIGHT
    if row.status == OutboxStatus.PENDING and row.next_attempt_at > now:
        return DeliveryResult.NOT_YET
    if row.attempts >= int(current_app.config["OUTBOX_MAX_ATTEMPTS"]):
        _mark_failed(row, now, row.last_error or "gave up after the maximum number of attempts")
        return DeliveryResult.FAILED
    if not recipient.is_active:
        row.status, row.withdrawn_at, row.last_error = OutboxStatus.WITHDRAWN, now, "recipient is deactivated"
        return DeliveryResult.WITHDRAWN
    row.status, row.attempts, row.claimed_at = OutboxStatus.SENDING, row.attempts + 1, now
    return Claimed(_outgoing(row, recipient), row.channel)


def send(claimed: Claimed) -> None:
    """Hand the message to its channel; raises DeliveryError. The in-app channel adds its notification to the
    session, committed with mark_sent."""
    channel_for(claimed.channel).send(claimed.message)


def mark_sent(outbox_id: int) -> DeliveryResult:
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
        return DeliveryResult.ALREADY_DONE
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
    logger.info("reminder sent", extra={"outbox_id": outbox_id, "channel": str(sent.channel)})
    return DeliveryResult.SENT


def record_failure(outbox_id: int, error: DeliveryError) -> DeliveryResult:
    """After a failed send (the caller has rolled back): wait for the next attempt, or fail for good when the error
    is permanent or the attempts are used up."""
    now = queries.database_now()
    row = queries.lock_message(outbox_id)
    if row is None:
        return DeliveryResult.MISSING
    if row.status != OutboxStatus.SENDING:  # withdrawn (or otherwise settled) while it was being sent
        return DeliveryResult.ALREADY_DONE
    reason = str(error)[:500] or type(error).__name__
    if isinstance(error, PermanentDeliveryError) or row.attempts >= int(current_app.config["OUTBOX_MAX_ATTEMPTS"]):
        _mark_failed(row, now, reason)
        logger.warning("reminder delivery failed for good", extra={"outbox_id": outbox_id, "attempts": row.attempts})
        return DeliveryResult.FAILED
    row.status, row.last_error, row.claimed_at = OutboxStatus.PENDING, reason, None
    row.next_attempt_at, row.dispatched_at = now + backoff(row.attempts), None
    logger.warning("reminder delivery will be retried", extra={"outbox_id": outbox_id, "attempts": row.attempts})
    return DeliveryResult.RETRY


def backoff(attempts: int) -> timedelta:
    """The wait after failed attempt number `attempts`: DELIVERY_RETRY_BACKOFF_SECONDS doubling up to the maximum,
    with full jitter (between half and all of it), so a mail server that comes back is not hit all at once."""
    config = current_app.config
    ceiling = min(
        int(config["DELIVERY_RETRY_BACKOFF_MAX_SECONDS"]),
        int(config["DELIVERY_RETRY_BACKOFF_SECONDS"]) * 2 ** max(0, attempts - 1),
    )
    return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not a secret


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
            link=row.link,
            case_id=row.case_id,
        )
