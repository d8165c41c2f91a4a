"""Outbox tasks: thin bodies over caseapp/reminders (load by id → guard → step → commit, step by step)."""

import logging
import time
from collections import Counter

from celery import shared_task

from caseapp.extensions import db
from caseapp.reminders import delivery, sweeper
from caseapp.reminders.channels import DeliveryError, ServerUnavailable
from caseapp.reminders.outbox import task_ids
from caseapp.tasks import TaskName
from workers.retry import PERIODIC_RETRY

logger = logging.getLogger(__name__)


@shared_task(name=str(TaskName.DELIVER_REMINDER))
def deliver(outbox_ids: list[int] | int) -> dict[str, int]:
    """Send a batch of outbox rows: claim them all (each attempt recorded), COMMIT; the in-app ones' notifications,
    marked sent, COMMIT; then each email: send, mark it sent, COMMIT (or record the failure, COMMIT). A batch that
    runs out of time before its claim would, or whose mail server goes away, gives the rest back unsent. A failed
    send waits for its next attempt in the database (the sweeper queues it when it is due); a worker that dies
    anywhere here leaves its rows for the sweeper. No retry lives in this task. Returns the count per result."""
    batch = delivery.claim_batch(task_ids(outbox_ids))
    db.session.commit()
    started = time.monotonic()
    results = Counter(result.value for result in batch.skipped.values())
    if batch.in_app:
        delivery.deliver_in_app(batch.in_app)
        delivery.mark_sent([c.message.outbox_id for c in batch.in_app])
        db.session.commit()
        results[delivery.DeliveryResult.SENT.value] += len(batch.in_app)
    outgoing = batch.outgoing
    for position, claimed in enumerate(outgoing):
        outbox_id = claimed.message.outbox_id
        rest = [c.message.outbox_id for c in outgoing[position + 1 :]]
        if time.monotonic() - started > delivery.send_deadline():
            delivery.release(batch, [outbox_id, *rest])
            db.session.commit()
            results["given_back"] += len(rest) + 1
            break
        try:
            delivery.send(claimed)
        except DeliveryError as exc:
            db.session.rollback()
            result = delivery.record_failure(outbox_id, exc)
            results[result.value] += 1
            if isinstance(exc, ServerUnavailable) and rest:  # the next ones would fare no better: later, not now
                retry_at = delivery.next_attempt_at(outbox_id)
                results["given_back"] += len(delivery.release(batch, rest, retry_at=retry_at))
                db.session.commit()
                break
            db.session.commit()
            continue
        results[delivery.mark_sent(outbox_id).value] += 1
        db.session.commit()
    logger.info(
        "reminder batch delivered: %s",
        dict(results),
        extra={"outbox_ids": [c.message.outbox_id for c in batch.claimed]},
    )
    return dict(results)


@shared_task(name=str(TaskName.SWEEP_OUTBOX), **PERIODIC_RETRY)
def sweep() -> int:
    """Queue a delivery for each outbox row none will come for (see caseapp/reminders/sweeper.py)."""
    ids = sweeper.sweep()
    db.session.commit()
    return len(ids)
