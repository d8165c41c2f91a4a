"""Reminder tasks: thin bodies over caseapp.reminders.services (load by id → guard → service → commit)."""

import logging

from celery import Task, shared_task

from caseapp.extensions import db
from caseapp.reminders import services
from caseapp.tasks import TaskName
from workers.retry import DELIVERY_RETRY, PERIODIC_RETRY

logger = logging.getLogger(__name__)


@shared_task(name=str(TaskName.SCAN_DUE_REMINDERS), **PERIODIC_RETRY)
def scan_due() -> int:
    """Write outbox rows for callbacks whose reminder time has come; their deliveries are queued on commit."""
    ids = services.scan_due()
    db.session.commit()
    return len(ids)


@shared_task(bind=True, name=str(TaskName.DELIVER_REMINDER), **DELIVERY_RETRY)
def deliver(self: Task, outbox_id: int) -> str:
    """Send one outbox row. The service guards on the row's state and commits the attempt before sending; a
    transient failure is re-raised for a retry (backoff + jitter), and on the last try it is marked failed."""
    final_attempt = self.request.retries >= (self.max_retries or 0)
    return services.deliver(int(outbox_id), final_attempt=final_attempt).value


@shared_task(name=str(TaskName.SWEEP_OUTBOX), **PERIODIC_RETRY)
def sweep() -> int:
    """Re-queue outbox rows left pending or sending too long (lost messages, wiped Redis, killed workers)."""
    ids = services.sweep()
    db.session.commit()
    return len(ids)
