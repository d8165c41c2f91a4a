"""The reminder pipeline when things go wrong: two beats, Redis down, SMTP refusing, Redis wiped."""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import redis
import sqlalchemy as sa

from caseapp.auth.models import Role
from caseapp.callbacks import due
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.tasks import TaskName
from caseapp.timeutil import now_utc
from tests import factories
from tests.workers.conftest import Stack, figures, seed_callbacks, wait_for

#: how long Redis stays down. The issue asks for about a minute; 20 s by default keeps the suite within its time
#: budget and exercises the same paths (connections dropped, Redis back *empty*, worker and beat reconnecting, the
#: scan catching up). CASEAPP_TEST_REDIS_OUTAGE_SECONDS=60 runs the full minute.
OUTAGE_SECONDS = float(os.environ.get("CASEAPP_TEST_REDIS_OUTAGE_SECONDS", "20"))


def _token(stack: Stack, role: Role = Role.ADVISOR, **overrides: Any) -> tuple[int, str]:
    with stack.app.app_context():
        user = factories.make_user(role=role, **overrides)
        _, token = factories.make_token(user)
        db.session.commit()
        user_id = user.id
        db.session.remove()
    return user_id, token


def _all_sent(stack: Stack) -> bool:
    return set(stack.outbox_counts()) == {"sent"}


def test_two_beat_processes_never_send_a_reminder_twice(stack: Stack) -> None:
    count = 200
    seed_callbacks(stack.app, count, advisors=10)
    worker = stack.start_worker()
    beats = [stack.start_beat("beat1"), stack.start_beat("beat2", wait_for_lock=False)]

    wait_for(lambda: stack.smtp.unique() >= count, 120, f"{count} reminder emails")
    wait_for(lambda: _all_sent(stack), 60, "every outbox row (email and in-app) to be sent")
    # and as if the beat lock had failed: ten scans at once, on top of the schedule
    before = worker.count("callbacks.remind_due")
    celery = stack.app.extensions["celery"]
    for _ in range(10):
        celery.send_task(str(TaskName.REMIND_DUE))
    wait_for(lambda: worker.count("callbacks.remind_due") >= before + 20, 60, "the extra scans to run")

    fired = sorted(beat.count("Sending due task remind-due-callbacks") for beat in beats)
    received = stack.smtp.deliveries()
    assert fired[0] == 0, "both beats fired the scan"
    assert fired[1] > 0
    assert (len(received), len(set(received))) == (count, count)
    with stack.app.app_context():
        in_app = db.session.scalar(sa.select(sa.func.count()).where(Notification.kind == "callback_reminder"))
    assert in_app == count
    figures(
        f"two beat processes: scans fired by each {fired} (RedBeat lock), plus 10 forced concurrent scans -> "
        f"{len(received)} reminder emails for {count} callbacks ({stack.smtp.duplicates()} duplicates), "
        f"{in_app} in-app reminders"
    )


def test_redis_down_then_back_sends_reminders_due_meanwhile_and_the_web_app_keeps_working(stack: Stack) -> None:
    before = 5
    seed_callbacks(stack.app, before, advisors=1, prefix="before")
    advisor_id, token = _token(stack, email="during@helpline.test")
    worker, beat = stack.start_worker(), stack.start_beat()
    wait_for(lambda: stack.smtp.unique() >= before, 60, "the reminders booked before the outage")
    client = stack.app.test_client()
    auth = {"Authorization": f"Bearer {token}"}

    stack.redis.stop()
    down_at = time.monotonic()
    latencies, case_ids, callback_ids = [], [], []
    for _ in range(10):
        started = time.monotonic()
        call = client.post(
            "/api/v1/calls",
            headers=auth,
            json={"phone": factories.unique_phone(), "consent_callback": True, "notes": "logged while Redis is down"},
        )
        latencies.append(time.monotonic() - started)
        assert call.status_code == 201, call.get_json()
        case_ids.append(call.get_json()["case_id"])
    for case_id in case_ids:
        started = time.monotonic()
        booked = client.post(
            "/api/v1/callbacks",
            headers=auth,
            json={
                "case_id": case_id,
                "due_at": (now_utc() + timedelta(minutes=30)).isoformat(),
                "assignee_id": advisor_id,
            },
        )
        latencies.append(time.monotonic() - started)
        assert booked.status_code == 201, booked.get_json()
        callback_ids.append(booked.get_json()["id"])
    assert stack.smtp.unique() == before  # nothing can be scanned or sent while Redis is down
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))  # the outage itself, not an assertion
    stack.redis.start_again()
    back_at = time.monotonic()

    wait_for(lambda: stack.smtp.unique() >= before + len(callback_ids), 120, "the reminders due during the outage")
    caught_up = time.monotonic() - back_at
    wait_for(lambda: _all_sent(stack), 60, "every outbox row to be sent")

    received = stack.smtp.deliveries()
    assert len(received) == len(set(received)) == before + len(callback_ids)
    assert Counter(rcpt for _, rcpt in received)["during@helpline.test"] == len(callback_ids)
    assert worker.alive
    assert beat.alive  # it waited the outage out; nobody restarted it
    figures(
        f"Redis down {OUTAGE_SECONDS:.0f}s: web app logged {len(case_ids)} calls and booked {len(callback_ids)} "
        f"callbacks meanwhile (slowest request {max(latencies) * 1000:.0f} ms); their {len(callback_ids)} reminders "
        f"sent {caught_up:.1f}s after Redis came back (empty), none twice; worker and beat survived"
    )


def test_smtp_refusing_mail_retries_then_fails_visibly_and_marks_nothing_sent_that_was_not(stack: Stack) -> None:
    count = 4
    seed_callbacks(stack.app, count, advisors=1, prefix="refused")
    seed_callbacks(stack.app, count, advisors=1, prefix="accepted")
    stack.smtp.refuse = {"refused0@helpline.test"}
    _, manager_token = _token(stack, role=Role.MANAGER)
    worker = stack.start_worker()
    started = time.monotonic()
    stack.start_beat()

    def settled() -> bool:
        statuses = Counter((email, status) for _, _, status, email in stack.email_rows())
        return statuses == {("refused0@helpline.test", "failed"): count, ("accepted0@helpline.test", "sent"): count}

    wait_for(settled, 120, "refused emails to fail and accepted ones to be sent")
    settled_in = time.monotonic() - started

    rows = stack.email_rows()
    received = stack.smtp.deliveries()
    sent_ids = {mid for _, mid, status, _ in rows if status == "sent"}
    assert sent_ids == {mid for mid, _ in received}  # nothing marked sent that was not received
    assert len(received) == len(set(received)) == count
    assert stack.smtp.refusals == count * 3  # OUTBOX_MAX_ATTEMPTS each
    response = stack.app.test_client().get(
        "/api/v1/reminders?status=failed&channel=email", headers={"Authorization": f"Bearer {manager_token}"}
    )
    failed = response.get_json()["items"]
    assert response.status_code == 200
    assert len(failed) == count
    assert {(f["attempts"], f["last_error"][:8]) for f in failed} == {(3, "SMTP 451")}
    assert worker.count("reminder delivery will be retried") >= count * 2  # the outbox keeps each next attempt
    assert worker.count("Retry in") == 0  # no retry waits in a worker's memory
    figures(
        f"SMTP refusing (451) one advisor's mail: {stack.smtp.refusals} attempts for {count} emails "
        f"(3 each, exponential backoff with jitter, kept on the row) -> {len(failed)} 'failed' with reason "
        f"{failed[0]['last_error']!r} in GET /api/v1/reminders?status=failed after {settled_in:.1f}s; "
        f"{len(received)} accepted emails sent once; 0 marked sent without being received"
    )


def test_redis_flushall_with_reminders_queued_still_delivers_each_once_via_the_sweeper(stack: Stack) -> None:
    count = 100
    seed_callbacks(stack.app, count, advisors=10)
    with stack.app.app_context():
        queued_ids = due.remind_due()
        db.session.commit()  # the deliveries go to Redis now, with no worker running
        db.session.remove()
    broker = redis.Redis.from_url(stack.redis.url)
    queued = broker.llen("default")
    assert len(queued_ids) == 2 * count  # email and in-app
    assert queued == -(-len(queued_ids) // int(stack.app.config["DELIVERY_BATCH_SIZE"]))  # a task per batch of rows

    broker.flushall()
    assert broker.llen("default") == 0
    worker = stack.start_worker()
    started = time.monotonic()
    stack.start_beat()

    wait_for(lambda: stack.smtp.unique() >= count, 120, f"{count} reminder emails")
    wait_for(lambda: _all_sent(stack), 60, "every outbox row (email and in-app) to be sent")
    delivered_in = time.monotonic() - started

    received = stack.smtp.deliveries()
    with stack.app.app_context():
        in_app = db.session.scalar(sa.select(sa.func.count()).where(Notification.kind == "callback_reminder"))
    assert (len(received), len(set(received))) == (count, count)
    assert in_app == count
    assert "sweeper queued" in worker.log()
    figures(
        f"FLUSHALL with {queued} delivery tasks queued -> sweeper re-queued them; {len(received)} emails and "
        f"{in_app} in-app reminders for {count} callbacks, none twice, {delivered_in:.1f}s after the worker started"
    )
