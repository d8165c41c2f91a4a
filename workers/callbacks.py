"""Callbacks that fall due: thin task bodies over caseapp/callbacks/due.py (service → commit)."""

from celery import shared_task

from caseapp.callbacks import due
from caseapp.extensions import db
from caseapp.tasks import TaskName
from workers.retry import PERIODIC_RETRY


@shared_task(name=str(TaskName.REMIND_DUE), **PERIODIC_RETRY)
def remind_due() -> int:
    """Write outbox rows for callbacks whose reminder time has come; their deliveries are queued on commit."""
    ids = due.remind_due()
    db.session.commit()
    return len(ids)


@shared_task(name=str(TaskName.RUN_CLOCKS), **PERIODIC_RETRY)
def run_clocks() -> dict[str, int]:
    """Every open state's clock: pool, escalations, nudges, prompts, missed; messages are queued on commit."""
    result = due.run_clocks()
    db.session.commit()
    return result.counts()
