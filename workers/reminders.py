"""Outbox tasks: thin bodies over caseapp/reminders (load by id → guard → step → commit, step by step)."""

from celery import shared_task

from caseapp.extensions import db
from caseapp.reminders import delivery, sweeper
from caseapp.reminders.channels import DeliveryError
from caseapp.tasks import TaskName
from workers.retry import PERIODIC_RETRY


@shared_task(name=str(TaskName.DELIVER_REMINDER))
def deliver(outbox_id: int) -> str:
    """Send one outbox row: claim it (the attempt is recorded), send, mark it sent, committing after each step.
    A failed send waits for its next attempt in the database (the sweeper queues it when it is due); a worker
    that dies anywhere here leaves the row for the sweeper. No retry lives in this task."""
    claimed = delivery.claim(int(outbox_id))
    db.session.commit()
    if not isinstance(claimed, delivery.Claimed):
        return claimed.value
    try:
        delivery.send(claimed)
    except DeliveryError as exc:
        db.session.rollback()
        result = delivery.record_failure(int(outbox_id), exc)
        db.session.commit()
        return result.value
    result = delivery.mark_sent(int(outbox_id))
    db.session.commit()
    return result.value


@shared_task(name=str(TaskName.SWEEP_OUTBOX), **PERIODIC_RETRY)
def sweep() -> int:
    """Queue a delivery for each outbox row none will come for (see caseapp/reminders/sweeper.py)."""
    ids = sweeper.sweep()
    db.session.commit()
    return len(ids)
