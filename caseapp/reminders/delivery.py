"""Delivering outbox rows, in steps the task body commits between (workers/reminders.py). A delivery task takes a
batch of rows (DELIVERY_BATCH_SIZE, in id order):

    claim_batch(ids)   one UPDATE: every row ready to go is `sending`, its attempt counted          COMMIT
    in-app rows        their notifications in one INSERT, marked sent with their audit events      COMMIT
    each other row     send(claimed) through its channel (one SMTP connection kept per thread),
                       then mark_sent([id])                                                        COMMIT
                       or, if it failed, record_failure(id)                                        COMMIT
    release(...)       rows the batch did not get to (its time ran out, or the server went away)
                       go back to `pending`, their attempt not counted                             COMMIT

The attempt is on record before anything leaves, and each email is marked sent in its own commit straight after the
server accepts it: a worker killed in between resends at most the one message it was sending, with the same
Message-ID. A worker that dies after the claim leaves the batch's rows `sending` with their claim time: once the
claim is older than DELIVERY_LEASE_SECONDS (longer than any send can take) the sweeper hands them to another
delivery; a batch stops starting sends well before its lease runs out (send_deadline), so a live claim is never
taken over. Retries are the database's too: a failed attempt sets `next_attempt_at` (backoff with jitter) and the
sweeper dispatches the row when it comes, so no task waits in a worker's memory.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import cast

import sqlalchemy as sa
from flask import current_app

from caseapp.audit.services import record_event, record_events, request_context
from caseapp.auth.models import User
from caseapp.extensions import db
from caseapp.notifications import services as notifications
from caseapp.reminders import queries
from caseapp.reminders.channels import DeliveryError, OutgoingMessage, PermanentDeliveryError, channel_for
from caseapp.reminders.models import DONE_STATUSES, DeliveryChannel, OutboxMessage, OutboxStatus
from caseapp.reminders.outbox import queue_deliveries

logger = logging.getLogger(__name__)

#: the outbox table itself: the statements of a delivery go through Core, which costs a fraction of the ORM's
#: bulk UPDATE machinery per statement (an email is marked sent on its own, ten thousand times in a busy minute)
OUTBOX = cast(sa.Table, OutboxMessage.__table__)


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


@dataclass(frozen=True)
class Batch:
    """What claim_batch took: the rows this delivery holds, in id order, and why it did not take the others."""

    claimed: list[Claimed]
    #: the rows not taken, each with the reason (in flight elsewhere, already done, not due yet, failed, ...)
    skipped: dict[int, DeliveryResult]
    #: the claim time written on the rows (the database's clock), which release() matches on
    claimed_at: datetime

    @property
    def in_app(self) -> list[Claimed]:
        return [c for c in self.claimed if c.channel == DeliveryChannel.IN_APP]

    @property
    def outgoing(self) -> list[Claimed]:
        """The rows that leave the building (email, SMS), sent one at a time."""
        return [c for c in self.claimed if c.channel != DeliveryChannel.IN_APP]


def claim_batch(outbox_ids: Sequence[int]) -> Batch:
    """Take every row of the batch that is ready to go in one UPDATE ... RETURNING (status `sending`, the attempt
    counted, the claim time set), locking the rows in id order; rows held by another delivery are waited for, then
    seen as in flight. The rows it did not take go through claim() one by one, which says why (and fails a row out
    of attempts, or withdraws one whose recipient was deactivated). The caller commits either way."""
    now = queries.database_now()
    ids = sorted(set(outbox_ids))
    column = OUTBOX.c
    ready = sa.or_(
        sa.and_(column.status == OutboxStatus.PENDING, column.next_attempt_at <= now),
        sa.and_(
            column.status == OutboxStatus.SENDING,
            sa.or_(column.claimed_at.is_(None), column.claimed_at <= now - lease()),
        ),
    )
    stmt = (
        sa.update(OUTBOX)
        .where(
            column.id.in_(ids),
            ready,
            column.attempts < int(current_app.config["OUTBOX_MAX_ATTEMPTS"]),
            column.recipient_id.in_(queries.select_active_user_ids()),
        )
        .values(status=OutboxStatus.SENDING, attempts=column.attempts + 1, claimed_at=now)
        .returning(
            column.id,
            column.message_id,
            column.kind,
            column.channel,
            column.recipient_id,
            column.subject,
            column.body,
            column.link,
            column.case_id,
            column.created_at,
        )
    )
    taken = db.session.execute(stmt).all()
    emails = queries.user_emails({row.recipient_id for row in taken})
    claimed = {
        row.id: Claimed(
            OutgoingMessage(
                outbox_id=row.id,
                message_id=row.message_id,
                kind=str(row.kind),
                recipient_id=row.recipient_id,
                recipient_email=emails[row.recipient_id],
                subject=row.subject,
                body=row.body,
                link=row.link,
                case_id=row.case_id,
                created_at=row.created_at,
            ),
            DeliveryChannel(row.channel),
        )
        for row in taken
    }
    skipped: dict[int, DeliveryResult] = {}
    for outbox_id in ids:
        if outbox_id not in claimed:
            result = claim(outbox_id)
            if isinstance(result, Claimed):  # became ready in between (claim() locks and reads afresh)
                claimed[outbox_id] = result
            else:
                skipped[outbox_id] = result
    return Batch([claimed[i] for i in sorted(claimed)], skipped, now)


def send_deadline() -> float:
    """Seconds after its claim within which a batch may start a send: the lease, less two SMTP timeouts for the
    send in progress to finish (and at least half the lease), so a batch never outlives its claim."""
    config = current_app.config
    lease_seconds = float(config["DELIVERY_LEASE_SECONDS"])
    return max(lease_seconds - 2 * float(config["SMTP_TIMEOUT_SECONDS"]), lease_seconds / 2)


def mark_sent_every() -> int:
    """Emails marked sent together, in one commit (DELIVERY_MARK_SENT_EVERY): a worker killed after the server took
    them and before that commit leaves at most this many to be sent again, each with its own Message-ID."""
    return max(1, int(current_app.config["DELIVERY_MARK_SENT_EVERY"]))


def deliver_in_app(claimed: Sequence[Claimed]) -> None:
    """The bell for each in-app row, and the row marked sent with its audit event: on PostgreSQL one statement for
    the batch; elsewhere every notification in one INSERT, then mark_sent. The caller commits (both or neither)."""
    ids = [c.message.outbox_id for c in claimed]
    if not ids:
        return
    if _on_postgresql():
        _sent_on_postgresql(ids, ring_bells=True)
        return
    notifications.notify_each(
        [
            notifications.NewNotification(
                user_id=c.message.recipient_id,
                kind=f"callback_{c.message.kind}",
                title=c.message.subject,
                link=c.message.link,
                case_id=c.message.case_id,
            )
            for c in claimed
        ]
    )
    mark_sent(ids)


def release(batch: Batch, outbox_ids: Sequence[int], *, retry_at: datetime | None = None) -> list[int]:
    """Give back rows this batch claimed and did not try: `pending` again, their attempt not counted, to go at
    `retry_at` (None: now, queued again on commit; a later time: the sweeper queues them when it comes). Only rows
    still under this batch's claim are touched. Returns their ids; the caller commits."""
    if not outbox_ids:
        return []
    now = queries.database_now()
    column = OUTBOX.c
    stmt = (
        sa.update(OUTBOX)
        .where(
            column.id.in_(list(outbox_ids)),
            column.status == OutboxStatus.SENDING,
            column.claimed_at == batch.claimed_at,
        )
        .values(
            status=OutboxStatus.PENDING,
            attempts=column.attempts - 1,
            claimed_at=None,
            dispatched_at=None,
            next_attempt_at=retry_at or now,
        )
        .returning(column.id)
    )
    released = sorted(db.session.scalars(stmt))
    if retry_at is None:
        queue_deliveries(released)
    logger.info("%s reminders given back unsent", len(released), extra={"outbox_ids": released})
    return released


def send(claimed: Claimed) -> None:
    """Hand the message to its channel; raises DeliveryError. The in-app channel adds its notification to the
    session, committed with mark_sent."""
    channel_for(claimed.channel).send(claimed.message)


def mark_sent(outbox_ids: int | Sequence[int]) -> DeliveryResult:
    """`sent` (database clock) and one audit event each: SENT when any row changed (a single email's case: it did),
    ALREADY_DONE when none did. The caller commits."""
    ids = [outbox_ids] if isinstance(outbox_ids, int) else list(outbox_ids)
    if _on_postgresql():
        return DeliveryResult.SENT if _sent_on_postgresql(ids, ring_bells=False) else DeliveryResult.ALREADY_DONE
    stmt = (
        sa.update(OUTBOX)
        .where(OUTBOX.c.id.in_(ids), OUTBOX.c.status != OutboxStatus.SENT)
        .values(status=OutboxStatus.SENT, sent_at=sa.func.now(), last_error=None)
        .returning(
            OUTBOX.c.id,
            OUTBOX.c.callback_id,
            OUTBOX.c.kind,
            OUTBOX.c.channel,
            OUTBOX.c.recipient_id,
            OUTBOX.c.due_at,
            OUTBOX.c.attempts,
            OUTBOX.c.message_id,
        )
    )
    sent = db.session.execute(stmt).all()
    if not sent:  # already marked sent, or deleted with its callback meanwhile
        return DeliveryResult.ALREADY_DONE
    record_events(
        "reminder.sent",
        actor_id=None,
        entity_type="callback",
        events=[
            (
                row.callback_id,
                {
                    "outbox_id": row.id,
                    "kind": str(row.kind),
                    "channel": str(row.channel),
                    "recipient_id": row.recipient_id,
                    "due_at": row.due_at.isoformat(),
                    "attempts": row.attempts,
                    "message_id": row.message_id,
                },
            )
            for row in sent
        ],
    )
    return DeliveryResult.SENT


def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


#: PostgreSQL: mark rows sent and write their audit events (and, for the bell, their notifications) in one
#: statement, so a batch's in-app rows or a commit's emails cost one round trip and no row-by-row Python. The audit
#: detail is built as mark_sent builds it elsewhere (due_at as Python's isoformat() writes a UTC time).
_SENT_ON_POSTGRESQL = """
WITH sent AS (
    UPDATE reminder_outbox SET status = 'sent', sent_at = now(), last_error = NULL
    WHERE id = ANY(CAST(:ids AS bigint[])) AND status <> 'sent'
    RETURNING id, callback_id, kind, channel, recipient_id, due_at, attempts, message_id, subject, link, case_id
){bells}, audit AS (
    INSERT INTO audit_events (action, actor_id, entity_type, entity_id, request_id, ip, detail)
    SELECT 'reminder.sent', NULL, 'callback', CAST(callback_id AS varchar), :request_id, :ip, json_build_object(
        'outbox_id', id, 'kind', kind, 'channel', channel, 'recipient_id', recipient_id,
        'due_at', to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
            || CASE WHEN CAST(date_part('microseconds', due_at) AS bigint) % 1000000 = 0 THEN ''
                    ELSE to_char(due_at AT TIME ZONE 'UTC', '.US') END
            || '+00:00',
        'attempts', attempts, 'message_id', message_id)
    FROM sent
)
SELECT count(*) FROM sent
"""
_BELLS = """, bells AS (
    INSERT INTO notifications (user_id, kind, title, link, case_id)
    SELECT recipient_id, 'callback_' || kind, left(subject, 200), link, case_id FROM sent
)"""


def _sent_on_postgresql(ids: list[int], *, ring_bells: bool) -> int:
    sql = _SENT_ON_POSTGRESQL.format(bells=_BELLS if ring_bells else "")
    context = request_context()
    params = {"ids": ids, "request_id": context.get("request_id"), "ip": context.get("ip")}
    return int(db.session.scalar(sa.text(sql), params) or 0)


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


def next_attempt_at(failed_id: int) -> datetime:
    """After the mail server went away on row `failed_id` (record_failure done): when the rest of its batch should
    go. When that row's next attempt is, or the first backoff from now if it has none (it failed for good)."""
    now = queries.database_now()
    row = db.session.get(OutboxMessage, failed_id)
    if row is not None and row.status == OutboxStatus.PENDING and row.next_attempt_at > now:
        return row.next_attempt_at
    return now + backoff(1)


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
