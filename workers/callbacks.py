"""Callbacks that fall due: thin task bodies over caseapp/callbacks/due.py (service → commit)."""

import time

from celery import shared_task
from flask import current_app

from caseapp.callbacks import due
from caseapp.extensions import db
from caseapp.tasks import Queue, TaskName, dispatch_after_commit
from workers.retry import PERIODIC_RETRY


@shared_task(name=str(TaskName.REMIND_DUE), **PERIODIC_RETRY)
def remind_due() -> int:
    """Write outbox rows for callbacks whose reminder time has come, SCAN_BATCH_SIZE callbacks at a time, each round
    committed (and so its deliveries queued) before the next: with thousands due at once the first reminders are on
    their way while the rest are written. A first round that finds a full batch asks for one more scan at once, which
    does the same, so a big minute is written by several scans side by side (SKIP LOCKED splits the callbacks
    between them). Stops when a round finds nothing or the scan interval is used up (the next scan goes on)."""
    deadline = time.monotonic() + float(current_app.config["SCAN_INTERVAL_SECONDS"])
    written, first = 0, True
    while True:
        found, ids = due.remind_due_round()
        if first and found >= due.scan_batch_size():
            dispatch_after_commit(db.session(), TaskName.REMIND_DUE, queue=Queue.PERIODIC)
        db.session.commit()
        written, first = written + len(ids), False
        if not found or time.monotonic() > deadline:
            return written


@shared_task(name=str(TaskName.RUN_CLOCKS), **PERIODIC_RETRY)
def run_clocks() -> dict[str, int]:
    """Every open state's clock: unaccepted handovers, pool, escalations, nudges, prompts, missed; messages are
    queued on commit."""
    result = due.run_clocks()
    db.session.commit()
    return result.counts()
