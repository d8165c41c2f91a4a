"""The sweeper: every SWEEP_INTERVAL_SECONDS it finds the unsent rows that no delivery will come for, and queues
one. The database says which they are, each told apart from a delivery that is merely queued or slow:

- **never handed over**: `pending` with no `dispatched_at` OUTBOX_DISPATCH_GRACE_SECONDS after its
  `next_attempt_at` (the process died between committing the rows and queuing their tasks, or the broker was down;
  and every retry, whose task is queued only when its time comes);
- **handed over but lost**: `pending` though its task was queued OUTBOX_LOST_SECONDS ago (a killed worker's reserved
  tasks, a flushed Redis);
- **abandoned mid-delivery**: `sending` with a claim older than DELIVERY_LEASE_SECONDS, longer than any send takes
  (a worker killed while sending, or after the mail server took it but before `sent` was committed: the resend has
  the same Message-ID).

A duplicate task is harmless: delivery guards on the row's state.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app

from caseapp.extensions import db
from caseapp.reminders import queries
from caseapp.reminders.delivery import lease
from caseapp.reminders.outbox import queue_deliveries

logger = logging.getLogger(__name__)


def sweep(now: datetime | None = None, limit: int = 2000) -> list[int]:
    """Queue a delivery for every row no delivery will come for; returns their ids (the caller commits)."""
    config = current_app.config
    now = now or queries.database_now()
    rows = queries.lock_rows_needing_delivery(
        ready_before=now - timedelta(seconds=int(config["OUTBOX_DISPATCH_GRACE_SECONDS"])),
        lost_before=now - timedelta(seconds=int(config["OUTBOX_LOST_SECONDS"])),
        claimed_before=now - lease(),
        limit=limit,
    )
    for row in rows:
        row.dispatched_at = None  # set again once the broker takes the new task
    db.session.flush()
    ids = [row.id for row in rows]
    queue_deliveries(ids)
    if ids:
        logger.warning("sweeper queued %s outbox rows no delivery was coming for", len(ids))
    return ids
