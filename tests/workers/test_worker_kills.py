"""A worker SIGKILLed (its whole process group) at each point on a reminder's way out, then restarted; and the broker
down when a scan commits. The bar in each case: every reminder reaches its channel within ACCEPTANCE_SECONDS of the
restart, nothing is lost, and nothing repeats except a message the SMTP sink had accepted before the kill whose row
was not yet `sent`, resent once with the same Message-ID.

1. during the scan's dispatch: the rows are committed, their tasks only partly sent (the sweeper's "never handed
   over" rule);
2. mid-delivery: a slow mail server, sends in flight (the `sending` rows' claims expire: "abandoned");
3. between send and commit: the sink has accepted a message, its `sent` is blocked by the test's row lock (the
   allowed resend, same Message-ID);
4. Redis stopped as the scan commits: nothing is handed over until it is back.

Recovery is the sweeper's (the broker's visibility timeout, 5 minutes, is far beyond these tests).
"""

from __future__ import annotations

import base64
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import User
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.reminders.models import OutboxMessage
from caseapp.reminders.outbox import task_ids
from caseapp.tasks import Queue, TaskName
from tests.live import Proc
from tests.workers.conftest import Stack, figures, seed_callbacks, wait_for

#: the acceptance bound: restart (or Redis back) to the last reminder at its channel; a wait's deadline, never a
#: timing assertion
ACCEPTANCE_SECONDS = 120.0
#: callbacks due together for the dispatch kill: 2 rows each (email and in-app), so the scan sends 600 tasks
DISPATCH_BATCH = 300
#: how long the slow sink holds its reply to DATA (under FAST_SETTINGS' SMTP_TIMEOUT_SECONDS of 3)
SLOW_REPLY = 1.5


# --- reading the outbox, the sink and the broker ------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    id: int
    callback_id: int
    channel: str
    status: str
    message_id: str
    recipient_id: int
    email: str
    link: str | None
    dispatched: bool
    attempts: int

    @property
    def key(self) -> tuple[str, str]:
        """How the sink records this row's email: (Message-ID, recipient)."""
        return (self.message_id, self.email)


def outbox_rows(stack: Stack) -> dict[int, Row]:
    def read() -> dict[int, Row]:
        query = sa.select(
            OutboxMessage.id,
            OutboxMessage.callback_id,
            OutboxMessage.channel,
            OutboxMessage.status,
            OutboxMessage.message_id,
            OutboxMessage.recipient_id,
            User.email,
            OutboxMessage.link,
            OutboxMessage.dispatched_at.is_not(None),
            OutboxMessage.attempts,
        ).join(User, User.id == OutboxMessage.recipient_id)
        return {
            r[0]: Row(r[0], r[1], str(r[2]), str(r[3]), r[4], r[5], r[6], r[7], bool(r[8]), r[9])
            for r in db.session.execute(query)
        }

    result: dict[int, Row] = stack.query(read)
    return result


def all_sent(stack: Stack, expected_rows: int) -> bool:
    return stack.outbox_counts() == {"sent": expected_rows}


def queued_deliveries(broker: redis.Redis) -> set[int]:
    """Outbox ids whose delivery task is in Redis: waiting in the queue, or reserved by a worker and not acked."""
    payloads = [json.loads(raw) for raw in broker.lrange(Queue.DEFAULT.value, 0, -1)]
    payloads += [json.loads(raw)[0] for raw in broker.hvals("unacked")]
    ids: set[int] = set()
    for payload in payloads:
        if payload["headers"].get("task") == str(TaskName.DELIVER_REMINDER):
            args, _kwargs, _embed = json.loads(base64.b64decode(payload["body"]))
            ids.update(task_ids(args[0]))
    return ids


@dataclass(frozen=True)
class AtKill:
    """The outbox and the sink just after the kill (once the sink has settled the dead worker's open sends)."""

    rows: dict[int, Row]
    accepted: Counter[tuple[str, str]]

    def with_status(self, status: str) -> list[Row]:
        return [row for row in self.rows.values() if row.status == status]

    @property
    def allowed_repeats(self) -> set[tuple[str, str]]:
        """Emails the sink had accepted whose row was not `sent`: the only messages that may arrive twice."""
        unsent = {row.key for row in self.rows.values() if row.channel == "email" and row.status != "sent"}
        return unsent & set(self.accepted)


def kill(stack: Stack, worker: Proc) -> AtKill:
    """SIGKILL the worker's process group; then the outbox and what the sink had accepted."""
    stack.kill(worker)
    # a send cut off by the kill is cancelled (or, in the instant before, accepted): wait until the sink knows which
    wait_for(lambda: not stack.smtp.waiting(), 10, "the sink to settle the sends the kill cut off")
    return AtKill(outbox_rows(stack), Counter(stack.smtp.deliveries()))


@dataclass(frozen=True)
class Recovery:
    seconds: float
    emails: int
    in_app: int
    repeats: dict[tuple[str, str], int]


def recover(stack: Stack, since: float, expected: dict[int, str], allowed: set[tuple[str, str]]) -> Recovery:
    """Wait (the acceptance bound from `since`, the restart) for every row to be sent, then check each reached its
    channel and recipient, exactly once, but for `allowed` resends."""
    channels = len(stack.app.config["REMINDER_CHANNELS"].split(","))
    expected_rows = len(expected) * channels
    wait_for(
        lambda: all_sent(stack, expected_rows),
        ACCEPTANCE_SECONDS - (time.monotonic() - since),
        f"all {expected_rows} reminders to reach their channel within {ACCEPTANCE_SECONDS:.0f}s of the restart",
    )
    seconds = time.monotonic() - since
    rows = outbox_rows(stack)
    assert {(row.callback_id, row.email) for row in rows.values()} == set(expected.items())
    assert len(rows) == expected_rows

    emails = {row.key for row in rows.values() if row.channel == "email"}
    received = Counter(stack.smtp.deliveries())
    assert set(received) == emails  # every email at its advisor, nothing the outbox did not hold
    repeats = {key: n for key, n in received.items() if n > 1}
    assert set(repeats) <= allowed, f"repeated without being accepted before the kill: {set(repeats) - allowed}"
    assert set(repeats.values()) <= {2}  # one resend at most

    def bell_and_trail() -> tuple[Counter[tuple[int, str | None]], Counter[int]]:
        bell = Counter(
            (user_id, link)
            for user_id, link in db.session.execute(
                sa.select(Notification.user_id, Notification.link).where(Notification.kind == "callback_reminder")
            )
        )
        sent_events = db.session.scalars(sa.select(AuditEvent.detail).where(AuditEvent.action == "reminder.sent"))
        return bell, Counter(int(detail["outbox_id"]) for detail in sent_events)

    bell, trail = stack.query(bell_and_trail)
    in_app = [row for row in rows.values() if row.channel == "in_app"]
    assert set(bell) == {(row.recipient_id, row.link) for row in in_app}  # each in-app row on its advisor's bell
    assert set(bell.values()) == {1}  # and none twice
    assert trail == dict.fromkeys(rows, 1)  # each row marked sent once
    return Recovery(seconds, sum(received.values()), len(in_app), repeats)


def restart(stack: Stack, name: str = "worker2") -> float:
    """Start a new worker; returns the moment the restart began (the acceptance bound runs from it)."""
    restarted = time.monotonic()
    stack.start_worker(name)
    return restarted


@contextmanager
def own_connection(stack: Stack) -> Iterator[Connection]:
    """A connection of the test's own, beside the processes; its transaction (and any lock it took) is rolled back
    on leaving."""
    with stack.app.app_context():
        connection = db.engine.connect()
    try:
        yield connection
    finally:
        connection.rollback()
        connection.close()


def waiting_on(stack: Stack, pid: int, statement: str) -> bool:
    """Whether a process's statement starting with `statement` waits for a lock held by backend `pid` (asked on a
    connection of its own: pg_stat_activity is read once per transaction)."""
    with stack.app.app_context(), db.engine.connect() as connection:
        found = connection.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid)) "
                "AND query LIKE :statement"
            ),
            {"pid": pid, "statement": f"{statement}%"},
        ).scalar_one()
    return bool(found)


# --- the cases -----------------------------------------------------------------------------------------------------


def test_worker_killed_while_the_scan_dispatches_delivers_every_row_after_restart(
    make_stack: Callable[..., Stack],
) -> None:
    # a task per row, as many as the rows: the dispatch lasts long enough to be killed in the middle of it
    stack = make_stack(DELIVERY_BATCH_SIZE=1)
    expected = seed_callbacks(stack.app, DISPATCH_BATCH, advisors=20)
    broker = redis.Redis.from_url(stack.redis.url)
    worker = stack.start_worker("worker1")
    stack.start_beat()
    # the scan commits its rows, then sends their tasks one by one: kill once an eighth of them wait in Redis
    wait_for(
        lambda: broker.llen(Queue.DEFAULT.value) >= DISPATCH_BATCH // 4,
        60,
        "the scan to be dispatching",
        interval=0.001,
    )
    at_kill = kill(stack, worker)
    in_redis = queued_deliveries(broker)

    pending = at_kill.with_status("pending")
    not_dispatched = [row for row in pending if not row.dispatched]
    never_left = [row for row in pending if row.id not in in_redis]
    assert len(at_kill.rows) == 2 * DISPATCH_BATCH  # the scan's rows were committed
    assert in_redis, "no task had reached Redis: the kill was before the dispatch"
    assert never_left, "every task had reached Redis: the kill was after the dispatch"

    since = restart(stack)
    recovery = recover(stack, since, expected, at_kill.allowed_repeats)

    assert {row.id for row in never_left} <= {row.id for row in not_dispatched}  # the sweeper's sign to queue them
    figures(
        f"worker SIGKILLed while the scan dispatched {len(at_kill.rows)} rows ({DISPATCH_BATCH} callbacks, email and "
        f"in-app): {len(in_redis)} tasks in Redis, {len(not_dispatched)} rows with dispatched_at null, "
        f"{len(never_left)} tasks never sent, {len(at_kill.with_status('sending'))} rows 'sending' -> restarted: "
        f"{recovery.emails} emails and {recovery.in_app} in-app reminders, every row sent {recovery.seconds:.1f}s "
        f"after the restart; {len(recovery.repeats)} resent with the same Message-ID "
        f"(accepted before the kill, not yet marked sent: {len(at_kill.allowed_repeats)})"
    )


def test_worker_killed_mid_delivery_to_a_slow_mail_server_delivers_after_the_claims_expire(stack: Stack) -> None:
    expected = seed_callbacks(stack.app, 8, advisors=4)
    stack.smtp.delay = SLOW_REPLY
    worker = stack.start_worker("worker1")
    stack.start_beat()
    wait_for(lambda: stack.smtp.count() >= 2 and stack.smtp.waiting(), 60, "a send in flight after some arrived")
    in_flight = stack.smtp.waiting()
    at_kill = kill(stack, worker)
    sending = at_kill.with_status("sending")
    assert sending, "no row was being sent at the kill"

    since = restart(stack)
    recovery = recover(stack, since, expected, at_kill.allowed_repeats)

    after = outbox_rows(stack)
    assert all(after[row.id].attempts == row.attempts + 1 for row in sending)  # claimed again once the lease ran out
    figures(
        f"worker SIGKILLed mid-delivery (sink replying after {SLOW_REPLY}s): {len(in_flight)} emails in flight, "
        f"{len(sending)} rows 'sending', {len(at_kill.with_status('sent'))} of {len(at_kill.rows)} sent -> "
        f"restarted: every row sent {recovery.seconds:.1f}s after the restart (lease 8s); "
        f"{len(recovery.repeats)} resent with the same Message-ID (allowed {len(at_kill.allowed_repeats)})"
    )


def test_worker_killed_between_the_smtp_accept_and_marking_sent_resends_that_email_once(
    make_stack: Callable[..., Stack],
) -> None:
    # one row per task, each marked sent on its own: the window is one message (with the defaults it is up to
    # DELIVERY_MARK_SENT_EVERY messages of one batch, which `make bench-callbacks` measures)
    stack = make_stack(DELIVERY_BATCH_SIZE=1, DELIVERY_MARK_SENT_EVERY=1)
    expected = {**seed_callbacks(stack.app, 1, advisors=1, prefix="held"), **seed_callbacks(stack.app, 5, advisors=5)}
    stack.smtp.slow = {"held0@helpline.test": SLOW_REPLY}  # time for the test to lock the row while it is sent
    worker = stack.start_worker("worker1")
    stack.start_beat()

    def held_row() -> Row | None:
        found = [r for r in outbox_rows(stack).values() if r.email == "held0@helpline.test" and r.channel == "email"]
        return found[0] if found and found[0].status == "sending" else None

    wait_for(held_row, 60, "the held advisor's email to be claimed", interval=0.05)
    target = held_row()
    assert target is not None
    with own_connection(stack) as connection:
        locked = connection.execute(
            sa.text("SELECT status FROM reminder_outbox WHERE id = :id FOR UPDATE"), {"id": target.id}
        ).scalar_one()
        assert locked == "sending", "the email was marked sent before the test could hold its row"
        holder = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        wait_for(lambda: target.key in stack.smtp.deliveries(), 30, "the sink to accept the held email")
        wait_for(
            lambda: waiting_on(stack, holder, ""),
            30,
            "the delivery to be waiting to mark it sent",
        )
        others = len(expected) * 2 - 1
        wait_for(lambda: stack.outbox_counts() == {"sent": others, "sending": 1}, 60, "every other row to be sent")
        at_kill = kill(stack, worker)
    # the lock is released: the dead worker's UPDATE never commits

    assert at_kill.rows[target.id].status == "sending"
    assert at_kill.allowed_repeats == {target.key}
    since = restart(stack)
    recovery = recover(stack, since, expected, at_kill.allowed_repeats)

    assert recovery.repeats == {target.key: 2}  # resent once, the same Message-ID; nothing else twice
    assert outbox_rows(stack)[target.id].attempts == 2
    figures(
        f"worker SIGKILLed after the sink accepted an email and before its 'sent' committed (row held by the test): "
        f"restarted -> that email resent with the same Message-ID ({recovery.repeats[target.key]} copies), "
        f"{recovery.emails - 2} other emails and {recovery.in_app} in-app reminders once each; every row sent "
        f"{recovery.seconds:.1f}s after the restart (lease 8s)"
    )


def test_redis_down_as_the_scan_commits_leaves_rows_undispatched_until_the_sweeper_hands_them_over(
    stack: Stack,
) -> None:
    count = 20
    expected = seed_callbacks(stack.app, count, advisors=5)
    with own_connection(stack) as connection:
        # the scan's INSERT waits behind this lock, so the test can stop Redis before the scan commits
        connection.execute(sa.text("LOCK TABLE reminder_outbox IN SHARE MODE"))
        worker = stack.start_worker()
        stack.start_beat()

        holder = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        wait_for(
            lambda: waiting_on(stack, holder, "INSERT INTO reminder_outbox"), 60, "the scan to wait to write its rows"
        )
        stack.redis.stop()
    # the scan commits with Redis gone: its dispatch fails
    wait_for(lambda: "could not dispatch" in worker.log(), 30, "the scan's dispatch to fail")
    at_failure = outbox_rows(stack)
    not_dispatched = [row for row in at_failure.values() if row.status == "pending" and not row.dispatched]
    assert len(at_failure) == len(not_dispatched) == 2 * count

    stack.redis.start_again()
    since = time.monotonic()
    wait_for(lambda: worker.count("Connected to") >= 2 or not worker.alive, 60, "the worker to reconnect")
    assert worker.alive, "the worker exited when Redis went away while it held an unacknowledged task"
    recovery = recover(stack, since, expected, set())

    assert recovery.repeats == {}
    assert worker.alive  # it reconnected; nobody restarted it
    figures(
        f"Redis stopped as the scan committed {len(at_failure)} rows: dispatch failed, {len(not_dispatched)} rows "
        f"with dispatched_at null -> Redis back (empty): the sweeper handed them over, every row sent "
        f"{recovery.seconds:.1f}s after ({recovery.emails} emails, {recovery.in_app} in-app), none twice"
    )
