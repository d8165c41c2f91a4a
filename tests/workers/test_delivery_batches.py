"""Batches through a real worker: one scan task writes every due reminder in rounds, and a delivery task queued with
a single outbox id (as tasks were queued before deliveries went in batches, and may still wait in Redis during an
upgrade) is delivered all the same."""

from __future__ import annotations

from collections.abc import Callable

import redis

from caseapp.callbacks import due
from caseapp.extensions import db
from caseapp.tasks import TaskName
from tests.workers.conftest import Stack, seed_callbacks, wait_for

EMAIL_ONLY = {"REMINDER_CHANNELS": "email"}


def test_one_scan_task_writes_every_due_reminder_round_after_round(make_stack: Callable[..., Stack]) -> None:
    stack = make_stack(SCAN_BATCH_SIZE=10, **EMAIL_ONLY)
    expected = seed_callbacks(stack.app, 25, advisors=5)
    worker = stack.start_worker()  # no beat: the one scan sent below is the only one that runs

    stack.app.extensions["celery"].send_task(str(TaskName.REMIND_DUE), queue="periodic")

    wait_for(lambda: stack.smtp.unique() >= len(expected), 90, f"{len(expected)} reminder emails from one scan")
    wait_for(lambda: stack.outbox_counts() == {"sent": len(expected)}, 30, "every row marked sent")
    assert worker.count("reminder scan: 10 callbacks due") == 2
    assert worker.count("reminder scan: 5 callbacks due") == 1
    assert sorted(rcpt for _, rcpt in stack.smtp.deliveries()) == sorted(expected.values())


def test_a_delivery_task_for_one_outbox_id_as_queued_before_batches_is_delivered(
    make_stack: Callable[..., Stack],
) -> None:
    stack = make_stack(**EMAIL_ONLY)
    expected = seed_callbacks(stack.app, 3, advisors=3)
    with stack.app.app_context():
        ids = due.remind_due()
        db.session.commit()
        db.session.remove()
    redis.Redis.from_url(stack.redis.url).flushall()  # drop the batch task the scan queued
    celery = stack.app.extensions["celery"]
    for outbox_id in ids:
        celery.send_task(str(TaskName.DELIVER_REMINDER), args=[outbox_id])  # the old form: one id, not a list

    stack.start_worker()

    wait_for(lambda: stack.smtp.unique() >= len(expected), 60, "the three reminder emails")
    wait_for(lambda: stack.outbox_counts() == {"sent": len(expected)}, 30, "every row marked sent")
    assert sorted(rcpt for _, rcpt in stack.smtp.deliveries()) == sorted(expected.values())
