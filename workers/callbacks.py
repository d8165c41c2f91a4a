"""Callbacks that fall due: thin task bodies over caseapp/callbacks/due.py (service → commit)."""

import time

from celery import shared_task
from flask import current_app

from caseapp.callbacks import due
from caseapp.extensions import db
from caseapp.tasks import TaskName
from workers.retry import PERIODIC_RETRY


@shared_task(name=str(TaskName.REMIND_DUE), **PERIODIC_RETRY)
def remind_due() -> int:
    """Write outbox rows for callbacks whose reminder time has come, SCAN_BATCH_SIZE callbacks at a time, each round
    committed (and so its deliveries queued) before the next: with thousands due at once the first reminders are on
    their way while the rest are written. Stops when a round finds nothing or the scan interval is used up (the
    next scan goes on; two at once split the callbacks between them)."""
    deadline = time.monotonic() + float(current_app.config["SCAN_INTERVAL_SECONDS"])
    written = 0
    while True:
        ids = due.remind_due()
        db.session.commit()
        written += len(ids)
        if not ids or time.monotonic() > deadline:
            return written


@shared_task(name=str(TaskName.RUN_CLOCKS), **PERIODIC_RETRY)
def run_clocks() -> dict[str, int]:
    """Every open state's clock: pool, escalations, nudges, prompts, missed; messages are queued on commit."""
    result = due.run_clocks()
    db.session.commit()
    return result.counts()
