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
SENT, GIVEN_BACK = delivery.DeliveryResult.SENT.value, "given_back"


@shared_task(name=str(TaskName.DELIVER_REMINDER))
def deliver(outbox_ids: list[int] | int) -> dict[str, int]:
    """Send a batch of outbox rows: claim them all (each attempt recorded), COMMIT; the in-app ones' notifications,
    marked sent, COMMIT; then the emails one by one, each marked sent as soon as the server has taken it, in commits
    of DELIVERY_MARK_SENT_EVERY (a failure is recorded, COMMIT, after marking those sent before it). A batch that
    runs out of time before its claim would, or whose mail server goes away, gives the rest back unsent. A failed
    send waits for its next attempt in the database (the sweeper queues it when it is due); a worker that dies
    anywhere here leaves its rows for the sweeper. No retry lives in this task. Returns the count per result."""
    batch = delivery.claim_batch(task_ids(outbox_ids))
    db.session.commit()
    started = time.monotonic()
    results = Counter(result.value for result in batch.skipped.values())
    if batch.in_app:
        delivery.deliver_in_app(batch.in_app)  # their notifications, and marked sent
        db.session.commit()
        results[SENT] += len(batch.in_app)
    outgoing, unmarked = batch.outgoing, list[int]()
    for position, claimed in enumerate(outgoing):
        outbox_id = claimed.message.outbox_id
        if time.monotonic() - started > delivery.send_deadline():
            _mark_sent(unmarked, results)
            results[GIVEN_BACK] += len(delivery.release(batch, [c.message.outbox_id for c in outgoing[position:]]))
            db.session.commit()
            break
        try:
            delivery.send(claimed)
        except DeliveryError as exc:
            db.session.rollback()  # whatever the failed send left in the session
            _mark_sent(unmarked, results)
            results[delivery.record_failure(outbox_id, exc).value] += 1
            rest = [c.message.outbox_id for c in outgoing[position + 1 :]]
            if isinstance(exc, ServerUnavailable) and rest:  # the next ones would fare no better: later, not now
                results[GIVEN_BACK] += len(delivery.release(batch, rest, retry_at=delivery.next_attempt_at(outbox_id)))
                db.session.commit()
                break
            db.session.commit()
            continue
        unmarked.append(outbox_id)
        if len(unmarked) >= delivery.mark_sent_every():
            _mark_sent(unmarked, results)
    _mark_sent(unmarked, results)
    logger.info(
        "reminder batch delivered: %s",
        dict(results),
        extra={"outbox_ids": [c.message.outbox_id for c in batch.claimed]},
    )
    return dict(results)


def _mark_sent(unmarked: list[int], results: Counter[str]) -> None:
    """Mark the emails the server has taken since the last commit as sent, and COMMIT."""
    if unmarked:
        delivery.mark_sent(unmarked)
        db.session.commit()
        results[SENT] += len(unmarked)
        unmarked.clear()


@shared_task(name=str(TaskName.SWEEP_OUTBOX), **PERIODIC_RETRY)
def sweep() -> int:
    """Queue a delivery for each outbox row none will come for (see caseapp/reminders/sweeper.py)."""
    ids = sweeper.sweep()
    db.session.commit()
    return len(ids)
